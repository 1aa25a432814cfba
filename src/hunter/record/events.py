"""RecordedEvent: an event read back from a trace file (the one type of every kept event, see _engine._recorded)."""

from __future__ import annotations

from .._engine._recorded import RECORDED_FIELDS, RecordedCode, RecordedEvent

__all__ = ["RECORDED_FIELDS", "RecordedCode", "RecordedEvent"]
