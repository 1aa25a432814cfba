"""The classic backend: ``sys.settrace``/``threading.settrace`` (or the profile hooks in profile mode)."""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from .._engine._codemap import CodeMap, CodeRecord
from .._engine._compat import ARTIFICIAL_STOP_ITERATION_OPCODES, stop_iteration_value
from .._engine._own_code import is_hunter_frame, runs_for_hunter
from .._engine._pruning import ON_CALL, ON_LINE, ON_RETURN, Verdicts, nothing_after_call
from .._engine._recording import RawSink, code_judge, records_raw
from .._engine._verdict import NEVER
from ..event import Event
from . import Context
from ._settrace_raw import RawTracing

TraceFunction = Callable[[FrameType, str, Any], Any]

_new_event = object.__new__


class TracerHook(functools.partial[Any]):
    """What ``sys.gettrace()`` returns while this backend runs: its trace function, standing in for the Tracer.

    hunter 3.9's Tracer was its own trace function, so code reads ``sys.gettrace().handler``; reading an attribute
    here reads the Tracer's. A ``functools.partial`` is called from C, so the hook costs no Python frame.
    """

    def __getattr__(self, name: str) -> Any:  # only names a partial lacks: handler, stop, previous...
        return getattr(self.__dict__["owner"], name)

    def __repr__(self) -> str:
        return repr(self.__dict__["owner"])


def tracer_hook(trace: TraceFunction, owner: object) -> TracerHook:
    """A trace function that stands in for ``owner`` (the Tracer) in ``sys.gettrace()``."""
    hook = TracerHook(trace)
    hook.__dict__["owner"] = owner
    return hook


class _CodeInfo(CodeRecord):
    """What the callbacks know about one code object: its verdicts, pre-filled event fields, local trace function.

    ``own``: hunter's own code, whose calls aren't the program's and aren't counted in ``calls`` (hunter 3.9's
    Tracer is compiled: its methods make no call events). ``stdlib``: standard library code (not hunter's);
    ``watch``: such code that may report something, whose frames are silent when hunter's code called them
    (``runs_for_hunter``).
    """

    __slots__ = ("fields", "local", "own", "raw_site", "stdlib", "verdicts", "watch")

    def __init__(
        self, verdicts: Verdicts, fields: dict[str, Any], local: TraceFunction | None, own: bool, reports: bool
    ) -> None:
        self.verdicts = verdicts
        self.fields = fields
        self.local = local
        self.own = own
        self.stdlib = bool(fields.get("stdlib")) and not own
        self.watch = reports and self.stdlib
        #: Recording (_engine._recording): the recorder's site for a code whose calls and returns are recorded raw
        #: (``local`` then records them); None otherwise.
        self.raw_site: Any = None


class SettraceBackend:
    """Delivers settrace/setprofile callbacks as events, skipping code that the predicate rules out.

    The callbacks are closures over plain locals (no attribute lookups per event), and each code
    object gets its own local trace function holding the event fields that are fixed for it.
    """

    name = "settrace"

    def __init__(self, context: Context) -> None:
        self._context = context
        self._threading_support = context.threading_support
        self._judge = code_judge(context.handler, self._threading_support, context.recording, drop_lines=True)
        self._previous: Any = None  # typeshed's types for trace functions differ between versions
        self._threading_previous: Any = None
        self._running = [False]
        # Frames that were running at start and got our local trace function: (frame, ours, their f_trace and
        # f_trace_lines before), put back on stop (a suspended hunter tracer's local trace function, or None).
        self._adopted: list[tuple[FrameType, TraceFunction, Any, bool]] = []
        self._global, self._profile, self._adopt = self._make_callbacks()
        self._hook = tracer_hook(self._global, context.owner)

    @property
    def previous(self) -> Any:
        """The trace (or profile) function installed before this backend started."""
        return self._previous

    def hand_over_thread(self) -> None:
        """A debugger took the current thread: drop this backend's hook there, unless the debugger already did.

        A debugger's own ``sys.settrace`` has replaced the hook (as it replaced hunter 3.9's); pdb's
        ``sys.monitoring`` backend (3.14+) leaves it, and the thread would go on being reported beside pdb.
        """
        if sys.gettrace() is self._hook:
            sys.settrace(None)

    def start(self) -> None:
        """Install the hooks for this thread and, unless threading_support is False, for new threads."""
        self._running[0] = True
        threads = self._threading_support is not False
        if self._context.profiling:
            self._previous = sys.getprofile()
            if threads:
                self._threading_previous = threading.getprofile()
                threading.setprofile(self._profile)
            sys.setprofile(self._profile)
        else:
            self._adopt_running_frames(sys._getframe(1))
            self._previous = sys.gettrace()
            if threads:
                self._threading_previous = threading.gettrace()
                threading.settrace(self._hook)
            sys.settrace(self._hook)

    def stop(self) -> None:
        """Put back the previous hooks."""
        self._running[0] = False
        threads = self._threading_support is not False
        if self._context.profiling:
            sys.setprofile(self._previous)
            if threads:
                threading.setprofile(self._threading_previous)
        else:
            sys.settrace(self._previous)
            if threads:
                threading.settrace(self._threading_previous)
            for frame, ours, previous, lines in self._adopted:
                if frame.f_trace is ours:
                    frame.f_trace = previous
                    frame.f_trace_lines = lines
            self._adopted = []

    def _adopt_running_frames(self, frame: FrameType | None) -> None:
        """The frames running in this thread report their later events (lines, returns), as with hunter 3.9.

        ``sys.settrace`` alone only reaches frames entered after it; these get their local trace function now.
        hunter's own frames (starting this tracer) are judged out and get none.
        """
        while frame is not None:
            before, lines = frame.f_trace, frame.f_trace_lines
            ours = self._adopt(frame)
            if ours is not None:
                self._adopted.append((frame, ours, before, lines))
            frame = frame.f_back

    def _make_callbacks(self) -> tuple[TraceFunction, TraceFunction, Callable[[FrameType], TraceFunction | None]]:
        context = self._context
        handler = context.handler
        failed = context.handler_failed
        owner = context.owner
        threading_support = self._threading_support
        running = self._running
        artificial = ARTIFICIAL_STOP_ITERATION_OPCODES
        profiling = context.profiling
        judge = self._judge.judge
        recording = context.recording
        raw = RawTracing(RawSink(recording.recorder, failed, owner), running) if recording is not None else None
        record_call = raw.call if raw is not None else None
        base = {"_tracer": owner, "threading_support": self._threading_support, "builtin": False}
        per_code: CodeMap[_CodeInfo] = CodeMap()
        known = per_code.get

        def emit(fields: dict[str, Any]) -> bool:
            # Events are built straight from a dict: much cheaper than Event.__init__ on the hot path.
            event = _new_event(Event)
            event.__dict__ = fields
            try:
                handler(event)
            except Exception as exc:  # any failure of the user's predicate/action
                failed(event, exc)
                return False
            return running[0]

        def code_info(frame: FrameType) -> _CodeInfo:
            code = frame.f_code
            info = known(id(code))
            if info is not None:
                return info
            verdicts, static = judge(frame)
            fields = {**base, **static}
            local = None if nothing_after_call(verdicts) else make_local(fields)
            # In profile mode any frame may report (the C functions it calls).
            reports = profiling or local is not None or verdicts[ON_CALL] is not NEVER
            info = per_code.add(code, _CodeInfo(verdicts, fields, local, is_hunter_frame(frame), reports))
            if recording is not None and local is not None and records_raw(verdicts):
                # Recorded raw: its calls and returns go to the recorder as records, without events.
                info.raw_site = recording.recorder.describe(code, fields["module"], fields["filename"])
                info.local = raw.local_for(info.raw_site, local)  # type: ignore[union-attr]
            return info

        def make_local(fields: dict[str, Any]) -> TraceFunction:
            def local(frame: FrameType, kind: str, arg: Any) -> TraceFunction | None:
                if not running[0]:
                    # Stopped, but this frame still points here: when stop() put back a previous trace function
                    # (a debugger, coverage), CPython goes on calling the frames' own ones. Let go of the frame.
                    frame.f_trace = None
                    return None
                if (
                    kind == "exception"
                    and arg[0] is StopIteration
                    and frame.f_code.co_code[frame.f_lasti] in artificial
                    and stop_iteration_value(arg[1]) is None
                    and arg[2] is None
                ):
                    return local  # a for loop's plain end, not an exception the program could see (see _compat)
                event_fields = fields.copy()
                event_fields["frame"] = frame
                event_fields["kind"] = kind
                event_fields["arg"] = arg
                if not emit(event_fields):
                    return None
                return hand_over(frame) or local

            return local

        def hand_over(frame: FrameType) -> TraceFunction | None:
            # An action that installed its own tracer (Debugger's pdb.set_trace) set frame.f_trace; our return
            # value would overwrite it, so give the frame to the newcomer instead.
            current = frame.f_trace
            if current is not None and getattr(current, "__code__", None) not in local_codes:
                return current
            return None

        # The code of our local trace functions (the normal one and the raw recording's), to tell them from others.
        local_codes = [make_local({}).__code__]
        if raw is not None:
            local_codes.append(raw.local_for(None, None).__code__)  # type: ignore[arg-type]

        def adopt(frame: FrameType) -> TraceFunction | None:
            # A frame that was running at start: its local trace function, as if its call had been seen.
            current = frame.f_trace
            if current is not None and getattr(current, "__code__", None) not in local_codes:
                return None  # a debugger's (or coverage's) frame: leave it to them
            info = code_info(frame)
            local = info.local
            if local is not None:
                frame.f_trace = local
                frame.f_trace_lines = info.verdicts[ON_LINE] is not NEVER
            return local

        def global_trace(frame: FrameType, kind: str, arg: Any) -> TraceFunction | None:
            # Only 'call' events reach the global trace function; its return value decides the frame's fate.
            if not running[0]:
                # Stopped: threads started while tracing keep this function (threading.settrace gave it to
                # them, and stop() can only reset the current thread); they must not report anything more.
                return None
            info = known(id(frame.f_code)) or code_info(frame)
            if info.own or (info.watch and runs_for_hunter(frame, known)):
                return None
            calls = context.calls
            context.calls = calls + 1
            local = info.local
            site = info.raw_site
            if site is not None:
                # Recorded raw (see hunter._engine._recording): the call without an event; its returns come to the
                # frame's raw local trace function (_settrace_raw). Its lines never matter (the judge said NEVER).
                record_call(site, frame)  # type: ignore[misc]
                frame.f_trace_lines = False
                return local
            verdicts = info.verdicts
            if verdicts[ON_CALL] is not NEVER:
                event_fields = info.fields.copy()
                event_fields["frame"] = frame
                event_fields["kind"] = kind
                event_fields["arg"] = arg
                event_fields["calls"] = calls
                if not emit(event_fields):
                    return None
                newcomer = hand_over(frame)
                if newcomer is not None:
                    return newcomer
            if local is not None and verdicts[ON_LINE] is NEVER:
                frame.f_trace_lines = False  # returns and exceptions still come, lines don't
            return local  # None: the frame's lines and return cost nothing

        def profile(frame: FrameType, kind: str, arg: Any) -> None:
            if not running[0]:
                return  # stopped: see global_trace
            info = code_info(frame)
            if info.own or (info.watch and runs_for_hunter(frame, known)):
                return  # hunter's code and what it calls (the C functions too): not the program's doing
            if kind == "call":
                calls = context.calls
                context.calls = calls + 1
                if info.verdicts[ON_CALL] is NEVER:
                    return
                event_fields = info.fields.copy()
                event_fields["calls"] = calls
            elif kind == "return":
                if info.verdicts[ON_RETURN] is NEVER:
                    return
                event_fields = info.fields.copy()
            else:
                # C functions: module and name come from the function object, so nothing is pre-filled.
                event = Event(frame, kind, arg, None, None, threading_support, owner)
                try:
                    handler(event)
                except Exception as exc:
                    failed(event, exc)
                return
            event_fields["frame"] = frame
            event_fields["kind"] = kind
            event_fields["arg"] = arg
            emit(event_fields)

        return global_trace, profile, adopt
