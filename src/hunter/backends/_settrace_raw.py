"""The settrace backend's raw recording (see ``hunter._recording``): calls and returns of a code object, as records.

For a code object whose calls and returns the recording's filter always takes, the global trace function records
the call and gives the frame the code's *raw local* trace function, which records the frame's returns and passes
anything else (exceptions) to the backend's own local trace function, which builds an event as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["raw_local"]

TraceFunction = Callable[[FrameType, str, Any], Any]
Record = Callable[[Any, FrameType, bool, Any], None]


def raw_local(record: Record, site: Any, normal: TraceFunction, running: list[bool]) -> TraceFunction:
    """The local trace function of one code object recorded raw (``site``: what the recorder made of it).

    ``record`` is ``hunter._recording.raw_record(recorder)``; ``normal`` the backend's own local trace function for
    the code; ``running`` its on/off flag.
    """

    def local(frame: FrameType, kind: str, arg: Any) -> TraceFunction | None:
        if not running[0]:
            frame.f_trace = None  # stopped (see the backend's own local trace function)
            return None
        if kind == "return":
            record(site, frame, False, arg)
            return local
        # Exceptions take the normal path (an event, through the predicate); the frame stays ours.
        result = normal(frame, kind, arg)
        return local if result is normal else result

    return local
