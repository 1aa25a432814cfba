"""The classic backend: ``sys.settrace``/``threading.settrace`` (or the profile hooks in profile mode).

The callbacks are closures over plain locals (no attribute lookups per event), each built by one function below,
and each code object gets its own local trace function holding the event fields that are fixed for it. When the
predicate reads ``depth`` (see ``_verdict.reads_depth``), the local trace functions are *counted*: each frame's
``f_trace`` carries the frame's count (``_engine._depths``), so an event's depth costs no walk up the stack.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from .._engine._ceilings import static_ceiling
from .._engine._ceilings import ceiling_now as _ceiling_now
from .._engine._codemap import CodeMap, CodeRecord
from .._engine._compat import ARTIFICIAL_STOP_ITERATION_OPCODES, stop_iteration_value
from .._engine._depths import CountedTrace, Depths
from .._engine._own_code import is_hunter_frame, runs_for_hunter
from .._engine._pruning import ALL_NEVER, ON_CALL, ON_LINE, ON_RETURN, Verdicts, handler_for_code, nothing_after_call
from .._engine._recording import RawSink, code_judge, raises_raw, records_raw
from .._engine._verdict import NEVER, reads_depth
from ..event import Event
from . import Context
from ._settrace_raw import RawTracing

TraceFunction = Callable[[FrameType, str, Any], Any]
CountedFunction = Callable[[int, FrameType, str, Any], Any]
Emit = Callable[[dict[str, Any]], bool]

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

    __slots__ = (
        "ceiling_now",
        "emit",
        "fields",
        "fixed_ceiling",
        "local",
        "own",
        "raw_site",
        "stdlib",
        "verdicts",
        "watch",
    )

    def __init__(self, verdicts: Verdicts, fields: dict[str, Any], local: Any, own: bool, reports: bool) -> None:
        self.verdicts = verdicts
        self.fields = fields
        #: The local trace function (counted when the backend counts depth, except a raw recording's), or None.
        self.local = local
        self.own = own
        self.stdlib = bool(fields.get("stdlib")) and not own
        self.watch = reports and self.stdlib
        #: Hands an event of this code to the handler, or to what it certainly comes to here (see _pruning).
        self.emit: Emit = _never_emits
        #: The query's depth ceiling here (see _engine._ceilings), asked per event; and the same when it is fixed.
        self.ceiling_now: Callable[[], int | None] | None = None
        self.fixed_ceiling: int | None = None
        #: Recording (_engine._recording): the recorder's site for a code whose calls and returns are recorded raw
        #: (``local`` then records them); None otherwise.
        self.raw_site: Any = None


class SettraceBackend:
    """Delivers settrace/setprofile callbacks as events, skipping code that the predicate rules out."""

    name = "settrace"

    def __init__(self, context: Context) -> None:
        self._context = context
        self._threading_support = context.threading_support
        self._previous: Any = None  # typeshed's types for trace functions differ between versions
        self._threading_previous: Any = None
        self._running = [False]
        # Frames that were running at start and got our local trace function: (frame, ours, their f_trace and
        # f_trace_lines before), put back on stop (a suspended hunter tracer's local trace function, or None).
        self._adopted: list[tuple[FrameType, TraceFunction, Any, bool]] = []
        self._global, self._profile, self._adopt, self._forget_codes = _make_callbacks(context, self._running)
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
        # (each record holds a reference back to the map: a cycle that kept the predicate, the actions and a
        # recorder alive until a collection; frames still calling their local trace functions don't need it)
        self._forget_codes()

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


def _make_callbacks(
    context: Context, running: list[bool]
) -> tuple[TraceFunction, TraceFunction, Callable[[FrameType], TraceFunction | None], Callable[[], None]]:
    """The global trace function, the profile function, ``adopt`` (a running frame's local trace function) and
    ``forget`` (every code object's record, on stop)."""
    counting = not context.profiling and reads_depth(context.handler)
    # Each backend's counted trace functions are its own type: a frame another tracer counted is walked over.
    counted: type[CountedTrace] = type("Counted", (CountedTrace,), {"__slots__": ()})
    emit = _emitter(context.handler, context, running)
    locals_ = _Locals(context, running)
    codes = _Codes(context, running, locals_, counting, emit)
    count = _counter(context.depths, counted)
    if counting:
        global_trace = _counted_global_trace(context, running, codes, locals_, count, counted)
    else:
        global_trace = _global_trace(context, running, codes, locals_)
    adopt = _adopter(codes, locals_, count, counted if counting else None)
    return global_trace, _profiler(context, running, emit, codes), adopt, codes.forget


def _emitter(handler: Callable[[Event], Any], context: Context, running: list[bool]) -> Emit:
    """``emit(fields)``: an event from ``fields`` to ``handler``; whether tracing goes on."""
    failed = context.handler_failed
    new_event = _new_event

    def emit(fields: dict[str, Any]) -> bool:
        # Events are built straight from a dict: much cheaper than Event.__init__ on the hot path.
        event = new_event(Event)
        event.__dict__ = fields
        try:
            handler(event)
        except Exception as exc:  # any failure of the user's predicate/action
            failed(event, exc)
            return False
        return running[0]

    return emit


def _plain_end_of_loop(frame: FrameType, arg: Any) -> bool:
    """Whether an exception event is a for loop's plain end, not an exception the program could see (see _compat)."""
    return (
        arg[0] is StopIteration
        and frame.f_code.co_code[frame.f_lasti] in ARTIFICIAL_STOP_ITERATION_OPCODES
        and stop_iteration_value(arg[1]) is None
        and arg[2] is None
    )


def _never_emits(fields: dict[str, Any]) -> bool:
    """An emit that hands nothing on (a placeholder)."""
    return False


def _takes_nothing(event: Event) -> None:
    """A handler that takes nothing (a placeholder)."""


class _Locals:
    """The local trace functions of one backend (plain and counted) and how to tell them from anyone else's."""

    def __init__(self, context: Context, running: list[bool]) -> None:
        #: The code of our local trace functions (and of the raw recording's), to tell them from others'.
        self.codes: list[Any] = []
        codes = self.codes

        def ours(current: Any) -> bool:
            return isinstance(current, CountedTrace) or getattr(current, "__code__", None) in codes

        def hand_over(frame: FrameType) -> TraceFunction | None:
            # An action that installed its own tracer (Debugger's pdb.set_trace) set frame.f_trace; our return
            # value would overwrite it, so give the frame to the newcomer instead.
            current = frame.f_trace
            if current is not None and not ours(current):
                return current
            return None

        self.make = _plain_maker(context, running, hand_over)
        self.make_counted = _counted_maker(context, running)
        self.hand_over = hand_over
        self.ours = ours
        codes.append(self.make({}, _takes_nothing).__code__)


def _plain_maker(
    context: Context, running: list[bool], hand_over: Callable[[FrameType], TraceFunction | None]
) -> Callable[[dict[str, Any], Callable[[Event], Any]], TraceFunction]:
    """``make(fields, handler)``: a code object's local trace function, its events going to ``handler``."""
    plain_end_of_loop = _plain_end_of_loop
    failed = context.handler_failed
    new_event = _new_event

    def make(fields: dict[str, Any], handler: Callable[[Event], Any]) -> TraceFunction:
        # The most frequent path of this backend (every line of traced code): emit and hand_over inlined.
        def local(frame: FrameType, kind: str, arg: Any) -> TraceFunction | None:
            if not running[0]:
                # Stopped, but this frame still points here: when stop() put back a previous trace function
                # (a debugger, coverage), CPython goes on calling the frames' own ones. Let go of the frame.
                frame.f_trace = None
                return None
            if kind == "exception" and plain_end_of_loop(frame, arg):
                return local
            event_fields = fields.copy()
            event_fields["frame"] = frame
            event_fields["kind"] = kind
            event_fields["arg"] = arg
            event = new_event(Event)
            event.__dict__ = event_fields
            try:
                handler(event)
            except Exception as exc:  # any failure of the user's predicate/action
                failed(event, exc)
                return None
            if not running[0]:
                return None
            current = frame.f_trace
            if current is local or current is None:
                return local
            return hand_over(frame) or local

        return local

    return make


def _counted_maker(
    context: Context, running: list[bool]
) -> Callable[[dict[str, Any], Emit, Callable[[], int | None] | None], CountedFunction]:
    """``make_counted(fields, emit, ceiling_now)``: a code object's local trace function when depth is counted."""
    plain_end_of_loop = _plain_end_of_loop

    def make_counted(
        fields: dict[str, Any], emit: Emit, ceiling_now: Callable[[], int | None] | None
    ) -> CountedFunction:
        # Called through the frame's counted partial. Returning None leaves the frame's f_trace as it is (CPython
        # replaces it only with a trace function returned): its partial, or the trace function of a debugger
        # that an action started there (see hand_over).
        def local(count: int, frame: FrameType, kind: str, arg: Any) -> None:
            if not running[0]:
                frame.f_trace = None  # stopped: see the plain local trace function
                return
            # A return counts at its caller's level, as its call does (see _depths.depth_of).
            depth = count if kind != "return" else count - 1 if count > 0 else 0
            if ceiling_now is not None:
                ceiling = ceiling_now()
                if ceiling is not None and depth >= ceiling:
                    return  # the query rejects it, changing nothing (see _engine._ceilings)
            if kind == "exception" and plain_end_of_loop(frame, arg):
                return
            event_fields = fields.copy()
            event_fields["frame"] = frame
            event_fields["kind"] = kind
            event_fields["arg"] = arg
            event_fields["depth"] = depth
            event_fields["calls"] = context.calls
            emit(event_fields)

        return local

    return make_counted


class _Codes:
    """Per code object: its record (``info(frame)``, or ``known(id(code))`` for one already made)."""

    def __init__(self, context: Context, running: list[bool], locals_: _Locals, counting: bool, emit: Emit) -> None:
        recording = context.recording
        judge = code_judge(context.handler, context.threading_support, recording, drop_lines=True)
        profiling = context.profiling
        make = locals_.make
        make_counted = locals_.make_counted
        base = {"tracer": context.owner, "threading_support": context.threading_support, "builtin": False}
        per_code: CodeMap[_CodeInfo] = CodeMap()
        raw = None
        if recording is not None:
            sink = RawSink(recording.recorder, context.handler_failed, context.owner)
            raw = RawTracing(sink, running, _plain_end_of_loop)
            locals_.codes.append(raw.local_for(None, None).__code__)  # type: ignore[arg-type]
        #: Records a call of a code recorded raw (see hunter._engine._recording), or None when not recording.
        self.record_call = raw.call if raw is not None else None
        emitters: dict[int, tuple[Callable[[Event], Any], Emit]] = {id(context.handler): (context.handler, emit)}

        def emitter_for(frame: FrameType) -> tuple[Callable[[Event], Any], Emit]:
            # The events of a code whose condition is certainly true go straight to the actions (_pruning).
            runner = handler_for_code(judge, frame) if recording is None else context.handler
            found = emitters.get(id(runner))
            if found is None:
                found = emitters[id(runner)] = (runner, _emitter(runner, context, running))
            return found

        def info(frame: FrameType) -> _CodeInfo:
            code = frame.f_code
            found = per_code.get(id(code))
            if found is not None:
                return found
            own = is_hunter_frame(frame)
            verdicts, static = judge.judge(frame, hunters=own)  # (hunter's own code: ALL_NEVER, its query not asked)
            fields = {**base, **static}
            # Events the query must reject at their depth are dropped before they are built (_engine._ceilings). A
            # code ruled out has neither a ceiling nor anything its events certainly come to (its C functions' events,
            # in profile mode, go to the handler as they are): neither is asked.
            ruled_out = verdicts == ALL_NEVER
            ceiling = judge.ceiling(frame) if counting and recording is None and not ruled_out else None
            ceiling_now = _ceiling_now(ceiling) if ceiling is not None else None
            code_handler, code_emit = emitters[id(context.handler)] if ruled_out else emitter_for(frame)
            local: Any = None
            if not nothing_after_call(verdicts):
                local = make_counted(fields, code_emit, ceiling_now) if counting else make(fields, code_handler)
            # In profile mode any frame may report (the C functions it calls).
            reports = profiling or local is not None or verdicts[ON_CALL] is not NEVER
            found = _CodeInfo(verdicts, fields, local, own, reports)
            found.emit = code_emit
            found.ceiling_now = ceiling_now
            found.fixed_ceiling = static_ceiling(ceiling)
            if raw is not None and local is not None and records_raw(verdicts):
                # Recorded raw: its calls and returns go to the recorder as records, without events. Its frames
                # carry no count (a frame below one counts up to the nearest counted frame).
                found.raw_site = recording.recorder.describe(code, fields["module"], fields["filename"])  # type: ignore[union-attr]
                raises = raises_raw(recording, verdicts)  # type: ignore[arg-type]
                found.local = raw.local_for(found.raw_site, make(fields, code_handler), raises)
            # Other threads see it once it is whole (they may run the code meanwhile: they make a record of their
            # own, and one of the two is kept).
            return per_code.add(code, found)

        self.info = info
        self.known = per_code.get
        self.forget = per_code.clear


def _counter(depths: Depths, counted: type[CountedTrace]) -> Callable[[FrameType | None], int]:
    """``count(frame)``: the frame's count, from the nearest frame above that this backend counted, or the base."""
    base_get = depths.base.get

    def count(frame: FrameType | None) -> int:
        steps = 0
        while frame is not None:
            trace = frame.f_trace
            if type(trace) is counted:
                found: int = trace.args[0]
                return steps + found
            if base_get(id(frame)) is frame:
                return steps
            steps += 1
            frame = frame.f_back
        return steps

    return count


def _global_trace(context: Context, running: list[bool], codes: _Codes, locals_: _Locals) -> TraceFunction:
    """The global trace function: the call events, and each new frame's local trace function (or none)."""
    code_info = codes.info
    known = codes.known
    record_call = codes.record_call
    hand_over = locals_.hand_over

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
            # frame's raw local trace function (_settrace_raw), its lines (if a recorder records them) to the
            # normal path, through that function.
            record_call(site, frame)  # type: ignore[misc]
            if info.verdicts[ON_LINE] is NEVER:
                frame.f_trace_lines = False
            return local  # type: ignore[no-any-return]
        verdicts = info.verdicts
        if verdicts[ON_CALL] is not NEVER:
            event_fields = info.fields.copy()
            event_fields["frame"] = frame
            event_fields["kind"] = kind
            event_fields["arg"] = arg
            event_fields["calls"] = calls
            if not info.emit(event_fields):
                return None
            newcomer = hand_over(frame)
            if newcomer is not None:
                return newcomer
        if local is not None and verdicts[ON_LINE] is NEVER:
            frame.f_trace_lines = False  # returns and exceptions still come, lines don't
        return local  # type: ignore[no-any-return]  # None: the frame's lines and return cost nothing

    return global_trace


def _counted_global_trace(
    context: Context,
    running: list[bool],
    codes: _Codes,
    locals_: _Locals,
    count: Callable[[FrameType | None], int],
    counted: type[CountedTrace],
) -> TraceFunction:
    """The global trace function when depth is read: each new frame's local trace function carries its count.

    With a depth ceiling for the code (see _engine._ceilings), a call at or below it is dropped; so are the frame's
    lines when the ceiling is fixed (they can't rise above it), else its local trace function asks again per event.
    """
    code_info = codes.info
    known = codes.known
    record_call = codes.record_call
    hand_over = locals_.hand_over
    base_get = context.depths.base.get

    def global_trace(frame: FrameType, kind: str, arg: Any) -> Any:
        if not running[0]:
            return None  # stopped: see _global_trace
        info = known(id(frame.f_code)) or code_info(frame)
        if info.own or (info.watch and runs_for_hunter(frame, known)):
            return None
        calls = context.calls
        context.calls = calls + 1
        local = info.local
        site = info.raw_site
        if site is not None:
            record_call(site, frame)  # type: ignore[misc]  # recorded raw: see _global_trace
            if info.verdicts[ON_LINE] is NEVER:
                frame.f_trace_lines = False
            return local
        verdicts = info.verdicts
        if local is None and verdicts[ON_CALL] is NEVER:
            return None
        # The frame's count: its caller's plus one. (Not from its own f_trace: a generator resuming still has its
        # last run's, and may resume under other callers.)
        if base_get(id(frame)) is frame:
            frames = 0
        else:
            parent = frame.f_back
            trace = parent.f_trace if parent is not None else None
            frames = trace.args[0] + 1 if type(trace) is counted else count(parent) + 1
        depth = frames - 1 if frames > 0 else 0  # a call counts at its caller's level
        if verdicts[ON_CALL] is not NEVER:
            ceiling_now = info.ceiling_now
            ceiling = ceiling_now() if ceiling_now is not None else None
            if ceiling is None or depth < ceiling:
                event_fields = info.fields.copy()
                event_fields["frame"] = frame
                event_fields["kind"] = kind
                event_fields["arg"] = arg
                event_fields["calls"] = calls
                event_fields["depth"] = depth
                if not info.emit(event_fields):
                    return None
                newcomer = hand_over(frame)
                if newcomer is not None:
                    return newcomer
        if local is None:
            return None
        if verdicts[ON_LINE] is NEVER:
            frame.f_trace_lines = False
        elif info.fixed_ceiling is not None:
            frame.f_trace_lines = frames < info.fixed_ceiling  # (a generator resumed higher up gets its lines back)
        return counted(local, frames)

    return global_trace


def _profiler(context: Context, running: list[bool], emit: Emit, codes: _Codes) -> TraceFunction:
    """The profile function (profile mode): calls and returns of Python functions, and C functions' events."""
    handler = context.handler
    failed = context.handler_failed
    owner = context.owner
    threading_support = context.threading_support
    code_info = codes.info
    known = codes.known

    def profile(frame: FrameType, kind: str, arg: Any) -> None:
        if not running[0]:
            return  # stopped: see _global_trace
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

    return profile


def _adopter(
    codes: _Codes,
    locals_: _Locals,
    count: Callable[[FrameType | None], int],
    counted: type[CountedTrace] | None,
) -> Callable[[FrameType], TraceFunction | None]:
    """``adopt(frame)``: a frame running at start gets its local trace function, as if its call had been seen."""
    code_info = codes.info
    ours = locals_.ours

    def adopt(frame: FrameType) -> TraceFunction | None:
        current = frame.f_trace
        if current is not None and not ours(current):
            return None  # a debugger's (or coverage's) frame: leave it to them
        info = code_info(frame)
        local = info.local
        if local is None:
            return None
        if counted is not None and info.raw_site is None:
            local = counted(local, count(frame))
        frame.f_trace = local
        frame.f_trace_lines = info.verdicts[ON_LINE] is not NEVER
        return local  # type: ignore[no-any-return]

    return adopt
