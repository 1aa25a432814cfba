"""The classic backend: ``sys.settrace``/``threading.settrace`` (or the profile hooks in profile mode)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from .._pruning import VerdictCache, nothing_after_call
from .._verdict import NEVER
from ..event import Event

if TYPE_CHECKING:
    from ..tracer import Tracer

TraceFunction = Callable[[FrameType, str, Any], Any]


class SettraceBackend:
    """Delivers settrace/setprofile callbacks as events, skipping code that the predicate rules out."""

    name = "settrace"

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        self._handler = tracer._handler
        self._threading_support = tracer.threading_support
        self._verdicts = VerdictCache(self._handler, self._threading_support)
        self._previous: TraceFunction | None = None
        self._threading_previous: TraceFunction | None = None
        self._running = False

    @property
    def previous(self) -> TraceFunction | None:
        """The trace (or profile) function installed before this backend started."""
        return self._previous

    def start(self) -> None:
        """Install the hooks for this thread and, unless threading_support is False, for new threads."""
        self._running = True
        threads = self._threading_support is not False
        if self._tracer.profiling_mode:
            self._previous = sys.getprofile()
            if threads:
                self._threading_previous = threading.getprofile()
                threading.setprofile(self._profile)
            sys.setprofile(self._profile)
        else:
            self._previous = sys.gettrace()
            if threads:
                self._threading_previous = threading.gettrace()
                threading.settrace(self._global)
            sys.settrace(self._global)

    def stop(self) -> None:
        """Put back the previous hooks."""
        self._running = False
        threads = self._threading_support is not False
        if self._tracer.profiling_mode:
            sys.setprofile(self._previous)
            if threads:
                threading.setprofile(self._threading_previous)  # type: ignore[arg-type]
        else:
            sys.settrace(self._previous)
            if threads:
                threading.settrace(self._threading_previous)  # type: ignore[arg-type]

    def _deliver(self, frame: FrameType, kind: str, arg: Any) -> bool:
        """Run the predicate on one event; False when tracing must end (stopped or failed)."""
        tracer = self._tracer
        event = Event(frame, kind, arg, None, None, self._threading_support, tracer)
        try:
            self._handler(event)
        except Exception as exc:  # noqa: BLE001 - any failure of the user's predicate/action
            tracer._handler_failed(event, exc)
            return False
        return self._running

    def _global(self, frame: FrameType, kind: str, arg: Any) -> TraceFunction | None:
        # Only 'call' events reach the global trace function; the return value decides the frame's fate.
        tracer = self._tracer
        calls = tracer.calls
        tracer.calls = calls + 1
        verdicts = self._verdicts.get(frame.f_code, frame)
        if verdicts[0] is not NEVER:
            event = Event(frame, kind, arg, None, calls, self._threading_support, tracer)
            try:
                self._handler(event)
            except Exception as exc:  # noqa: BLE001
                tracer._handler_failed(event, exc)
                return None
            if not self._running:
                return None
        if nothing_after_call(verdicts):
            return None  # no local trace function: the frame's lines and return cost nothing
        if verdicts[1] is NEVER:
            frame.f_trace_lines = False  # returns and exceptions still come, lines don't
        return self._local

    def _local(self, frame: FrameType, kind: str, arg: Any) -> TraceFunction | None:
        if self._deliver(frame, kind, arg):
            return self._local
        return None

    def _profile(self, frame: FrameType, kind: str, arg: Any) -> None:
        tracer = self._tracer
        if kind == "call":
            calls = tracer.calls
            tracer.calls = calls + 1
            if self._verdicts.get(frame.f_code, frame)[0] is NEVER:
                return
        elif kind == "return" and self._verdicts.get(frame.f_code, frame)[2] is NEVER:
            return
        event = Event(frame, kind, arg, None, None, self._threading_support, tracer)
        try:
            self._handler(event)
        except Exception as exc:  # noqa: BLE001
            tracer._handler_failed(event, exc)
