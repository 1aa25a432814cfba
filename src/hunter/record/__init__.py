"""Record once, ask later: trace files (``record=PATH``, ``hunter record``) and what reads them (docs/recording.md)."""

from __future__ import annotations

from .events import RecordedEvent
from .flight import FlightRecorder, dump_all
from .reader import FormatError, Trace, read
from .writer import Recorder

__all__ = ["FlightRecorder", "FormatError", "RecordedEvent", "Recorder", "Trace", "dump", "read"]


def dump() -> list[str]:
    """Write every flight recorder of this process now (``record_last=N``); the files written."""
    return dump_all()
