"""Recordings on the raw path (hunter._engine._recording) write what events write; every kept event is one type."""

from __future__ import annotations

import abc
import asyncio
import enum
import io
import json
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import imported_program
from test_recording import APP, APP_SOURCE

import hunter
import hunter._engine._recording
import hunter.record
from hunter import Q
from hunter._engine import _speedups
from hunter.record import RecordedEvent, writer
from hunter.record.format import MAX_CALLERS, escape
from hunter.util import MISSING


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """test_recording's program: calls of every shape (generators, exceptions, async, threads)."""
    with imported_program(tmp_path_factory.mktemp("recorded"), APP, APP_SOURCE) as module:
        yield module


def recorded(app: Any, path: Path, raw: bool, **options: Any) -> tuple[dict[str, list[Any]], list[str], Any]:
    """Record app.main() on one path: its events per thread (times left out), its code entries, and the plan."""
    hunter._engine._recording.enabled = raw
    try:
        tracer = hunter.trace(Q(module=APP), record=str(path), **options)
        plan = tracer._context.recording if tracer._context is not None else None
        try:
            result = app.main()
        finally:
            tracer.stop()
    finally:
        hunter._engine._recording.enabled = True
    assert result == ("bad value", [1, 2, 3])
    threads: dict[str, list[Any]] = {}
    for event in hunter.record.read(path):
        fields = [
            event.kind,
            event.function,
            event.module,
            event.lineno,
            event.depth,
            event.stdlib,
            event.instruction,
            event.arg,
            event.locals,
        ]
        # (A generator expression's argument is an iterator, shown with its address.)
        shown = json.loads(re.sub(r"0x[0-9a-f]+", "0x?", json.dumps(fields)))
        threads.setdefault(event.threadname, []).append(shown)
    codes = sorted(line.split(",", 2)[2] for line in path.read_text().splitlines() if line.startswith('["c",'))
    return threads, codes, plan


OPTIONS = {
    "values": {},
    "no-values": {"record_values": False},
    "lines": {"record_lines": True},
}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
@pytest.mark.parametrize("options", sorted(OPTIONS))
def test_a_recording_on_the_raw_path_writes_what_events_write(
    app: Any, tmp_path: Path, options: str, compiled: bool
) -> None:
    """Both raw paths (hunter._speedups' compiled callbacks and lines, and the Python steps) write what events do."""
    by_events, codes, plan = recorded(app, tmp_path / "events.hunt", False, **OPTIONS[options])
    before = _speedups.compiled
    _speedups.use(compiled)
    try:
        by_records, raw_codes, raw_plan = recorded(app, tmp_path / "raw.hunt", True, **OPTIONS[options])
    finally:
        _speedups.compiled = before
    assert plan is None
    assert raw_plan is not None
    assert by_records == by_events
    assert raw_codes == codes  # every code entry once, the same
    main = by_records["MainThread"]
    assert main[0][:2] == ["call", "main"]
    assert {name for name in by_records if name.startswith("worker")} == {"worker-0", "worker-1"}
    assert sum(len(events) for events in by_records.values()) > 200
    assert any(event[0] == "line" for event in main) is (options == "lines")


def test_detached_backlogged_and_recorded_events_are_one_type(tmp_path: Path) -> None:
    """``event.detach()``, Backlog's stored events and a recording's events: all RecordedEvents, saying when and where
    they happened; copying one again keeps its values' texts (a value_filter doesn't run twice)."""
    detached: list[Any] = []
    printed = io.StringIO()
    backlog = hunter.Backlog(Q(function="never"), size=5, strip=False, action=hunter.CallPrinter(stream=printed))

    def keep(event: Any) -> None:
        detached.append(event.detach(repr))

    def step(value: Any) -> Any:
        return value

    path = tmp_path / "one.hunt"
    with hunter.trace(function="step", actions=[keep, backlog], record=str(path)):
        step([1, "two"])
    recorded = list(hunter.record.read(path))
    stored = list(backlog.queue)
    for events in (detached, stored, recorded):
        assert [type(event) for event in events] == [RecordedEvent, RecordedEvent]
        assert [(event.kind, event.function, event.detached) for event in events] == [
            ("call", "step", True),
            ("return", "step", True),
        ]
        assert all(event.pid == os.getpid() and event.time_ns > 0 for event in events)
    assert detached[1].arg == recorded[1].arg == "[1, 'two']"
    assert detached[0].frame is None and stored[0].frame is not None  # (Backlog makes up callers from it)
    again = recorded[1].detach(repr)
    assert (type(again), again.arg) == (RecordedEvent, "[1, 'two']")
    assert recorded[1].detach().arg is None


def work(n: int) -> int:
    return n + 1


def renaming() -> None:
    work(1)
    threading.current_thread().name = "renamed"
    work(2)


@pytest.mark.parametrize("raw", [True, False], ids=["raw-records", "events"])
def test_a_thread_renamed_while_recorded_shows_its_new_name_from_its_next_call(tmp_path: Path, raw: bool) -> None:
    path = tmp_path / "renamed.hunt"
    hunter._engine._recording.enabled = raw
    try:
        tracer = hunter.trace(function_in=("work", "renaming"), record=str(path), threading_support=True)
        context = tracer._context  # (a stopped tracer lets go of it)
        try:
            thread = threading.Thread(target=renaming, name="before")
            thread.start()
            thread.join()
        finally:
            tracer.stop()
    finally:
        hunter._engine._recording.enabled = True
    assert (context.recording is not None) is raw  # type: ignore[union-attr]
    assert [(event.kind, event.function, event.threadname) for event in hunter.record.read(path)] == [
        ("call", "renaming", "before"),
        ("call", "work", "before"),
        ("return", "work", "before"),
        ("call", "work", "renamed"),
        ("return", "work", "renamed"),
        ("return", "renaming", "renamed"),
    ]


class Plain:
    def __repr__(self) -> str:
        raise RuntimeError("never called")


class Color(enum.Enum):
    RED = 1


class Abstract(abc.ABC):  # noqa: B024  (a class of another metaclass)
    pass


def values() -> list[object]:
    """Made in the test: a module global too big to print would fail a detach(repr) of this module's globals."""
    return [
        'it\'s "quoted"\n',
        {"a": "it's", "b": "\u00e9\u2028x", 1: b"\x00", 2.5: None},
        [1.5, float("nan"), True, None, b"x", 10**20, -0.0],
        (1,),
        ("a" * 3000,),
        {"k": "v" * 5000},
        [[1], {"a": (2,)}],
        [10**5000],  # (too big to print on 3.11+: the text says the repr failed, the program goes on)
        1.2345678901234567e-300,
        float("-inf"),
        Plain(),
        Color.RED,
        Abstract(),
        ValueError("bad", 1),
        bytearray(b"x"),
        MISSING,
        Plain,
        [Plain(), Color.RED],
    ]


@pytest.mark.parametrize("index", range(len(values())))
def test_a_recorded_value_is_its_safe_repr_as_json(index: int) -> None:
    """The recorder's fast paths for strings and flat containers write what value_text (safe_repr) gives."""
    value = values()[index]
    for limit in (1024, 20, 8):
        text = writer._json_text_at(limit, {})(value)
        assert text == escape(writer.value_text(value, limit))
        assert json.loads(text) == writer.value_text(value, limit)


def _entry_fields(code: Any, filename: str, module: str, stdlib: bool) -> list[Any]:
    """What a code entry holds, as the format documents it (docs/recording.md)."""
    flags = code.co_flags & writer.PARAMETER_FLAGS
    count = code.co_argcount + code.co_kwonlyargcount + bool(flags & 0x04) + bool(flags & 0x08)
    fields = [
        *("c", 7, filename, module, code.co_name, code.co_firstlineno, stdlib, False),
        *(code.co_argcount, code.co_kwonlyargcount, flags, list(code.co_varnames[:count])),
    ]
    qualname = getattr(code, "co_qualname", code.co_name)
    if code.co_filename != filename or qualname != code.co_name:
        fields.append(code.co_filename)
    if qualname != code.co_name:
        fields.append(qualname)
    return fields


@pytest.mark.parametrize("filename", ["/app/plain.py", '/tmp/"quoted" \\ dir/ünï\u2603.py', "<string>"])
def test_a_code_entry_is_the_json_of_its_fields(filename: str) -> None:
    """Code entries are formatted by hand (one per code object a recording meets): the JSON an encoder writes."""

    class Konto:
        def überweisen(self, betrag: int, *rest: Any, zweck: str = "", **mehr: Any) -> None:
            """A method: a qualified name; non-ASCII names; every kind of parameter."""

    def plain() -> None:
        """No parameters."""

    source = "def f(a, b):\n    return a\n"
    compiled = compile(source, filename, "exec").co_consts[0]
    for code in (Konto.überweisen.__code__, plain.__code__, compiled):
        for module, stdlib in (("app.módulo", False), ("?", True)):
            line = writer._python_code_line(7, filename=filename, module=module, stdlib=stdlib, code=code)
            fields = _entry_fields(code, filename, module, stdlib)
            assert line == json.dumps(fields, ensure_ascii=True, separators=(",", ":")) + "\n"


def test_a_code_met_by_two_threads_at_once_gets_one_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two threads may both miss a code in the table before either takes the lock: the second to get the lock
    finds the first's entry (one ``c`` entry per code object, not one per thread)."""
    original = writer.Recorder._new_code

    def raced(self: Any, event: Any, code: Any, table: Any) -> Any:
        original(self, event, code, table)  # another thread adds the entry between this one's look and its lock
        return original(self, event, code, table)

    monkeypatch.setattr(writer.Recorder, "_new_code", raced)
    path = tmp_path / "raced.hunt"
    hunter._engine._recording.enabled = False
    try:
        with hunter.trace(function="work", kind_in=("call", "return"), record=str(path)):
            work(2)
    finally:
        hunter._engine._recording.enabled = True
    entries = [line for line in path.read_text().splitlines() if line.startswith('["c",') and '"work"' in line]
    assert len(entries) == 1, entries
    assert [(event.kind, event.function, event.arg) for event in hunter.record.read(path)] == [
        ("call", "work", None),
        ("return", "work", "3"),
    ]


def test_a_raw_return_of_a_frame_an_event_put_among_the_recorded_calls(tmp_path: Path) -> None:
    """An event of a frame whose call wasn't recorded (an exception, on the normal path) puts the frame among the
    thread's recorded calls, without a raw site: its raw return finds its code's site then."""
    recorder = writer.Recorder(tmp_path / "run.hunt", values=False)
    recorder.open()
    try:
        state = recorder._new_thread(recorder._table)
        frame = sys._getframe()
        state.frames.append((frame, 1, None))
        text = recorder.returned(frame, None)
    finally:
        recorder.close()
    depth, ref, _line, normal = text.split(",")
    assert (depth, normal) == ("0", "0")
    assert state.frames == []
    entries = [json.loads(line) for line in (tmp_path / "run.hunt").read_text().splitlines()[1:]]
    assert ["c", int(ref), __file__] in [entry[:3] for entry in entries]


# -- calls with no recorded call on their chain: the compiled path walks their callers as the Python one does --------


def callback(value: Any) -> Any:
    return value


def far_below(levels: int) -> Any:
    # (deeper than a callers record lists: its list is cut, and is no thread's top)
    return far_below(levels - 1) if levels else callback(levels)


def numbers(count: int) -> Any:
    yield from range(count)


def looping(count: int) -> int:
    total = 0
    for number in numbers(count):  # (its end is no exception the program sees: none is recorded)
        total += number
    try:
        raise KeyError(count)  # (one it sees: recorded)
    except KeyError:
        return total


async def resumed(times: int) -> int:
    for _ in range(times):
        await asyncio.sleep(0)  # (each resumption comes from the event loop: the same callers as the last one)
    return times


def unrecorded_caller() -> list[Any]:
    results: list[Any] = [sorted([3, 1, 2], key=callback), callback("direct")]
    results.append(asyncio.run(resumed(4)))
    results.append(far_below(MAX_CALLERS + 5))
    results += [looping(count) for count in (3, 300)]
    worker = threading.Thread(target=callback, args=("thread",), name="worker")  # (called by threading's frames)
    worker.start()
    worker.join()
    return results


def recorded_lines(path: Path, compiled: bool, **options: Any) -> list[Any]:
    """unrecorded_caller()'s recording of callback, resumed and far_below's innermost call, times left out."""
    before = _speedups.compiled
    _speedups.use(compiled)
    try:
        selection = Q(module=__name__, function_in=("callback", "resumed", "looping"))
        with hunter.trace(selection, record=str(path), **options):
            unrecorded_caller()
    finally:
        _speedups.compiled = before
    # (a traceback's address differs from run to run)
    lines = [json.loads(re.sub(r"0x[0-9a-f]+", "0x?", line)) for line in path.read_text().splitlines()[1:]]
    untimed = [[line[0], *line[2:]] if line[0] in (0, 1, 2, 3, "k", "end") else line for line in lines]
    # (a thread's entry without its ids: each run has a new thread)
    return [line[:2] + line[3:4] if line[0] == "t" else line for line in untimed]


@pytest.mark.parametrize("options", sorted(OPTIONS))
def test_calls_with_no_recorded_caller_are_recorded_alike_on_both_raw_paths(tmp_path: Path, options: str) -> None:
    """A call from code the recording leaves out, with no recorded call running (a callback from C, an event loop's
    resumption, a thread's first call, one below more callers than a record lists): the same records, callers
    records and depths, compiled or not."""
    if _speedups.compiled is None or not _speedups.compiled.RAW_CALLBACKS:
        pytest.skip("no compiled raw callbacks on this Python")
    # (both from one line: this frame is among the callers recorded)
    compiled, python = (recorded_lines(tmp_path / f"{on}.hunt", on, **OPTIONS[options]) for on in (True, False))
    assert compiled == python
    callers = [line for line in compiled if line[0] == "k"]
    assert len(callers) > 8
    # (["k", thread, 1: up to the thread's first frame, [[code, line], ...], how many outer ones the last one had])
    assert any(line[2:4] == [1, []] and line[4] >= 6 for line in callers)  # (an event loop's callers, by their number)
    assert any(len(line[3]) == MAX_CALLERS and line[4] == 0 for line in callers)  # (the cut list)
    # ([3, thread, depth, code ref, line, (values) text]: looping's exceptions are its KeyErrors, not its loops' ends)
    looping_refs = {line[1] for line in compiled if line[0] == "c" and line[4] == "looping"}
    raised = [line for line in compiled if line[0] == 3 and line[3] in looping_refs]
    assert len(raised) == 2
    assert options == "no-values" or all("KeyError" in line[5] for line in raised)
