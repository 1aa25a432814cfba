"""MonitoringBackend: its lifecycle (start, stop) and nesting (a newer tracer suspends this one until it stops)."""

from __future__ import annotations

import sys
import threading
from types import CodeType, FrameType
from typing import Any

from ..._engine import _fork, _own_threads
from ..._engine._compat import GENERATOR_CLOSE_NEEDS_UNWIND_EVENTS
from ..._engine._frames import current_stacks
from ..._engine._own_code import is_hunter_frame
from ..._engine._pruning import ON_CALL, ON_EXCEPTION, ON_RETURN, kind_verdicts
from ..._engine._recording import code_judge
from ..._engine._reporting import report
from ..._engine._verdict import NEVER, reads_calls, reads_depth
from .. import Context
from . import _tools
from ._callbacks import Callbacks, build, c_event_reporter
from ._wiring import Wiring
from ._codes import CodeBook, CodeInfo
from ._threads import ThreadStarts

__all__ = ["MonitoringBackend"]

_monitoring = sys.monitoring
_E = _monitoring.events

#: Started backends, oldest first. The last one runs; the others wait until it stops, as an older
#: ``sys.settrace`` function does until a newer tracer restores it.
_stack: list[MonitoringBackend] = []
_lock = _fork.lock(_fork.LIFECYCLE)


class MonitoringBackend:
    """Delivers sys.monitoring callbacks as events, switching events on per code object as the predicate needs."""

    name = "monitoring"

    def __init__(self, context: Context) -> None:
        self._context = context
        handler = context.handler
        threading_support = context.threading_support
        self._profiling = context.profiling
        # `calls` counts every call event: only a query that reads it forces calls to be seen everywhere.
        self._count_calls = reads_calls(handler)
        # `depth` read by the predicate: frames are remembered until they leave, which must then always be seen.
        self._count_depth = reads_depth(handler)
        self._global_events = _global_mask(
            kind_verdicts(handler, threading_support),
            kind_verdicts(handler, threading_support, builtin=True) if self._profiling else None,
            self._count_depth,
        )
        self._threads = ThreadStarts(threading_support is not False, self._profiling, c_event_reporter(context))
        base = {"tracer": context.owner, "threading_support": threading_support, "builtin": False}
        self._codes = CodeBook(
            code_judge(handler, threading_support, context.recording, drop_lines=False),
            base,
            self._profiling,
            self._count_calls,
            self._threads,
            context.recording,
            self._count_depth,
            handler,
        )
        self._tool: int | None = None
        self._callbacks: Callbacks = {}
        self._frames_at_suspend: dict[int, FrameType] = {}
        self._previous: object = None
        # What the callbacks were built from (its thread gate is what hand_over_thread() closes), and the trace
        # function sys.settrace had at start: what a thread handed over to a debugger gets back on stop, as
        # settrace's stop() would put it back.
        self._wiring: Wiring | None = None
        self._settrace_before: Any = None
        self._handed_over: set[int] = set()

    # -- Backend protocol ------------------------------------------------------------------------------------

    @property
    def previous(self) -> object:
        """The hunter tracer that was running before this one and resumes when this one stops."""
        return self._previous

    def start(self) -> None:
        """Take a tool id, register the callbacks and switch on the interpreter-wide events (last)."""
        if self._context.threading_support is False:
            gate, admits = {threading.get_ident()}, True
        else:
            gate, admits = self._threads.unarmed, False
        self._settrace_before = sys.gettrace()
        wiring = self._wiring = Wiring(
            self._context, self._codes, self._discover, self._count_calls, gate, admits, self._count_depth
        )
        self._callbacks = build(wiring, self._profiling)
        with _lock:
            previous = _stack[-1] if _stack else None
            if previous is not None:
                previous._suspend()
            self._previous = previous._context.owner if previous is not None else None
            _stack.append(self)
            try:
                tool = self._activate(first=True)
            except BaseException:
                _stack.remove(self)
                self._release()
                if previous is not None:
                    previous._resume()
                raise
        if not admits:
            # hunter's own threads (a remote session) are held back like threads that haven't started yet,
            # for good: what they run (json, socket, ...) is never the program's doing. While none runs, the
            # gate stays empty and the callbacks don't even look. (With admits, only the starting thread
            # gets through anyway.) Released in stop().
            _own_threads.hold_back(gate)
        # The very last statement, outside the lock: anything after it (even releasing the lock) would be
        # traced, where settrace's start shows nothing after its own sys.settrace() call.
        _monitoring.set_events(tool, self._global_events)

    def hand_over_thread(self) -> None:
        """Drop the current thread's events from now on: a debugger's ``sys.settrace`` has taken it.

        With settrace the debugger's hook replaces hunter's in that thread, so hunter 3.9 sees nothing more of
        it; sys.monitoring would go on reporting it beside the debugger (and a Debugger action would stop again
        at every later match). Profile mode keeps the thread: ``sys.setprofile`` isn't replaced by a debugger.
        """
        wiring = self._wiring
        if self._profiling or wiring is None:
            return
        ident = threading.get_ident()
        self._handed_over.add(ident)
        gate = wiring.gate
        if wiring.gate_admits:
            gate.discard(ident)
            if not gate:
                # An empty gate lets every thread through: an ident no thread has keeps it closed instead.
                gate.add(-1)
        else:
            gate.add(ident)

    def stop(self) -> None:
        """Switch everything off, free the tool id, and let the tracer that ran before this one resume."""
        if self._tool is not None:
            _tools.silence(self._tool)  # first: stopping itself should hardly show in the trace
        with _lock:
            if self not in _stack:
                return
            was_running = _stack[-1] is self
            _stack.remove(self)
            self._release()
            self._codes.clear()
            self._context.depths.clear()
            self._frames_at_suspend.clear()
            _own_threads.release(self._threads.unarmed)
            self._threads.unarmed.clear()
            if threading.get_ident() in self._handed_over:
                # As settrace's stop() does in the stopping thread: the debugger's hook goes, the earlier returns.
                sys.settrace(self._settrace_before)
            self._handed_over.clear()
            # (the callbacks hold this backend: a cycle, and with it the recorder and the predicate, until a
            # collection; callbacks still running in other threads keep what they use)
            self._callbacks = {}
            self._wiring = None
            if was_running and _stack:
                _stack[-1]._resume()

    # -- tool id and nesting ---------------------------------------------------------------------------------

    def _activate(self, first: bool) -> int:
        """Take a tool id and prepare everything but the interpreter-wide events; returns the tool id."""
        reacquired = self._tool is None
        tool = self._tool = self._acquire() if self._tool is None else self._tool
        _tools.register(tool, self._callbacks)
        _tools.rearm(tool, self)
        running = current_stacks()
        if not first and not self._profiling:
            # Frames that started while a newer tracer ran belong to it (settrace gave them its local trace
            # function): they stay silent here, as they would after settrace restores this tracer.
            self._codes.keep_silent(
                {key: frame for key, frame in running.items() if key not in self._frames_at_suspend}
            )
        self._frames_at_suspend = {}
        if not first and reacquired:
            # The id was lent to a newer tracer meanwhile, which cleared our local events: put them back.
            self._codes.switch_on(tool)
        # Frames running now (in every thread) report their later events, as settrace's frames do once they have
        # a local trace function: their code objects' events must be on. hunter's own code gets none.
        for frame in running.values():
            if is_hunter_frame(frame):
                continue  # (hunter's own, starting this tracer: nothing to switch on; judged if it runs again)
            self._discover(frame.f_code, frame)
        running.clear()  # (it holds this very frame: a cycle otherwise, and with it every frame above this one)
        return tool

    def _acquire(self) -> int:
        """A free tool id; when none is, the one a waiting (suspended) hunter tracer holds."""
        tool = _tools.take_free()
        if tool is not None:
            return tool
        for other in reversed(_stack):
            if other is not self and other._tool is not None:
                tool = other._tool
                other._release()  # it takes an id again when it resumes
                _tools.claim(tool)
                return tool
        raise _tools.no_free_id()

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
        _tools.silence(tool)
        self._context.depths.clear()  # (the frames it remembered may leave unseen meanwhile)
        self._frames_at_suspend = current_stacks()

    def _resume(self) -> None:
        try:
            _monitoring.set_events(self._activate(first=False), self._global_events)
        except Exception as exc:  # e.g. no tool id left: this tracer can't go on
            self._context.stop_tracer()
            report(f"hunter: tracer {self._context.owner!r} could not resume and was stopped: {exc}\n")

    def _release(self) -> None:
        """Switch everything off and give the tool id back."""
        tool = self._tool
        if tool is None:
            return
        self._tool = None
        _tools.release(tool, self._callbacks, self._codes.switch_off)

    # -- per code object ---------------------------------------------------------------------------------------

    def _discover(self, code: CodeType, frame: FrameType) -> CodeInfo | None:
        """First sight of a code object (the callbacks' fallback): its record, its local events switched on."""
        return self._codes.discover(code, frame, self._tool)


def _global_mask(kinds: tuple[Any, ...], builtins: tuple[Any, ...] | None, count_depth: bool = False) -> int:
    """The interpreter-wide events: code discovery, plus what can't be switched on per code object.

    ``builtins`` are the verdicts for C functions' events in profile mode (None in line mode). ``count_depth``:
    every frame leaving by an exception must be seen (see ``_callbacks._counting_deliverer``).
    """
    if all(verdict is NEVER for verdict in kinds) and (
        builtins is None or all(verdict is NEVER for verdict in builtins)
    ):
        return 0  # nothing can ever match
    # PY_START/PY_RESUME discover code objects (and are DISABLEd per code); PY_THROW can't be local.
    mask = _E.PY_START | _E.PY_RESUME | _E.PY_THROW
    if kinds[ON_RETURN] is not NEVER or count_depth:
        mask |= _E.PY_UNWIND
    if builtins is not None:
        if builtins[ON_CALL] is not NEVER or builtins[ON_RETURN] is not NEVER or builtins[ON_EXCEPTION] is not NEVER:
            mask |= _E.CALL  # C_RETURN and C_RAISE come with CALL
    elif kinds[ON_EXCEPTION] is not NEVER:
        mask |= _E.RAISE
    if GENERATOR_CLOSE_NEEDS_UNWIND_EVENTS:
        # Closing a generator early throws GeneratorExit into it (a call and an exception under settrace) only
        # while some tool listens to PY_UNWIND; the callback does nothing where returns can't match (see _compat).
        mask |= _E.PY_UNWIND
    return mask
