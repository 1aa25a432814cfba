"""Tracer: starting and stopping, state, threads, profile mode, failures, concurrency, exit, and settrace pruning."""

from __future__ import annotations

import io
import os
import re
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pytest
from helpers import backend_under_test, describe, normalize, run_python
from programs import block, lines, load, output_of

import hunter
from hunter import Q
from hunter.actions import CallPrinter
from hunter.event import Event

PROGRAM = """
import sys

def leaf(x):
    return x + 1

def middle(x):
    return leaf(x) * 2

def main():
    return middle(1)

def own_frame():
    return sys._getframe()
"""


@pytest.fixture
def program() -> ModuleType:
    return load("tracersample", PROGRAM)


def _previous(frame: FrameType, event: str, arg: Any) -> None:
    """A stand-in for a trace function installed before hunter (a debugger, coverage)."""


# -- trace() / stop() ----------------------------------------------------------------------------------------


def test_trace_and_stop(program: ModuleType) -> None:
    stream = io.StringIO()
    tracer = hunter.trace(module="tracersample", kind="call", action=CallPrinter(stream=stream))
    assert isinstance(tracer, hunter.Tracer)
    assert tracer.handler is not None
    program.leaf(1)
    hunter.stop()
    assert tracer.handler is None
    program.leaf(2)
    assert lines(stream.getvalue()) == [f"{'tracersample.py':>40}:4     call      => leaf(x=1)"]


def test_stop_without_a_tracer_warns() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hunter.stop()
    assert [warning.category for warning in caught] == [UserWarning]
    assert caught[0].filename == __file__  # points at the caller


def test_stop_twice_warns_the_second_time(program: ModuleType) -> None:
    hunter.trace(module="tracersample", action=lambda event: None)
    hunter.stop()
    with pytest.warns(UserWarning):
        hunter.stop()


def test_context_manager(program: ModuleType) -> None:
    stream = io.StringIO()
    with hunter.trace(module="tracersample", function="leaf", kind="call", action=CallPrinter(stream=stream)) as tracer:
        assert tracer.handler is not None
        program.leaf(1)
    assert tracer.handler is None
    program.leaf(2)
    assert lines(stream.getvalue()) == [f"{'tracersample.py':>40}:4     call      => leaf(x=1)"]


def test_trace_without_arguments_traces_everything(program: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", stream)
    tracer = hunter.trace()
    program.main()
    tracer.stop()
    text = stream.getvalue()
    for function in ("main", "middle", "leaf"):
        assert f"=> {function}(" in text
    assert "return x + 1" in text


def test_action_class_is_instantiated(program: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", stream)
    with hunter.trace(module="tracersample", function="leaf", kind="call", action=hunter.CodePrinter):
        program.leaf(1)
    assert lines(stream.getvalue()) == [f"{'tracersample.py':>40}:4     call      def leaf(x):"]


def test_threading_support_aliases(program: ModuleType) -> None:
    for alias in ("threading_support", "threads_support", "thread_support", "threadingsupport", "threadssupport"):
        with hunter.trace(module="tracersample", action=lambda event: None, **{alias: False}) as tracer:
            assert tracer.threading_support is False
    for alias in ("threadsupport", "threading", "threads", "thread"):
        with hunter.trace(module="tracersample", action=lambda event: None, **{alias: True}) as tracer:
            assert tracer.threading_support is True


# -- Tracer ---------------------------------------------------------------------------------------------------


RUNNING = """
import hunter

def inner():
    return 1

def caller(action):
    hunter.trace(module="runsample", action=action)
    x = inner()
    y = 2
    return x + y

def top(action):
    r = caller(action)
    z = r * 2
    hunter.stop()
    return z
"""

#: What hunter 3.9.0 prints for ``top(CallPrinter)`` on every Python it supports (its compiled tracer is
#: installed with PyEval_SetTrace, which reaches the frames already running): the function that called trace()
#: goes on with its next lines and its return, and so does its caller. hunter's own frames never show.
RUNNING_CALLS = """\
                            runsample.py:9     line      x = inner()
                            runsample.py:4     call      => inner()
                            runsample.py:5     line         return 1
                            runsample.py:5     return    <= inner: 1
                            runsample.py:10    line      y = 2
                            runsample.py:11    line      return x + y
                            runsample.py:11    return    <= caller: 3
                            runsample.py:15    line      z = r * 2
                            runsample.py:16    line      hunter.stop()
"""


def test_frames_running_at_start_report_their_later_events(backend: str) -> None:
    module = load("runsample", RUNNING)
    stream = io.StringIO()
    assert module.top(CallPrinter(stream=stream)) == 6
    assert stream.getvalue() == RUNNING_CALLS


def test_frames_running_at_start_go_back_to_the_outer_tracer(backend: str) -> None:
    # A nested tracer takes the running frames over while it runs and gives them back when it stops.
    module = load("runsample", RUNNING)
    outer_seen: list[tuple[str, str, int]] = []
    inner_seen: list[tuple[str, str, int]] = []

    def outer_action(event: Event) -> None:
        outer_seen.append((event.kind, event.function, event.lineno))

    outer = hunter.trace(module="runsample", action=outer_action)
    assert module.top(lambda event: inner_seen.append((event.kind, event.function, event.lineno))) == 6
    module.inner()
    outer.stop()
    assert inner_seen[0] == ("line", "caller", 9) and inner_seen[-1] == ("line", "top", 16)
    assert outer_seen == [
        ("call", "top", 13),
        ("line", "top", 14),
        ("call", "caller", 7),
        ("line", "caller", 8),
        # the inner tracer ran from here to its stop (in top, line 16)
        ("line", "top", 17),
        ("return", "top", 17),
        ("call", "inner", 4),
        ("line", "inner", 5),
        ("return", "inner", 5),
    ]


RETRACE = """
def leaf(x):
    return x

def retrace(tracer, predicate):
    tracer.trace(predicate)
    return leaf(1)
"""


def test_trace_on_a_running_tracer_replaces_the_predicate_and_goes_on(backend: str) -> None:
    # As hunter 3.9's Tracer: no merging, no restart. The new predicate gets the events from then on, depth still
    # counts from the first start (retrace runs one level down) and calls keep counting.
    module = load("retracesample", RETRACE)
    first: list[str] = []
    second: list[tuple[str, str, int]] = []
    tracer = hunter.Tracer(backend=backend)
    tracer.trace(Q(module="retracesample", action=lambda event: first.append(event.function)))
    module.leaf(0)
    calls = tracer._context.calls  # type: ignore[union-attr]
    predicate = Q(module="retracesample", action=lambda event: second.append((event.kind, event.function, event.depth)))
    assert module.retrace(tracer, predicate) == 1
    assert tracer.handler is predicate
    module.leaf(2)
    tracer.stop()
    assert first == ["leaf", "leaf", "leaf", "retrace", "retrace"]
    assert second == [
        ("line", "retrace", 1),
        ("call", "leaf", 1),
        ("line", "leaf", 2),
        ("return", "leaf", 1),
        ("return", "retrace", 0),
        ("call", "leaf", 0),
        ("line", "leaf", 1),
        ("return", "leaf", 0),
    ]
    assert tracer.calls >= calls + 3  # not counted from 0 again: retrace, leaf(1), leaf(2) and more
    assert sys.gettrace() is None


def test_calls_count_the_programs_calls_not_hunters(program: ModuleType, backend: str) -> None:
    # As hunter 3.9, whose Tracer is compiled: entering the ``with`` block (Tracer.__enter__) is no call.
    seen: list[int] = []
    with hunter.trace(module="tracersample", function="leaf", kind="call", action=lambda e: seen.append(e.calls)):
        program.leaf(1)
        program.main()
        program.leaf(2)
    assert seen == [0, 3, 4]


def test_tracer_restores_the_previous_trace_function(program: ModuleType, backend: str) -> None:
    sys.settrace(_previous)
    try:
        tracer = hunter.Tracer(backend=backend)
        seen: list[str] = []
        assert tracer.trace(Q(module="tracersample", action=lambda event: seen.append(event.kind))) is tracer
        program.leaf(1)
        if backend == "settrace":
            assert tracer.previous is _previous
            assert sys.gettrace() is not _previous
        tracer.stop()
        assert sys.gettrace() is _previous
    finally:
        sys.settrace(None)
    assert seen == ["call", "line", "return"]


def test_tracer_without_previous(program: ModuleType, backend: str) -> None:
    assert sys.gettrace() is None
    tracer = hunter.Tracer(backend=backend).trace(Q(module="tracersample", action=lambda event: None))
    assert tracer.previous is None
    tracer.stop()
    assert sys.gettrace() is None
    tracer.stop()  # a second stop does nothing


def test_tracer_as_context_manager(program: ModuleType, backend: str) -> None:
    seen: list[str] = []
    with hunter.Tracer(backend=backend).trace(Q(module="tracersample", action=lambda e: seen.append(e.function))):
        program.main()
    program.main()
    assert seen == ["main", "main", "middle", "middle", "leaf", "leaf", "leaf", "middle", "main"]


def test_tracer_state(program: ModuleType, backend: str) -> None:
    tracer = hunter.Tracer(threading_support=False, profiling_mode=False, backend=backend)
    assert (tracer.handler, tracer.previous, tracer.threading_support, tracer.profiling_mode) == (
        None,
        None,
        False,
        False,
    )
    assert (tracer.depth, tracer.calls) == (0, 0)
    assert tracer.backend == backend
    assert isinstance(tracer.backend_reason, str) and tracer.backend_reason
    predicate = Q(module="tracersample", action=lambda event: None)
    tracer.trace(predicate)
    try:
        program.main()
        calls = tracer._context.calls  # the counter itself: calling the ``calls`` property would be one more call
        assert tracer.handler is predicate
    finally:
        tracer.stop()
    assert calls == 3
    assert hunter.Tracer(profiling_mode=True).profiling_mode is True


@pytest.mark.parametrize(
    "attribute", ["handler", "previous", "threading_support", "profiling_mode", "depth", "backend", "backend_reason"]
)
def test_tracer_state_is_read_only(attribute: str) -> None:
    tracer = hunter.Tracer()
    with pytest.raises(AttributeError):
        setattr(tracer, attribute, 1)


def test_tracer_depth_is_the_callers_depth(backend: str) -> None:
    depths: list[int] = []
    tracer = hunter.Tracer(backend=backend).trace(Q(module="nothing", action=lambda event: None))

    def outer() -> None:
        depths.append(tracer.depth)
        inner()

    def inner() -> None:
        depths.append(tracer.depth)

    depths.append(tracer.depth)
    outer()
    tracer.stop()
    assert depths == [0, 0, 1]


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        hunter.Tracer(backend="nope")


# -- threads ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("support", "traced"), [(None, True), (True, True), (False, False)])
def test_threads_started_later(program: ModuleType, support: bool | None, traced: bool) -> None:
    seen: list[str] = []
    with hunter.trace(
        module="tracersample",
        function="leaf",
        kind="call",
        action=lambda e: seen.append(e.threadname),
        threading=support,
    ):
        thread = threading.Thread(target=program.leaf, args=(1,), name="later")
        thread.start()
        thread.join()
        program.leaf(2)
    assert seen == (["later", "MainThread"] if traced else ["MainThread"])


# -- profile mode ---------------------------------------------------------------------------------------------


def test_profile_mode_output() -> None:
    module = load(
        "profilesample",
        """
        def square(x):
            return x * x

        def main():
            values = sorted([3, 1, 2])
            total = sum(map(square, values))
            return len(str(total))
        """,
    )
    output = output_of(module.main, Q(module="profilesample") | Q(builtin=True, module="builtins"), profile=True)
    # C functions show as `` > module.name: source`` and `` < module.name`` (hunter 3.9's format); they don't open
    # a level of the tree: Python functions they call sit beside them. There are no line events.
    assert lines(output) == block(
        """
                                profilesample.py:5     call      => main()
                                profilesample.py:6     call       > builtins.sorted: values = sorted([3, 1, 2])
                                profilesample.py:6     return     < builtins.sorted
                                profilesample.py:7     call       > builtins.sum: total = sum(map(square, values))
                                profilesample.py:2     call         => square(x=1)
                                profilesample.py:3     return       <= square: 1
                                profilesample.py:2     call         => square(x=2)
                                profilesample.py:3     return       <= square: 4
                                profilesample.py:2     call         => square(x=3)
                                profilesample.py:3     return       <= square: 9
                                profilesample.py:7     return     < builtins.sum
                                profilesample.py:8     call       > builtins.len: return len(str(total))
                                profilesample.py:8     return     < builtins.len
                                profilesample.py:8     return    <= main: 2
        """
    )


def test_profile_mode_builtin_events(program: ModuleType) -> None:
    seen: list[tuple[str, str, bool]] = []
    with hunter.trace(
        Q(module="tracersample") | Q(module="builtins"),
        action=lambda e: seen.append((e.kind, e.function, e.builtin)),
        profile=True,
    ) as tracer:
        assert tracer.profiling_mode is True
        program.main()
        len([])
    assert ("call", "len", True) in seen
    assert ("return", "len", True) in seen
    assert [item for item in seen if not item[2]] == [
        ("call", "main", False),
        ("call", "middle", False),
        ("call", "leaf", False),
        ("return", "leaf", False),
        ("return", "middle", False),
        ("return", "main", False),
    ]


def test_profile_mode_never_shows_hunters_own_code(backend: str) -> None:
    # Starting and stopping call C functions (sys.monitoring's get_tool, register_callback...): not the program's.
    package = os.path.dirname(hunter.__file__) + os.sep
    seen: list[tuple[str, str, str]] = []
    tracer = hunter.trace(action=lambda e: seen.append((e.kind, e.function, e.filename)), profile=True, backend=backend)
    len("x")
    tracer.stop()
    assert ("call", "len", __file__) in seen
    assert [item for item in seen if item[2].startswith(package)] == []


def looping(generator_end: str) -> str:
    """A generator ending with ``generator_end``, and loops over it: a long one and two short ones."""
    return (
        f"def gen():\n    yield 1\n    {generator_end}\n\n"
        "def loop():\n    total = 0\n    for x in gen():\n"
        + "".join(f"        total += x * {i}\n" for i in range(150))  # long: FOR_ITER needs EXTENDED_ARG
        + "    return total\n\n"
        "def short():\n    for x in gen(): pass\n    return [x for x in gen()]\n"
    )


LONG_LOOP = looping("yield 2")


def test_the_end_of_a_for_loop_over_a_generator_is_no_exception(backend: str) -> None:
    # Once such a loop is specialised (its second run on), 3.12/3.13 fire an artificial StopIteration where the
    # loop ends; settrace saw it for long loops on 3.13, sys.monitoring for all. ErrorSnooper then reported it
    # as swallowed.
    module = load("longloop", LONG_LOOP)
    stream = io.StringIO()
    seen: list[str] = []
    with hunter.trace(
        Q(kind="exception", action=lambda event: seen.append(event.function)),
        module="longloop",
        backend=backend,
        action=hunter.ErrorSnooper(stream=stream),
    ):
        for _ in range(10):
            module.loop()
            module.short()
    assert seen == []
    assert stream.getvalue() == ""


RETURNING = looping("return 'done'")


@pytest.mark.parametrize("function", ["loop", "short"])
def test_a_for_loop_over_a_generator_that_returned_a_value_sees_its_stop_iteration(backend: str, function: str) -> None:
    # A generator that returns a value raises a real StopIteration('done') into the loop: hunter 3.9 reports
    # it (in the looping frame), specialised loop or not; the monitoring backend once dropped it from the
    # second run on, and settrace on 3.13 for long loops.
    module = load("returning", RETURNING)
    seen: list[tuple[str, str, object]] = []
    with hunter.trace(
        module="returning",
        kind="exception",
        backend=backend,
        action=lambda event: seen.append((event.function, event.arg[0].__name__, event.arg[1].value)),
    ):
        for _ in range(10):
            getattr(module, function)()
    expected = [(function, "StopIteration", "done")] * (10 if function == "loop" else 20)
    if function == "short" and sys.version_info < (3, 12):
        # The comprehension is a function of its own before 3.12 (PEP 709 inlines it).
        expected = [("short", "StopIteration", "done"), ("<listcomp>", "StopIteration", "done")] * 10
    assert seen == expected


# -- clear_env_var ------------------------------------------------------------------------------------------------


def test_clear_env_var(program: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONHUNTER", 'module="x"')
    with hunter.trace(module="tracersample", action=lambda event: None):
        pass
    assert os.environ["PYTHONHUNTER"] == 'module="x"'
    with hunter.trace(module="tracersample", action=lambda event: None, clear_env_var=True):
        pass
    assert "PYTHONHUNTER" not in os.environ


# -- failures ---------------------------------------------------------------------------------------------------

FAILING_HANDLER = """
import hunter

def boom(event):
    if event.kind == "line":
        raise RuntimeError("bad handler")

def f():
    x = 1
    return x

hunter.trace(function="f", action=boom)
print("f returned", f())
print("again", f())
"""


def test_failing_handler_is_reported_and_the_program_goes_on() -> None:
    result = run_python(FAILING_HANDLER)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "f returned 1\nagain 1\n"
    stderr = normalize(result.stderr)
    assert stderr.startswith("Traceback (most recent call last):\n"), describe(result)
    assert '  File "<string>", line 6, in boom\n' in stderr  # (3.13 shows the source line after it)
    assert "\nRuntimeError: bad handler\nDisabling tracer because" in stderr
    handler = (
        "<hunter.predicates.When: condition=<hunter.predicates.Query: query_eq=(('function', 'f'),)>, "
        "actions=(<function boom at 0x?>,)>"
    )
    event = "<Event kind='line' function='f' module='__main__' filename='<string>' lineno=9>"
    assert stderr.endswith(
        f"Disabling tracer because handler {handler} failed (RuntimeError('bad handler')) at {event}.\n\n"
    ), describe(result)
    assert stderr.count("Disabling tracer") == 1


def test_failing_handler_in_process(program: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(event: Event) -> None:
        raise KeyError("nope")

    stream = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", stream)  # the report goes where actions print by default
    tracer = hunter.trace(module="tracersample", action=boom)
    assert program.main() == 4  # the program goes on
    assert tracer.handler is None
    err = stream.getvalue()
    assert "KeyError: 'nope'" in err
    assert re.search(r"Disabling tracer because handler .* failed \(KeyError\('nope'\)\) at <Event kind='call'", err)


class Alarm(Exception):
    """What the program's own SIGALRM handler raises."""


@pytest.fixture
def alarm_handler() -> Iterator[None]:
    """A SIGALRM handler that raises Alarm (for as long as the test runs)."""

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise Alarm("ring")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    yield
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
@pytest.mark.parametrize("where", ["predicate", "action", "repr"])
def test_an_exception_from_the_programs_signal_handler_reaches_the_program(
    program: ModuleType, backend: str, alarm_handler: None, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler runs at the next bytecode after the signal arrives: here, in hunter's code (a predicate, an
    # action, or a repr hunter asks for). That exception is the program's, not a failing handler.
    messages = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", messages)

    def ring(event: Event) -> bool:
        if event.function == "leaf" and event.kind == "call":
            signal.raise_signal(signal.SIGALRM)
        return True

    class Ringing:
        def __repr__(self) -> str:
            signal.raise_signal(signal.SIGALRM)
            return "Ringing()"

    stream = io.StringIO()
    if where == "predicate":
        predicate = Q(ring, module="tracersample", action=CallPrinter(stream=stream))
    elif where == "action":
        predicate = Q(module="tracersample", actions=[CallPrinter(stream=stream), ring])
    else:
        predicate = Q(module="tracersample", kind="call", action=CallPrinter(stream=stream, repr_func=repr))
    tracer = hunter.Tracer(backend=backend).trace(predicate)
    try:
        with pytest.raises(Alarm):
            if where == "repr":
                program.leaf(Ringing())
            else:
                program.main()
        assert messages.getvalue() == ""  # no "Disabling tracer because handler ... failed"
        assert tracer.handler is predicate
    finally:
        tracer.stop()


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_ctrl_c_inside_hunters_code_reaches_the_program(
    program: ModuleType, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", messages)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    def interrupt(event: Event) -> None:
        if event.function == "leaf":
            signal.raise_signal(signal.SIGINT)  # Ctrl-C while an action runs

    tracer = hunter.Tracer(backend=backend).trace(Q(module="tracersample", action=interrupt))
    try:
        with pytest.raises(KeyboardInterrupt):
            program.main()
        assert messages.getvalue() == ""
    finally:
        tracer.stop()
        signal.signal(signal.SIGINT, previous)


SPINNING = """
import os, signal
import hunter

class Alarm(Exception):
    pass

def on_alarm(signum, frame):
    raise Alarm

def spin():
    n = 0
    while True:  # only the alarm ends this loop
        n += 1

signal.signal(signal.SIGALRM, on_alarm)
hunter.trace(stdlib=False, action=hunter.CallPrinter(stream=open(os.devnull, "w")))
rang = 0
for _ in range(20):
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.001)
        spin()
    except Alarm:
        rang += 1
hunter.stop()
print("rang", rang)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")
def test_a_busy_loop_ended_by_an_alarm_ends_while_traced() -> None:
    # Most of the time goes to hunter's code, so that is where the alarms land. Swallowed there, the loop
    # would spin forever (the timeout ends the run and the test fails).
    result = run_python(SPINNING, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, "rang 20\n", ""), describe(result)


def test_stop_from_inside_an_action(program: ModuleType) -> None:
    seen: list[str] = []

    def stop_at_leaf(event: Event) -> None:
        seen.append(event.function)
        if event.function == "leaf":
            hunter.stop()

    hunter.trace(module="tracersample", kind="call", action=stop_at_leaf)
    assert program.main() == 4
    program.main()
    assert seen == ["main", "middle", "leaf"]


def test_tracer_stop_from_inside_an_action(program: ModuleType, backend: str) -> None:
    seen: list[str] = []
    tracer = hunter.Tracer(backend=backend)

    def stop_at_middle(event: Event) -> None:
        seen.append(f"{event.kind} {event.function}")
        if event.function == "middle":
            tracer.stop()

    tracer.trace(Q(module="tracersample", action=stop_at_middle))
    assert program.main() == 4
    assert seen == ["call main", "line main", "call middle"]
    assert tracer.handler is None


STOPPER = """
def stop_here(tracer):
    tracer.stop()
    after = 1
    return after
"""


def test_no_events_after_stop_when_a_previous_trace_function_is_back(backend: str) -> None:
    module = load("stopper", STOPPER)
    seen: list[tuple[str, int]] = []
    sys.settrace(_previous)  # as under coverage or a debugger
    try:
        tracer = hunter.Tracer(backend=backend)
        tracer.trace(Q(module="stopper", action=lambda event: seen.append((event.kind, event.lineno))))
        assert module.stop_here(tracer) == 1
    finally:
        sys.settrace(None)
    # The frame was being traced when stop() put the previous trace function back: its later lines and its
    # return must not reach the stopped tracer's handler.
    assert seen == [("call", 2), ("line", 3)]


class _ClosedLater(io.StringIO):
    """A stream that breaks after the first write."""

    def write(self, text: str) -> int:
        if self.getvalue():
            raise OSError(32, "Broken pipe")
        return super().write(text)


@pytest.mark.parametrize("broken", ["closed", "failing"])
def test_broken_stream_stops_tracing_with_one_message(
    program: ModuleType, broken: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stream: io.StringIO = io.StringIO() if broken == "closed" else _ClosedLater()
    if broken == "closed":
        stream.close()
    tracer = hunter.trace(module="tracersample", action=CallPrinter(stream=stream))
    assert program.main() == 4
    assert program.main() == 4
    assert tracer.handler is None
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("hunter: tracing stopped: cannot write to ")


class _Chopping(io.StringIO):
    """A stream whose write() is not atomic: it stores one character at a time (a thread can switch between)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        for char in text:
            super().write(char)
        return len(text)


def test_threads_never_interleave_within_a_line() -> None:
    module = load(
        "concurrent",
        """
        def work(n):
            total = 0
            for i in range(n):
                total += i
            return total
        """,
    )
    stream = _Chopping()
    threads = [threading.Thread(target=module.work, args=(30,), name=f"worker-{i}") for i in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to give interleaving every chance
    try:
        with hunter.trace(module="concurrent", action=CallPrinter(stream=stream), threading_support=True):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        sys.setswitchinterval(interval)
    output = lines(stream.getvalue())
    # Per thread: call, 1 + 31 loop lines + 30 body lines + return line, return = 65 lines, one write each.
    assert len(output) == 8 * 65 == stream.writes
    pattern = re.compile(
        r"worker-\d {5}\s+concurrent\.py:\d +(call|line|return) +"
        r"( *=> work\(n=30\)| *total = 0| *for i in range\(n\):| *total \+= i| *return total| *<= work: 435)"
    )
    bad = [line for line in output if not pattern.fullmatch(line)]
    assert bad == []
    for i in range(8):
        assert sum(line.startswith(f"worker-{i} ") for line in output) == 65


AT_EXIT = """
import atexit, sys
import hunter

class Finalized:
    def __del__(self):
        goodbye()

def goodbye():
    pass

def work():
    return 1

def at_exit():
    work()

keep = Finalized()
hunter.trace(module="__main__", kind="call", action=hunter.CallPrinter(stream=sys.argv[1]))
atexit.register(at_exit)
work()
print("main done")
"""


def test_tracers_stop_at_exit_and_output_is_flushed(tmp_path: Path) -> None:
    script = tmp_path / "exiting.py"
    script.write_text(AT_EXIT)
    out = tmp_path / "trace.txt"
    result = run_python([script, out])
    assert result.returncode == 0, describe(result)
    assert result.stdout == "main done\n"
    assert result.stderr == ""
    # The atexit handler registered after tracing started runs first and is traced; tracing stops before the
    # interpreter tears down (so Finalized.__del__ at shutdown is not).
    assert [line.split("call", 1)[1].strip() for line in lines(out.read_text())] == [
        "=> work()",
        "=> at_exit()",
        "=> work()",
    ]


def test_code_run_by_actions_is_not_traced(program: ModuleType) -> None:
    stream = io.StringIO()
    printer = CallPrinter(stream=stream)

    def action(event: Event) -> None:
        printer(event)
        program.leaf(100)  # the action itself runs traced-module code

    with hunter.trace(module="tracersample", function="middle", kind="call", action=action):
        program.middle(1)
    assert lines(stream.getvalue()) == [f"{'tracersample.py':>40}:7     call      => middle(x=1)"]


# -- pruning (settrace backend) -----------------------------------------------------------------------------------


def frame_trace_functions(program: ModuleType, predicate: Any) -> tuple[Any, Any]:
    """frame.f_trace seen from inside own_frame() under the settrace backend with the given predicate."""
    tracer = hunter.Tracer(backend="settrace").trace(predicate)
    try:
        frame = program.own_frame()
        other = load("tracerother", "import sys\n\ndef own_frame():\n    return sys._getframe()\n").own_frame()
    finally:
        tracer.stop()
    return frame.f_trace, other.f_trace


def test_code_that_cannot_match_gets_no_local_trace_function(program: ModuleType) -> None:
    inside, outside = frame_trace_functions(program, Q(module="tracersample", action=lambda event: None))
    assert inside is not None
    assert outside is None
    # call events only: nothing after the call can match, so no frame is traced line by line.
    inside, outside = frame_trace_functions(program, Q(module="tracersample", kind="call", action=lambda event: None))
    assert (inside, outside) == (None, None)
    # A stateful predicate sees every event: nothing is pruned.
    inside, outside = frame_trace_functions(program, lambda event: None)
    assert inside is not None and outside is not None


def test_pruned_code_keeps_depth_and_calls_right(program: ModuleType) -> None:
    relay = load(
        "tracerrelay",
        """
        def relay(func, x):
            return func(x)

        def twice(func, x):
            relay(func, x)
            return relay(func, x)
        """,
    )
    rows: list[tuple[str, str, int, int]] = []
    tracer = hunter.Tracer(backend="settrace").trace(
        Q(module="tracersample", function="leaf", action=lambda e: rows.append((e.kind, e.function, e.depth, e.calls)))
    )
    try:
        relay.twice(program.leaf, 1)
    finally:
        tracer.stop()
    # twice (0) -> relay (1) -> leaf (2); relay and twice are pruned but counted, in depth and in calls.
    assert rows == [
        ("call", "leaf", 2, 2),
        ("line", "leaf", 3, 3),
        ("return", "leaf", 2, 3),
        ("call", "leaf", 2, 4),
        ("line", "leaf", 3, 5),
        ("return", "leaf", 2, 5),
    ]


def test_sys_gettrace_stands_in_for_the_running_tracer(backend: str) -> None:
    """As in hunter 3.9, whose Tracer was its own trace function: ``sys.gettrace().handler`` (settrace only)."""
    with hunter.trace(function="a", backend=backend) as outer:
        with hunter.trace(function="b", backend=backend) as inner:
            current = sys.gettrace()
            if backend == "settrace":
                assert current.handler == inner.handler  # type: ignore[union-attr]
                assert repr(current) == repr(inner)
            else:
                assert current is None  # the monitoring backend installs no trace function (README)
        if backend == "settrace":
            assert sys.gettrace().handler == outer.handler  # type: ignore[union-attr]
    assert sys.gettrace() is None


# Modules that only some features need, and whose import is a large part of a small program's start-up (inspect
# brings ast, dis and more; dataclasses brings inspect). (The monitoring backend reads threading's bytecode with dis,
# once a process; option text, PYTHONHUNTER's, is parsed with ast.)
_FEATURE_MODULES = ("inspect", "ast", "dataclasses", "difflib")


@pytest.mark.parametrize("record", [False, True])
def test_importing_and_starting_hunter_leaves_out_what_only_some_features_need(tmp_path: Path, record: bool) -> None:
    """``import hunter`` (what PYTHONHUNTER does in every traced program) and a trace's start and stop, printing or
    recording, import none of the modules only some features need."""
    options = f"record={str(tmp_path / 'run.hunt')!r}, stdlib=False" if record else "module='nothing.matches'"
    backend = backend_under_test()
    if backend is not None:
        options += f", backend={backend!r}"  # (given here: a PYTHONHUNTERCONFIG would be option text)
    code = (
        "import sys, hunter\n"
        f"hunter.trace({options})\n"
        "hunter.stop()\n"
        f"print(sorted(name for name in {_FEATURE_MODULES!r} if name in sys.modules))\n"
    )
    result = run_python(code, backend=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\n", "")
