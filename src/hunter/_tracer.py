"""hunter 3.9's module path of the Tracer (its compiled build), kept so that ``from hunter._tracer import Tracer``
works; the class lives in :mod:`hunter.tracer`."""

from __future__ import annotations

from .tracer import Tracer

__all__ = ["Tracer"]
