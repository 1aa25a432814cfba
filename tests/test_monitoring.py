"""The sys.monitoring backend: choice and errors, tool ids, pruning, neighbours, restarts, leaks, threads, failures."""

from __future__ import annotations

import gc
import io
import sys
import textwrap
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import describe, normalize, run_python
from programs import load

import hunter
from hunter import CallPrinter, Q, Tracer
from hunter.backends import BackendError

HAS_MONITORING = hasattr(sys, "monitoring")
needs_monitoring = pytest.mark.skipif(not HAS_MONITORING, reason="sys.monitoring exists from Python 3.12 on")

#: PEP 669's conventional owners: hunter must never take these.
RESERVED_IDS = (0, 1, 2, 5)

MODULE = """
def leaf(x):
    y = x + 1
    return y

def branch(n):
    total = 0
    for i in range(n):
        total += leaf(i)
    return total

def boom():
    raise ValueError("no")

def catch():
    try:
        boom()
    except ValueError:
        return "caught"
"""


@pytest.fixture
def mod() -> Any:
    """A small traced module, compiled fresh for each test."""
    return load("monmod", MODULE)


@pytest.fixture
def other() -> Any:
    """A second module, which queries about ``monmod`` must leave alone."""
    return load("monother", MODULE)


def trace_monitoring(*predicates: Any, **options: Any) -> Tracer:
    """hunter.trace() forced onto the monitoring backend."""
    return hunter.trace(*predicates, backend="monitoring", **options)


def running_backend(tracer: Tracer) -> Any:
    """The MonitoringBackend instance behind a running tracer."""
    backend = tracer._backend
    assert backend is not None and backend.name == "monitoring"
    return backend


@pytest.fixture
def count_callbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count every sys.monitoring callback the backend receives (each one starts with a per-code lookup).

    The counting happens inside the callbacks (the records' ``get`` counts), so the frame they report is the
    instrumented one, as without counting.
    """
    from hunter.backends.monitoring import _callbacks

    counter = [0]
    original = _callbacks.Wiring.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        lookup = self.info_of

        def counting(key: int) -> Any:
            counter[0] += 1
            return lookup(key)

        self.info_of = counting

    monkeypatch.setattr(_callbacks.Wiring, "__init__", init)
    yield counter


# -- choice and errors ---------------------------------------------------------------------------------------


@pytest.mark.skipif(HAS_MONITORING, reason="this Python has sys.monitoring")
def test_monitoring_before_312_is_a_clear_error() -> None:
    with pytest.raises(BackendError, match=r"needs sys.monitoring \(Python 3.12\+\).*backend='settrace'"):
        hunter.trace(backend="monitoring")
    with pytest.raises(BackendError, match=r"3\.12"):
        Tracer(backend="monitoring")
    assert Tracer().backend == "settrace"
    assert "3.12" in Tracer().backend_reason


@pytest.mark.skipif(HAS_MONITORING, reason="this Python has sys.monitoring")
def test_monitoring_before_312_from_the_environment_says_why() -> None:
    result = run_python(
        "print('ran')",
        env={"PYTHONHUNTER": 'module="x"', "PYTHONHUNTERCONFIG": 'backend="monitoring"'},
        backend=False,
    )
    assert result.stdout == "ran\n", describe(result)
    assert "Python 3.12+" in result.stderr, describe(result)


@needs_monitoring
def test_monitoring_is_the_default_on_312_and_says_why() -> None:
    tracer = Tracer()
    assert tracer.backend == "monitoring"
    assert "3.12" in tracer.backend_reason
    forced = Tracer(backend="settrace")
    assert (forced.backend, forced.backend_reason) == ("settrace", "requested")


def test_unknown_backend_is_an_error() -> None:
    with pytest.raises(BackendError, match="Unknown backend 'fast'"):
        hunter.trace(backend="fast")


# -- tool ids --------------------------------------------------------------------------------------------------


@needs_monitoring
def test_takes_tool_id_3_and_frees_it_with_nothing_left_enabled(mod: Any) -> None:
    before = {tool: sys.monitoring.get_tool(tool) for tool in RESERVED_IDS}
    tracer = trace_monitoring(module="monmod", action=CallPrinter(stream=io.StringIO()))
    try:
        assert sys.monitoring.get_tool(3) == "hunter"
        assert sys.monitoring.get_events(3) != 0
        mod.branch(2)
        assert sys.monitoring.get_local_events(3, mod.leaf.__code__) != 0
        assert {tool: sys.monitoring.get_tool(tool) for tool in RESERVED_IDS} == before
    finally:
        tracer.stop()
    assert sys.monitoring.get_tool(3) is None
    assert sys.monitoring.get_events(3) == 0
    assert sys.monitoring.get_local_events(3, mod.leaf.__code__) == 0
    assert sys.monitoring.get_local_events(3, mod.branch.__code__) == 0


@needs_monitoring
def test_takes_tool_id_4_when_3_is_used(mod: Any) -> None:
    sys.monitoring.use_tool_id(3, "someone else")
    try:
        with trace_monitoring(module="monmod", action=CallPrinter(stream=io.StringIO())):
            assert sys.monitoring.get_tool(4) == "hunter"
            mod.leaf(1)
        assert sys.monitoring.get_tool(4) is None
        assert sys.monitoring.get_tool(3) == "someone else"
    finally:
        sys.monitoring.free_tool_id(3)


@needs_monitoring
def test_no_free_tool_id_is_a_clear_error_and_the_tracer_stays_stopped() -> None:
    sys.monitoring.use_tool_id(3, "tool three")
    sys.monitoring.use_tool_id(4, "tool four")
    try:
        tracer = Tracer(backend="monitoring")
        with pytest.raises(BackendError, match=r"No sys\.monitoring tool id is free.*'tool three'.*'tool four'"):
            tracer.trace(Q(module="monmod"))
        assert tracer.handler is None
        assert "stopped" in repr(tracer)
        assert (sys.monitoring.get_tool(3), sys.monitoring.get_tool(4)) == ("tool three", "tool four")
    finally:
        sys.monitoring.free_tool_id(3)
        sys.monitoring.free_tool_id(4)


# -- frames -----------------------------------------------------------------------------------------------------

FRAMES = """
def gen():
    try:
        yield 1
    except KeyError:
        yield 2

def delegate():
    yield from gen()

def raiser():
    raise KeyError("k")

def unwinds():
    raiser()

def run():
    g = delegate()
    next(g)
    g.throw(KeyError)
    try:
        unwinds()
    except KeyError:
        pass
    for _ in gen():
        pass
    return len("abc")
"""


@needs_monitoring
@pytest.mark.parametrize("profile", [False, True], ids=["trace", "profile"])
def test_every_event_carries_the_frame_of_the_code_it_reports(profile: bool) -> None:
    frames = load("monframes", FRAMES)
    seen: list[tuple[str, str, str, bool]] = []

    def record(event: Any) -> None:
        seen.append((event.kind, event.function, event.frame.f_code.co_name, event.builtin))

    # filename, not module: a builtin's module is its own ("builtins"), its file the caller's.
    with trace_monitoring(filename="monframes.py", action=record, profile=profile):
        frames.run()
    assert seen
    kinds = {kind for kind, *_ in seen}
    assert kinds == ({"call", "return"} if profile else {"call", "line", "return", "exception"})
    for kind, function, code_name, builtin in seen:
        if builtin:
            assert function in ("next", "throw", "len") and code_name == "run", (kind, function, code_name)
        else:
            assert function == code_name, (kind, function, code_name)
    # generator.throw() is a call of the generator (PY_THROW), the exception then shows in it and in delegate
    assert ("call", "gen", "gen", False) in seen
    if not profile:
        assert ("exception", "raiser", "raiser", False) in seen
        assert ("exception", "unwinds", "unwinds", False) in seen
        assert ("return", "unwinds", "unwinds", False) in seen  # PY_UNWIND: a return with None
    else:
        assert ("call", "len", "run", True) in seen


@needs_monitoring
def test_stop_copes_with_a_tool_id_freed_behind_its_back(mod: Any) -> None:
    tracer = trace_monitoring(module="monmod", action=CallPrinter(stream=io.StringIO()))
    mod.leaf(1)
    sys.monitoring.set_events(3, 0)
    sys.monitoring.free_tool_id(3)  # a misbehaving neighbour
    sys.monitoring.use_tool_id(3, "squatter")
    sys.monitoring.register_callback(3, sys.monitoring.events.RAISE, print)
    try:
        tracer.stop()  # must not raise, nor touch the squatter's id
        assert sys.monitoring.get_tool(3) == "squatter"
        # ...but our callbacks are gone from it: the stopped tracer hears nothing more.
        assert sys.monitoring.register_callback(3, sys.monitoring.events.LINE, None) is None
        assert sys.monitoring.register_callback(3, sys.monitoring.events.PY_START, None) is None
        assert sys.monitoring.register_callback(3, sys.monitoring.events.RAISE, None) is print  # theirs stays
    finally:
        sys.monitoring.free_tool_id(3)


# -- pruning ---------------------------------------------------------------------------------------------------


@needs_monitoring
def test_code_that_cannot_match_gets_no_local_events(mod: Any, other: Any) -> None:
    with trace_monitoring(module="monmod", kind="call", action=CallPrinter(stream=io.StringIO())):
        mod.branch(2)
        other.branch(2)
        assert sys.monitoring.get_local_events(3, other.leaf.__code__) == 0
        assert sys.monitoring.get_local_events(3, other.branch.__code__) == 0
        # kind="call": returns, lines and exceptions can't match anywhere, even in monmod.
        assert sys.monitoring.get_local_events(3, mod.leaf.__code__) == 0
        events = sys.monitoring.get_events(3)
        assert not events & sys.monitoring.events.RAISE
        # 3.14+ listens to PY_UNWIND whatever the query: without a listener, closing a generator early throws
        # nothing into it (no call, no GeneratorExit), where settrace sees both.
        assert bool(events & sys.monitoring.events.PY_UNWIND) == (sys.version_info >= (3, 14))
        assert not events & sys.monitoring.events.LINE


@needs_monitoring
def test_local_events_follow_the_kinds_the_query_allows(mod: Any) -> None:
    events = sys.monitoring.events
    with trace_monitoring(module="monmod", kind="line", action=CallPrinter(stream=io.StringIO())):
        mod.leaf(1)
        assert sys.monitoring.get_local_events(3, mod.leaf.__code__) & events.LINE
        assert not sys.monitoring.get_local_events(3, mod.leaf.__code__) & events.PY_RETURN
        assert not sys.monitoring.get_events(3) & events.RAISE
    with trace_monitoring(module="monmod", kind="return", action=CallPrinter(stream=io.StringIO())):
        mod.leaf(1)
        local = sys.monitoring.get_local_events(3, mod.leaf.__code__)
        assert local & events.PY_RETURN and not local & events.JUMP
        assert sys.monitoring.get_events(3) & events.PY_UNWIND  # an exception leaving a frame is a return


@needs_monitoring
def test_exception_queries_switch_on_no_line_events(mod: Any, count_callbacks: list[int]) -> None:
    # settrace reports no StopIteration at the end of a specialised for loop over a generator; that was once
    # matched by turning LINE on wherever exceptions could match, which cost a callback per line.
    events = sys.monitoring.events
    stream = io.StringIO()
    with trace_monitoring(module="monmod", kind="exception", action=CallPrinter(stream=stream)):
        mod.catch()
        local = sys.monitoring.get_local_events(3, mod.boom.__code__)
        assert local & events.STOP_ITERATION
        assert not local & (events.LINE | events.JUMP)
        before = count_callbacks[0]
        mod.branch(300)  # a loop of 300 lines: no callback for any of them
        assert count_callbacks[0] - before < 10
    lines = stream.getvalue().splitlines()
    assert (
        len(lines) == 2 and "! boom: (<class 'ValueError'>" in lines[0] and "! catch: (<class 'ValueError'>" in lines[1]
    )


@needs_monitoring
def test_calls_that_cannot_match_are_disabled_after_the_first(mod: Any, count_callbacks: list[int]) -> None:
    with trace_monitoring(module="nothing-matches", action=CallPrinter(stream=io.StringIO())):
        mod.leaf(0)
        first = count_callbacks[0]
        for i in range(500):
            mod.leaf(i)
        later = count_callbacks[0] - first
    assert first >= 1
    assert later < 10, f"{later} callbacks for 500 calls that can't match"


@needs_monitoring
def test_a_query_reading_calls_sees_every_call(mod: Any, count_callbacks: list[int]) -> None:
    stream = io.StringIO()
    with trace_monitoring(module="nothing-matches", calls_gt=10**9, action=CallPrinter(stream=stream)) as tracer:
        for i in range(500):
            mod.leaf(i)
        calls = tracer.calls
    assert count_callbacks[0] >= 500
    assert calls >= 500
    assert stream.getvalue() == ""


@needs_monitoring
def test_when_with_a_custom_action_counts_calls_but_builtin_actions_do_not(mod: Any) -> None:
    from hunter.backends.monitoring import MonitoringBackend

    seen: list[str] = []
    with trace_monitoring(module="monmod", action=lambda event: seen.append(event.kind)) as tracer:
        assert running_backend(tracer)._count_calls  # an opaque action may read event.calls
    with trace_monitoring(module="monmod", action=CallPrinter(stream=io.StringIO())) as tracer:
        backend = running_backend(tracer)
        assert isinstance(backend, MonitoringBackend)
        assert not backend._count_calls


# -- neighbours --------------------------------------------------------------------------------------------------


@needs_monitoring
def test_coexists_with_coverage_sysmon(tmp_path: Path) -> None:
    pytest.importorskip("coverage")
    program = tmp_path / "covered.py"
    program.write_text(
        textwrap.dedent(
            """\
            def square(x):
                return x * x

            def main():
                total = 0
                for i in range(3):
                    total += square(i)
                return total

            print(main())
            """
        )
    )
    data = tmp_path / "cov.data"
    result = run_python(
        ["-m", "coverage", "run", f"--data-file={data}", str(program)],
        env={"COVERAGE_CORE": "sysmon", "PYTHONHUNTER": 'module="__main__", kind="call"'},
        cwd=tmp_path,
    )
    assert result.returncode == 0, describe(result)
    assert result.stdout == "5\n", describe(result)
    assert result.stderr.count("=> square(x=") == 3, describe(result)
    assert "=> main()" in result.stderr, describe(result)
    report = run_python(
        ["-m", "coverage", "report", f"--data-file={data}", "--show-missing", "--format=total"], cwd=tmp_path
    )
    assert report.returncode == 0, describe(report)
    assert report.stdout.strip() == "100", describe(report)


@pytest.mark.skipif(sys.version_info < (3, 14), reason="BRANCH_LEFT/BRANCH_RIGHT are new in Python 3.14")
def test_a_neighbour_s_branch_events_and_their_disable_are_its_own(mod: Any) -> None:
    # 3.14 splits BRANCH into BRANCH_LEFT/BRANCH_RIGHT, each disabled on its own. A branch-coverage tool next to
    # hunter must see every direction once, whatever hunter's pruning disables, and hunter never asks for them.
    events = sys.monitoring.events
    tool = 1  # a coverage tool's conventional id
    seen: list[tuple[str, int, int]] = []

    def record(direction: str) -> Any:
        def callback(code: Any, source: int, destination: int) -> Any:
            if code is mod.branch.__code__:
                seen.append((direction, source, destination))
            return sys.monitoring.DISABLE

        return callback

    sys.monitoring.use_tool_id(tool, "branch-coverage")
    try:
        sys.monitoring.register_callback(tool, events.BRANCH_LEFT, record("left"))
        sys.monitoring.register_callback(tool, events.BRANCH_RIGHT, record("right"))
        sys.monitoring.set_local_events(tool, mod.branch.__code__, events.BRANCH_LEFT | events.BRANCH_RIGHT)
        stream = io.StringIO()
        with trace_monitoring(module="monmod", kind="call", action=CallPrinter(stream=stream)):
            assert mod.branch(3) == 6
            assert mod.branch(2) == 3
            ours = sys.monitoring.get_events(3) | sys.monitoring.get_local_events(3, mod.branch.__code__)
            assert not ours & (events.BRANCH_LEFT | events.BRANCH_RIGHT)
    finally:
        sys.monitoring.set_local_events(tool, mod.branch.__code__, 0)
        sys.monitoring.free_tool_id(tool)
    # The for loop's test went both ways (into the body, out at the end): each direction reported once, then
    # disabled for that tool only.
    assert sorted(direction for direction, _, _ in seen) == ["left", "right"], seen
    # hunter's own output is what it is without a neighbour: two calls of branch, five of leaf.
    calls = [line.split("=> ")[1].split("(")[0] for line in stream.getvalue().splitlines()]
    assert calls == ["branch", "leaf", "leaf", "leaf", "branch", "leaf", "leaf"], stream.getvalue()


@needs_monitoring
def test_coexists_with_a_settrace_debugger(mod: Any) -> None:
    seen: list[tuple[str, str]] = []

    def debugger(frame: Any, kind: str, arg: Any) -> Any:
        if frame.f_code.co_name in ("leaf", "branch"):
            seen.append((kind, frame.f_code.co_name))
        return debugger

    stream = io.StringIO()
    sys.settrace(debugger)
    try:
        with trace_monitoring(module="monmod", kind="call", action=CallPrinter(stream=stream)):
            mod.branch(2)
        assert sys.gettrace() is debugger
        mod.leaf(5)
    finally:
        sys.settrace(None)
    assert normalize(stream.getvalue()).count("=> leaf(") == 2
    assert ("call", "branch") in seen
    assert seen.count(("call", "leaf")) == 3  # the debugger saw everything, before and after hunter stopped
    assert ("line", "leaf") in seen


@needs_monitoring
def test_start_stop_start_gives_the_same_output(mod: Any) -> None:
    outputs = []
    for _ in range(3):
        stream = io.StringIO()
        with trace_monitoring(module="monmod", action=CallPrinter(stream=stream)):
            mod.branch(2)
            mod.catch()
        outputs.append(normalize(stream.getvalue()))
    assert "=> leaf(x=1)" in outputs[0] and "! boom: (<class 'ValueError'>" in outputs[0]
    assert outputs[0] == outputs[1] == outputs[2]


@needs_monitoring
def test_a_new_tracer_does_not_inherit_the_previous_ones_disabled_calls(mod: Any, other: Any) -> None:
    # The first tracer DISABLEs other.leaf's calls; DISABLE outlives free_tool_id, so the second tracer must
    # re-arm them (restart_events) or it would never see them.
    with trace_monitoring(module="monmod", kind="call", action=CallPrinter(stream=io.StringIO())):
        other.leaf(1)
        mod.leaf(1)
    stream = io.StringIO()
    with trace_monitoring(module="monother", kind="call", action=CallPrinter(stream=stream)):
        other.leaf(2)
        mod.leaf(2)
    assert normalize(stream.getvalue()).count("=> leaf(x=2)") == 1


@needs_monitoring
def test_nested_tracer_takes_over_and_the_outer_one_resumes(mod: Any) -> None:
    outer_stream, inner_stream = io.StringIO(), io.StringIO()
    with trace_monitoring(module="monmod", kind="call", action=CallPrinter(stream=outer_stream)) as outer:
        mod.leaf(1)
        with trace_monitoring(module="monmod", kind="call", action=CallPrinter(stream=inner_stream)) as inner:
            assert inner.previous is outer
            mod.leaf(2)
        mod.leaf(3)
    outer_text, inner_text = normalize(outer_stream.getvalue()), normalize(inner_stream.getvalue())
    assert "leaf(x=1)" in outer_text and "leaf(x=3)" in outer_text
    assert "leaf(x=2)" not in outer_text
    assert "leaf(x=2)" in inner_text and "leaf(x=1)" not in inner_text and "leaf(x=3)" not in inner_text
    assert sys.monitoring.get_tool(3) is None and sys.monitoring.get_tool(4) is None


@needs_monitoring
def test_wrap_inside_a_trace_nests_like_settrace(mod: Any) -> None:
    outer_stream, inner_stream = io.StringIO(), io.StringIO()

    @hunter.wrap(module="monmod", action=CallPrinter(stream=inner_stream), backend="monitoring")
    def wrapped() -> int:
        return mod.leaf(10)

    with trace_monitoring(module="monmod", kind="call", action=CallPrinter(stream=outer_stream)):
        for _ in range(3):
            wrapped()
        mod.leaf(20)
    assert normalize(inner_stream.getvalue()).count("=> leaf(x=10)") == 3
    outer_text = normalize(outer_stream.getvalue())
    assert "leaf(x=10)" not in outer_text and "leaf(x=20)" in outer_text


# -- no leaks ----------------------------------------------------------------------------------------------------


@needs_monitoring
@pytest.mark.parametrize("query", [{"module_startswith": "gen"}, {"module": "nothing-matches"}])
def test_code_objects_created_in_a_loop_do_not_pile_up(query: dict[str, str]) -> None:
    source = "def f(x):\n    return x + 1\nresult = f(1)\n"
    refs = []
    with trace_monitoring(action=CallPrinter(stream=io.StringIO()), **query) as tracer:
        backend = running_backend(tracer)
        sizes = []
        for i in range(300):
            namespace: dict[str, Any] = {"__name__": f"gen{i}"}
            code = compile(source, f"<gen{i}>", "exec")
            exec(code, namespace)  # the test's own code
            refs.append(weakref.ref(namespace["f"].__code__))
            del namespace, code
            if i % 100 == 99:
                gc.collect()
                sizes.append(len(backend._codes))
    gc.collect()
    assert all(ref() is None for ref in refs)  # tracing kept none of the code objects alive
    assert all(size < 50 for size in sizes), sizes


# -- threads -----------------------------------------------------------------------------------------------------


@needs_monitoring
def test_threads_already_running_are_traced(mod: Any) -> None:
    go, done = threading.Event(), threading.Event()

    def worker() -> None:
        go.wait()
        mod.leaf(41)
        done.set()

    thread = threading.Thread(target=worker, name="early-bird")
    thread.start()
    stream = io.StringIO()
    try:
        with trace_monitoring(module="monmod", kind="call", threading_support=True, action=CallPrinter(stream=stream)):
            go.set()
            done.wait()
            mod.leaf(1)
    finally:
        go.set()
        thread.join()
    text = normalize(stream.getvalue())
    assert "early-bird" in text and "=> leaf(x=41)" in text
    assert "=> leaf(x=1)" in text


@needs_monitoring
def test_threading_support_false_traces_only_the_starting_thread(mod: Any) -> None:
    go, done = threading.Event(), threading.Event()

    def worker() -> None:
        go.wait()
        mod.leaf(41)
        done.set()

    early = threading.Thread(target=worker)
    early.start()
    stream = io.StringIO()
    try:
        with trace_monitoring(module="monmod", threading_support=False, action=CallPrinter(stream=stream)):
            go.set()
            done.wait()
            late = threading.Thread(target=mod.leaf, args=(42,))
            late.start()
            late.join()
            mod.leaf(1)
    finally:
        go.set()
        early.join()
    text = normalize(stream.getvalue())
    assert "=> leaf(x=1)" in text
    assert "x=41" not in text and "x=42" not in text


@needs_monitoring
def test_a_thread_started_while_tracing_reports_from_its_run_call() -> None:
    stream = io.StringIO()
    with trace_monitoring(module="threading", kind="call", action=CallPrinter(stream=stream)):
        thread = threading.Thread(target=len, args=("x",), name="fresh")
        thread.start()
        thread.join()
    fresh = [line for line in normalize(stream.getvalue()).splitlines() if line.startswith("fresh")]
    # threading.settrace would hook the thread just before run(): its bootstrap calls never show.
    assert fresh and "=> run(" in fresh[0], fresh
    assert not any("_bootstrap" in line or "_set_ident" in line for line in fresh), fresh


# -- failures -------------------------------------------------------------------------------------------------------


@needs_monitoring
def test_a_failing_handler_is_reported_and_stops_the_tracer(mod: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", stream)

    def explode(event: Any) -> bool:
        if event.function == "leaf":
            raise RuntimeError("broken predicate")
        return False

    tracer = trace_monitoring(explode, module="monmod")
    try:
        assert mod.branch(3) == 6  # the program goes on, nothing raised into it
        assert mod.catch() == "caught"
    finally:
        tracer.stop()
    text = stream.getvalue()
    assert "RuntimeError: broken predicate" in text
    assert text.count("Disabling tracer because handler") == 1
    assert tracer.handler is None
    assert sys.monitoring.get_tool(3) is None


@needs_monitoring
def test_a_handler_stopping_the_tracer_from_an_exception_event(mod: Any) -> None:
    stream = io.StringIO()
    with trace_monitoring(Q(module="monmod", kind="exception", action=hunter.Stop), action=CallPrinter(stream=stream)):
        assert mod.catch() == "caught"
        mod.leaf(1)
    assert sys.monitoring.get_tool(3) is None
    assert "leaf" not in stream.getvalue()


def test_threads_started_while_tracing_report_nothing_after_stop(mod: Any, backend: str) -> None:
    # settrace: such threads keep the trace function threading.settrace gave them; it must go quiet.
    go, done = threading.Event(), threading.Event()

    def worker() -> None:
        go.wait()
        mod.leaf(99)
        done.set()

    stream = io.StringIO()
    tracer = hunter.trace(module="monmod", kind="call", backend=backend, action=CallPrinter(stream=stream))
    thread = threading.Thread(target=worker)
    thread.start()
    tracer.stop()
    go.set()
    done.wait()
    thread.join()
    assert "leaf" not in stream.getvalue()


@needs_monitoring
def test_the_lines_where_globals_are_loaded_are_read_from_the_bytecode_as_dis_reads_them() -> None:
    """The backend finds where threading's bootstrap loads its hooks without dis: the same lines as dis finds, for a
    name loaded twice, on lines apart, and past the 256th name (its argument takes an EXTENDED_ARG)."""
    import dis

    from hunter.backends.monitoring._threads import _global_load_lines

    filler = "\n".join(f"    g{index}" for index in range(300))
    source = f"def f():\n    first\n{filler}\n    if first:\n        last(first)\n    last\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, "<globals>", "exec"), namespace)
    code = namespace["f"].__code__
    names = ("first", "last", "g299")
    expected: dict[str, int] = {}
    for instruction in dis.get_instructions(code):
        if instruction.opname == "LOAD_GLOBAL" and instruction.argval in names and instruction.positions is not None:
            line = instruction.positions.lineno or 0
            expected[instruction.argval] = max(expected.get(instruction.argval, 0), line)
    assert expected == {"first": 304, "g299": 302, "last": 305}
    assert _global_load_lines(code, names) == expected
