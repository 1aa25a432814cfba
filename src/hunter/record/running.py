"""Which recorded frames run at each replayed event: what a replay's CallPrinter tells its open calls by.

Live, a CallPrinter keeps a printed call open while its frame is on the chain above the event (``f_back``), so a call
whose return the query filtered out stops indenting the calls after it once its frame is gone. A replay has no
frames: this follows each recorded thread's frames through every recorded event (those the query filters out too)
and gives each event its frame (``_engine._recorded.RecordedFrame``), whose chain is the live one's recorded frames.
Frames are placed by depth, as ``stacks.Stacks`` places them: the frames above an event are those of smaller depth.
"""

from __future__ import annotations

import itertools

from .._engine._compat import YIELD_OPCODES
from .._engine._recorded import RecordedFrame
from .events import RecordedEvent
from .stacks import frame_depth

__all__ = ["RunningFrames"]

#: How many suspended frames of one code a thread's replay keeps for their resumption (the newest).
_KEPT_SUSPENDED = 64


class RunningFrames:
    """Follows each recorded thread's running frames through the replay (``follow``, for every event in order)."""

    def __init__(self) -> None:
        self._tops: dict[int | None, RecordedFrame | None] = {}
        #: Per thread, the suspended generators' and coroutines' frames by code (newest last): a resumption is the
        #: same frame again, as live (it is the same frame object).
        self._suspended: dict[int | None, dict[int, list[RecordedFrame]]] = {}
        self._tokens = itertools.count(-1, -1)

    def follow(self, event: RecordedEvent) -> None:
        """Give the event its frame, and note what the event does to its thread's running frames."""
        thread = event.threadid
        top = self._tops.get(thread)
        kind = event.kind
        depth = frame_depth(event, top)
        while top is not None and (top.depth > depth or (kind == "call" and not event.builtin and top.depth == depth)):
            top = top.parent  # (frames that left without a recorded return)
        if event.builtin:
            # A C function's event (profile mode) happens in the Python frame that calls it.
            self._tops[thread] = top
            event.__dict__["recorded_frame"] = top if top is not None and top.depth == depth else None
            return
        if kind == "call":
            top = self._resumed(thread, event, depth, top) or self._new(event, depth, top)
        elif top is None or top.depth != depth:
            top = self._new(event, depth, top)  # (a frame whose call wasn't recorded: it started before tracing)
        event.__dict__["recorded_frame"] = top
        if kind == "return":
            if event.instruction in YIELD_OPCODES:
                waiting = self._suspended.setdefault(thread, {}).setdefault(id(event.code), [])
                waiting.append(top)
                if len(waiting) > _KEPT_SUSPENDED:
                    del waiting[0]  # (generators left unfinished by the thousand: the oldest are let go)
            top = top.parent
        self._tops[thread] = top

    def _new(self, event: RecordedEvent, depth: int, parent: RecordedFrame | None) -> RecordedFrame:
        return RecordedFrame(next(self._tokens), event.function, depth, event.code, parent)

    def _resumed(
        self, thread: int | None, event: RecordedEvent, depth: int, parent: RecordedFrame | None
    ) -> RecordedFrame | None:
        """A call that resumes a suspended frame of the same code (it starts past the code's first line): that
        frame, now called from ``parent``; None for a new frame."""
        if event.lineno == event.code.co_firstlineno:
            return None
        waiting = self._suspended.get(thread, {}).get(id(event.code))
        if not waiting:
            return None
        frame = waiting.pop()
        return RecordedFrame(frame.token, frame.name, depth, frame.code, parent)
