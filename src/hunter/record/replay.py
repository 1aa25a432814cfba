"""Replay: recorded events through a query and its actions, as a live trace would have run them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .._output import _streams
from .. import actions, config
from .._setup._options import prepare
from ..exporters._timeline import TimelineWriter, replaying
from ..predicates import Backlog, Query, walk
from ..util import safe_repr
from .callers import CallChains
from .events import RECORDED_FIELDS, RecordedEvent
from .format import MAX_CALLERS
from .reader import Part, Trace
from .running import RunningFrames
from .stacks import Stacks

__all__ = ["Refused", "check_replayable", "replay"]


class Refused(ValueError):
    """The query needs something the recording doesn't hold (one line says what, and how to record it)."""


#: Actions that need the live program, with what they need.
_LIVE_ONLY: dict[type, str] = {
    actions.VarsPrinter: "reads the frame's variables, which recordings don't hold",
    actions.VarsSnooper: "reads the frame's variables, which recordings don't hold",
    actions.Debugger: "needs the live program",
    actions.Manhole: "needs the live program",
}
_FIELD_HINTS = {
    "locals": "recordings don't hold variables; use a live trace (hunter -q ...) for it",
    "globals": "recordings don't hold variables; use a live trace (hunter -q ...) for it",
    "calls": "recordings don't count every call; use a live trace for it",
    "instruction": "recordings don't hold instructions; use a live trace for it",
    "arg": "record values (leave out --no-values / record_values=False)",
}
#: Why a query can't compare ``arg`` even when values were recorded.
_ARG_IS_TEXT = (
    "the query compares 'arg', and a recording holds only its text (what safe_repr showed), not the value: use a "
    "live trace for it"
)


def _nodes(predicate: Any) -> Iterator[Any]:
    """Every predicate and action in a tree (each once)."""
    return (node for _role, node in walk(predicate))


def check_replayable(predicate: Any, metadata: dict[str, Any]) -> None:
    """Raise Refused when the query reads a field, or an action needs something, that the recording lacks."""
    values = bool(metadata.get("values"))
    limit = int(metadata.get("repr_limit", 0))
    for node in _nodes(predicate):
        if isinstance(node, Query):
            for field, _operator, _value in node._checks:
                if field not in RECORDED_FIELDS or (field == "arg" and not values):
                    raise Refused(f"the query reads {field!r}, which is not recorded: {_FIELD_HINTS.get(field, '')}")
                if field == "arg":
                    # (arg=None would match no recorded return, whose arg is the text "None")
                    raise Refused(_ARG_IS_TEXT)
        problem = _LIVE_ONLY.get(type(node))
        if problem is not None:
            raise Refused(f"{type(node).__name__} {problem}")
        if isinstance(node, actions.StackPrinter):
            _check_stack_printer(node, metadata)  # (it shows no values)
            continue
        if _is_jsonlines(node) and type(node).__name__ != "JSONLines":
            raise Refused(f"{type(node).__name__} (a JSONLines of its own) can't be made from a recording")
        if isinstance(node, actions.ColorStreamAction):
            _check_printer(node, values, limit)


def _check_stack_printer(printer: actions.StackPrinter, metadata: dict[str, Any]) -> None:
    if not metadata.get("callers"):
        raise Refused(
            "StackPrinter reads the callers' frames, which this recording doesn't tell (a flight recorder's dump, or a "
            "file of an older hunter): record the run again with record=PATH / hunter record"
        )
    if printer.depth > MAX_CALLERS:
        raise Refused(f"StackPrinter(depth={printer.depth}) shows more callers than a recording tells ({MAX_CALLERS})")


def _is_jsonlines(node: Any) -> bool:
    from ..exporters import JSONLines

    return isinstance(node, JSONLines)


def _check_printer(printer: actions.ColorStreamAction, values: bool, limit: int) -> None:
    name = type(printer).__name__
    if not values:
        raise Refused(f"{name} shows values, which were not recorded: record values (leave out --no-values)")
    if printer.repr_func is not safe_repr:
        raise Refused(f"{name} uses repr_func={printer.repr_func!r}; values were recorded with safe_repr")
    if printer.repr_limit > limit:
        raise Refused(
            f"{name} shows values up to repr_limit={printer.repr_limit}, the recording holds {limit} characters: "
            f"ask for repr_limit={limit} or less, or record with a larger record_repr_limit / --repr-limit"
        )


class _Worker:
    """Runs the events of one recorded thread on a thread of its own, one at a time, while the replay waits.

    Actions keep per-thread state (a call printer's open calls, the thread column's threads seen, a timeline's
    tracks) keyed by the running thread: each recorded thread must look like a thread of its own to them.
    """

    def __init__(self, handler: Callable[[RecordedEvent], None]) -> None:
        self._handler = handler
        self._inbox: queue.Queue[RecordedEvent | None] = queue.Queue()
        self._done: queue.Queue[BaseException | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="hunter-replay", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            event = self._inbox.get()
            if event is None:
                return
            try:
                self._handler(event)
            except BaseException as exc:  # handed to the replaying thread
                self._done.put(exc)
            else:
                self._done.put(None)

    def __call__(self, event: RecordedEvent) -> None:
        self._inbox.put(event)
        failure = self._done.get()
        if failure is not None:
            raise failure

    def stop(self) -> None:
        self._inbox.put(None)
        self._thread.join()


def replay(trace: Trace, query: str, stream: Any = None, pid: int | None = None) -> int:
    """Run every recorded event of ``trace`` through ``query`` (PYTHONHUNTER syntax); returns how many matched.

    Each process's events are replayed in turn (the root's first), as its own trace: printers start afresh, and a
    ``--- process PID: COMMAND`` line comes before each when there are several. ``pid``: only that process's.
    Raises Refused (before any output) when the query needs what was not recorded.
    """
    if stream is not None:
        config.default_stream = stream
    parts = [part for part in trace.parts if pid is None or part.pid == pid]
    if not parts:
        known = ", ".join(str(part.pid) for part in trace.parts)
        raise Refused(f"no process {pid} in the recording (its processes: {known})")
    with replaying(parts[0].pid, parts[0].label):  # (the query's timelines show the recorded processes and threads)
        args, kwargs = config.parse_trace_arguments(query)
        setup = prepare(args, kwargs)
    check_replayable(setup.predicate, trace.metadata)
    predicate = setup.predicate
    _fresh_printers(predicate)
    support = setup.threading_support
    matched = 0
    clock = [0]
    _recorded_time(predicate, clock, int(trace.metadata.get("origin_ns", 0)))
    _recorded_failures(predicate)

    def handle(event: RecordedEvent) -> None:
        nonlocal matched
        clock[0] = event.time_ns
        if predicate(event):
            matched += 1

    writers = [node for node in _nodes(predicate) if isinstance(node, TimelineWriter)]
    try:
        for part in parts:
            if len(parts) > 1:
                _streams.write(config.default_stream, f"--- process {part.pid}: {_command(part)}\n")
                _fresh_printers(predicate)
            for writer in writers:
                writer.recorded_process(part.pid, part.label)
            # (a Backlog makes up calls for the callers of its first event, see callers.py; a StackPrinter shows each
            # event's callers, see stacks.py; a CallPrinter tells its open calls by the frames running, see running.py)
            _replay_part(
                part,
                handle,
                support,
                _has(predicate, Backlog),
                _has(predicate, actions.StackPrinter),
                _has(predicate, actions.CallPrinter),
            )
            for writer in writers:  # (its tracks end with its last event; its name may have been told meanwhile)
                writer.recorded_process(part.pid, part.label)
    finally:
        _close_exporters(predicate)
    return matched


def _has(predicate: Any, kind: type) -> bool:
    """Whether the query has a predicate or action of this kind."""
    return any(isinstance(node, kind) for node in _nodes(predicate))


def _replay_part(
    part: Part,
    handle: Callable[[RecordedEvent], None],
    support: bool | None,
    callers: bool = False,
    stacks: bool = False,
    running: bool = False,
) -> None:
    """One process's events: its main thread's on this thread, each other thread's on a thread of its own.

    With ``threading_support=False`` only the thread that started the recording is replayed: a live trace with it
    traces only the thread that started it.
    """
    workers: dict[int | None, Callable[[RecordedEvent], None]] = {None: handle}
    first: list[int | None] = []
    chains = CallChains() if callers else None
    frames = Stacks() if stacks else None
    running_frames = RunningFrames() if running else None
    calls = 0
    try:
        for event in part.events():
            if support is False:
                if not first:
                    first.append(event.threadid)
                if event.threadid != first[0]:
                    continue
            event.threading_support = support
            # (what a JSONLines writes as ``calls``: the process's recorded calls before the event, see recording.md)
            event.calls = calls
            calls += event.kind == "call"
            if chains is not None:
                chains.follow(event)
            if frames is not None:
                frames.follow(event)
            if running_frames is not None:
                running_frames.follow(event)
            run = workers.get(event.threadid)
            if run is None:
                run = workers[event.threadid] = _Worker(handle)
            run(event)
    finally:
        for run in workers.values():
            if isinstance(run, _Worker):
                run.stop()


def _fresh_printers(predicate: Any) -> None:
    """A process's replay begins: the printers forget the threads of the one before, and start one call tree that
    they all continue (a Backlog's and the main one), as the printers of a live trace do."""
    actions.share_call_tree(node for node in _nodes(predicate) if isinstance(node, actions.CallPrinter))
    for node in _nodes(predicate):
        if isinstance(node, actions.ColorStreamAction):
            node._seen_threads = set()


def _command(part: Part) -> str:
    argv = part.metadata.get("argv") or []
    return " ".join(str(word) for word in argv) if isinstance(argv, list) else "?"


def _recorded_time(predicate: Any, clock: list[int], origin: int) -> None:
    """A timeline of a replay shows the recorded times: its clock reads the time of the event being replayed, and
    its values are the recorded texts (cut to its ``repr_limit``); a JSONLines writes each event's own."""
    from ..exporters import ChromeTrace, JSONLines
    from ..exporters._values import recorded_json_at
    from ..exporters.jsonl import RecordedJSONLines

    for node in _nodes(predicate):
        if isinstance(node, ChromeTrace):
            # (microseconds since the recording's origin, plus the 1 µs every timeline starts at)
            node.now_us = lambda: (clock[0] - origin) / 1000 + 1  # type: ignore[method-assign]
            node.value_json = recorded_json_at(node.repr_limit)
        elif type(node) is JSONLines:
            node.__class__ = RecordedJSONLines


#: How a recording holds a value whose repr failed (hunter.record.writer.value_text): the failure's text after it.
_FAILED = "!!! FAILED REPR: "


def _recorded_failures(predicate: Any) -> None:
    """The printers show a recorded failed repr as a live printer shows the failure (coloured as one, whole), not as a
    value text cut to ``repr_limit``."""
    for node in _nodes(predicate):
        if isinstance(node, actions.ColorStreamAction):
            node._value_repr = _failure_aware(node)  # type: ignore[method-assign,assignment]


def _failure_aware(printer: actions.ColorStreamAction) -> Callable[[Any, Any], str]:
    shown = type(printer)._value_repr

    def value_repr(event: Any, value: Any) -> str:
        if event.detached and type(value) is str and value.startswith(_FAILED):
            tags = printer.tags
            detail = value[len(_FAILED) :]
            return f"{tags['INTERNAL-FAILURE']}{_FAILED}{tags['INTERNAL-DETAIL']}{detail}{tags['RESET']}"
        return shown(printer, event, value)

    return value_repr


def _close_exporters(predicate: Any) -> None:
    """Close the timeline exporters of the query (a replay ends as a live trace ends, at exit)."""
    for node in _nodes(predicate):
        close = getattr(node, "close", None)
        if close is not None and "exporters" in type(node).__module__:
            close()
