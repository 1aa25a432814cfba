"""The sys.monitoring callbacks: one builder per event family, shared by line and profile mode.

What differs between the modes is decided per code object (a ``CodeInfo`` has no line or exception fields in
profile mode) and by which callbacks get registered (:func:`build`). Every callback is a closure over plain
locals: on the hot path nothing is looked up that needn't be.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import BuiltinFunctionType, CodeType, FrameType, MethodDescriptorType
from typing import Any

from ..._engine._compat import ARTIFICIAL_STOP_ITERATION_OPCODES, stop_iteration_value
from ..._engine._own_code import runs_for_hunter
from ..._engine._program_signals import let_through
from ...event import Event
from .. import Context
from ._codes import CodeInfo
from ._compiled import compiled_callbacks
from ._raw import RawSteps, raw_steps
from ._wiring import Wiring

__all__ = ["Wiring", "build", "c_event_reporter"]

_monitoring = sys.monitoring
_E = _monitoring.events
_DISABLE = _monitoring.DISABLE
_MISSING = _monitoring.MISSING
_getframe = sys._getframe
_get_ident = threading.get_ident
_new_event = object.__new__

Callbacks = dict[int, Callable[..., Any]]
Deliver = Callable[[CodeInfo, dict[str, Any], FrameType, str, Any], None]


def build(wiring: Wiring, profiling: bool) -> Callbacks:
    """The callbacks of one backend: setprofile's events in profile mode, settrace's otherwise."""
    held_back = _thread_gate(wiring.gate, wiring.gate_admits)
    deliver = _deliverer(wiring, held_back)
    # Recording (hunter._engine._recording): calls and returns of the code objects recorded raw skip events (see _raw).
    raw = raw_steps(wiring, held_back) if wiring.context.recording is not None else None
    on_start, on_throw = _calls(wiring, deliver, held_back, raw)
    on_return, on_unwind = _returns(wiring, deliver, raw)
    on_line, on_jump = _lines(wiring, deliver)
    callbacks: Callbacks = {
        _E.PY_START: on_start,
        _E.PY_RESUME: on_start,
        _E.PY_THROW: on_throw,
        _E.PY_RETURN: on_return,
        _E.PY_YIELD: on_return,
        _E.PY_UNWIND: on_unwind,
        _E.LINE: on_line,  # in profile mode only for a thread's bootstrap (see ThreadStarts)
    }
    if profiling:
        callbacks.update(_c_calls(wiring, c_event_reporter(wiring.context), held_back))
    else:
        on_raise, on_stop_iteration = _exceptions(wiring, deliver, raw)
        callbacks.update({_E.RAISE: on_raise, _E.STOP_ITERATION: on_stop_iteration, _E.JUMP: on_jump})
    if raw is not None and not profiling:
        # The common case of a raw call, return or exception, compiled (the Python callbacks take the rest: _compiled).
        compiled_callbacks(wiring, raw, callbacks)
    return callbacks


def _thread_gate(gate: set[int], admits: bool) -> Callable[[], bool]:
    """Whether the current thread's events are dropped; callbacks ask only when ``gate`` isn't empty."""
    get_ident = _get_ident

    def held_back() -> bool:
        return (get_ident() in gate) is not admits

    return held_back


def _deliverer(wiring: Wiring, held_back: Callable[[], bool]) -> Deliver:
    """The one place where an event of Python code is built and handed to the predicate.

    ``deliver(info, fields, frame, name, value)``: unless the frame stays silent or its thread is held back,
    an event from a copy of the pre-filled ``fields`` with ``frame`` and one more field (the line number,
    the returned value, ...). Building it straight from a dict is much cheaper than ``Event.__init__``.
    """
    if wiring.count_depth:
        return _counting_deliverer(wiring, held_back)
    failed = wiring.context.handler_failed
    untraced_get = wiring.untraced.get
    gate = wiring.gate
    new_event = _new_event

    def deliver(info: CodeInfo, fields: dict[str, Any], frame: FrameType, name: str, value: Any) -> None:
        if info.has_silent_frames and untraced_get(id(frame)) is frame:
            return
        if gate and held_back():
            return
        event_fields = fields.copy()
        event_fields["frame"] = frame
        event_fields[name] = value
        event = new_event(Event)
        event.__dict__ = event_fields
        try:
            info.handler(event)  # the tracer's handler, or what it certainly comes to for this code
        except Exception as exc:  # any failure of the user's predicate/action
            failed(event, exc)

    return deliver


def _counting_deliverer(wiring: Wiring, held_back: Callable[[], bool]) -> Deliver:
    """``deliver`` that fills in ``depth`` (and ``calls``): the frame is remembered until it leaves (see _returns).

    Events at or below the query's depth ceiling for the code are dropped here, before they are built.
    """
    context = wiring.context
    failed = context.handler_failed
    untraced_get = wiring.untraced.get
    gate = wiring.gate
    new_event = _new_event
    count_calls = wiring.count_calls
    depths = context.depths
    known = depths.known
    known_get = known.get
    count = depths.count

    def deliver(info: CodeInfo, fields: dict[str, Any], frame: FrameType, name: str, value: Any) -> None:
        if info.has_silent_frames and untraced_get(id(frame)) is frame:
            return
        if gate and held_back():
            return
        entry = known_get(id(frame))
        if entry is not None and entry[0] is frame:
            frames = entry[1]
        else:
            frames = count(frame)
            known[id(frame)] = (frame, frames)
        if (fields is info.call_fields or fields is info.return_fields) and frames:
            frames -= 1  # a call or return counts at its caller's level (see _depths.depth_of)
        ceiling_now = info.ceiling_now
        if ceiling_now is not None:
            ceiling = ceiling_now()
            if ceiling is not None and frames >= ceiling:
                return  # the query rejects it, changing nothing (see _engine._ceilings)
        event_fields = fields.copy()
        event_fields["frame"] = frame
        if count_calls:
            event_fields["calls"] = context.calls  # (a call's own count follows, as ``name``)
        event_fields[name] = value
        event_fields["depth"] = frames
        event = new_event(Event)
        event.__dict__ = event_fields
        try:
            info.handler(event)  # the tracer's handler, or what it certainly comes to for this code
        except Exception as exc:  # any failure of the user's predicate/action
            failed(event, exc)

    return deliver


def c_event_reporter(context: Context) -> Callable[[FrameType, str, Any, int | None], None]:
    """Delivers an event about a C function (module and name come from the function: nothing is pre-filled)."""
    handler = context.handler
    failed = context.handler_failed
    owner = context.owner
    threading_support = context.threading_support

    def report_c_event(frame: FrameType, kind: str, function: Any, lineno: int | None = None) -> None:
        event = Event(frame, kind, function, None, None, threading_support, owner)
        if lineno is not None:
            event.lineno = lineno
        try:
            handler(event)
        except Exception as exc:  # any failure of the user's predicate/action
            failed(event, exc)

    return report_c_event


def _calls(
    wiring: Wiring, deliver: Deliver, held_back: Callable[[], bool], raw: RawSteps | None
) -> tuple[Callable[..., Any], ...]:
    """PY_START and PY_RESUME (DISABLEd where calls can't match), PY_THROW (can't be): settrace's ``call``."""
    return _starts(wiring, deliver, held_back, raw), _throws(wiring, deliver, held_back, raw)


def _silencer(wiring: Wiring) -> Callable[[CodeInfo, FrameType], bool]:
    """``silenced(info, frame)``: a standard library frame that hunter's own code called stays silent (see
    runs_for_hunter); it is noted as such."""
    get_info = wiring.info_of
    untraced = wiring.untraced
    for_hunter = runs_for_hunter

    def silenced(info: CodeInfo, frame: FrameType) -> bool:
        if not for_hunter(frame, get_info):
            return False
        untraced[id(frame)] = frame
        info.has_silent_frames = True
        return True

    return silenced


def _starts(
    wiring: Wiring, deliver: Deliver, held_back: Callable[[], bool], raw: RawSteps | None
) -> Callable[[CodeType, int], Any]:
    """PY_START and PY_RESUME: a call (settrace reports every resumption of a generator as a call too)."""
    context = wiring.context
    get_info = wiring.info_of
    discover = wiring.discover
    untraced_pop = wiring.untraced.pop
    count_calls = wiring.count_calls
    gate = wiring.gate
    getframe = _getframe
    disable = _DISABLE
    silenced = _silencer(wiring)

    def on_start(code: CodeType, offset: int) -> Any:
        info = get_info(id(code))
        if info is None:
            info = discover(code, getframe(1))
            if info is None:
                return None
        fields = info.call_fields
        if fields is None:
            if not info.keep_start_events:
                return disable  # no call of this code can match: never come back here
            hook = info.hook
            if hook is not None:
                hook(None, getframe(1))
                return None
            if info.has_silent_frames:
                untraced_pop(id(getframe(1)), None)
            if info.stdlib and info.mask and silenced(info, getframe(1)):
                return None
            if count_calls and not info.own and not (gate and held_back()):
                context.calls += 1
            return None
        if gate and held_back():
            return None
        site = info.raw_site
        if site is not None and not info.stdlib:
            raw.call(info)  # type: ignore[union-attr]  # recorded raw, without an event (see _raw)
            return None
        frame = getframe(1)
        if info.has_silent_frames:
            # A frame that was silent for this tracer, resumed: settrace's global trace function sees this
            # resumption and traces the frame from here on.
            untraced_pop(id(frame), None)
        if info.stdlib and silenced(info, frame):
            return None
        if site is not None:
            raw.call(info)  # type: ignore[union-attr]
            return None
        calls = context.calls
        context.calls = calls + 1
        deliver(info, fields, frame, "calls", calls)
        return None

    return on_start


def _throws(
    wiring: Wiring, deliver: Deliver, held_back: Callable[[], bool], raw: RawSteps | None
) -> Callable[[CodeType, int, BaseException], None]:
    """PY_THROW: generator.throw(), which settrace reports as a call. Interpreter-wide, can't be DISABLEd."""
    context = wiring.context
    get_info = wiring.info_of
    discover = wiring.discover
    untraced_pop = wiring.untraced.pop
    gate = wiring.gate
    getframe = _getframe

    def on_throw(code: CodeType, offset: int, exc: BaseException) -> None:
        info = get_info(id(code))
        if info is None:
            info = discover(code, getframe(1))
            if info is None:
                return
        if gate and held_back():
            return
        if info.raw_site is not None:
            raw.call(info)  # type: ignore[union-attr]  # recorded raw, without an event (see _raw)
            return
        frame = getframe(1)
        if info.has_silent_frames:
            untraced_pop(id(frame), None)
        if info.own:
            return
        calls = context.calls
        context.calls = calls + 1
        fields = info.call_fields
        if fields is not None:
            deliver(info, fields, frame, "calls", calls)

    return on_throw


def _returns(wiring: Wiring, deliver: Deliver, raw: RawSteps | None) -> tuple[Callable[..., Any], ...]:
    """PY_RETURN and PY_YIELD (local: on only where returns can match, or depth is counted), PY_UNWIND:
    settrace's ``return``. When depth is counted, the frame leaving is forgotten (see _counting_deliverer)."""
    get_info = wiring.info_of
    untraced_pop = wiring.untraced.pop
    getframe = _getframe
    forget = wiring.context.depths.known.pop if wiring.count_depth else None

    def on_return(code: CodeType, offset: int, value: Any) -> None:
        info = get_info(id(code))
        if info is None:
            return
        if info.raw_site is not None:
            raw.returned(info, value)  # type: ignore[union-attr]  # recorded raw, without an event (see _raw)
        else:
            fields = info.return_fields
            if fields is not None:
                frame = getframe(1)
                deliver(info, fields, frame, "arg", value)
                if info.has_silent_frames:
                    untraced_pop(id(frame), None)  # it left (a resumption decides again): its id may be reused
                if forget is not None:
                    forget(id(frame), None)
                return
        if forget is not None:
            forget(id(getframe(1)), None)

    def on_unwind(code: CodeType, offset: int, exc: BaseException) -> None:
        # An exception leaves the frame: settrace reports a return with None.
        info = get_info(id(code))
        if info is None:
            return
        if info.raw_site is not None:
            raw.returned(info, None)  # type: ignore[union-attr]  # recorded raw, as a return event of None
        else:
            fields = info.return_fields
            if fields is not None:
                frame = getframe(1)
                deliver(info, fields, frame, "arg", None)
                if info.has_silent_frames:
                    untraced_pop(id(frame), None)
                if forget is not None:
                    forget(id(frame), None)
                return
        if forget is not None:
            forget(id(getframe(1)), None)

    return on_return, on_unwind


def _exceptions(wiring: Wiring, deliver: Deliver, raw: RawSteps | None) -> tuple[Callable[..., Any], ...]:
    """RAISE (in every frame the exception enters) and STOP_ITERATION: settrace's ``exception``."""
    get_info = wiring.info_of
    getframe = _getframe
    artificial = ARTIFICIAL_STOP_ITERATION_OPCODES
    stop_value = stop_iteration_value

    def on_raise(code: CodeType, offset: int, exc: BaseException) -> None:
        info = get_info(id(code))
        if info is not None:
            fields = info.exception_fields
            if fields is not None:
                value = (type(exc), exc, exc.__traceback__)
                if info.raw_exceptions and raw.raised(info, value):  # type: ignore[union-attr]  # (see _raw)
                    return
                deliver(info, fields, getframe(1), "arg", value)

    def on_stop_iteration(code: CodeType, offset: int, exc: BaseException) -> None:
        # The end of ``yield from`` (settrace reports it too), and a for loop's end only when the generator
        # returned a value: a real StopIteration then, whether or not the loop got specialised (see _compat).
        info = get_info(id(code))
        if info is not None:
            fields = info.exception_fields
            if fields is not None and (
                code.co_code[offset] not in artificial or stop_value(exc) is not None or exc.__traceback__ is not None
            ):
                value = (type(exc), exc, exc.__traceback__)
                if info.raw_exceptions and raw.raised(info, value):  # type: ignore[union-attr]  # (see _raw)
                    return
                deliver(info, fields, getframe(1), "arg", value)

    return on_raise, on_stop_iteration


def _lines(wiring: Wiring, deliver: Deliver) -> tuple[Callable[..., Any], ...]:
    """LINE, and JUMP backward within one line: settrace's ``line``."""
    get_info = wiring.info_of
    getframe = _getframe
    disable = _DISABLE

    def on_line(code: CodeType, line: int) -> Any:
        info = get_info(id(code))
        if info is None:
            return None
        fields = info.line_fields
        if fields is None:
            # LINE is on only to watch a thread start (see ThreadStarts): it must not be DISABLEd.
            hook = info.hook
            if hook is not None:
                hook(line, getframe(1))
            return None
        # settrace sets the frame's f_lineno to the LINE event's line while its function runs.
        deliver(info, fields, getframe(1), "lineno", line)
        return None

    def on_jump(code: CodeType, source: int, target: int) -> Any:
        # settrace reports a line for a backward jump that stays on the same line (a loop on one line);
        # other jumps are covered by LINE at their target, so they are DISABLEd (as legacy tracing does).
        if target > source:
            return disable
        info = get_info(id(code))
        if info is None:
            return disable
        fields = info.line_fields
        if fields is None:
            return disable
        line = info.line_at(code, target)
        if line != info.line_at(code, source):
            return disable
        if line >= 0:
            deliver(info, fields, getframe(1), "lineno", line)
        return None

    return on_line, on_jump


def _c_calls(
    wiring: Wiring, report_c_event: Callable[[FrameType, str, Any, int | None], None], held_back: Callable[[], bool]
) -> Callbacks:
    """CALL, C_RETURN and C_RAISE (profile mode): setprofile's ``c_call``, ``c_return`` and ``c_exception``."""
    get_info = wiring.info_of
    discover = wiring.discover
    gate = wiring.gate
    getframe = _getframe
    missing = _MISSING
    for_hunter = runs_for_hunter

    def c_event(kind: str) -> Callable[..., None]:
        def callback(code: CodeType, offset: int, function: Any, arg0: Any) -> None:
            # As setprofile: builtin functions, and method descriptors bound to their first argument.
            if type(function) is MethodDescriptorType:
                if arg0 is missing:
                    return
                try:
                    function = function.__get__(arg0, type(arg0))
                except Exception as exc:  # settrace would fail the call; we just skip the event
                    let_through(exc)
                    return
            elif not isinstance(function, BuiltinFunctionType):
                return
            info = get_info(id(code))
            if info is None:
                info = discover(code, getframe(1))
            if info is None or info.own:
                return  # hunter's own code, starting or stopping the tracer
            if info.stdlib and for_hunter(getframe(1), get_info):
                return  # what hunter's code called
            if gate and held_back():
                return
            report_c_event(getframe(1), kind, function, None)

        return callback

    return {_E.CALL: c_event("c_call"), _E.C_RETURN: c_event("c_return"), _E.C_RAISE: c_event("c_exception")}
