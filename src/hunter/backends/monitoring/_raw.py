"""The monitoring backend's raw recording (see ``_engine._recording``): calls and returns of a code object, as
records.

The call and return callbacks of ``_callbacks`` hand a code object whose ``CodeInfo.raw_site`` is set (its calls and
returns are certain to be recorded) to these steps instead of building an event. They do what those callbacks and
``deliver`` do for an event (silent frames, the thread gate, counting calls) and append a record; no frame object
is asked for unless arguments are recorded. Exceptions and lines always take the normal path.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..._engine._recording import RawSink, raised_step, return_maker

if TYPE_CHECKING:
    from ._wiring import Wiring
    from ._codes import CodeInfo

__all__ = ["RawSteps", "raw_steps"]

_getframe = sys._getframe
_perf_ns = time.perf_counter_ns


class RawSteps:
    """``call(info)``, ``returned(info, value)`` (None for PY_UNWIND): called from a callback, for raw code;
    ``raised(info, value)``: an exception of code whose exceptions are raw too (False: the event takes the normal
    path); ``sink``: their slow steps."""

    __slots__ = ("call", "raised", "returned", "sink")

    def __init__(
        self,
        call: Callable[[CodeInfo], None],
        returned: Callable[[CodeInfo, Any], None],
        raised: Callable[[CodeInfo, Any], bool],
        sink: RawSink,
    ) -> None:
        self.call = call
        self.returned = returned
        self.raised = raised
        self.sink = sink


def raw_steps(wiring: Wiring, held_back: Callable[[], bool]) -> RawSteps:
    """The steps of a recording backend (``wiring.context.recording`` is set)."""
    # Each step is called by a callback of the frame's event: getframe(2) is that frame. The steps follow
    # hunter._engine._recording's contract (the thread's list read anew; the sink when it is missing or due).
    context = wiring.context
    recorder = context.recording.recorder  # type: ignore[union-attr]
    sink = RawSink(recorder, context.handler_failed, context.owner)
    return RawSteps(
        _call_step(wiring, recorder, sink),
        _return_step(wiring, held_back, recorder, sink),
        _exception_step(wiring, held_back, sink),
        sink,
    )


def _call_step(wiring: Wiring, recorder: Any, sink: RawSink) -> Callable[[CodeInfo], None]:
    """The step of a call recorded raw."""
    context = wiring.context
    untraced_pop = wiring.untraced.pop
    getframe = _getframe
    perf_ns = _perf_ns
    batch = recorder.batch
    args = recorder.args
    arguments = recorder.arguments

    def call(info: CodeInfo) -> None:
        # After the callback's gate check, as its event delivery would be.
        site = info.raw_site
        if info.has_silent_frames:
            # A frame that was silent for this tracer, resumed: traced from here on (as in _callbacks).
            untraced_pop(id(getframe(2)), None)
        context.calls += 1
        ns = perf_ns()
        try:
            records = recorder.local.records
        except AttributeError:
            records = sink.first(getframe(2), "call")
            if records is None:
                return
        records.append((site, ns, arguments(site, getframe(2))) if args else (site, ns))
        if ns >= recorder.due_ns or len(records) >= batch:
            sink.due(ns, getframe(2), "call")

    return call


def _return_step(
    wiring: Wiring, held_back: Callable[[], bool], recorder: Any, sink: RawSink
) -> Callable[[CodeInfo, Any], None]:
    """The step of a return (or an unwinding) of a call recorded raw."""
    untraced_get = wiring.untraced.get
    untraced_pop = wiring.untraced.pop
    gate = wiring.gate
    getframe = _getframe
    perf_ns = _perf_ns
    batch = recorder.batch
    make_return = return_maker(recorder, 2)  # (the step's caller is a callback, whose caller is the frame)

    def returned(info: CodeInfo, value: Any) -> None:
        # PY_RETURN, PY_YIELD, and PY_UNWIND (value None): the checks of _callbacks' deliver (a silent frame, a
        # thread held back), then a record.
        if info.has_silent_frames:
            frame = getframe(2)
            silent = untraced_get(id(frame)) is frame
            untraced_pop(id(frame), None)  # it left (a resumption decides again): its id may be reused
            if silent:
                return
        if gate and held_back():
            return
        ns = perf_ns()
        entry = make_return(ns, value)
        try:
            records = recorder.local.records
        except AttributeError:
            records = sink.first(getframe(2), "return")
            if records is None:
                return
        records.append(entry)
        if ns >= recorder.due_ns or len(records) >= batch:
            sink.due(ns, getframe(2), "return")

    return returned


def _exception_step(wiring: Wiring, held_back: Callable[[], bool], sink: RawSink) -> Callable[[CodeInfo, Any], bool]:
    """The step of an exception (RAISE, STOP_ITERATION) of code whose exceptions are recorded raw: the checks of
    _callbacks' deliver, then the recorder's line (``_recording.raised_step``); False when the frame isn't the thread's
    innermost recorded call (the event takes the normal path, which finds its depth and callers)."""
    untraced_get = wiring.untraced.get
    gate = wiring.gate
    getframe = _getframe
    step = raised_step(sink)

    def raised(info: CodeInfo, value: Any) -> bool:
        if step is None:
            return False
        frame = getframe(2)
        if info.has_silent_frames and untraced_get(id(frame)) is frame:
            return True  # (silent: nothing, as deliver)
        if gate and held_back():
            return True
        return step(frame, value)

    return raised
