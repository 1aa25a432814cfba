"""Tracer: lifecycle, thread options, call depth and counts, and what happens when a handler fails."""

from __future__ import annotations

import atexit
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from ._engine import _fork
from ._output import _streams
from . import config
from ._engine._depths import Depths
from ._engine._frames import current_stacks
from ._engine._recording import recording_for
from ._engine._reporting import handler_failure, report
from ._engine._program_signals import let_through
from .backends import Backend, Context, choose, load
from .event import Event
from .predicates import check, walk

__all__ = ["Tracer"]

#: Tracers that are running, so that interpreter exit can stop them (and flush their output).
_running: set[Tracer] = set()
_running_lock = _fork.lock(_fork.LIFECYCLE)


class Tracer:
    """Installs a predicate on an interpreter hook (a backend) and feeds it events."""

    def __init__(
        self, threading_support: bool | None = None, profiling_mode: bool = False, backend: str | None = None
    ) -> None:
        self._threading_support = threading_support
        self._profiling_mode = bool(profiling_mode)
        self._backend_name, self._backend_reason = choose(backend, self._profiling_mode)
        self._handler: Callable[[Event], Any] | None = None
        self._backend: Backend | None = None
        self._base_frames: dict[int, FrameType] = {}
        #: The frame counts of the running backend (see hunter._engine._depths), from the base frames.
        self._depths = Depths(self._base_frames)
        self._context: Context | None = None  # what the backend gets, while it runs
        self._calls_at_stop = 0  # (the context's count when tracing stopped)
        #: A new token each time tracing starts (not when trace() hands over to a new predicate): what printers
        #: keep per run (CallPrinter's open calls) starts afresh with it.
        self.run_token: object = None

    # -- read-only state -------------------------------------------------------------------------------------

    @property
    def handler(self) -> Callable[[Event], Any] | None:
        """The predicate installed by :meth:`trace` (None when stopped)."""
        return self._handler

    @property
    def previous(self) -> object:
        """The trace function that was installed before this tracer (restored by :meth:`stop`)."""
        return self._backend.previous if self._backend is not None else None

    @property
    def threading_support(self) -> bool | None:
        """None: trace new threads, show thread names once there are two; True: always show; False: this thread."""
        return self._threading_support

    @property
    def profiling_mode(self) -> bool:
        """Whether profile events (calls and returns, C functions included) are used instead of line tracing."""
        return self._profiling_mode

    @property
    def calls(self) -> int:
        """How many call events were seen since tracing started."""
        context = self._context
        return context.calls if context is not None else self._calls_at_stop

    @property
    def backend(self) -> str:
        """Which backend runs: ``'settrace'`` or ``'monitoring'``."""
        return self._backend_name

    @property
    def backend_reason(self) -> str:
        """Why that backend was chosen."""
        return self._backend_reason

    @property
    def depth(self) -> int:
        """The call depth of the code calling this property, relative to where tracing started (0 when stopped)."""
        if self._backend is None:  # no start to count from: every frame on the stack would count
            return 0
        return max(self.count_frames(sys._getframe(1)) - 1, 0)

    # -- lifecycle -------------------------------------------------------------------------------------------

    def trace(self, predicate: Callable[[Event], Any]) -> Tracer:
        """Start delivering events to ``predicate`` (already built: no option processing here).

        A predicate that can't work (not callable, a query value that can never match) is a TypeError or
        ValueError here, before anything is installed. On a running tracer, ``predicate`` replaces the current
        one from now on and tracing goes on, as in hunter 3.9: ``depth`` still counts from the first start and
        ``calls`` keeps counting.
        """
        check(predicate)
        return self._start(predicate)

    def _start(self, predicate: Callable[[Event], Any]) -> Tracer:
        """:meth:`trace` for a predicate already checked (``hunter.trace()`` checks what it builds)."""
        if self._backend is not None:
            base_frames = dict(self._base_frames)  # (stopping clears the old dict)
            self._stop(finishing=False)  # (tracing goes on: what the old predicate's recorders hold stays open)
        else:
            base_frames = current_stacks()
            self.run_token = object()
        self._handler = predicate
        self._base_frames = base_frames
        self._depths = Depths(base_frames)  # a new backend: what the last one remembered it can't see leave
        self._context = Context(
            predicate,
            self._threading_support,
            self._profiling_mode,
            owner=self,
            handler_failed=self._handler_failed,
            stop_tracer=self.stop,
            depths=self._depths,
            calls=self.calls,
            # A static filter feeding one timeline exporter: recorded without events (see _recording).
            recording=recording_for(predicate, self._profiling_mode),
        )
        backend = load(self._backend_name)(self._context)
        self._backend = backend
        with _running_lock:
            _running.add(self)
        try:
            backend.start()
        except BaseException:
            # E.g. the monitoring backend found no free tool id: leave this tracer stopped, not half-started.
            self._backend = None
            self._handler = None
            self._forget_frames()
            with _running_lock:
                _running.discard(self)
            raise
        return self

    def stop(self) -> None:
        """Stop tracing and restore the previous trace function; safe to call twice or from an action."""
        self._stop(finishing=True)

    def _stop(self, finishing: bool) -> None:
        backend = self._backend
        if backend is None:
            return
        self._backend = None
        handler = self._handler
        try:
            backend.stop()
        finally:
            self._handler = None
            context = self._context
            if finishing and context is not None:
                # (the context holds this tracer: dropped here, the stopped backend, its callbacks and recorder go
                # when the last reference does, not at the next collection)
                self._calls_at_stop = context.calls
                self._context = None
            self._forget_frames()
            with _running_lock:
                _running.discard(self)
            _flush_actions(handler, finishing)  # last: a signal's exception may come out of an action's flush()
            _streams.flush_all()

    def hand_over_thread(self) -> None:
        """Report no more events of the current thread: a debugger's trace function has it now (Debugger)."""
        backend = self._backend
        if backend is not None:
            backend.hand_over_thread()

    def __enter__(self) -> Tracer:  # Self needs 3.11
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._backend is not None else "stopped"
        return (
            f"<hunter.tracer.Tracer {state} backend={self._backend_name!r} handler={self._handler!r} "
            f"threading_support={self._threading_support} profiling_mode={self._profiling_mode}>"
        )

    # -- used by events (the EventSource interface, with calls, run_token, stop and hand_over_thread) -------------

    def count_frames(self, frame: FrameType) -> int:
        """How many frames from ``frame`` up its chain were entered after tracing started.

        Computed from the frame chain (see hunter._engine._depths), so backends need not see every call and
        return (they skip whole code objects that can't match). The frames that existed at start are held
        until stop, which keeps their ids from being reused by new frames meanwhile.
        """
        return self._depths.count(frame)

    # -- used by the backend (through the Context) ------------------------------------------------------------

    def _forget_frames(self) -> None:
        """Stopped: no base frames (nothing to count from), nothing remembered."""
        self._depths.clear()
        # (emptied, not only dropped: the stopped backend's context still holds it, and these frames hold their
        # locals, among them this tracer: a cycle that kept the program's frames and objects alive until a collection)
        self._base_frames.clear()
        self._base_frames = {}
        self._depths = Depths(self._base_frames)

    def _handler_failed(self, event: Event, exc: Exception) -> None:
        """Decide what a failing predicate/action means: stop tracing (the traced program goes on), then report.

        An exception from one of the program's signal handlers (it ran while the handler did) is no failure:
        it goes on to the program, as it would without tracing, and tracing goes on too. Subclasses change only
        how the failure is reported (:meth:`_report_failure`), never this decision.
        """
        let_through(exc)
        handler = self._handler
        self.stop()
        self._report_failure(handler, event, exc)

    def _report_failure(self, handler: object, event: Event, exc: Exception) -> None:
        """Tell the user that ``handler`` failed at ``event`` (tracing has stopped); never raises."""
        if isinstance(exc, _streams.OutputError):
            report(f"hunter: tracing stopped: {exc}\n")
            return
        report(handler_failure(handler, event, exc), config.default_stream)


def _flush_actions(predicate: Any, finishing: bool) -> None:
    """Flush what the actions in a predicate tree buffered (exporters batch their lines), so output is complete
    when the tracer stops rather than only at exit; ``finishing``: close those that are this tracer's own
    (``record=PATH``)."""
    for _role, node in walk(predicate):
        flush = getattr(type(node), "flush", None)
        if callable(flush):
            try:
                if finishing and getattr(node, "closes_with_tracer", False) is True:
                    node.close()  # (which writes what it holds)
                else:
                    flush(node)
            except Exception as exc:  # stopping must go on; the exporter reports its own failures
                let_through(exc)


def _stop_all_at_exit() -> None:
    with _running_lock:
        tracers = list(_running)
    for tracer in tracers:
        try:
            tracer.stop()
        except Exception:  # exit must go on
            continue


atexit.register(_stop_all_at_exit)
