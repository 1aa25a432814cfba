"""The sys.monitoring backend (PEP 669, Python 3.12+): events switched on only where the predicate can match.

The settrace backend's output is the reference. Since 3.12, ``sys.settrace`` is itself emulated on top of
sys.monitoring (CPython's Python/legacy_tracing.c), so this backend maps the same monitoring events to the
same hunter events:

=====================================  ==========================================================
monitoring event                       settrace event
=====================================  ==========================================================
PY_START, PY_RESUME, PY_THROW          ``call`` (a generator's every resumption is a call)
PY_RETURN, PY_YIELD                    ``return`` with the value
PY_UNWIND                              ``return`` with None (an exception leaves the frame)
RAISE, STOP_ITERATION                  ``exception`` with ``(type, value, traceback)``; RERAISE
                                       (a bare ``raise``, the end of ``finally``) shows nothing
LINE, JUMP (backward, same line)       ``line``
CALL / C_RETURN / C_RAISE (profile)    ``c_call`` / ``c_return`` / ``c_exception`` for C functions
=====================================  ==========================================================

What it adds is pruning: only PY_START/PY_RESUME/PY_THROW are interpreter-wide (they discover code objects);
the first time a code object runs, the predicate's static verdicts decide which events to switch on for it
(``set_local_events``), and its calls are never reported again (``DISABLE``) when they can't match.
Exceptions and unwinding can only be switched on interpreter-wide, and only are when the query allows them.
"""

from __future__ import annotations

import functools
import sys
import threading
import weakref
from collections.abc import Callable
from types import BuiltinFunctionType, CodeType, FrameType, MethodDescriptorType
from typing import TYPE_CHECKING, Any

from .._compat import HAS_MONITORING, LINE_EVENTS_NEED_RESUME_EVENTS, STOP_ITERATION_NEEDS_LINE_EVENTS
from .._pruning import KINDS, VerdictCache, kind_verdicts
from .._verdict import NEVER, reads_calls
from ..event import Event
from ..tracer import current_stacks as _current_stacks
from . import BackendError

if TYPE_CHECKING:
    from ..tracer import Tracer

if not HAS_MONITORING:  # choose() reports this as the reason the backend can't be used
    raise ImportError("sys.monitoring needs Python 3.12 or newer")

__all__ = ["TOOL_IDS", "MonitoringBackend"]

_monitoring = sys.monitoring
_E = _monitoring.events
_DISABLE = _monitoring.DISABLE
_MISSING = _monitoring.MISSING

#: The tool ids hunter may take. PEP 669 gives 0 to debuggers, 1 to coverage tools, 2 to profilers and
#: 5 to optimizers; 3 and 4 have no conventional owner.
TOOL_IDS = (3, 4)
TOOL_NAME = "hunter"

#: Every event a backend registers a callback for; the ones a call to register_callback() itself fires first.
_ALL_EVENTS = (
    _E.LINE,
    _E.CALL,
    _E.C_RETURN,
    _E.C_RAISE,
    _E.JUMP,
    _E.PY_START,
    _E.PY_RESUME,
    _E.PY_RETURN,
    _E.PY_YIELD,
    _E.PY_THROW,
    _E.PY_UNWIND,
    _E.RAISE,
    _E.STOP_ITERATION,
)

_getframe = sys._getframe
_get_ident = threading.get_ident
_new_event = object.__new__

# Slots of the per-code-object record: pre-filled event fields per kind (None: that kind can't match),
# whether frames of the code were running when tracing started, the local events switched on, a weak
# reference that keeps the record from keeping the code alive, the offset -> line table for JUMP,
# whether PY_START/PY_RESUME must stay on even though its calls can't match, and a hook for the code
# objects that start threads.
_CALL, _LINE, _RETURN, _EXCEPTION, _MIXED, _MASK, _REF, _LINES, _KEEP, _HOOK = range(10)

#: Started backends, oldest first. The last one runs; the others wait until it stops, as an older
#: ``sys.settrace`` function does until a newer tracer restores it.
_stack: list[MonitoringBackend] = []
_lock = threading.RLock()
#: Per tool id: who may have left DISABLEd locations on it since the last ``restart_events()`` (a weak
#: reference to a backend; _FOREIGN before hunter ever used the id; None: nobody). DISABLE outlives
#: ``free_tool_id`` (3.12/3.13 keep it in the code objects), so a backend taking an id that someone else
#: may have used must restart events, or it would never see those locations.
_FOREIGN = object()
_disabled_by: dict[int, Any] = dict.fromkeys(TOOL_IDS, _FOREIGN)


class MonitoringBackend:
    """Delivers sys.monitoring callbacks as events, switching events on per code object as the predicate needs."""

    name = "monitoring"

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        handler = tracer._handler
        self._threading_support = tracer.threading_support
        self._profiling = tracer.profiling_mode
        self._verdicts = VerdictCache(handler, self._threading_support)  # type: ignore[arg-type]
        # `calls` counts every call event: only a query that reads it forces calls to be seen everywhere.
        self._count_calls = reads_calls(handler)
        kinds = kind_verdicts(handler, self._threading_support)  # type: ignore[arg-type]
        builtins = kind_verdicts(handler, self._threading_support, builtin=True)  # type: ignore[arg-type]
        self._global_events = self._global_mask(kinds, builtins)
        self._tool: int | None = None
        self._per_code: dict[int, list[Any]] = {}
        # Frames that were running when tracing started (or resumed): settrace gives them no local trace
        # function, so none of their events show. Held until stop so their ids can't be reused.
        self._untraced: dict[int, FrameType] = {}
        self._untraced_codes: set[int] = set()
        self._frames_at_suspend: dict[int, FrameType] = {}
        self._previous_tracer: Tracer | None = None
        self._callbacks: dict[int, Callable[..., Any]] = {}
        # Threads that started after tracing did and haven't reached the point where threading.settrace
        # would hook them (see _make_thread_start_hooks).
        self._unarmed: set[int] = set()
        self._thread_start = _thread_start_facts() if self._threading_support is not False else None
        self._thread_start_hooks: dict[int, tuple[CodeType, Callable[[int | None, FrameType], None], bool]] = {}

    # -- Backend protocol ------------------------------------------------------------------------------------

    @property
    def previous(self) -> Tracer | None:
        """The hunter tracer that was running before this one and resumes when this one stops."""
        return self._previous_tracer

    def start(self) -> None:
        """Take a tool id, register the callbacks and switch on the interpreter-wide events (last)."""
        only = _get_ident() if self._threading_support is False else None
        self._callbacks = self._make_profile_callbacks(only) if self._profiling else self._make_callbacks(only)
        with _lock:
            previous = _stack[-1] if _stack else None
            if previous is not None:
                previous._suspend()
            self._previous_tracer = previous._tracer if previous is not None else None
            _stack.append(self)
            try:
                tool = self._activate(first=True)
            except BaseException:
                _stack.remove(self)
                self._release()
                if previous is not None:
                    previous._resume()
                raise
        # The very last statement, outside the lock: anything after it (even releasing the lock) would be
        # traced, where settrace's start shows nothing after its own sys.settrace() call.
        _monitoring.set_events(tool, self._global_events)

    def stop(self) -> None:
        """Switch everything off, free the tool id, and let the tracer that ran before this one resume."""
        if self._tool is not None:
            _silence(self._tool)  # first: stopping itself should hardly show in the trace
        with _lock:
            if self not in _stack:
                return
            was_running = _stack[-1] is self
            _stack.remove(self)
            self._release()
            self._per_code.clear()
            self._untraced.clear()
            self._untraced_codes.clear()
            self._frames_at_suspend.clear()
            self._unarmed.clear()
            if was_running and _stack:
                _stack[-1]._resume()

    # -- activation ------------------------------------------------------------------------------------------

    def _global_mask(self, kinds: tuple[Any, ...], builtins: tuple[Any, ...]) -> int:
        """The interpreter-wide events: code discovery, plus what can't be switched on per code object."""
        if all(verdict is NEVER for verdict in kinds) and (
            not self._profiling or all(verdict is NEVER for verdict in builtins)
        ):
            return 0  # nothing can ever match
        # PY_START/PY_RESUME discover code objects (and are DISABLEd per code); PY_THROW can't be local.
        mask = _E.PY_START | _E.PY_RESUME | _E.PY_THROW
        if kinds[2] is not NEVER:
            mask |= _E.PY_UNWIND
        if self._profiling:
            if builtins[0] is not NEVER or builtins[2] is not NEVER or builtins[3] is not NEVER:
                mask |= _E.CALL  # C_RETURN and C_RAISE come with CALL
        elif kinds[3] is not NEVER:
            mask |= _E.RAISE
        return mask

    def _activate(self, first: bool) -> int:
        """Take a tool id and prepare everything but the interpreter-wide events; returns the tool id."""
        tool = self._tool
        reacquired = tool is None
        if reacquired:
            tool = self._tool = _acquire(self)
        for event, callback in self._callbacks.items():
            _monitoring.register_callback(tool, event, callback)
        owner = _disabled_by.get(tool)
        if owner is not None and (owner is _FOREIGN or owner() is not self):
            # Someone else may have DISABLEd locations for this id: re-arm them (every tool's, unavoidably;
            # the others just get their already-disabled events once more and disable them again).
            _monitoring.restart_events()
            for key in _disabled_by:
                _disabled_by[key] = None
        _disabled_by[tool] = weakref.ref(self)  # weak: a stopped tracer's actions and state may be big
        if not self._profiling:
            frames = _current_stacks()
            if not first:
                # Frames that started while a newer tracer ran belong to it (settrace gave them its local
                # trace function): they stay silent here, as they would after settrace restores this tracer.
                frames = {key: frame for key, frame in frames.items() if key not in self._frames_at_suspend}
            self._untrace(frames)
        self._frames_at_suspend = {}
        if not first and reacquired:
            # The id was lent to a newer tracer meanwhile, which cleared our local events: put them back.
            for info in list(self._per_code.values()):
                code = info[_REF]()
                if code is not None and info[_MASK]:
                    _monitoring.set_local_events(tool, code, info[_MASK])
        elif self._profiling:
            # setprofile reports the returns of the frames already running in this thread: know their code.
            frame: FrameType | None = _getframe(1)
            while frame is not None:
                self._discover(frame.f_code, frame)
                frame = frame.f_back
        return tool

    def _suspend(self) -> None:
        """A newer tracer takes over: switch off, but keep the tool id, the local events and what was learnt.

        Unregistering the callbacks silences the local events at once (an event without a callback costs
        the interpreter next to nothing), so suspending and resuming cost the same however many code
        objects this tracer switched events on for, and its DISABLEd locations stay disabled.
        """
        tool = self._tool
        if tool is None:
            return
        _monitoring.set_events(tool, 0)
        _silence(tool)
        self._frames_at_suspend = _current_stacks()

    def _resume(self) -> None:
        try:
            _monitoring.set_events(self._activate(first=False), self._global_events)
        except Exception as exc:  # noqa: BLE001 - e.g. no tool id left: this tracer can't go on
            self._tracer.stop()
            from ..tracer import _report

            _report(f"hunter: tracer {self._tracer!r} could not resume and was stopped: {exc}\n")

    def _release(self) -> None:
        """Switch everything off and give the tool id back (DISABLEd locations stay: see ``_disabled_by``)."""
        tool = self._tool
        if tool is None:
            return
        self._tool = None
        if _monitoring.get_tool(tool) != TOOL_NAME:
            # Someone freed (or even took) our id meanwhile. Its callbacks are kept per id: take ours out,
            # put back anything that isn't ours, and touch nothing else.
            for event, callback in self._callbacks.items():
                previous = _monitoring.register_callback(tool, event, None)
                if previous is not None and previous is not callback:
                    _monitoring.register_callback(tool, event, previous)
            return
        try:
            _monitoring.set_events(tool, 0)
            self._clear_local_events(tool)
            for event in self._callbacks:
                _monitoring.register_callback(tool, event, None)
        except ValueError:  # freed meanwhile, by another thread: same as above
            return
        _monitoring.free_tool_id(tool)

    def _clear_local_events(self, tool: int) -> None:
        for info in list(self._per_code.values()):
            code = info[_REF]()
            if code is not None and info[_MASK]:
                _monitoring.set_local_events(tool, code, 0)

    def _untrace(self, frames: dict[int, FrameType]) -> None:
        """Keep these running frames silent; codes already known learn that they have such frames."""
        self._untraced.update(frames)
        for frame in frames.values():
            key = id(frame.f_code)
            self._untraced_codes.add(key)
            info = self._per_code.get(key)
            if info is not None:
                info[_MIXED] = info[_KEEP] = True

    # -- per code object ----------------------------------------------------------------------------------------

    def _discover(self, code: CodeType, frame: FrameType) -> list[Any] | None:
        """First sight of a code object: decide its events from the predicate's verdicts, switch them on."""
        key = id(code)
        info = self._per_code.get(key)
        if info is not None and info[_REF]() is code:
            return info
        try:
            verdicts, static = self._verdicts.lookup(code, frame)
            base = {
                "_tracer": self._tracer,
                "threading_support": self._threading_support,
                "builtin": False,
                **static,
            }
            info = [None] * 10
            for index, kind in enumerate(KINDS):
                if verdicts[index] is not NEVER:
                    info[index] = {**base, "kind": kind, "arg": None}  # calls and lines keep arg=None
            role = self._thread_start_hooks.get(key)
            if role is not None and role[0] is not code:
                role = None
            if role is not None:
                # A thread's bootstrap frames: settrace never reports their calls (the thread gets its trace
                # function later, inside Thread._bootstrap_inner) nor, in line mode, anything else of them.
                info[_CALL] = None
                if not self._profiling:
                    info[_LINE] = info[_RETURN] = info[_EXCEPTION] = None
                info[_HOOK] = role[1]
            mask = self._local_mask(info)
            if role is not None and role[2]:
                mask |= _E.LINE  # Thread._bootstrap_inner: its lines tell when settrace would start tracing
            info[_MIXED] = mixed = key in self._untraced_codes
            info[_MASK] = mask
            info[_KEEP] = (
                mixed
                or self._count_calls
                or info[_HOOK] is not None
                or (LINE_EVENTS_NEED_RESUME_EVENTS and bool(mask & _E.LINE))
            )
            # The callback is a C function (dict.pop(key, ref)): a Python one would show up in traces.
            info[_REF] = weakref.ref(code, functools.partial(self._per_code.pop, key))
            self._per_code[key] = info
            tool = self._tool
            if mask and tool is not None:
                _monitoring.set_local_events(tool, code, mask)
        except Exception:  # noqa: BLE001 - never raise into the traced program; this code just isn't traced
            return None
        return info

    def _local_mask(self, info: list[Any]) -> int:
        """The events to switch on for one code object: those of the kinds that can match there."""
        mask = 0
        if info[_RETURN] is not None:
            mask |= _E.PY_RETURN | _E.PY_YIELD
        if self._profiling:
            return mask
        if info[_LINE] is not None:
            mask |= _E.LINE | _E.JUMP
        if info[_EXCEPTION] is not None:
            mask |= _E.STOP_ITERATION
            if STOP_ITERATION_NEEDS_LINE_EVENTS:
                mask |= _E.LINE
        return mask

    def _make_thread_start_hooks(self, unarmed: set[int], emit_c_event: Callable[..., None]) -> None:
        """Hooks on Thread._bootstrap/_bootstrap_inner that hold back a new thread's events until settrace would.

        ``threading.settrace``/``setprofile`` install the hook inside ``_bootstrap_inner``, just before
        ``run()``: what a new thread does before (setting its ident, signalling that it started) is never
        reported. sys.monitoring sees it all, so a thread is "unarmed" from its first call until its
        ``_bootstrap_inner`` passes that point (seen through a LINE event there).
        """
        facts = self._thread_start
        if facts is None:
            return
        bootstrap, inner, trace_line, profile_line = facts
        arm_after = profile_line if self._profiling else trace_line
        get_ident = _get_ident
        profiling = self._profiling

        def on_bootstrap(line: int | None, frame: FrameType) -> None:
            if line is None:  # PY_START: a new thread
                unarmed.add(get_ident())

        def on_bootstrap_inner(line: int | None, frame: FrameType) -> None:
            if line is None or line <= arm_after:
                return
            ident = get_ident()
            if ident in unarmed:
                unarmed.discard(ident)
                if profiling:
                    # setprofile's own return is the first thing a profiled thread reports.
                    emit_c_event(frame, "c_return", sys.setprofile, profile_line)

        self._thread_start_hooks = {
            id(bootstrap): (bootstrap, on_bootstrap, False),
            id(inner): (inner, on_bootstrap_inner, True),
        }

    # -- callbacks ---------------------------------------------------------------------------------------------

    def _make_callbacks(self, only: int | None) -> dict[int, Callable[..., Any]]:
        """The line-tracing callbacks: closures over plain locals, nothing looked up per event that needn't be."""
        tracer = self._tracer
        handler = tracer._handler
        failed = tracer._handler_failed
        get_info = self._per_code.get
        discover = self._discover
        untraced = self._untraced
        untraced_get = untraced.get
        untraced_pop = untraced.pop
        unarmed = self._unarmed
        count_calls = self._count_calls
        getframe = _getframe
        get_ident = _get_ident
        new_event = _new_event
        disable = _DISABLE
        self._make_thread_start_hooks(unarmed, None)  # type: ignore[arg-type]

        def emit(fields: dict[str, Any]) -> None:
            # Events are built straight from a dict of pre-filled fields: much cheaper than Event.__init__.
            event = new_event(Event)
            event.__dict__ = fields
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001 - any failure of the user's predicate/action
                failed(event, exc)

        def on_start(code: CodeType, offset: int) -> Any:
            # PY_START and PY_RESUME: a call (settrace reports every resumption of a generator as a call).
            info = get_info(id(code))
            if info is None:
                info = discover(code, getframe(1))
                if info is None:
                    return None
            fields = info[_CALL]
            if fields is None:
                if not info[_KEEP]:
                    return disable  # no call of this code can match: never come back here
                hook = info[_HOOK]
                if hook is not None:
                    hook(None, getframe(1))
                    return None
                if info[_MIXED]:
                    untraced_pop(id(getframe(1)), None)
                if count_calls and (only is None or get_ident() == only) and not (unarmed and get_ident() in unarmed):
                    tracer._calls += 1
                return None
            if only is not None and get_ident() != only:
                return None
            if unarmed and get_ident() in unarmed:
                return None
            frame = getframe(1)
            if info[_MIXED]:
                # A generator that was running when tracing started, resumed: settrace's global trace
                # function sees this resumption and traces the frame from here on.
                untraced_pop(id(frame), None)
            calls = tracer._calls
            tracer._calls = calls + 1
            event_fields = fields.copy()
            event_fields["frame"] = frame
            event_fields["calls"] = calls
            event = new_event(Event)
            event.__dict__ = event_fields
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001 - any failure of the user's predicate/action
                failed(event, exc)
            return None

        def on_throw(code: CodeType, offset: int, exc: BaseException) -> None:
            # PY_THROW (generator.throw()): settrace reports a call. Can't be DISABLEd.
            info = get_info(id(code))
            if info is None:
                info = discover(code, getframe(1))
                if info is None:
                    return
            if only is not None and get_ident() != only:
                return
            if unarmed and get_ident() in unarmed:
                return
            frame = getframe(1)
            untraced_pop(id(frame), None)
            calls = tracer._calls
            tracer._calls = calls + 1
            fields = info[_CALL]
            if fields is None:
                return
            event_fields = fields.copy()
            event_fields["frame"] = frame
            event_fields["calls"] = calls
            emit(event_fields)

        def on_return(code: CodeType, offset: int, value: Any) -> Any:
            # PY_RETURN and PY_YIELD (local events: only on where returns can match).
            info = get_info(id(code))
            if info is None:
                return None
            fields = info[_RETURN]
            if fields is None:
                return None
            frame = getframe(1)
            if info[_MIXED] and untraced_get(id(frame)) is frame:
                return None
            if only is not None and get_ident() != only:
                return None
            if unarmed and get_ident() in unarmed:
                return None
            event_fields = fields.copy()
            event_fields["frame"] = frame
            event_fields["arg"] = value
            event = new_event(Event)
            event.__dict__ = event_fields
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001 - any failure of the user's predicate/action
                failed(event, exc)
            return None

        def on_unwind(code: CodeType, offset: int, exc: BaseException) -> None:
            # PY_UNWIND: settrace reports a return with None. Interpreter-wide, can't be DISABLEd.
            info = get_info(id(code))
            if info is None:
                return
            fields = info[_RETURN]
            if fields is None:
                return
            frame = getframe(1)
            if untraced_get(id(frame)) is frame:
                return
            if only is not None and get_ident() != only:
                return
            if unarmed and get_ident() in unarmed:
                return
            event_fields = fields.copy()
            event_fields["frame"] = frame
            event_fields["arg"] = None
            emit(event_fields)

        def on_raise(code: CodeType, offset: int, exc: BaseException) -> None:
            # RAISE (in every frame the exception enters) and STOP_ITERATION, as settrace reports them.
            info = get_info(id(code))
            if info is None:
                return
            fields = info[_EXCEPTION]
            if fields is None:
                return
            frame = getframe(1)
            if untraced_get(id(frame)) is frame:
                return
            if only is not None and get_ident() != only:
                return
            if unarmed and get_ident() in unarmed:
                return
            event_fields = fields.copy()
            event_fields["frame"] = frame
            event_fields["arg"] = (type(exc), exc, exc.__traceback__)
            emit(event_fields)

        def on_line(code: CodeType, line: int) -> Any:
            info = get_info(id(code))
            if info is None:
                return None
            fields = info[_LINE]
            if fields is None:
                # LINE is on only so that STOP_ITERATION fires where settrace's does (see _compat), or to
                # watch a thread start; it must not be DISABLEd (that would change those events).
                hook = info[_HOOK]
                if hook is not None:
                    hook(line, getframe(1))
                return None
            frame = getframe(1)
            if info[_MIXED] and untraced_get(id(frame)) is frame:
                return None
            if only is not None and get_ident() != only:
                return None
            if unarmed and get_ident() in unarmed:
                return None
            event_fields = fields.copy()
            event_fields["frame"] = frame
            # settrace sets the frame's f_lineno to the LINE event's line while its function runs.
            event_fields["lineno"] = line
            # emit() inlined: this is the hottest path.
            event = new_event(Event)
            event.__dict__ = event_fields
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001 - any failure of the user's predicate/action
                failed(event, exc)
            return None

        def on_jump(code: CodeType, source: int, target: int) -> Any:
            # settrace reports a line for a backward jump that stays on the same line (a loop on one line);
            # other jumps are covered by LINE at their target, so they are DISABLEd (as legacy tracing does).
            if target > source:
                return disable
            info = get_info(id(code))
            if info is None or info[_LINE] is None:
                return disable
            lines = info[_LINES]
            if lines is None:
                lines = info[_LINES] = _line_table(code)
            line = lines.get(target, -1)
            if line != lines.get(source, -1):
                return disable
            if line < 0:
                return None
            frame = getframe(1)
            if info[_MIXED] and untraced_get(id(frame)) is frame:
                return None
            if only is not None and get_ident() != only:
                return None
            if unarmed and get_ident() in unarmed:
                return None
            event_fields = info[_LINE].copy()
            event_fields["frame"] = frame
            event_fields["lineno"] = line
            emit(event_fields)
            return None

        return {
            _E.PY_START: on_start,
            _E.PY_RESUME: on_start,
            _E.PY_THROW: on_throw,
            _E.PY_RETURN: on_return,
            _E.PY_YIELD: on_return,
            _E.PY_UNWIND: on_unwind,
            _E.RAISE: on_raise,
            _E.STOP_ITERATION: on_raise,
            _E.LINE: on_line,
            _E.JUMP: on_jump,
        }

    def _make_profile_callbacks(self, only: int | None) -> dict[int, Callable[..., Any]]:
        """The profile-mode callbacks: setprofile's calls and returns, and C function calls."""
        tracer = self._tracer
        handler = tracer._handler
        failed = tracer._handler_failed
        threading_support = self._threading_support
        get_info = self._per_code.get
        discover = self._discover
        unarmed = self._unarmed
        count_calls = self._count_calls
        getframe = _getframe
        get_ident = _get_ident
        new_event = _new_event
        disable = _DISABLE

        def emit(fields: dict[str, Any]) -> None:
            event = new_event(Event)
            event.__dict__ = fields
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001
                failed(event, exc)

        def emit_c_event(frame: FrameType, kind: str, function: Any, lineno: int | None = None) -> None:
            event = Event(frame, kind, function, None, None, threading_support, tracer)
            if lineno is not None:
                event.lineno = lineno
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001
                failed(event, exc)

        self._make_thread_start_hooks(unarmed, emit_c_event)

        def on_start(code: CodeType, offset: int) -> Any:
            # PY_START and PY_RESUME (DISABLEd where calls can't match) and PY_THROW (can't be): calls.
            info = get_info(id(code))
            if info is None:
                info = discover(code, getframe(1))
                if info is None:
                    return None
            fields = info[_CALL]
            if fields is None:
                if not info[_KEEP]:
                    return disable
                hook = info[_HOOK]
                if hook is not None:
                    hook(None, getframe(1))
                elif count_calls and (only is None or get_ident() == only) and not (unarmed and get_ident() in unarmed):
                    tracer._calls += 1
                return None
            if only is not None and get_ident() != only:
                return None
            if unarmed and get_ident() in unarmed:
                return None
            calls = tracer._calls
            tracer._calls = calls + 1
            event_fields = fields.copy()
            event_fields["frame"] = getframe(1)
            event_fields["calls"] = calls
            emit(event_fields)
            return None

        def on_throw(code: CodeType, offset: int, exc: BaseException) -> None:
            info = get_info(id(code))
            if info is None:
                info = discover(code, getframe(1))
                if info is None:
                    return
            if only is not None and get_ident() != only:
                return
            if unarmed and get_ident() in unarmed:
                return
            calls = tracer._calls
            tracer._calls = calls + 1
            fields = info[_CALL]
            if fields is None:
                return
            event_fields = fields.copy()
            event_fields["frame"] = getframe(1)
            event_fields["calls"] = calls
            emit(event_fields)

        def on_return(code: CodeType, offset: int, value: Any) -> None:
            info = get_info(id(code))
            if info is None:
                return
            fields = info[_RETURN]
            if fields is None:
                return
            if only is not None and get_ident() != only:
                return
            if unarmed and get_ident() in unarmed:
                return
            event_fields = fields.copy()
            event_fields["frame"] = getframe(1)
            event_fields["arg"] = value
            emit(event_fields)

        def on_unwind(code: CodeType, offset: int, exc: BaseException) -> None:
            # Not on_return(code, offset, None): the frame must be the caller of this callback.
            info = get_info(id(code))
            if info is None:
                return
            fields = info[_RETURN]
            if fields is None:
                return
            if only is not None and get_ident() != only:
                return
            if unarmed and get_ident() in unarmed:
                return
            event_fields = fields.copy()
            event_fields["frame"] = getframe(1)
            event_fields["arg"] = None
            emit(event_fields)

        def on_line(code: CodeType, line: int) -> Any:
            # Only Thread._bootstrap_inner has LINE on in profile mode (to see a new thread start).
            info = get_info(id(code))
            hook = info[_HOOK] if info is not None else None
            if hook is None:
                return disable
            hook(line, getframe(1))
            return None

        def c_event(kind: str) -> Callable[..., None]:
            def callback(code: CodeType, offset: int, function: Any, arg0: Any) -> None:
                # As setprofile: builtin functions, and method descriptors bound to their first argument.
                if type(function) is MethodDescriptorType:
                    if arg0 is _MISSING:
                        return
                    try:
                        function = function.__get__(arg0, type(arg0))
                    except Exception:  # noqa: BLE001 - settrace would fail the call; we just skip the event
                        return
                elif not isinstance(function, BuiltinFunctionType):
                    return
                if only is not None and get_ident() != only:
                    return
                if unarmed and get_ident() in unarmed:
                    return
                emit_c_event(getframe(1), kind, function)

            return callback

        return {
            _E.PY_START: on_start,
            _E.PY_RESUME: on_start,
            _E.PY_THROW: on_throw,
            _E.PY_RETURN: on_return,
            _E.PY_YIELD: on_return,
            _E.PY_UNWIND: on_unwind,
            _E.LINE: on_line,
            _E.CALL: c_event("c_call"),
            _E.C_RETURN: c_event("c_return"),
            _E.C_RAISE: c_event("c_exception"),
        }


def _silence(tool: int) -> None:
    """No more callbacks for this tool id, at once (local events included), whatever is switched on."""
    if _monitoring.get_tool(tool) != TOOL_NAME:
        return  # not ours any more (see _release)
    for event in _ALL_EVENTS:
        _monitoring.register_callback(tool, event, None)


def _line_table(code: CodeType) -> dict[int, int]:
    """Byte offset -> line number (-1 where there is none), as the interpreter's instrumentation sees it."""
    table: dict[int, int] = {}
    for start, end, line in code.co_lines():
        value = -1 if line is None else line
        for offset in range(start, end, 2):
            table[offset] = value
    return table


@functools.cache
def _thread_start_facts() -> tuple[CodeType, CodeType, int, int] | None:
    """Thread._bootstrap and _bootstrap_inner's code, and the last lines that install settrace/setprofile hooks.

    None when threading looks different from what this module knows (then new threads are traced from
    their first call, like threads not started through threading).
    """
    import dis

    try:
        bootstrap = threading.Thread._bootstrap.__code__  # type: ignore[attr-defined]
        inner = threading.Thread._bootstrap_inner.__code__  # type: ignore[attr-defined]
        lines: dict[str, int] = {}
        for instruction in dis.get_instructions(inner):
            if instruction.argval in ("_trace_hook", "_profile_hook") and instruction.positions is not None:
                lines[instruction.argval] = max(lines.get(instruction.argval, 0), instruction.positions.lineno or 0)
        return bootstrap, inner, lines["_trace_hook"], lines["_profile_hook"]
    except (AttributeError, KeyError):
        return None


def _acquire(backend: MonitoringBackend) -> int:
    """A free tool id; when none is, the one a waiting (suspended) hunter tracer holds."""
    for tool in TOOL_IDS:
        if _monitoring.get_tool(tool) is None:
            try:
                _monitoring.use_tool_id(tool, TOOL_NAME)
            except ValueError:  # taken meanwhile by another thread
                continue
            return tool
    for other in reversed(_stack):
        if other is not backend and other._tool is not None:
            tool = other._tool
            other._release()  # it takes an id again when it resumes
            _monitoring.use_tool_id(tool, TOOL_NAME)
            return tool
    users = ", ".join(f"{tool} is used by {_monitoring.get_tool(tool)!r}" for tool in TOOL_IDS)
    raise BackendError(f"No sys.monitoring tool id is free for hunter ({users}). Use backend='settrace'.")
