"""Recording without events: ``When(static filter, exporter)`` turned into raw records the exporter formats later.

Most timelines are recorded with a predicate like ``When(Query(kind_in=..., module=...), ChromeTrace(...))``: a
filter decided by facts fixed per code object, and one exporter. For such a tree, building an ``Event`` for every
call and return and running the filter on it is wasted work: the filter's verdict per code object is known in
advance (``ALWAYS``: every call and return of the code is recorded; ``NEVER``: none is), and the exporter needs
only the code, the time and the thread. So when tracing starts, :func:`recording_for` recognises the tree; the
backend then appends *raw records* for the code objects whose calls and returns are ALWAYS recorded, straight
into the exporter's per-thread lists, and the exporter turns them into lines when it writes (see
``exporters/chrome.py``). Everything else takes the normal path (events through the predicate): code objects
the filter can't decide in advance, exceptions, lines (when the filter acts on them), and any tree that isn't
recognised. The file is the same either way (tests/test_recording.py compares them on both backends).

The records (tuples in the list ``recorder.local.records`` of the thread that made them, in order):

- ``(site, ns)``, or ``(site, ns, arguments)`` when ``recorder.args``: a call of the code ``site`` stands for
  (what ``recorder.describe()`` returned for it), at ``time.perf_counter_ns()`` ``ns``, with the text of its
  arguments (``recorder.arguments(site, frame)``).
- ``(RETURN, ns)``, or ``(RETURN, ns, value)`` when ``recorder.args`` (``recorder.value_json(returned)``): the
  innermost recorded call returned or yielded.
- ``(UNWIND, ns)``, or ``(UNWIND, ns, None)`` when ``recorder.args``: the innermost recorded call ended by an
  exception, as the normal path tells it: a return (or PY_RETURN, PY_YIELD, PY_UNWIND) of None where
  :func:`ended_by_exception` says so. That test reads the frame's last instruction and is not always right (3.13
  points past a yield; a generator left by an exception thrown into it shows its yield), but the file must be the
  one the normal path writes, so the records follow it.

A recorder that says ``framed = True`` (the trace file writer, ``hunter.record``) makes the texts of calls and
returns itself from the frame: calls are ``(site, ns, recorder.arguments(site, frame))`` as with ``args``, returns
``(RETURN, ns, recorder.returned(frame, value))`` (never UNWIND: the text says how the frame was left). Its
compiled callbacks (``hunter._speedups``, see ``backends/monitoring/_compiled.py``) append each call's and return's
whole line instead, a str: a tuple per event would be a container for the garbage collector to count.

Backends make records with steps of their own (``backends/_settrace_raw.py``, ``backends/monitoring/_raw.py``),
which also tell the recorder when they are due to be written, through a :class:`RawSink`; both build a return's
record with the one maker :func:`return_maker` chose for the recorder.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any, Protocol

from ._compat import NORMAL_EXIT_OPCODES, RETURN_OPCODES, YIELD_OPCODES, is_suspension
from ._pruning import ON_CALL, ON_EXCEPTION, ON_LINE, ON_RETURN, CodeJudge, Verdicts
from ._verdict import ALWAYS, EFFECT, NEVER, reads_calls
from ..event import Event

__all__ = [
    "LEFT_BY_EXCEPTION",
    "RETURN",
    "RETURNED",
    "SUSPENDED",
    "UNWIND",
    "RawSink",
    "Recorder",
    "Recording",
    "code_judge",
    "ended_by_exception",
    "how_event_left",
    "how_left",
    "raised_step",
    "raises_raw",
    "recording_for",
    "records_raw",
    "return_maker",
]


class _Marker:
    """A record kind: compared by identity on the hot path, named in reprs."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


RETURN = _Marker("RETURN")
UNWIND = _Marker("UNWIND")


class Recorder(Protocol):
    """An action that takes raw records in place of events (declares it with ``takes_raw_records = True``)."""

    takes_raw_records: bool
    local: threading.local
    batch: int
    due_ns: int
    args: bool
    closed: bool

    def describe(self, code: CodeType, module: str, filename: str) -> Any:
        """What a call record of ``code`` carries (computed once per code object, when tracing first meets it)."""

    def thread_records(self) -> list[tuple[Any, ...]] | None:
        """The current thread's record list, set up at its first record; None when the recorder is closed."""

    def records_due(self, ns: int) -> None:
        """The current thread's list is full, or ``due_ns`` has passed: write what is due."""

    def arguments(self, site: Any, frame: FrameType) -> str:
        """The text of a call's arguments (only asked when ``args``)."""

    def value_json(self, value: Any) -> str:
        """The text of a returned value (only asked when ``args``)."""

    def returned(self, frame: FrameType, value: Any) -> str:
        """A framed recorder's text of a return (only asked when ``framed``)."""

    def __call__(self, event: Any) -> Any:
        """The normal path: an event the filter could not decide in advance (or an exception)."""


class Recording:
    """A recognised tree: ``condition`` decides, per code object, what ``recorder`` gets."""

    __slots__ = ("condition", "recorder")

    def __init__(self, condition: Callable[[Any], Any], recorder: Recorder) -> None:
        self.condition = condition
        self.recorder = recorder

    def __repr__(self) -> str:
        return f"Recording({self.condition!r}, {self.recorder!r})"


#: Set to False to never take the raw path (tests compare both paths' files).
enabled = True


def recording_for(predicate: Any, profiling: bool) -> Recording | None:
    """The raw-recording plan of a predicate tree, or None when it must run as it is (the normal path).

    Recognised: ``When(condition, recorder)`` with one action that takes raw records and is open, a condition
    that doesn't read ``calls`` (raw records don't count for it), and line mode (profile mode reports C
    functions, which have no code object to decide on).
    """
    from ..predicates import When, parts  # (predicates imports actions, which import much: only when tracing starts)

    if not enabled or profiling or type(predicate) is not When:
        return None
    shape = list(parts(predicate))
    if [role for role, _node in shape] != ["Predicate", "Action"]:
        return None
    (_, condition), (_, recorder) = shape
    if getattr(type(recorder), "takes_raw_records", False) is not True or recorder.closed:
        return None
    if getattr(recorder, "asyncio", False):
        return None  # a track per asyncio task: which task an event belongs to is decided per event
    if reads_calls(condition):
        return None
    return Recording(condition, recorder)


class _RecordingJudge(CodeJudge):
    """The condition's verdicts; with ``drop_lines``, NEVER for lines the condition doesn't act on (the recorder
    drops lines, so they need not be delivered at all)."""

    def __init__(self, condition: Callable[[Any], Any], threading_support: bool | None, drop_lines: bool) -> None:
        super().__init__(condition, threading_support)
        self._drop_lines = drop_lines

    def judge(self, frame: FrameType, hunters: bool = True) -> tuple[Verdicts, dict[str, Any]]:
        """As :meth:`CodeJudge.judge`, for the recording's condition."""
        verdicts, static = super().judge(frame, hunters)
        if self._drop_lines and verdicts[ON_LINE] is not EFFECT:
            verdicts = (verdicts[ON_CALL], NEVER, verdicts[ON_RETURN], verdicts[ON_EXCEPTION])
        return verdicts, static


def code_judge(
    handler: Callable[[Any], Any], threading_support: bool | None, recording: Recording | None, drop_lines: bool
) -> CodeJudge:
    """The judge of a backend: of the handler, or of the recording's condition when recording.

    Both have the same NEVER verdicts (``When`` is NEVER exactly where its condition is), so everything a backend
    prunes stays the same; where the condition is ALWAYS for calls and returns, :func:`records_raw` says so.
    ``drop_lines``: line events the condition takes may be left out (the recorder ignores them). Only a backend
    whose other events can't depend on line events being on may say so. Under sys.monitoring, LINE instrumentation
    changes how the code runs (it keeps a for loop's FOR_ITER from being specialised, which decides where the
    StopIteration of a loop over a generator is reported, see ``_compat.ARTIFICIAL_STOP_ITERATION_OPCODES``), so
    the monitoring backend keeps line events on wherever the normal path has them: the file must be the same.
    """
    if recording is None:
        return CodeJudge(handler, threading_support)
    # (A recorder that records line events, ``records_lines``, takes them on the normal path: none may be dropped.)
    drop_lines = drop_lines and not getattr(recording.recorder, "records_lines", False)
    return _RecordingJudge(recording.condition, threading_support, drop_lines)


def records_raw(verdicts: Verdicts) -> bool:
    """Whether a code object's calls and returns go to the recorder as raw records (judged by ``code_judge``).

    Calls and returns must both be certain (ALWAYS: true, nothing to run), so that every recorded call gets its
    return; lines must not need the condition to act (not EFFECT): any that are delivered take the normal path, and
    the recorder drops them. Exceptions take the normal path unless they are certain too (see :func:`raises_raw`).
    """
    return verdicts[ON_CALL] is ALWAYS and verdicts[ON_RETURN] is ALWAYS and verdicts[ON_LINE] is not EFFECT


def raises_raw(recording: Recording, verdicts: Verdicts) -> bool:
    """Whether a code object's exceptions go to the recorder as raw lines too (judged by ``code_judge``): they are
    certain (ALWAYS), and the recorder writes them so (``raised_line``: hunter.record's writer; other recorders take
    them on the normal path)."""
    return verdicts[ON_EXCEPTION] is ALWAYS and callable(getattr(recording.recorder, "raised_line", None))


def raised_step(sink: RawSink) -> Callable[[FrameType, Any], bool] | None:
    """``raised(frame, value)``, the step of an exception certain to be recorded, after the backend's own checks: the
    recorder's raw line when ``frame`` is the thread's innermost recorded call (True), else False (the event takes
    the normal path). None: the recorder has no raw lines for exceptions (see :func:`raises_raw`)."""
    recorder = sink.recorder
    line_of = getattr(recorder, "raised_line", None)
    if line_of is None:
        return None
    perf_ns = _perf_ns
    batch = recorder.batch

    def raised(frame: FrameType, value: Any) -> bool:
        ns = perf_ns()
        line = line_of(frame, value, ns)
        if line is None:
            return False
        records = recorder.local.records  # (the thread has a state: its innermost recorded call is this frame)
        records.append(line)
        if ns >= recorder.due_ns or len(records) >= batch:
            sink.due(ns, frame, "exception")
        return True

    return raised


#: A recorded return's ``normal`` field: the frame returned, it suspended (a yield, an await: it is resumed later), or
#: an exception passed through it (``ended_by_exception``). Files of earlier hunters say 0 for a suspension too.
RETURNED, SUSPENDED, LEFT_BY_EXCEPTION = "1", "2", "0"


def how_left(frame: FrameType) -> str:
    """A return event's ``normal`` field (RETURNED, SUSPENDED or LEFT_BY_EXCEPTION), from where the frame is."""
    lasti = frame.f_lasti
    code = frame.f_code.co_code
    opcode = code[lasti] if 0 <= lasti < len(code) else -1
    if opcode in RETURN_OPCODES:
        return RETURNED
    return LEFT_BY_EXCEPTION if _left_by_exception(frame, opcode) else SUSPENDED


def how_event_left(event: Event) -> str:
    """:func:`how_left` of a return event's frame; for a detached event (a Backlog's), by its instruction."""
    if event.frame is not None:
        return how_left(event.frame)
    instruction = event.instruction
    if instruction in RETURN_OPCODES:
        return RETURNED
    return SUSPENDED if instruction in YIELD_OPCODES else LEFT_BY_EXCEPTION


def ended_by_exception(frame: FrameType) -> bool:
    """Whether a frame reporting a ``return`` is left by an exception (its last instruction doesn't return/yield).

    A generator or coroutine suspended at an await or ``yield from`` isn't: 3.10 leaves its f_lasti before the
    YIELD_FROM, and 3.13 reports a yield as the RESUME after it (``is_suspension`` knows both).
    """
    try:
        return _left_by_exception(frame, frame.f_code.co_code[frame.f_lasti])
    except (IndexError, AttributeError):
        return False


def _left_by_exception(frame: FrameType, opcode: int) -> bool:
    """Whether a frame at ``opcode`` at its return event is left by an exception: neither returning nor yielding there,
    nor suspended (how_left and ended_by_exception, which the recording and the live exporters ask, must agree)."""
    return opcode not in NORMAL_EXIT_OPCODES and not is_suspension(frame)


_perf_ns = time.perf_counter_ns
_getframe = sys._getframe

#: ``make(ns, value)``: the record of a return at ``ns`` of ``value`` (None for an unwinding).
ReturnMaker = Callable[[int, Any], tuple[Any, ...]]


def return_maker(recorder: Recorder, caller_depth: int) -> ReturnMaker:
    """The maker of ``recorder``'s return records, chosen once so that a return asks nothing about the recorder.

    ``caller_depth``: where the returning frame is, seen from the step that calls the maker
    (``sys._getframe(caller_depth)`` there: 1 for a settrace trace function, 2 for a step a monitoring callback
    calls). The frame is asked for only when the record needs it (most don't: under sys.monitoring it is made on
    demand).
    """
    depth = caller_depth + 1  # (seen from the maker, one call further down)
    getframe = _getframe
    marker = RETURN
    if getattr(recorder, "framed", False) is True:
        # hunter.record's writer makes the text from the frame: it tells an unwinding itself (never UNWIND).
        returned = recorder.returned

        def framed(ns: int, value: Any) -> tuple[Any, ...]:
            return (marker, ns, returned(getframe(depth), value))

        return framed
    if not recorder.args:

        def bare(ns: int, value: Any) -> tuple[Any, ...]:
            return (marker, ns)

        return bare
    value_json = recorder.value_json
    unwind = UNWIND

    def with_value(ns: int, value: Any) -> tuple[Any, ...]:
        # Both backends' normal paths deliver an unwinding (PY_UNWIND) as a return of None, and an exporter tells
        # an exception's end by the frame's last instruction (ended_by_exception: not always right, a generator
        # left by an exception thrown into it at a yield shows its yield): the record says what that says.
        if value is None and ended_by_exception(getframe(depth)):
            return (unwind, ns, None)
        return (marker, ns, value_json(value))

    return with_value


class RawSink:
    """The slow steps of taking a record, for backends: a thread's first record, and writing what is due.

    Neither ever raises into the traced program: a failure (the disk is full, the file was closed under us) goes to
    the tracer's ``handler_failed``, like an action failing on the normal path, which stops tracing with one message.
    ``frame`` and ``kind`` say where, for that message.
    """

    __slots__ = ("_failed", "_owner", "recorder")

    def __init__(self, recorder: Recorder, failed: Callable[[Any, Exception], None], owner: Any) -> None:
        self.recorder = recorder
        self._failed = failed
        self._owner = owner
        attach = getattr(recorder, "attach", None)
        if attach is not None:
            attach(owner)  # (a framed recorder counts depths from the tracer's start)

    def first(self, frame: FrameType, kind: str) -> list[tuple[Any, ...]] | None:
        """The current thread's record list, at its first record (None: drop the record)."""
        try:
            return self.recorder.thread_records()
        except Exception as exc:  # never raise into the program
            self._fail(exc, frame, kind)
            return None

    def due(self, ns: int, frame: FrameType, kind: str) -> None:
        """The current thread's list is full or the flush interval passed: write what is due."""
        try:
            self.recorder.records_due(ns)
        except Exception as exc:  # never raise into the program
            self._fail(exc, frame, kind)

    def _fail(self, exc: Exception, frame: FrameType, kind: str) -> None:
        self._failed(Event(frame, kind, None, tracer=self._owner), exc)
