"""The flight recorder's size bound (``record_last_size``, ``--last-size``): memory stays within it however long the
program runs, whatever the size of each event's values."""

from __future__ import annotations

import gc
import types
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import describe, run_python

import hunter
import hunter._engine._recording
import hunter.record
from hunter.record import FlightRecorder, read, writer
from hunter._output._sizes import parse_size
from hunter.record.flight import LINE_OVERHEAD

BOUND = 16_000  # "16KB"


def step(text: str) -> int:
    return len(text)


def texts(count: int) -> list[str]:
    """Values of very unequal sizes: a few characters to several hundred."""
    return [f"{index}:" + "x" * (index * 37 % 700) for index in range(count)]


@pytest.mark.parametrize("raw", [True, False], ids=["raw-records", "events"])
def test_a_size_bound_keeps_memory_bounded_however_long_the_run(tmp_path: Path, raw: bool) -> None:
    """The bytes held after 20 times more events are still within the bound (and the dump holds the latest)."""
    path = tmp_path / "bounded.hunt"
    recorder = FlightRecorder(str(path), last_size="16KB")
    assert recorder.last_size == BOUND
    hunter._engine._recording.enabled = raw
    try:
        tracer = hunter.trace(function="step", kind_in=("call", "return", "exception"), action=recorder)
        assert (tracer._context.recording is not None) is raw  # type: ignore[union-attr]
        try:
            for value in texts(200):
                step(value)
            early = recorder.held_bytes()
            for value in texts(4000):
                step(value)
            late = recorder.held_bytes()
            written = hunter.dump()
        finally:
            tracer.stop()
            recorder.close()
    finally:
        hunter._engine._recording.enabled = True
    # What waits to join the ring is at most a batch of records, each a call's or return's text (<= ~760 chars).
    slack = recorder.batch * (800 + LINE_OVERHEAD)
    assert BOUND // 2 < early <= BOUND + slack
    assert BOUND // 2 < late <= BOUND + slack
    assert written == [str(path)]
    events = list(read(path))
    # The last events kept: the latest call's and return's, and as many before them as the bound holds.
    assert [(event.kind, event.arg) for event in events[-1:]] == [("return", str(len(texts(4000)[-1])))]
    assert events[-2].locals == {"text": repr(texts(4000)[-1])}
    assert 10 < len(events) < 200
    lines = [line for line in path.read_text().splitlines() if line[1:2].isdigit()]
    assert sum(len(line) + 1 + LINE_OVERHEAD for line in lines) <= BOUND + slack


def test_a_count_and_a_size_bound_together_keep_to_both(tmp_path: Path) -> None:
    """last=N and last_size=SIZE: whichever is reached first."""
    path = tmp_path / "both.hunt"
    with hunter.trace(function="step", record=str(path), record_last=6, record_last_size=BOUND):
        for value in texts(300):
            step(value)
        hunter.dump()
    assert len(list(read(path))) == 6


def test_sizes_read_with_units_and_bad_ones_are_refused() -> None:
    assert [parse_size(text) for text in ("4096", "512KB", "10mb", "1G", "1.5k")] == [
        4096,
        512_000,
        10_000_000,
        1_000_000_000,
        1500,
    ]
    with pytest.raises(ValueError, match="not a size: '10 parsecs'"):
        parse_size("10 parsecs")
    with pytest.raises(ValueError, match="last_size must be at least 4096 bytes"):
        FlightRecorder("bounded.hunt", last_size=100)
    with pytest.raises(ValueError, match="needs a bound"):
        FlightRecorder("bounded.hunt")


CRASH = """
def step(text):
    return len(text)

for index in range(5000):
    step("x" * (index % 500))
raise SystemExit(step(None))
"""


def test_hunter_record_last_size_writes_the_last_events_on_a_crash(tmp_path: Path) -> None:
    """``hunter record --last-size 8KB``: the program dies of an exception; the file holds its last 8 KB of events."""
    path = tmp_path / "crash.hunt"
    result = run_python(["-m", "hunter", "record", "--last-size", "8KB", "-o", path, "-c", CRASH], cwd=tmp_path)
    assert result.returncode == 1 and "TypeError" in result.stderr, describe(result)
    events = list(read(path))
    assert [(event.kind, event.function) for event in events[-5:]] == [
        ("call", "step"),
        ("exception", "step"),
        ("return", "step"),
        ("exception", "<module>"),
        ("return", "<module>"),
    ]
    lines = [line for line in path.read_text().splitlines() if line[1:2].isdigit()]
    assert sum(len(line) + 1 + LINE_OVERHEAD for line in lines) <= 8192 + FlightRecorder.batch * (600 + LINE_OVERHEAD)
    refused = run_python(["-m", "hunter", "record", "--last-size", "lots", "-o", path, "-c", CRASH], cwd=tmp_path)
    assert refused.returncode == 2 and "--last-size: not a size: 'lots'" in refused.stderr, describe(refused)


LOWERED_MAX_CODES = 8
MADE = 40  # code objects made and run, five times the lowered bound


def made_functions(count: int) -> Iterator[Callable[[int], int]]:
    """Functions of a code object each, made one at a time (as a program compiling templates makes them)."""
    for index in range(count):
        namespace: dict[str, Any] = {"__name__": "madecode"}
        exec(compile(f"def made{index}(x):\n    return x + {index}\n", "<made>", "exec"), namespace)
        yield namespace[f"made{index}"]


@pytest.mark.parametrize("raw", [True, False], ids=["raw-records", "events"])
def test_more_code_objects_than_the_table_holds_stay_bounded_and_read_back(
    tmp_path: Path, raw: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_CODES the writer's code table starts over on both paths: the code objects the program dropped die
    (the recording keeps at most MAX_CODES alive), and every call and return still reads back under its code."""
    monkeypatch.setattr(writer, "MAX_CODES", LOWERED_MAX_CODES)
    path = tmp_path / "codes.hunt"
    recorder = hunter.record.Recorder(str(path))
    codes: list[weakref.ref[types.CodeType]] = []
    hunter._engine._recording.enabled = raw
    try:
        query = {"module": "madecode", "function_startswith": "made", "kind_in": ("call", "return")}
        tracer = hunter.trace(**query, action=recorder)
        assert (tracer._context.recording is not None) is raw  # type: ignore[union-attr]
        try:
            for function in made_functions(MADE):
                codes.append(weakref.ref(function.__code__))
                function(1)
            del function
            gc.collect()  # (a function and its namespace hold each other)
            table = len(recorder._table.codes)
            alive = sum(code() is not None for code in codes)
        finally:
            tracer.stop()
    finally:
        hunter._engine._recording.enabled = True
    assert table <= LOWERED_MAX_CODES
    assert alive <= LOWERED_MAX_CODES
    events = [(event.kind, event.function, event.lineno, event.depth, event.arg) for event in read(path)]
    expected = []
    for index in range(MADE):
        expected += [("call", f"made{index}", 1, 0, None), ("return", f"made{index}", 2, 0, str(1 + index))]
    assert events == expected
