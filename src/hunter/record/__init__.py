"""Record once, ask later: trace files (``record=PATH``, ``hunter record``) and what reads them (docs/recording.md)."""

from __future__ import annotations

from .events import RecordedEvent
from .reader import FormatError, Trace, read
from .writer import Recorder

__all__ = ["FormatError", "RecordedEvent", "Recorder", "Trace", "read"]
