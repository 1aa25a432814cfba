"""A replay's StackPrinter: each event's callers as the live frames showed them (hunter.record.stacks)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import describe, run_python

import hunter
from hunter import config
from hunter._engine import _speedups
from hunter.record import read
from hunter.record.format import MAX_CALLERS
from hunter.record.replay import Refused, replay

# -- a program whose frames are called every way a recording meets --------------------------------------------


def leaf(value: Any) -> Any:
    return value


def recurse(depth: int) -> int:
    return leaf(depth) if depth == 0 else recurse(depth - 1)


def unrecorded_middle(value: Any) -> Any:
    return leaf(value)  # (a recorded call whose caller isn't recorded: the query leaves this function out)


def counting(limit: int) -> Iterator[int]:
    for index in range(limit):
        yield leaf(index)


def resumed_elsewhere() -> int:
    numbers = counting(3)
    next(numbers)

    def elsewhere() -> int:
        return next(numbers)  # (the generator resumes under another caller)

    return elsewhere()


def hook(mapping: dict[str, Any]) -> dict[str, Any]:
    return leaf(mapping)  # (called by json's decoder: callers that the recording doesn't record)


def decodes() -> list[Any]:
    first = json.loads('{"a": {"b": 1}}', object_hook=hook)
    second = json.loads("[{}]", object_hook=hook)  # (this frame's line moved on since its last recorded call)
    return [first, second]


def fails() -> None:
    raise ValueError("no")


def catches() -> str:
    try:
        fails()
    except ValueError:
        return leaf("caught")
    return "missed"


def program() -> list[Any]:
    results = [recurse(3), unrecorded_middle(1), list(counting(2)), resumed_elsewhere()]
    results += [decodes(), catches(), sorted([2, 1], key=leaf)]
    worker = threading.Thread(target=recurse, args=(2,), name="worker")
    worker.start()
    worker.join()
    return results


#: (program itself is left out too: each of its calls is recorded with all of its callers; and the worker's events
#: then come last, live and in the file, which holds each thread's records together)
FUNCTIONS = ("leaf", "recurse", "counting", "resumed_elsewhere", "elsewhere", "hook", "decodes", "fails", "catches")
SELECTION = f"module={__name__!r}, function_in={FUNCTIONS!r}"


def printed(query: str, run: Callable[[tuple[Any, ...], dict[str, Any]], Any]) -> str:
    """What ``run(predicates, keywords)`` prints, given the query's arguments (its printers write to a stream made
    here); tracing is stopped after it."""
    stream = io.StringIO()
    saved, config.default_stream = config.default_stream, stream
    try:
        run(*config.parse_trace_arguments(query))
    finally:
        config.default_stream = saved
        hunter.stop()
    return stream.getvalue()


def traced(query: str, options: dict[str, Any]) -> str:
    """What program() prints traced with the query and options (live and recorded runs alike start here: the frames
    above program() are the same)."""

    def run(predicates: tuple[Any, ...], keywords: dict[str, Any]) -> None:
        with hunter.trace(*predicates, **keywords, **options): program()  # fmt: skip  # noqa: E701

    return printed(query, run)


def live_and_replayed(tmp_path: Path, query: str, **recording: Any) -> tuple[str, str]:
    """The query's live output, and the replay's of a recording of the selected functions (``recording``: options)."""
    outputs = []
    for arguments in ((query, {}), ("", {"record": str(tmp_path / "run.hunt"), **recording})):
        outputs.append(traced(*arguments))  # (one line for both: the frames above program() are the same)
    assert outputs[1] == ""
    stream = io.StringIO()
    replay(read(tmp_path / "run.hunt"), query, stream=stream)
    return outputs[0], stream.getvalue()


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
@pytest.mark.parametrize(
    "recording",
    [
        {"module": __name__, "function_in": FUNCTIONS},
        {"module": __name__, "function_in": FUNCTIONS, "record_values": False},
        {"module": __name__, "record_lines": True},
    ],
    ids=["calls", "calls-no-values", "lines"],
)
def test_a_replayed_stack_printer_shows_the_callers_the_live_one_shows(
    tmp_path: Path, compiled: bool, recording: dict[str, Any]
) -> None:
    """Callers recorded and not (json's decoder, a function the query leaves out, the test's own frames, a thread's
    bootstrap), a generator resumed under another caller, exceptions, recursion and calls from C."""
    kinds = "" if recording.get("record_lines") else ", kind_in=('call', 'return', 'exception')"
    query = f"{SELECTION}{kinds}, action=StackPrinter(depth=12, limit=1)"
    before = _speedups.compiled
    try:
        _speedups.use(compiled)
        live, replayed = live_and_replayed(tmp_path, query, **recording)
    finally:
        _speedups.compiled = before
    assert live.count("\n") > 40
    assert "decoder.py" in live and "worker" in live and "threading.py" in live
    assert replayed == live


def test_a_replayed_stack_printer_of_profile_mode_shows_the_callers_of_c_functions(tmp_path: Path) -> None:
    """A C function's event (profile mode) happens in the Python frame that called it: its callers are that frame's,
    recorded for it when the records before don't tell them (a C function that code the recording leaves out calls:
    json.decoder's calling len)."""
    modules = (__name__, "builtins", "json")
    query = f"module_in={modules!r}, profile=True, action=StackPrinter(depth=12, limit=1)"
    live, replayed = live_and_replayed(tmp_path, query, module_in=modules, profile=True)
    assert ":sorted <= " in live and "decoder.py:" in live and ":len <= __init__.py:" in live
    assert replayed == live


def runs_on(start: Any) -> int:
    start()  # (tracing starts here: this frame and its callers ran before it did)
    value = leaf(1)
    return value


def starts_tracing(start: Any) -> int:
    total = runs_on(start)
    return total + 1


def started_inside(query: str, options: dict[str, Any]) -> str:
    """What starts_tracing() prints traced with the query and options, tracing started inside it (and left on when
    it returns)."""
    return printed(
        query, lambda predicates, keywords: starts_tracing(lambda: hunter.trace(*predicates, **keywords, **options))
    )


@pytest.mark.parametrize("condition", ["", ", depth_lt=99"], ids=["raw-path", "events-path"])
def test_frames_that_ran_before_tracing_started_keep_their_depth_and_callers(tmp_path: Path, condition: str) -> None:
    """Their returns are at depth 0, as their lines are (hunter 3.9 keeps depths at 0 and up); a replay gives them
    those depths and their callers. (A condition on depth is decided per event: recorded through events.)"""
    selection = f"module={__name__!r}, function_in=('starts_tracing', 'runs_on', 'leaf'){condition}"
    query = f"{selection}, action=StackPrinter(depth=3, limit=1)"
    seen: list[tuple[str, str, int]] = []
    path = tmp_path / "run.hunt"
    outputs = []
    for arguments in (
        (query, {}),
        (selection, {"action": lambda event: seen.append((event.kind, event.function, event.depth))}),
        (selection, {"record": str(path), "record_lines": True}),
    ):
        outputs.append(started_inside(*arguments))  # (one line for all: the same frames above)
    recorded = [(event.kind, event.function, event.depth) for event in read(path)]
    assert ("return", "starts_tracing", 0) in seen
    assert recorded == seen
    stream = io.StringIO()
    replay(read(path), query, stream=stream)
    assert stream.getvalue() == outputs[0]


def test_a_flight_recorders_dump_refuses_the_stack_printer(tmp_path: Path) -> None:
    """A flight recorder keeps each thread's last lines: the callers an event needs may be gone, so none are kept."""
    path = tmp_path / "flight.hunt"
    with hunter.trace(module=__name__, record=str(path), record_last=100):
        program()
        hunter.dump()
    with pytest.raises(Refused, match="StackPrinter reads the callers' frames, which this recording doesn't tell"):
        replay(read(path), "action=StackPrinter", stream=io.StringIO())
    stream = io.StringIO()
    replay(read(path), "kind='call', action=CallPrinter", stream=stream)  # (other printers answer from it)
    assert "=> leaf" in stream.getvalue()


def test_an_older_recording_refuses_the_stack_printer(tmp_path: Path) -> None:
    """A version 1 file holds no callers (its calls no caller's line): read as ever, but StackPrinter is refused."""
    path = tmp_path / "old.hunt"
    header = {"token": "t", "pid": 1, "root": True, "origin_ns": 0, "values": False, "repr_limit": 1024}
    lines = [
        ["hunter-record", 1, header],
        ["c", 1, "app.py", "app", "main", 1, False, False, 0, 0, 0, []],
        ["t", 2, None, "MainThread", 1],
        [0, 10, 2, 0, 1, 1],
        [2, 20, 2, 0, 1, 2, 1],
        ["end", 30],
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert [(event.kind, event.function, event.lineno) for event in read(path)] == [
        ("call", "main", 1),
        ("return", "main", 2),
    ]
    with pytest.raises(Refused, match="a file of an older hunter"):
        replay(read(path), "action=StackPrinter", stream=io.StringIO())


def test_a_stack_printer_deeper_than_a_recording_tells_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run.hunt"
    with hunter.trace(module=__name__, record=str(path)):
        leaf(1)
    with pytest.raises(Refused, match=f"shows more callers than a recording tells \\({MAX_CALLERS}\\)"):
        replay(read(path), f"action=StackPrinter(depth={MAX_CALLERS + 1})", stream=io.StringIO())


SCRIPT = """
import json

def hook(mapping):
    return leaf(mapping)

def leaf(value):
    return value

def main():
    leaf(1)
    return json.loads('{"a": {"b": 1}}', object_hook=hook)

main()
"""


def test_the_command_line_shows_the_callers_python_itself_would(tmp_path: Path) -> None:
    """``hunter script.py`` and a replay of ``hunter record -- script.py`` show the callers that ``python script.py``
    shows: none above the script's own frame (the command line's launcher frames aren't the program's)."""
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    query = 'module="__main__", action=StackPrinter(depth=10)'
    plain = run_python([script], cwd=tmp_path, env={"PYTHONHUNTER": query})
    live = run_python(["-m", "hunter", "-q", query, script], cwd=tmp_path)
    recorded = run_python(
        ["-m", "hunter", "record", "--lines", "-o", tmp_path / "run.hunt", "--", script], cwd=tmp_path
    )
    replayed = run_python(["-m", "hunter", "query", tmp_path / "run.hunt", query], cwd=tmp_path)
    assert recorded.returncode == 0, describe(recorded)
    assert "script.py:14:<module> <= no frames available (detached=False)" in plain.stderr
    assert "decoder.py" in plain.stderr and "hunter" not in plain.stderr.replace(str(tmp_path), "")
    assert live.stderr == plain.stderr
    assert replayed.stdout == plain.stderr
    by_name = run_python(["-m", "hunter", "query", tmp_path / "run.hunt", 'module="__main__"', "--action", "stack"])
    spelled_out = run_python(["-m", "hunter", "query", tmp_path / "run.hunt", 'module="__main__", action=StackPrinter'])
    assert by_name.stdout == spelled_out.stdout and "no frames available" in by_name.stdout, describe(by_name)
