"""The settrace backend's raw recording (see ``_engine._recording``): calls and returns of a code object, as records.

For a code object whose calls and returns the recording's filter always takes, the global trace function records
the call (``call``) and gives the frame the code's *raw local* trace function (``local_for``), which records the
frame's returns (and, where they are certain to be recorded, its exceptions: ``Recorder.raised_line``) and passes
anything else to the backend's own local trace function, which builds an event as usual. Both follow
``_engine._recording``'s contract: the thread's list read anew from ``recorder.local`` each time, ``sink.first()``
when it is missing, ``sink.due()`` when the batch is full or the flush time passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from .._engine._recording import RawSink, raised_step, return_maker

__all__ = ["RawTracing"]

TraceFunction = Callable[[FrameType, str, Any], Any]

_perf_ns = time.perf_counter_ns


class RawTracing:
    """``call(site, frame)`` records a call; ``local_for(site, normal, raises)`` is a code's raw local trace function
    (``raises``: its exceptions are raw too)."""

    __slots__ = ("call", "local_for")

    def __init__(self, sink: RawSink, running: list[bool], plain_end_of_loop: Callable[[FrameType, Any], bool]) -> None:
        recorder = sink.recorder
        perf_ns = _perf_ns
        batch = recorder.batch
        args = recorder.args
        arguments = recorder.arguments
        make_return = return_maker(recorder, 1)  # (a trace function's caller is its frame)
        raised = raised_step(sink)

        def call(site: Any, frame: FrameType) -> None:
            ns = perf_ns()
            try:
                records = recorder.local.records
            except AttributeError:
                records = sink.first(frame, "call")
                if records is None:
                    return
            records.append((site, ns, arguments(site, frame)) if args else (site, ns))
            if ns >= recorder.due_ns or len(records) >= batch:
                sink.due(ns, frame, "call")

        def local_for(site: Any, normal: TraceFunction, raises: bool = False) -> TraceFunction:
            # ``normal``: the backend's own local trace function for the code (other exceptions go there).
            step = raised if raises else None

            def local(frame: FrameType, kind: str, arg: Any) -> TraceFunction | None:
                if not running[0]:
                    frame.f_trace = None  # stopped (see the backend's own local trace function)
                    return None
                if kind != "return":
                    if step is not None and kind == "exception" and (plain_end_of_loop(frame, arg) or step(frame, arg)):
                        return local  # (a loop's plain end is no event: see the backend's own local trace function)
                    # Other exceptions take the normal path (an event, through the predicate); the frame stays ours.
                    result = normal(frame, kind, arg)
                    return local if result is normal else result
                ns = perf_ns()
                entry = make_return(ns, arg)
                try:
                    records = recorder.local.records
                except AttributeError:
                    records = sink.first(frame, "return")
                    if records is None:
                        return local
                records.append(entry)
                if ns >= recorder.due_ns or len(records) >= batch:
                    sink.due(ns, frame, "return")
                return local

            return local

        self.call = call
        self.local_for = local_for
