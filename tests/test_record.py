"""Recordings: replaying a recording prints what a live trace prints; files survive kill -9 and other Pythons."""

from __future__ import annotations

import gc
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from helpers import REFERENCE, describe, normalize, run_python
from test_golden import Case, per_thread, read_cases, unified_diff

import hunter
from hunter.record import FormatError, RecordedEvent, read

from hunter.record import writer
from hunter.util import shorten
from hunter.record.format import VERSION

#: Cases whose action needs what a recording doesn't hold: the one-line refusal names it.
REFUSED = {
    "vars": "VarsPrinter reads the frame's variables",
    "snooper": "VarsSnooper reads the frame's variables",
    "repr-func": "CallPrinter uses repr_func=<built-in function repr>; values were recorded with safe_repr",
}
#: Cases whose sample runs two threads: their interleaving is the OS's, so each thread's lines are compared (the
#: whole output gets a few live runs to show the recording's interleaving, but need not).
RACY = {"threads": 10}


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A fresh copy of the reference sample programs (in a folder named ``samples``)."""
    return Path(shutil.copytree(REFERENCE / "samples", tmp_path / "samples"))


def record_value(case: Case, path: Path) -> str:
    """The PYTHONHUNTER value that records the case's sample broadly: every event of its module, lines included."""
    options = [option for option in ("profile=True", "threading_support=True") if option in case.value]
    return ", ".join([f"module={case.sample!r}", f"record={str(path)!r}", "record_lines=True", *options])


def query(path: Path, *words: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m hunter query PATH WORDS...``."""
    return run_python(["-m", "hunter", "query", path, *words], cwd=cwd)


@pytest.mark.parametrize("case", read_cases(), ids=lambda case: case.name)
def test_replay_prints_what_the_live_trace_prints(case: Case, samples: Path, tmp_path: Path) -> None:
    """Record a reference sample once, broadly; replaying the case's query prints the live run's output exactly."""
    path = tmp_path / "run.hunt"
    recorded = run_python(["run.py", case.sample], cwd=samples, env={"PYTHONHUNTER": record_value(case, path)})
    assert recorded.returncode == 0 and recorded.stderr == "", describe(recorded)
    replayed = query(path, case.value, cwd=tmp_path)  # (not the samples folder: sources come from the recorded cwd)
    if case.name in REFUSED:
        assert replayed.returncode == 2, describe(replayed)
        assert replayed.stderr.count("\n") == 1 and REFUSED[case.name] in replayed.stderr, replayed.stderr
        return
    assert replayed.returncode == 0 and replayed.stderr == "", describe(replayed)
    actual = normalize(replayed.stdout)
    assert actual  # (every case prints something: an empty replay is a bug)
    for _ in range(RACY.get(case.name, 1)):
        live = run_python(["run.py", case.sample], cwd=samples, env={"PYTHONHUNTER": case.value})
        expected = normalize(live.stderr)
        if case.name in RACY:
            assert per_thread(actual) == per_thread(expected), unified_diff(expected, actual, "live")
        if actual == expected:
            break
    if case.name not in RACY:  # (a racy case's threads matched line for line above: only their interleaving is left)
        assert actual == expected, unified_diff(expected, actual, "live")


def test_refusal_names_the_missing_field(samples: Path, tmp_path: Path) -> None:
    """A query reading a field the recording lacks is refused before any output, in one line that says how."""
    path = tmp_path / "run.hunt"
    env = {"PYTHONHUNTER": f"module='demo', record={str(path)!r}, record_values=False"}
    assert run_python(["run.py", "demo"], cwd=samples, env=env).returncode == 0
    result = query(path, "module='demo', locals_has='amount'")
    assert (result.returncode, result.stdout) == (2, "")
    assert "the query reads 'locals', which is not recorded" in result.stderr and result.stderr.count("\n") == 1
    result = query(path, "module='demo', kind='call'")  # CallPrinter shows arguments, which were not recorded
    assert (result.returncode, result.stdout) == (2, "")
    assert "CallPrinter shows values, which were not recorded" in result.stderr
    result = query(path, "module='demo', kind='call', action=CallPrinter(repr_limit=2000)")
    assert "CallPrinter shows values" in result.stderr


def test_a_query_comparing_arg_is_refused_even_with_values(samples: Path, tmp_path: Path) -> None:
    """A recording holds a value's text, not the value: arg=None would match no recorded return (its arg is "None")."""
    path = tmp_path / "run.hunt"
    env = {"PYTHONHUNTER": f"module='demo', record={str(path)!r}"}
    assert run_python(["run.py", "demo"], cwd=samples, env=env).returncode == 0
    result = query(path, "module='demo', kind='return', arg=None")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and "compares 'arg', and a recording holds only its text" in result.stderr


def test_printer_asking_for_more_than_was_recorded_is_refused(samples: Path, tmp_path: Path) -> None:
    """Values were cut at record time: a printer showing more of them would show something else than live."""
    path = tmp_path / "run.hunt"
    env = {"PYTHONHUNTER": f"module='values', record={str(path)!r}, record_repr_limit=50"}
    assert run_python(["run.py", "values"], cwd=samples, env=env).returncode == 0
    result = query(path, "kind='call', action=CallPrinter(repr_limit=60)")
    assert result.returncode == 2 and "repr_limit=60" in result.stderr and "holds 50" in result.stderr
    assert query(path, "kind='call', action=CallPrinter(repr_limit=40)").returncode == 0


def test_hunter_record_command_and_summary(samples: Path, tmp_path: Path) -> None:
    """``hunter record`` with hunter's filters, then ``hunter summary``: calls and where exceptions were caught."""
    path = tmp_path / "cli.hunt"
    result = run_python(
        ["-m", "hunter", "record", "-o", path, "--module", "silenced", "--", "run.py", "silenced"], cwd=samples
    )
    assert result.returncode == 0, describe(result)
    prog = "python -m hunter"
    assert (
        result.stderr == f"hunter: recorded to {path}; ask it with: {prog} query {path} 'QUERY' (or {prog} summary)\n"
    )
    trace = read(path)
    assert {event.module for event in trace} == {"silenced"}
    assert {event.kind for event in trace} == {"call", "return", "exception"}  # (no lines unless --lines)
    summary = run_python(["-m", "hunter", "summary", path])
    lines = summary.stdout.splitlines()
    assert lines[0] == f"recording {path}: 17 events, 1 process(es), python {'.'.join(map(str, sys.version_info[:3]))}"
    functions = [re.sub(r"\s+\d+\.\d+\s+\d+\.\d+\s+", " | ", line).strip() for line in lines[3:8]]
    assert sorted(functions) == [
        "1 | silenced.<module> (silenced.py:1)",
        "1 | silenced.main (silenced.py:20)",
        "1 | silenced.reraise (silenced.py:13)",
        "1 | silenced.swallow (silenced.py:5)",
        "2 | silenced.fail (silenced.py:1)",
    ]
    assert lines[10:] == [
        "        1  RuntimeError: silenced.fail (silenced.py:2) -> silenced.swallow (silenced.py:7)",
        "        1  RuntimeError: silenced.fail (silenced.py:2) -> silenced.main (silenced.py:23)",
    ]


def test_summary_names_methods_and_nested_functions_by_their_qualified_names(tmp_path: Path) -> None:
    """``hunter summary`` lists ``Account.withdraw``, not ``withdraw`` (two classes' ``__init__`` would read alike),
    and where an exception was raised and caught by those names too (3.11+: code objects know them)."""
    (tmp_path / "bank.py").write_text(
        "class Account:\n"
        "    def __init__(self, balance):\n        self.balance = balance\n"
        "    def withdraw(self, amount):\n"
        "        if amount > self.balance:\n            raise ValueError(amount)\n"
        "        self.balance -= amount\n"
        "def main():\n"
        "    def attempt(account, amount):\n"
        "        try:\n            account.withdraw(amount)\n        except ValueError:\n            pass\n"
        "    account = Account(10)\n    attempt(account, 5)\n    attempt(account, 50)\n"
        "main()\n"
    )
    recording = ["-m", "hunter", "record", "-o", "run.hunt", "--module", "__main__", "--", "bank.py"]
    recorded = run_python(recording, cwd=tmp_path)
    assert recorded.returncode == 0, describe(recorded)
    summary = run_python(["-m", "hunter", "summary", "run.hunt"], cwd=tmp_path)
    lines = summary.stdout.replace(f"{tmp_path}{os.sep}", "").splitlines()
    functions = sorted(re.sub(r"\s+\d+\.\d+\s+\d+\.\d+\s+", " | ", line).strip() for line in lines[3:9])
    qualified = sys.version_info >= (3, 11)
    account, attempt = ("Account.", "main.<locals>.attempt") if qualified else ("", "attempt")
    assert functions == sorted(
        [
            "1 | __main__.<module> (bank.py:1)",
            "1 | __main__.Account (bank.py:1)",
            f"1 | __main__.{account}__init__ (bank.py:2)",
            f"2 | __main__.{account}withdraw (bank.py:4)",
            "1 | __main__.main (bank.py:8)",
            f"2 | __main__.{attempt} (bank.py:9)",
        ]
    )
    caught = f"__main__.{account}withdraw (bank.py:6) -> __main__.{attempt} (bank.py:11)"
    assert lines[11:] == [f"        1  ValueError: {caught}"]


def test_a_code_entry_gives_its_qualified_name_and_older_entries_their_name() -> None:
    """A code entry holds the qualified name last, after the code's own file name, when it differs from the name;
    entries without it (files of hunter before it, and of 3.10) give the name."""
    from hunter._engine._recorded import RecordedCode

    head: list[Any] = ["c", 1, "app.py", "app", "size", 3, False, False, 1, 0, 0, ["cls"]]
    assert RecordedCode([*head, "app.py", "Box.size"]).co_qualname == "Box.size"
    assert RecordedCode([*head, "app.py", "Box.size"]).compiled_filename == "app.py"
    assert RecordedCode([*head, "<frozen app>"]).co_qualname == "size"
    assert RecordedCode(head).co_qualname == "size"


KILLED = """
import os, signal, sys
import hunter
hunter.trace(module="__main__", record=sys.argv[1])

def step(n):
    return n + 1

for n in range(2000):
    step(n)
hunter.record.writer._live and [r.flush() for r in list(hunter.record.writer._live)]
for n in range(5):
    step(n)  # buffered, never written: the process is killed before the next flush
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_recording_killed_with_sigkill_reads_up_to_its_last_flush(tmp_path: Path) -> None:
    """kill -9: no end mark, but every record written before it reads back (each write holds whole lines)."""
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    path = tmp_path / "killed.hunt"
    result = run_python([script, path])
    assert result.returncode == -signal.SIGKILL, describe(result)
    trace = read(path)
    events = list(trace)
    assert not trace.parts[0].complete
    calls = [event for event in events if event.kind == "call" and event.function == "step"]
    assert len(calls) == 2000 and calls[-1].locals == {"n": "1999"}
    # A write cut in the middle of a line (a full disk, a crash inside write()) loses only that line.
    with open(path, "ab") as file:
        file.write(b"[0,123,2,1,")
    assert len(list(read(path))) == len(events)


FORKING = """
import os, sys
import hunter
hunter.trace(module="__main__", record=sys.argv[1])

def child(n):
    return n * 2

def parent(n):
    return n + 1

pid = os.fork()
if pid == 0:
    child(21)
    os._exit(0)
os.waitpid(pid, 0)
parent(1)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_writes_a_part_read_with_the_parent(tmp_path: Path) -> None:
    """Each process writes a part of its own; read() merges them: the child's events carry its pid."""
    script = tmp_path / "forking.py"
    script.write_text(FORKING)
    path = tmp_path / "fork.hunt"
    result = run_python([script, path])
    assert result.returncode == 0, describe(result)
    trace = read(path)
    assert len(trace.parts) == 2 and all(part.complete for part in trace.parts)
    calls = {(event.function, event.pid == trace.parts[0].pid) for event in trace if event.kind == "call"}
    assert calls == {("child", False), ("parent", True)}
    # A query replays each process in turn, each under a line naming it.
    parent, child = (part.pid for part in trace.parts)
    replayed = query(path, "kind='call', action=CallPrinter(filename_alignment=300)")
    command = f"{sys.executable} {script} {path}"
    assert [line.lstrip() for line in replayed.stdout.splitlines()] == [
        f"--- process {parent}: {command}",
        f"{script}:9     call      => parent(n=1)",
        f"--- process {child}: {command}",
        f"{script}:6     call      => child(n=21)",
    ]
    assert query(path, "kind='call'", "--pid", str(child)).stdout.strip().endswith("=> child(n=21)")


def other_python() -> str | None:
    """An interpreter of another minor version than this one (3.10 or 3.13), from pyenv, if one is installed."""
    wanted = "3.13" if sys.version_info[:2] != (3, 13) else "3.10"
    found = sorted(Path.home().glob(f".pyenv/versions/{wanted}*/bin/python"))
    return str(found[-1]) if found else None


def test_a_recording_is_read_by_another_python_version(samples: Path, tmp_path: Path) -> None:
    """This Python records; another minor version (without hunter installed: the reader is on sys.path) replays."""
    python = other_python()
    if python is None:
        pytest.skip("no other Python version installed")
    path = tmp_path / "run.hunt"
    env = {"PYTHONHUNTER": f"module='demo', record={str(path)!r}, record_lines=True"}
    assert run_python(["run.py", "demo"], cwd=samples, env=env).returncode == 0
    here = query(path, "module='demo', action=CodePrinter")
    src = str(Path(hunter.__file__).resolve().parent.parent)
    there = run_python(
        ["-m", "hunter", "query", path, "module='demo', action=CodePrinter"], python=python, env={"PYTHONPATH": src}
    )
    assert there.returncode == 0, describe(there)
    assert there.stdout == here.stdout and here.stdout.count("\n") > 50


def test_a_newer_version_is_refused_in_one_line(tmp_path: Path) -> None:
    """A file from a newer hunter: one line saying so, not a traceback."""
    path = tmp_path / "new.hunt"
    path.write_text('["hunter-record",99,{}]\n')
    result = query(path, "kind='call'")
    assert result.returncode == 2
    assert result.stderr.endswith(
        f"{path} is a version 99 recording; this hunter reads versions up to {VERSION}: upgrade hunter\n"
    )


FLIGHT = """
import os, signal, sys, threading
import hunter
hunter.trace(module="__main__", record=sys.argv[1], record_last=50, threading_support=True)

def work(n):
    return n + 1

def worker():
    for n in range(1000):
        work(n)

thread = threading.Thread(target=worker, name="worker")
thread.start()
thread.join()
for n in range(1000):
    work(n)
if sys.argv[2] == "signal":
    os.kill(os.getpid(), signal.SIGUSR2)
    print("dumped" if os.path.exists(sys.argv[1]) else "not yet", flush=True)
elif sys.argv[2] == "raise":
    def boom():
        raise ValueError("boom")
    boom()
"""


def run_flight(tmp_path: Path, how: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    script = tmp_path / "flight.py"
    script.write_text(FLIGHT)
    path = tmp_path / "flight.hunt"
    return run_python([script, path, how]), path


def by_thread(path: Path) -> dict[str, list[RecordedEvent]]:
    threads: dict[str, list[RecordedEvent]] = {}
    for event in read(path):
        threads.setdefault(event.threadname, []).append(event)
    return threads


def test_flight_recorder_writes_each_threads_last_events_on_an_uncaught_exception(tmp_path: Path) -> None:
    """record_last=50: each thread's 50 last events, written when the program dies of an exception."""
    result, path = run_flight(tmp_path, "raise")
    assert result.returncode == 1 and result.stderr.endswith("ValueError: boom\n"), describe(result)
    threads = by_thread(path)
    assert sorted(threads) == ["MainThread", "worker"]
    assert len(threads["worker"]) == len(threads["MainThread"]) == 50
    # The worker's last events are its last calls; the main thread's end with the exception leaving boom().
    assert [(event.kind, event.function) for event in threads["worker"][-2:]] == [
        ("return", "work"),
        ("return", "worker"),
    ]
    last = threads["MainThread"][-5:]
    assert [(event.kind, event.function) for event in last] == [
        ("call", "boom"),
        ("exception", "boom"),
        ("return", "boom"),
        ("exception", "<module>"),
        ("return", "<module>"),
    ]
    assert "ValueError('boom')" in str(last[1].arg)


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="needs SIGUSR2")
def test_flight_recorder_writes_on_sigusr2_and_nothing_at_a_normal_end(tmp_path: Path) -> None:
    """SIGUSR2 writes the rings while the program goes on; a program that ends normally leaves no file."""
    result, path = run_flight(tmp_path, "signal")
    assert (result.returncode, result.stdout) == (0, "dumped\n"), describe(result)
    threads = by_thread(path)
    assert len(threads["worker"]) == len(threads["MainThread"]) == 50
    assert threads["MainThread"][-1].function == "work"
    result, path = run_flight(tmp_path, "nothing")
    assert result.returncode == 0, describe(result)
    assert not path.exists()


def test_hunter_dump_writes_the_flight_recorder_in_process(tmp_path: Path) -> None:
    """hunter.dump() from the program: the file holds the last events, and reads back as a recording."""
    path = tmp_path / "dump.hunt"

    def step(n: int) -> int:
        return n * 3

    with hunter.trace(function="step", record=str(path), record_last=10):
        for n in range(100):
            step(n)
        written = hunter.dump()
    assert written == [str(path)]
    events = list(read(path))
    assert len(events) == 10 and events[-1].kind == "return" and events[-1].arg == "297"


def test_a_timeline_made_from_a_recording_has_the_recorded_times(samples: Path, tmp_path: Path) -> None:
    """--format chrome from a recording: each call's B event is at its recorded time (µs since the origin, + 1)."""
    path = tmp_path / "run.hunt"
    env = {"PYTHONHUNTER": f"module='demo', record={str(path)!r}"}
    assert run_python(["run.py", "demo"], cwd=samples, env=env).returncode == 0
    timeline = tmp_path / "out.json"
    result = query(path, "module='demo'", "--format", "chrome", "-o", str(timeline))
    assert result.returncode == 0, describe(result)
    trace = read(path)
    origin = trace.metadata["origin_ns"]
    expected = [(event.time_ns - origin) / 1000 + 1 for event in trace if event.kind == "call"]
    begins = [json.loads(line.lstrip(",")) for line in timeline.read_text().splitlines()[1:-1]]
    # (In time order: a call is written when it ends, with its B then.)
    actual = sorted(item["ts"] for item in begins if item["ph"] == "B")
    expected.sort()
    assert len(actual) == len(expected) > 5
    assert actual == pytest.approx(expected, abs=0.002)


class Opaque:
    """An object of the program's: safe_repr shows only its type and address."""


@pytest.mark.parametrize(
    "value",
    [
        "text\nwith a newline",
        b"\x00bytes",
        (1,),
        (),
        {1: {2: {3: {4: {5: {6: 7}}}}}},
        [[[[[[[1]]]]]]],
        {"a": {"b": {"c": {"d": {"e": "f"}}}}},
        [1, [2, [3, [4, [5, [6]]]]]],
        {"key": [Opaque(), (1,)], (1, 2): frozenset({1})},
        {"a": [{"b": [{"c": 1.5, "d": None, "e": True}]}]},
        [Opaque()] * 5000,
        {index: ["x\ny", Opaque()] for index in range(300)},
    ],
)
def test_values_are_recorded_as_safe_repr_shows_them(value: object) -> None:
    """A recorded value's text is safe_repr's, newlines escaped, cut to its head and tail (depth limit included),
    rendering only what it keeps."""
    from hunter.record.writer import value_text
    from hunter.util import safe_repr

    for limit in (8, 31, 1024):
        assert value_text(value, limit) == shorten(safe_repr(value).replace("\n", "\\n"), limit)


def test_read_in_the_recording_process_sees_every_event(tmp_path: Path) -> None:
    """trace(record=...) in this process, stopped, then read(): nothing is left in the recorder's buffer."""
    path = tmp_path / "here.hunt"

    def triple(n: int) -> int:
        return n * 3

    with hunter.trace(function="triple", record=str(path)):
        for n in range(5):
            triple(n)
    events = list(read(path))
    assert [(event.kind, event.arg) for event in events[-2:]] == [("call", None), ("return", "12")]
    assert len(events) == 10


def test_a_big_batch_is_written_whole_in_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is joined in pieces of a few lines, gathered into writes of a few pieces: the file holds every line,
    in order, as one batch written at once holds them."""

    def triple(n: int) -> int:
        return n * 3

    def record(path: Path) -> list[tuple[str, Any, int]]:
        with hunter.trace(function="triple", record=str(path)):
            for n in range(25):
                triple(n)
        return [(event.kind, event.arg, event.depth) for event in read(path)]

    whole = record(tmp_path / "whole.hunt")
    monkeypatch.setattr(writer, "_LINES_PER_PIECE", 2)
    monkeypatch.setattr(writer, "_PIECES_PER_WRITE", 3)
    assert record(tmp_path / "pieces.hunt") == whole
    assert len(whole) == 50 and whole[-1] == ("return", "72", 0)


def test_a_short_gathered_write_is_finished_one_write_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "short.bin"
    pieces = [b"first,", b"second,", b"third"]
    monkeypatch.setattr(os, "writev", lambda fd, group: os.write(fd, group[0][:3]), raising=False)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        writer._write_all(fd, pieces)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"first,second,third"


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts this process's open files in /proc")
def test_a_recording_is_finished_when_its_tracer_stops(tmp_path: Path) -> None:
    """trace(record=...)'s file is whole at stop (its end mark written) and closed: a program (a test suite) that
    records again and again doesn't keep a file open for each recording until it exits."""

    def triple(n: int) -> int:
        return n * 3

    before = open_files()
    for index in range(40):
        path = tmp_path / f"run{index}.hunt"
        with hunter.trace(function="triple", record=str(path)):
            triple(index)
        assert path.read_text().splitlines()[-1].startswith('["end",')
    assert open_files() == before
    assert [(event.kind, event.arg) for event in read(path)] == [("call", None), ("return", "117")]


def test_a_tracer_given_its_predicate_again_goes_on_recording_into_the_same_file(tmp_path: Path) -> None:
    """Tracer.trace() on a running tracer replaces the predicate and tracing goes on (hunter 3.9): the recorder of
    the predicate given again is still open, and the file is finished at the real stop."""
    path = tmp_path / "again.hunt"

    def triple(n: int) -> int:
        return n * 3

    tracer = hunter.trace(function="triple", record=str(path))
    triple(1)
    tracer.trace(tracer.handler)
    triple(2)
    tracer.stop()
    assert [(event.kind, event.arg) for event in read(path)] == [
        ("call", None),
        ("return", "3"),
        ("call", None),
        ("return", "6"),
    ]
    assert path.read_text().splitlines()[-1].startswith('["end",')


def test_a_flight_recorder_outlives_its_tracer_until_a_dump(tmp_path: Path) -> None:
    """Its events are written on a dump, which may come after the tracer stopped (an uncaught exception leaves the
    ``with`` block first): stopping doesn't drop them."""
    path = tmp_path / "later.hunt"

    def triple(n: int) -> int:
        return n * 3

    with hunter.trace(function="triple", record=str(path), record_last=4):
        for n in range(10):
            triple(n)
    # (nothing else holds it now: not the stopped tracer, not the next one, not a reference cycle)
    with hunter.trace(function="nothing_here", action=hunter.CallPrinter(stream=io.StringIO())):
        pass
    gc.collect()
    assert not path.exists()
    assert hunter.dump() == [str(path)]
    assert [(event.kind, event.arg) for event in read(path)] == [
        ("call", None),
        ("return", "24"),
        ("call", None),
        ("return", "27"),
    ]


def test_only_the_newest_flight_recorders_outlive_their_tracers(tmp_path: Path) -> None:
    """A flight recorder per request, each to a file of its own: the newest files' recorders are held for a dump,
    the older ones go (their events with them) rather than pile up in memory."""
    from hunter.record.flight import KEPT_FILES, live_recorders

    def triple(n: int) -> int:
        return n * 3

    paths = [tmp_path / f"request-{index}.hunt" for index in range(KEPT_FILES + 3)]
    for path in paths:
        with hunter.trace(function="triple", record=str(path), record_last=2):
            triple(1)
    gc.collect()
    try:
        assert sorted(hunter.dump()) == sorted(str(path) for path in paths[3:])
        assert not any(path.exists() for path in paths[:3])
    finally:
        for recorder in live_recorders():
            recorder.close()  # (held until closed: later tests' dumps would write them too)


def wrapped_twice(n: int) -> int:
    return double(n) + 1


def double(n: int) -> int:
    return n * 2


def wrapped_counter(limit: int) -> Any:
    for n in range(limit):
        yield double(n)


def test_a_wrapped_function_records_every_run_into_one_file(tmp_path: Path) -> None:
    """``@hunter.wrap(record=PATH)`` starts a tracer at each run (each resumption of a generator): they all write
    one recording, the function's runs in order (a recorder per run started the file over each time)."""
    path, generator_path = tmp_path / "wrapped.hunt", tmp_path / "generator.hunt"
    function = hunter.wrap(record=str(path))(wrapped_twice)
    generator = hunter.wrap(record=str(generator_path))(wrapped_counter)
    assert [function(n) for n in range(3)] == [1, 3, 5]
    assert list(generator(2)) == [0, 2]
    for written in (path, generator_path):
        hunter.record.writer.flush_recording(str(written))
    runs = [
        [
            ("call", "wrapped_twice", None),
            ("call", "double", None),
            ("return", "double", str(2 * n)),
            ("return", "wrapped_twice", str(2 * n + 1)),
        ]
        for n in range(3)
    ]
    assert [(event.kind, event.function, event.arg) for event in read(path)] == [event for run in runs for event in run]
    resumed = [(event.kind, event.function, event.arg) for event in read(generator_path) if event.function == "double"]
    steps = [[("call", "double", None), ("return", "double", str(2 * n))] for n in range(2)]
    assert resumed == [event for step in steps for event in step]


COMMAND = """
def twice(x):
    return x * 2

twice(21)
"""


def test_the_source_of_code_run_with_dash_c_is_stored(tmp_path: Path) -> None:
    """``hunter record -c CODE``: no file holds the code, so the recording does; the replay shows its lines."""
    path = tmp_path / "command.hunt"
    recorded = run_python(["-m", "hunter", "record", "--lines", "-o", path, "-c", COMMAND], cwd=tmp_path)
    assert recorded.returncode == 0, describe(recorded)
    live = run_python(["-m", "hunter", "--action", "code", "-c", COMMAND], cwd=tmp_path)
    replayed = query(path, "--action", "code")
    assert replayed.stdout == live.stderr and "return x * 2" in live.stderr


def test_a_failing_query_ends_the_replay_in_one_line(samples: Path, tmp_path: Path) -> None:
    """A predicate of the user's that raises on an event: one line naming the error, exit status 1."""
    path = tmp_path / "run.hunt"
    env = {"PYTHONHUNTER": f"module='demo', record={str(path)!r}"}
    assert run_python(["run.py", "demo"], cwd=samples, env=env).returncode == 0
    result = query(path, "lambda event: 1 / 0")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "python -m hunter query: error: the query failed on a recorded event: ZeroDivisionError: division by zero\n"
    )


def test_recording_calls_only_keeps_no_frame_alive(tmp_path: Path) -> None:
    """kind="call": returns are never seen, so no ended call's frame (and its variables) may stay referenced."""
    import gc
    import weakref

    class Resource:
        """A local variable whose life ends with its frame."""

    alive: list[weakref.ref[Resource]] = []

    def holder() -> None:
        resource = Resource()
        alive.append(weakref.ref(resource))

    gc.disable()  # (only reference counting may end it: as when the program's frame is simply gone)
    try:
        with hunter.trace(function="holder", kind="call", record=str(tmp_path / "calls.hunt")):
            for _ in range(3):
                holder()
                assert alive[-1]() is None
    finally:
        gc.enable()
    assert [event.function for event in read(tmp_path / "calls.hunt")] == ["holder"] * 3


def test_a_backlog_with_vars_shows_the_recorded_values_as_live(tmp_path: Path) -> None:
    """Backlog(vars=True) keeps a copy of each value's text; a recorded event's values are texts already (a second
    repr would quote them: fail(message="'x'"), <= fail: 'None')."""
    (tmp_path / "app.py").write_text(
        "def inner(message):\n    raise ValueError(message)\n"
        "def outer():\n    try:\n        inner('boom')\n    except ValueError:\n        return None\n"
        "outer()\n"
    )
    query_text = "Backlog(Q(kind='exception', module='__main__'), size=5, stack=0, vars=True).filter(function='inner')"
    live = run_python(["app.py"], cwd=tmp_path, env={"PYTHONHUNTER": query_text})
    path = tmp_path / "run.hunt"
    recorded = run_python(
        ["app.py"], cwd=tmp_path, env={"PYTHONHUNTER": f"module='__main__', record={str(path)!r}, record_lines=True"}
    )
    assert recorded.returncode == 0, describe(recorded)
    replayed = query(path, query_text, cwd=tmp_path)
    assert replayed.returncode == 0, describe(replayed)
    assert "=> inner(message='boom')" in live.stderr, describe(live)
    assert normalize(replayed.stdout) == normalize(live.stderr)


SIBLINGS = """\
def other():
    return 1
def numbers(limit):
    for value in range(limit):
        yield value
def closer():
    try:
        yield 1
    finally:
        pass
def main():
    for n in numbers(2):
        pass
    other()
    early = closer()
    next(early)
    early.close()
    list(value for value in numbers(1))
main()
"""


@pytest.mark.parametrize(
    "query_text",
    ["module='__main__', lineno_lt=5", "module='__main__', lineno_lt=9", "~Q(kind='return'), module='__main__'"],
    ids=["yields-hidden", "close-hidden", "no-returns"],
)
def test_a_replays_call_tree_is_the_live_one_when_returns_are_filtered_out(tmp_path: Path, query_text: str) -> None:
    """A printed call whose return the query drops stops indenting the calls after it when its frame is gone, live
    and replayed: a generator resumed where its resumption isn't shown goes on at its call's level (the same frame),
    and a sibling called deeper after a closed generator (through a generator expression) is not indented under
    it (it was, in a replay that told the running calls by depth alone)."""
    (tmp_path / "app.py").write_text(SIBLINGS)
    live = run_python(["app.py"], cwd=tmp_path, env={"PYTHONHUNTER": query_text})
    path = tmp_path / "run.hunt"
    env = {"PYTHONHUNTER": f"module='__main__', record={str(path)!r}, record_lines=True"}
    recorded = run_python(["app.py"], cwd=tmp_path, env=env)
    assert recorded.returncode == 0, describe(recorded)
    replayed = query(path, query_text, cwd=tmp_path)
    assert replayed.returncode == 0, describe(replayed)
    assert "=> numbers(limit=2)" in live.stderr, describe(live)
    assert normalize(replayed.stdout) == normalize(live.stderr)


def timeline_events(path: Path) -> list[dict[str, Any]]:
    """A Chrome trace's events (one per line, as ChromeTrace writes them)."""
    lines = (line.lstrip(",") for line in path.read_text().splitlines())
    return [json.loads(line) for line in lines if line.startswith("{")]


def timeline_by_thread(path: Path) -> dict[str, list[dict[str, object]]]:
    """A Chrome trace's events per thread name in the order of their times (a writer writes an open call's B event at
    a write, after later events that a viewer orders by time too), without what differs from run to run (times, pids,
    thread ids)."""
    events = sorted(timeline_events(path), key=lambda event: float(event.get("ts", 0)))  # (stable: ties keep order)
    names = {event["tid"]: event["args"]["name"] for event in events if event.get("name") == "thread_name"}
    threads: dict[str, list[dict[str, object]]] = {}
    for event in events:
        if event["ph"] != "M":
            kept = {key: value for key, value in event.items() if key not in ("ts", "pid", "tid")}
            threads.setdefault(names[event["tid"]], []).append(kept)
    return threads


def timeline_ids(path: Path) -> tuple[dict[int, str], dict[tuple[int, int], str], set[tuple[int, int]]]:
    """A Chrome trace's process names by pid, thread names by (pid, tid) (the last given), and the (pid, tid) of its
    other events."""
    processes: dict[int, str] = {}
    threads: dict[tuple[int, int], str] = {}
    used: set[tuple[int, int]] = set()
    for event in timeline_events(path):
        if event.get("name") == "process_name":
            processes[event["pid"]] = event["args"]["name"]
        elif event.get("name") == "thread_name":
            threads[event["pid"], event["tid"]] = event["args"]["name"]
        else:
            used.add((event["pid"], event["tid"]))
    return processes, threads, used


def printed_ids(output: str) -> tuple[int, dict[str, int]]:
    """What a program of these tests printed: its pid (``process PID``) and each thread's OS id
    (``thread NAME TID``)."""
    words = [line.split() for line in output.splitlines()]
    pid = next(int(line[1]) for line in words if line[0] == "process")
    return pid, {line[1]: int(line[2]) for line in words if line[0] == "thread"}


#: Two threads calling functions with arguments, return values and a caught exception; each says its ids. A method and
#: a nested function too: a timeline names them by their qualified names (``Box.size``, ``top.<locals>.inner``; a
#: class method: its argument, the class, shows alike in two runs, where an instance shows its address).
THREADS_APP = (
    "import os, threading\n"
    "def leaf(n, *rest, key=None):\n    return n * 2\n"
    "def fail(text):\n    raise KeyError(text)\n"
    "def top():\n"
    "    print('thread', threading.current_thread().name, threading.get_native_id(), flush=True)\n"
    "    def inner():\n        return Box.size()\n"
    "    try:\n        fail('x')\n    except KeyError:\n        pass\n    return leaf(3, 4, key='k') + inner()\n"
    "class Box:\n    @classmethod\n    def size(cls):\n        return 1\n"
    "print('process', os.getpid(), flush=True)\n"
    "t = threading.Thread(target=top, name='helper'); t.start(); t.join()\n"
    "top()\n"
)


def test_a_timeline_made_from_a_recording_has_the_live_timelines_events(tmp_path: Path) -> None:
    """ChromeTrace from a replay: each thread's calls, arguments, return values and exceptions (named by their class,
    a call that an exception ended as such) as a live ChromeTrace writes them, under the recorded process's pid and
    name and the recorded threads' ids and names (not the replaying process's)."""
    (tmp_path / "app.py").write_text(THREADS_APP)
    live = run_python(
        ["app.py"], cwd=tmp_path, env={"PYTHONHUNTER": "module='__main__', action=ChromeTrace('live.json')"}
    )
    assert live.returncode == 0, describe(live)
    path = tmp_path / "run.hunt"
    recorded = run_python(["app.py"], cwd=tmp_path, env={"PYTHONHUNTER": f"module='__main__', record={str(path)!r}"})
    assert recorded.returncode == 0, describe(recorded)
    replayed = query(path, "module='__main__'", "--format", "chrome", "-o", str(tmp_path / "replay.json"))
    assert replayed.returncode == 0, describe(replayed)
    expected = timeline_by_thread(tmp_path / "live.json")
    assert {"name": "KeyError", "ph": "i", "s": "t", "cat": "exception", "args": {"exception": "KeyError('x')",
            "location": f"{tmp_path / 'app.py'}:5"}} in expected["helper"]  # fmt: skip
    if sys.version_info >= (3, 11):  # (code objects know their qualified names from 3.11 on)
        assert {"Box.size", "top.<locals>.inner"} <= {event.get("name") for event in expected["helper"]}
    assert timeline_by_thread(tmp_path / "replay.json") == expected
    # The ids and names: the live timeline's are its run's, the replay's the recorded run's.
    for result, timeline in ((live, "live.json"), (recorded, "replay.json")):
        pid, tids = printed_ids(result.stdout)
        threads = {(pid, tids["MainThread"]): "MainThread", (pid, tids["helper"]): "helper"}
        assert timeline_ids(tmp_path / timeline) == ({pid: "app.py"}, threads, set(threads)), timeline


#: Python functions calling C functions (profile mode shows both), the first before any return.
BUILTINS_APP = (
    "def work(items):\n    total = sum(items)\n    return len(items) + total\n"
    "def main():\n    return work([1, 2, 3]), sorted([3, 1], key=abs)\n"
    "main()\n"
)


def test_a_profile_mode_timeline_made_from_a_recording_has_the_live_timelines_events(tmp_path: Path) -> None:
    """C functions' calls in profile mode: each inside the Python call it was made from, its end showing no value,
    live and replayed alike (the recording holds their values, the functions: a printer shows them as live)."""
    (tmp_path / "app.py").write_text(BUILTINS_APP)
    query_text = "filename_endswith='app.py', profile=True"  # (a C function's event has its caller's file name)
    live = run_python(["app.py"], cwd=tmp_path, env={"PYTHONHUNTER": f"{query_text}, action=ChromeTrace('live.json')"})
    assert live.returncode == 0, describe(live)
    path = tmp_path / "run.hunt"
    recorded = run_python(["app.py"], cwd=tmp_path, env={"PYTHONHUNTER": f"profile=True, record={str(path)!r}"})
    assert recorded.returncode == 0, describe(recorded)
    replayed = query(path, query_text, "--format", "chrome", "-o", str(tmp_path / "replay.json"))
    assert replayed.returncode == 0, describe(replayed)
    expected = timeline_by_thread(tmp_path / "live.json")
    names = [(event["ph"], event["name"]) for event in expected["MainThread"]]
    assert names == [
        *(("B", "<module __main__>"), ("B", "main"), ("B", "work"), ("B", "sum"), ("E", "sum"), ("B", "len")),
        *(("E", "len"), ("E", "work"), ("B", "sorted"), ("E", "sorted"), ("E", "main"), ("E", "<module __main__>")),
    ]
    assert [event.get("args") for event in expected["MainThread"] if event["name"] == "work"][1] == {
        "items": "[1, 2, 3]",
        "return": "9",
    }
    assert timeline_by_thread(tmp_path / "replay.json") == expected
    code = query(path, query_text, "--action", "code")
    assert code.returncode == 0, describe(code)
    assert "return value: <built-in function sum>" in code.stdout


#: Coroutines awaiting: the interpreter's StopIteration at an await is an exception event without a traceback, and
#: ``runner`` suspends again after one (it isn't ended by it).
AWAITING_APP = (
    "import asyncio\n"
    "async def job(n):\n    await asyncio.sleep(0)\n    return n\n"
    "async def runner():\n    total = 0\n    for n in range(2):\n        total += await job(n)\n    return total\n"
    "asyncio.run(runner())\n"
)


@pytest.mark.parametrize("output", ["chrome", "jsonl"])
def test_an_exception_without_a_traceback_is_named_by_its_class_in_a_timeline_of_a_recording(
    tmp_path: Path, output: str
) -> None:
    """An exception event whose traceback is None (a coroutine's StopIteration at an await) shows in a timeline made
    from a recording as in the live one: named by its class, the exception's text as its value (not "exception" and
    the text of the whole ``(type, value, traceback)``). A coroutine that suspends after such an exception returned
    (3.10 left its f_lasti before the YIELD_FROM: the live timeline took the suspension for the exception's end)."""
    (tmp_path / "app.py").write_text(AWAITING_APP)
    live_file, replay_file = tmp_path / f"live.{output}", tmp_path / f"replay.{output}"
    live_run = ["-m", "hunter", "--module", "__main__", "--format", output, "-o", live_file, "app.py"]
    live = run_python(live_run, cwd=tmp_path)
    assert live.returncode == 0, describe(live)
    recording = ["-m", "hunter", "record", "-o", "run.hunt", "--lines", "--module", "__main__", "--", "app.py"]
    assert run_python(recording, cwd=tmp_path).returncode == 0
    replayed = query(tmp_path / "run.hunt", "module='__main__'", "--format", output, "-o", str(replay_file))
    assert replayed.returncode == 0, describe(replayed)
    if output == "chrome":
        expected: Any = timeline_by_thread(live_file)
        assert {"name": "StopIteration", "ph": "i", "s": "t", "cat": "exception", "args": {"exception":
                "StopIteration()", "location": f"{tmp_path / 'app.py'}:3"}} in expected["MainThread"]  # fmt: skip
        ends = [event for event in expected["MainThread"] if event["ph"] == "E" and event["name"] == "runner"]
        assert [event["args"] for event in ends] == [{"return": "None"}] * 2 + [{"return": "1"}]
        assert timeline_by_thread(replay_file) == expected
    else:
        differing = ("time", "pid", "tid", "threadid", "calls")
        expected = jsonl_by_thread(live_file, differing)
        exceptions = [event for event in expected["MainThread"] if event["kind"] == "exception"]
        texts = ["StopIteration()", "StopIteration(0)", "StopIteration()", "StopIteration(1)"]
        assert [(event["exception"], event["arg"]) for event in exceptions] == [("StopIteration", t) for t in texts]
        assert jsonl_by_thread(replay_file, differing) == expected


#: A generator that catches an exception thrown into it and yields, then is closed (GeneratorExit passes through).
CATCHING_GENERATOR_APP = (
    "def gen():\n"
    "    try:\n        yield 1\n    except ValueError as exc:\n        yield f'caught {exc}'\n"
    "    return 'done'\n"
    "def main():\n"
    "    g = gen()\n    next(g)\n    g.throw(ValueError('boom'))\n    g.close()\n"
    "    h = gen()\n    next(h)\n    next(h, None)\n"
    "main()\n"
)


def test_a_recording_tells_a_suspension_from_a_return_and_from_an_exceptions_end(tmp_path: Path) -> None:
    """A return record says how the frame left: 2 at a yield (suspended), 1 when it returned; a timeline made from
    the recording then shows the yield after a caught exception as a yield of its value, as the live one does (the
    replay took it for the exception's end). (A generator closed at a yield shows the yield, live and recorded: the
    frame's last instruction is all either has.)"""
    (tmp_path / "app.py").write_text(CATCHING_GENERATOR_APP)
    recording = ["-m", "hunter", "record", "-o", "run.hunt", "--module", "__main__", "--", "app.py"]
    assert run_python(recording, cwd=tmp_path).returncode == 0
    lines = [json.loads(line) for line in (tmp_path / "run.hunt").read_text().splitlines()]
    code_refs = {line[1]: line[4] for line in lines if line[0] == "c"}
    gen_returns = [line[6] for line in lines if line[0] == 2 and code_refs[line[4]] == "gen"]
    assert gen_returns == [2, 2, 2, 2, 1]  # (g: yield, yield, closed at the yield; h: yield, returned 'done')
    live_run = ["-m", "hunter", "--module", "__main__", "--format", "chrome", "-o", "live.json", "app.py"]
    assert run_python(live_run, cwd=tmp_path).returncode == 0
    replayed = query(tmp_path / "run.hunt", "module='__main__'", "--format", "chrome", "-o", str(tmp_path / "out.json"))
    assert replayed.returncode == 0, describe(replayed)
    expected = timeline_by_thread(tmp_path / "live.json")
    ends = [event["args"] for event in expected["MainThread"] if event["ph"] == "E" and event["name"] == "gen"]
    assert ends[:2] == [{"return": "1"}, {"return": "'caught boom'"}]
    assert timeline_by_thread(tmp_path / "out.json") == expected


#: A thread that runs (and ends) while the main thread waits for it, then the main thread's own calls: one order of
#: events only, whichever thread's records are written first.
ONE_THREAD_AFTER_ANOTHER_APP = (
    "import threading\n"
    "def f(n):\n    return n + 1\n"
    "def work():\n    for n in range(300):\n        f(n)\n"
    "thread = threading.Thread(target=work, name='worker')\nthread.start()\nthread.join()\n"
    "for n in range(3):\n    f(n)\n"
)


def test_a_replay_prints_the_threads_events_in_the_order_they_happened(tmp_path: Path) -> None:
    """A thread's records wait in memory until a write (its batch full, the recording's end) and each write holds
    every thread's, a thread at a time: the worker's last calls, written at the end, came after the main thread's
    later calls in the file. The replay orders each write's events by time: what the live trace printed."""
    (tmp_path / "app.py").write_text(ONE_THREAD_AFTER_ANOTHER_APP)
    live_run = ["-m", "hunter", "--module", "__main__", "--kind", "call,return", "-o", "live.txt", "app.py"]
    live = run_python(live_run, cwd=tmp_path)
    assert live.returncode == 0, describe(live)
    recording = ["-m", "hunter", "record", "-o", "run.hunt", "--module", "__main__", "--", "app.py"]
    assert run_python(recording, cwd=tmp_path).returncode == 0
    replayed = query(tmp_path / "run.hunt", "module='__main__'")
    assert replayed.returncode == 0, describe(replayed)
    expected = (tmp_path / "live.txt").read_text().splitlines()
    worker_end = next(index for index, line in enumerate(expected) if "<= work:" in line)
    assert expected[worker_end].startswith("worker") and expected[worker_end + 1].startswith("MainThread")
    assert len(expected) == 2 + 2 * 301 + 2 * 3  # (the module, work and its calls of f, the main thread's calls of f)
    assert normalize(replayed.stdout).splitlines() == [normalize(line) for line in expected]


#: A process, a multiprocessing child (forked, named) and a subprocess, each saying its ids.
PROCESSES_APP = """\
import multiprocessing, os, subprocess, sys, threading
def work(n):
    return n * 2
def child(n):
    print('thread', 'Worker-A', os.getpid(), flush=True)
    return work(n)
SUB = "import os\\ndef f():\\n    return 1\\nprint('thread', 'sub', os.getpid(), flush=True)\\nf()\\n"
if __name__ == '__main__':
    print('process', os.getpid(), flush=True)
    worker = multiprocessing.get_context('fork').Process(target=child, args=(2,), name='Worker-A')
    worker.start()
    worker.join()
    subprocess.run([sys.executable, '-c', SUB], check=True)
    work(1)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a multiprocessing child")
def test_a_timeline_made_from_a_recording_of_several_processes_keeps_each_process(tmp_path: Path) -> None:
    """Each recorded process's events are under its own pid and name (a multiprocessing child's name, a subprocess's
    command), its main thread's track under its own id: as a live ChromeTrace of the run names them."""
    (tmp_path / "app.py").write_text(PROCESSES_APP)
    hunter_module = ["-m", "hunter"]
    live = run_python(
        [*hunter_module, "--format", "chrome", "-o", "live.json", "--module", "__main__", "--", "app.py"], cwd=tmp_path
    )
    assert live.returncode == 0, describe(live)
    recorded = run_python(
        [*hunter_module, "record", "-o", "run.hunt", "--module", "__main__", "--", "app.py"], cwd=tmp_path
    )
    assert recorded.returncode == 0, describe(recorded)
    replayed = query(tmp_path / "run.hunt", "module='__main__'", "--format", "chrome", "-o", str(tmp_path / "out.json"))
    assert replayed.returncode == 0, describe(replayed)
    for result, timeline in ((live, "live.json"), (recorded, "out.json")):
        pid, children = printed_ids(result.stdout)
        worker, sub = children["Worker-A"], children["sub"]
        processes, threads, used = timeline_ids(tmp_path / timeline)
        assert processes == {pid: "app.py", worker: "Worker-A", sub: "python -c"}, timeline
        assert threads == {(each, each): "MainThread" for each in (pid, worker, sub)}, timeline  # (main: tid = pid)
        assert used == set(threads), timeline


def jsonl_by_thread(path: Path, left_out: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """A JSON Lines trace's events per thread name, in order, without the keys ``left_out``."""
    threads: dict[str, list[dict[str, Any]]] = {}
    for line in path.read_text().splitlines():
        event = json.loads(line)
        threads.setdefault(event["threadname"], []).append({k: v for k, v in event.items() if k not in left_out})
    return threads


def test_json_lines_made_from_a_recording_are_the_live_lines_with_the_recorded_times_and_ids(tmp_path: Path) -> None:
    """--format jsonl from a recording (with lines) writes each thread's lines as a live ``hunter --format jsonl``
    of the same query does, with the recorded time, pid and thread ids (not the replaying process's); ``calls``
    counts the recorded calls before each event (the live count includes calls that were not recorded)."""
    (tmp_path / "app.py").write_text(THREADS_APP)
    hunter_module = ["-m", "hunter"]
    live = run_python(
        [*hunter_module, "--format", "jsonl", "-o", "live.jsonl", "--module", "__main__", "--", "app.py"], cwd=tmp_path
    )
    assert live.returncode == 0, describe(live)
    recording = [*hunter_module, "record", "-o", "run.hunt", "--lines", "--module", "__main__", "--", "app.py"]
    recorded = run_python(recording, cwd=tmp_path)
    assert recorded.returncode == 0, describe(recorded)
    replayed = query(tmp_path / "run.hunt", "module='__main__'", "--format", "jsonl", "-o", str(tmp_path / "out.jsonl"))
    assert replayed.returncode == 0 and replayed.stderr == "", describe(replayed)
    differing = ("time", "pid", "tid", "threadid", "calls")
    expected = jsonl_by_thread(tmp_path / "live.jsonl", differing)
    assert {"kind": "exception", "function": "fail", "exception": "KeyError", "arg": "KeyError('x')"}.items() <= next(
        event for event in expected["helper"] if event["kind"] == "exception"
    ).items()
    assert jsonl_by_thread(tmp_path / "out.jsonl", differing) == expected
    # What differs is the recorded run's: its pid, its threads' ids, the recorded times; calls as the replay met them.
    pid, tids = printed_ids(recorded.stdout)
    recorded_events: dict[str, list[tuple[float, int, int | None]]] = {}
    calls = 0
    for event in read(tmp_path / "run.hunt").parts[0].events():
        recorded_events.setdefault(event.threadname, []).append(((event.time_ns + 1000) / 1e9, calls, event.threadid))
        calls += event.kind == "call"
    lines = jsonl_by_thread(tmp_path / "out.jsonl", ())
    assert set(lines) == set(recorded_events) == set(tids) == {"MainThread", "helper"}
    for name, events in lines.items():
        assert {(event["pid"], event["tid"]) for event in events} == {(pid, tids[name])}
        assert [(event["time"], event["calls"], event["threadid"]) for event in events] == recorded_events[name]


RENAMED = """
import multiprocessing, os, sys
import hunter

def step(n):
    return n + 1

print('process', os.getpid(), flush=True)
with hunter.trace(function="step", record=sys.argv[1]):
    step(1)
    hunter.record.read(sys.argv[1])  # (the events so far are written)
    multiprocessing.current_process().name = "Renamed"
    step(2)
"""


def test_a_recording_tells_a_new_name_of_its_process_and_its_timeline_shows_it(tmp_path: Path) -> None:
    """The process's name changes after the file started (as a multiprocessing worker's): a 'p' entry says it at
    the next write, the reader's part takes it, and a timeline made from the recording names the process so."""
    (tmp_path / "app.py").write_text(RENAMED)
    path = tmp_path / "run.hunt"
    result = run_python(["app.py", str(path)], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0][2]["label"] == "app.py"
    assert [record for record in records if record[0] == "p"] == [["p", "Renamed"]]
    part = read(path).parts[0]
    assert part.label == "app.py"
    assert [event.arg for event in part.events() if event.kind == "return"] == ["2", "3"]
    assert part.label == "Renamed"  # (told as the events were read)
    replayed = query(path, "function='step'", "--format", "chrome", "-o", str(tmp_path / "out.json"))
    assert replayed.returncode == 0, describe(replayed)
    pid, _threads = printed_ids(result.stdout)
    names = [event["args"]["name"] for event in timeline_events(tmp_path / "out.json")
             if event.get("name") == "process_name" and event["pid"] == pid]  # fmt: skip
    assert names == ["app.py", "Renamed"]


DELETING_GENERATOR = """
import sys, weakref
import hunter

class Thing:
    pass

def gen():
    thing = Thing()
    yield weakref.ref(thing)
    del thing  # (the generator is resumed with it bound: a copy of its locals made then would keep it)
    yield 2

with hunter.trace(module="__main__", record=sys.argv[1]):
    generator = gen()
    ref = next(generator)
    next(generator)
    print(ref() is None)
"""


def test_recording_a_generator_without_parameters_keeps_nothing_it_deletes(tmp_path: Path) -> None:
    """A resumption of code without parameters is recorded without reading its locals: before 3.13 reading
    ``frame.f_locals`` stores a copy of every local in the frame, which kept an object the generator had deleted."""
    (tmp_path / "app.py").write_text(DELETING_GENERATOR)
    result = run_python(["app.py", "run.hunt"], cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "True\n"), describe(result)
    assert [event.function for event in read(tmp_path / "run.hunt") if event.kind == "call"] == ["gen", "gen"]


def _recorded_quietly(path: Path) -> None:
    """A recording of a few calls, started and stopped in a frame of its own (whose locals a cycle would hold)."""
    held_by_this_frame = [object()]  # noqa: F841 (what a cycle through this frame would keep alive)
    with hunter.trace(stdlib=False, record=str(path)):
        double(2)
        wrapped_twice(3)


def test_a_stopped_recording_leaves_no_reference_cycles(tmp_path: Path, backend: str) -> None:
    """Stopping frees the tracer's parts when the last reference goes, not at some later collection: the frames
    running at start (and what their locals hold) above all. (On settrace each local trace function returns itself,
    a cycle that holds only its own code's fields.)"""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # (unreachable objects are kept in gc.garbage: what cycles held)
    try:
        _recorded_quietly(tmp_path / "quiet.hunt")
        gc.collect()
        frames = [frame.f_code.co_name for frame in gc.garbage if isinstance(frame, FrameType)]
        hunter_parts = {type(part).__qualname__ for part in gc.garbage if type(part).__module__.startswith("hunter.")}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert frames == []
    if backend == "monitoring":
        assert hunter_parts == set()
    assert read(tmp_path / "quiet.hunt")  # (it did record)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_recording_whose_first_write_fails_is_one_message_and_the_program_runs_on(tmp_path: Path) -> None:
    """A short run writes its recording once, when it stops (the header waits for the first batch): a full disk then
    is one line, which says what the recording holds. (It once stopped the command with a traceback, and later the
    last write's failure was not said at all.)"""
    (tmp_path / "prog.py").write_text("def f(n):\n    return n\nprint(sum(f(n) for n in range(3)))\n")
    result = run_python(["-m", "hunter", "record", "-o", "/dev/full", "--", "prog.py"], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "3\n"
    assert result.stderr == (
        "hunter: cannot write the recording to '/dev/full': [Errno 28] No space left on device"
        " (the recording holds what was written before)\n"
    ), describe(result)


def test_a_long_run_whose_write_fails_stops_tracing_with_one_message(tmp_path: Path) -> None:
    """A batch written while the program runs (a full one) fails: tracing stops there, said once, the program runs."""
    program = "def f(n):\n    return n\nfor n in range(5000):\n    f(n)\nprint('ran')\n"  # (more than a batch)
    (tmp_path / "prog.py").write_text(program)
    result = run_python(["-m", "hunter", "record", "-o", "/dev/full", "--", "prog.py"], cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "ran\n"), describe(result)
    assert result.stderr == (
        "hunter: tracing stopped: cannot write the recording to '/dev/full': [Errno 28] No space left on device\n"
    ), describe(result)


def test_a_recording_killed_before_its_first_write_is_said_to_be_empty(tmp_path: Path) -> None:
    """kill -9 a moment after recording started: the file exists but holds nothing yet; a reader says so."""
    script = tmp_path / "killed.py"
    script.write_text(
        "import os, signal, sys\nimport hunter\nhunter.trace(record=sys.argv[1])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    path = tmp_path / "killed.hunt"
    result = run_python([script, path])
    assert result.returncode == -signal.SIGKILL, describe(result)
    with pytest.raises(FormatError, match=r"killed\.hunt is empty: its program ended \(or was killed\) before"):
        read(path)


def test_a_program_closing_the_recordings_file_runs_on(tmp_path: Path) -> None:
    """The program closes every file descriptor it didn't open (as a daemon does) while recorded calls go on: the
    failed write stops tracing from inside a compiled callback, which then must not be freed under its own feet."""
    program = (
        "import os\n"
        "def f(n):\n    return n\n"
        "for n in range(2000):\n    f(n)\n"
        "import hunter.record.writer\n"
        "[recorder.flush() for recorder in list(hunter.record.writer._live)]\n"  # (the file holds its first batch)
        "os.closerange(3, 4096)\n"
        "for n in range(5000):\n    f(n)\n"
        "print('done')\n"
    )
    (tmp_path / "prog.py").write_text(program)
    result = run_python(["-m", "hunter", "record", "-o", "run.hunt", "--", "prog.py"], cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "done\n"
    assert "hunter: tracing stopped: cannot write the recording to" in result.stderr, describe(result)
    assert "[Errno 9] the traced program closed the file descriptor" in result.stderr, describe(result)
    assert [event.function for event in read(tmp_path / "run.hunt")][:1] == ["<module>"]  # (what was written)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_flight_recorder_never_removes_what_is_not_a_file(tmp_path: Path) -> None:
    """A flight recorder removes the file an earlier run left when it starts: it removed whatever the path named, and
    as root ``-o /dev/full`` deleted the device. A pipe (or a device) stays; only a regular file goes."""
    pipe, old = tmp_path / "pipe", tmp_path / "old.hunt"
    os.mkfifo(pipe)
    old.write_text("an earlier run's dump\n")
    from hunter.record.flight import live_recorders

    try:
        for path in (pipe, old):
            with hunter.trace(function="nothing_here", record=str(path), record_last=10):
                pass
        assert stat.S_ISFIFO(os.stat(pipe).st_mode)
        assert not old.exists()
    finally:
        for recorder in live_recorders():
            recorder.close()  # (a later dump would wait for a reader of the pipe)


@pytest.mark.parametrize("where", ["missing/run.hunt", "."], ids=["missing-folder", "a-folder"])
def test_a_recording_that_cannot_be_created_is_one_line_and_nothing_runs(tmp_path: Path, where: str) -> None:
    """As a timeline's -o: said before the program runs (it was a traceback, once the program had started)."""
    (tmp_path / "prog.py").write_text("open('ran', 'w').close()\n")
    result = run_python(["-m", "hunter", "record", "-o", where, "--", "prog.py"], cwd=tmp_path)
    assert result.returncode == 2, describe(result)
    reason = "its folder is missing" if where != "." else "Is a directory"
    assert result.stderr == f"python -m hunter record: error: cannot record to {str(tmp_path / where)!r}: {reason}\n"
    assert not (tmp_path / "ran").exists()


def test_a_recording_lets_go_of_the_threads_that_ended(tmp_path: Path) -> None:
    """A thread's part of the recording (and its Thread) went only when the recording did: a server starting a thread
    per request grew by ~3 KB a thread. Once a finished thread's lines are written, nothing of it is held."""
    import threading
    import weakref

    path = tmp_path / "threads.hunt"
    ended = []

    def work() -> None:
        double(1)

    with hunter.trace(function="double", record=str(path), threading_support=True):
        for _ in range(30):
            thread = threading.Thread(target=work)
            thread.start()
            thread.join()
            ended.append(weakref.ref(thread))
            del thread
        read(path)  # (in the recording process: writes out what is buffered first)
        gc.collect()
        held = [ref for ref in ended if ref() is not None]
    assert len(held) <= 1  # (the compiled callbacks keep the last thread's state they used: one)
    assert [event.kind for event in read(path) if event.function == "double"] == ["call", "return"] * 30


class _EndedStandIn:
    """A Thread stand-in whose thread has ended: 3.13+'s ``_DummyThread`` (a thread threading didn't start) says so by
    raising from is_alive()."""

    _name = "Dummy-1"

    def is_alive(self) -> bool:
        raise RuntimeError("thread is not alive")


def test_a_thread_that_threading_did_not_start_is_let_go_once_it_ended() -> None:
    """Asked whether its thread ended, as the recording lets go of finished threads, the stand-in's error stopped
    tracing; a live thread and one with lines still to write are kept."""
    import threading

    ended = writer._ThreadState(1, _EndedStandIn(), "Dummy-1", [])  # type: ignore[arg-type]
    assert writer._finished(ended)
    ended.records.append("a line still to write")
    assert not writer._finished(ended)
    assert not writer._finished(writer._ThreadState(2, threading.current_thread(), "MainThread", []))
