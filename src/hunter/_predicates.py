"""hunter 3.9's module path of the predicates (its compiled build), kept so that
``from hunter._predicates import When`` works; the classes live in :mod:`hunter.predicates`."""

from __future__ import annotations

from .predicates import And, Backlog, From, Not, Or, Query, When

__all__ = ["And", "Backlog", "From", "Not", "Or", "Query", "When"]
