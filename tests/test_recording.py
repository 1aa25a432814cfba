"""Raw recording (hunter/_recording.py): a static filter feeding ChromeTrace writes the timeline events would write."""

from __future__ import annotations

import io
import json
import re
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from helpers import imported_program
from test_exporters import check_timeline, load_strict

import hunter
import hunter._engine._recording
from hunter import Q, When
from hunter._engine._recording import recording_for
from hunter.exporters import ChromeTrace, JSONLines

APP = "recorded_app"

#: Calls of every shape: arguments and return values, generators (resumed, closed, thrown into), exceptions caught
#: at once or after unwinding through a ``finally`` that calls, recursion, a mutable value changed after it is
#: returned (its value is the one at the return), and threads.
APP_SOURCE = """
import asyncio
import threading

class Evil:
    def __repr__(self):
        raise RuntimeError("no repr")

def leaf(x, *rest, **options):
    return x * 2

def returns_list(items):
    return items

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def gen(n):
    for i in range(n):
        yield leaf(i)
    return "done"

def fails(depth):
    if depth:
        return fails(depth - 1)
    raise ValueError("bad value")

def cleanup():
    return leaf(21)

def unwinds():
    try:
        fails(2)
    finally:
        cleanup()

def catches():
    try:
        unwinds()
    except ValueError as exc:
        return str(exc)

def thrown():
    try:
        yield 1
    except KeyError:
        yield 2

def worker(n):
    return sum(leaf(i) for i in range(n))

def swallow_exit():
    try:
        yield 1
    except GeneratorExit:
        return

def finally_gen():
    try:
        yield 1
        yield 2
    finally:
        cleanup()

def delegating():
    result = yield from gen(2)
    return result

def uncaught_throw():
    yield 1

async def sleeper(n):
    await asyncio.sleep(0)
    return leaf(n)

async def failing_coro():
    await asyncio.sleep(0)
    raise KeyError("coro")

async def agen():
    for i in range(2):
        yield leaf(i)

async def amain():
    values = await asyncio.gather(sleeper(1), sleeper(2))
    try:
        await failing_coro()
    except KeyError:
        pass
    async for value in agen():
        values.append(value)
    return values

class Managed:
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return True

def with_blocks():
    with Managed():
        fails(0)
    return [leaf(i) for i in range(2)]

def extras():
    s = swallow_exit(); next(s); s.close()
    f = finally_gen(); next(f); f.close()
    list(delegating())
    u = uncaught_throw(); next(u)
    try:
        u.throw(ValueError("thrown"))
    except ValueError:
        pass
    lam = (lambda x: leaf(x))(3)
    with_blocks()
    asyncio.run(amain())
    return lam


def main():
    leaf(1, 2, 3, key=Evil())
    extras()
    items = returns_list([1, 2])
    items.append(3)
    fib(5)
    for _ in gen(2):
        pass
    closed = gen(5)
    next(closed)
    closed.close()
    throwing = thrown()
    next(throwing)
    throwing.throw(KeyError("k"))
    threads = [threading.Thread(target=worker, args=(3,), name=f"worker-{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return catches(), items
"""


class CountingChrome(ChromeTrace):
    """ChromeTrace counting the events it records (the raw path hands it none but exceptions).

    (Line events are left out: it drops them. Under sys.monitoring the raw path still has them delivered where the
    filter takes them, since LINE instrumentation changes how the code runs: see hunter._engine._recording.code_judge.)
    """

    events = 0

    def __call__(self, event: Any) -> None:
        if event.kind != "line":
            self.events += 1
        super().__call__(event)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with imported_program(tmp_path_factory.mktemp("recorded"), APP, APP_SOURCE) as module:
        yield module


def record(
    app: Any, path: Path, raw: bool, args: bool, predicate: Any, batch: int = 256
) -> tuple[dict[str, list[Any]], int, Any]:
    """Trace app.main() on one path; the timeline's events per thread name (without times and ids)."""
    hunter._engine._recording.enabled = raw
    try:
        exporter = CountingChrome(str(path), args=args, batch=batch)
        tracer = hunter.trace(predicate, action=exporter)
        taken = tracer._context.recording if tracer._context is not None else None
        try:
            result = app.main()
        finally:
            tracer.stop()
        exporter.close()
    finally:
        hunter._engine._recording.enabled = True
    assert result == ("bad value", [1, 2, 3])
    events = load_strict(path)
    roots = check_timeline(events)
    names = {event["tid"]: event["args"]["name"] for event in events if event["name"] == "thread_name"}
    threads: dict[str, list[Any]] = {}
    for (_pid, tid), nodes in roots.items():
        # The calls in the order they began, with what their beginning, end and instants say (how a call is written,
        # X or B/E, depends on when lines were written out: the same calls, values and nesting either way).
        threads[names[tid]] = [json.loads(re.sub(r"0x[0-9a-f]+", "0x?", json.dumps(call))) for call in _calls(nodes)]
    return threads, exporter.events, taken


def _calls(nodes: list[Any], depth: int = 0) -> list[dict[str, Any]]:
    """Each call of a forest (check_timeline's nodes) in the order they began: its name, category, args and depth."""
    calls = []
    for node in nodes:
        instants = [{"name": event["name"], "args": event.get("args")} for event in node.instants]
        calls.append(
            {
                "name": node.name,
                "cat": node.begin.get("cat"),
                "args": node.begin.get("args", {}),
                "end": node.end.get("args", {}),
                "depth": depth,
                "instants": instants,
            }
        )
        calls.extend(_calls(node.children, depth + 1))
    return calls


STATIC = {
    "module": Q(module=APP, kind_in=("call", "return", "exception")),
    "module, every kind": Q(module=APP),
    "a tree": Q(module=APP, function_in=("main", "leaf", "fib", "gen", "worker")) | (Q(module=APP) & ~Q(kind="line")),
}


@pytest.mark.parametrize("args", [True, False], ids=["args", "no-args"])
@pytest.mark.parametrize("query", sorted(STATIC))
def test_a_static_filter_records_raw_and_writes_what_events_write(
    app: Any, tmp_path: Path, query: str, args: bool
) -> None:
    by_events, events_seen, plan = record(app, tmp_path / "events.json", False, args, STATIC[query])
    by_records, raw_events_seen, raw_plan = record(app, tmp_path / "raw.json", True, args, STATIC[query])
    assert by_records == by_events
    # Really taken: without it no plan; with it, only exceptions (the instant events) reached the exporter as events.
    assert plan is None
    assert raw_plan is not None
    exceptions = sum(len(call["instants"]) for calls in by_records.values() for call in calls)
    assert exceptions >= 5  # fails() x3, unwinds(), catches()
    assert raw_events_seen == exceptions
    assert events_seen > 100
    main = by_records["MainThread"]
    assert main[0]["name"] == "main"
    if args:
        # Arguments and values as events show them: taken when the call happens / the value is returned.
        ended = next(call for call in main if "options" in call["end"])
        assert ended["end"]["options"] == "{'key': <recorded_app.Evil object at 0x?>}"  # (no user __repr__ runs)
        returned = next(call for call in main if call["name"] == "returns_list")
        assert returned["end"] == {"items": "[1, 2]", "return": "[1, 2]"}
        assert any(call["end"] == {"exception": "ValueError('bad value')"} for call in main)
    else:
        assert all(set(call["args"]) <= {"location", "builtin"} and not call["end"] for call in main)
    assert {name for name in by_records if name.startswith("worker")} == {"worker-0", "worker-1"}


@pytest.mark.parametrize("batch", [256, 1], ids=["batches", "every line"])
@pytest.mark.parametrize("args", [True, False], ids=["args", "no-args"])
def test_code_decided_per_event_keeps_its_place_among_raw_records(
    app: Any, tmp_path: Path, args: bool, batch: int
) -> None:
    # leaf() and fib() are certain (raw); the others depend on each event (depth): events, in between raw records.
    # Written out at every line (batch=1), the calls open then (raw and not) get their B first, in their order.
    mixed = Q(module=APP, function_in=("leaf", "fib"), kind_in=("call", "return")) | Q(module=APP, depth_lt=1000)
    by_events, events_seen, _ = record(app, tmp_path / "events.json", False, args, mixed, batch)
    by_records, raw_events_seen, plan = record(app, tmp_path / "raw.json", True, args, mixed, batch)
    assert plan is not None
    assert by_records == by_events
    assert 0 < raw_events_seen < events_seen


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(Q(module=APP, kind="call"), id="calls without returns"),
        pytest.param(Q(module=APP, depth_lt=1000), id="decided per event"),
    ],
)
def test_trees_without_certain_calls_and_returns_take_events(app: Any, tmp_path: Path, query: Any) -> None:
    by_events, events_seen, _ = record(app, tmp_path / "events.json", False, True, query)
    by_records, raw_events_seen, _ = record(app, tmp_path / "raw.json", True, True, query)
    assert by_records == by_events
    # (Fewer with a plan: line events, which the filter decides without side effects and ChromeTrace drops.)
    assert 0 < raw_events_seen <= events_seen


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "events"])
def test_calls_recorded_raw_are_counted(app: Any, tmp_path: Path, raw: bool) -> None:
    # (One thread: the count isn't exact while threads race to increment it, on either path.)
    hunter._engine._recording.enabled = raw
    try:
        with ChromeTrace(str(tmp_path / "out.json")) as exporter:
            tracer = hunter.trace(module=APP, kind_in=("call", "return"), action=exporter)
            context = tracer._context  # (a stopped tracer lets go of it)
            try:
                app.fib(5)
                list(app.gen(3))
            finally:
                tracer.stop()
    finally:
        hunter._engine._recording.enabled = True
    assert (context.recording is not None) is raw  # type: ignore[union-attr]
    assert tracer.calls == 15 + 4 + 3  # fib(5): 15 calls; gen(3): started and resumed 3 times; leaf() 3 times


def test_which_trees_are_recognised(tmp_path: Path) -> None:
    chrome = ChromeTrace(str(tmp_path / "out.json"))
    static = Q(module="app")
    assert recording_for(When(static, chrome), profiling=False) is not None
    assert recording_for(When(static, chrome), profiling=True) is None  # C functions: events
    assert recording_for(When(static, chrome, chrome), profiling=False) is None
    assert recording_for(When(static, JSONLines(str(tmp_path / "out.jsonl"))), profiling=False) is None
    assert recording_for(When(Q(calls_lt=10), chrome), profiling=False) is None  # raw calls aren't counted for it
    assert recording_for(static & When(static, chrome), profiling=False) is None
    chrome.close()
    assert recording_for(When(static, chrome), profiling=False) is None
    with ChromeTrace(str(tmp_path / "tasks.json"), asyncio=True) as per_task:
        assert recording_for(When(static, per_task), profiling=False) is None  # tracks per task: events decide


class FailingFile(io.RawIOBase):
    """A file whose writes fail once the header is written (a full disk)."""

    def __init__(self) -> None:
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.writes += 1
        if self.writes > 1:
            raise OSError(28, "No space left on device")
        return len(data)


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "events"])
def test_a_failing_file_stops_tracing_with_one_message_and_the_program_goes_on(
    app: Any, capsys: pytest.CaptureFixture[str], raw: bool
) -> None:
    hunter._engine._recording.enabled = raw
    try:
        exporter = ChromeTrace(FailingFile(), batch=1)
        tracer = hunter.trace(module=APP, kind_in=("call", "return"), action=exporter)
        try:
            assert app.main() == ("bad value", [1, 2, 3])
        finally:
            tracer.stop()
    finally:
        hunter._engine._recording.enabled = True
    err = capsys.readouterr().err
    assert err.count("hunter: tracing stopped: cannot write the timeline") == 1, err
    assert "No space left on device" in err
    assert tracer.handler is None


def test_cli_timelines_take_the_raw_path(tmp_path: Path) -> None:
    # `hunter --format chrome` makes When(Query(kind_in=...), ChromeTrace(...)): recognised.
    script = tmp_path / "prog.py"
    script.write_text(
        textwrap.dedent(
            """
            import hunter
            print(hunter._last_tracer._context.recording is not None)
            """
        )
    )
    from helpers import describe, run_python

    result = run_python(["-m", "hunter", "--format", "chrome", "-o", str(tmp_path / "out.json"), str(script)])
    assert result.returncode == 0, describe(result)
    assert result.stdout.splitlines()[0] == "True", describe(result)


class _RacingChrome(CountingChrome):
    """While the backend describes a code object for raw records, another thread runs that code (once)."""

    raced = False

    def describe(self, code: Any, module: str, filename: str) -> Any:
        if not self.raced and code.co_name == "leaf":
            self.raced = True
            # (a thread started while tracing is traced, on settrace too)
            other = threading.Thread(target=self.run_leaf)
            other.start()
            other.join()
        return super().describe(code, module, filename)

    def run_leaf(self) -> None:
        self.leaf(5)


def test_a_code_object_is_seen_by_other_threads_only_once_its_record_is_whole(app: Any, tmp_path: Path) -> None:
    # The settrace backend published a code's record before it held its raw site and local trace function: a
    # thread running the code meanwhile took the event path for its calls (and could find no emitter at all).
    exporter = _RacingChrome(str(tmp_path / "out.json"), args=False)
    exporter.leaf = app.leaf  # type: ignore[attr-defined]
    tracer = hunter.trace(module=APP, kind_in=("call", "return", "exception"), action=exporter)
    context = tracer._context  # (a stopped tracer lets go of it)
    try:
        app.leaf(1)
    finally:
        tracer.stop()
    exporter.close()
    assert exporter.raced
    assert context is not None and context.recording is not None  # (the raw path was taken)
    assert exporter.events == 0  # every call and return of leaf, in both threads, as raw records
    names = [event["name"] for event in load_strict(tmp_path / "out.json") if event.get("ph") in ("B", "X")]
    assert names == ["leaf", "leaf"]
