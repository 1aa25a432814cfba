"""Record once, ask later: trace files (``record=PATH``, ``hunter record``) and what reads them (docs/recording.md)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .events import RecordedEvent
from .writer import Recorder

if TYPE_CHECKING:
    from .flight import FlightRecorder
    from .reader import FormatError, Trace, read

__all__ = ["FlightRecorder", "FormatError", "RecordedEvent", "Recorder", "Trace", "dump", "read"]

# (imported when first asked for: a recording's start needs only the writer, and a program's first recording pays
# for every module imported here)
_LAZY = {"FlightRecorder": ".flight", "FormatError": ".reader", "Trace": ".reader", "read": ".reader"}


def __getattr__(name: str) -> Any:
    """The reader's and the flight recorder's names, imported on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def dump() -> list[str]:
    """Write every flight recorder of this process now (``record_last=N``); the files written."""
    from .flight import dump_all

    return dump_all()
