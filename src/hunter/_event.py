"""hunter 3.9's module path of the Event (its compiled build), kept so that ``from hunter._event import Event``
works; the class lives in :mod:`hunter.event`."""

from __future__ import annotations

from .event import Event

__all__ = ["Event"]
