"""os.fork() while other threads trace: the child never waits for a lock that a thread of the parent held."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from helpers import describe, run_python

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

#: Before the fix most runs of these hung for ever: a hang is a failure, reported with what the child printed.
TIMEOUT = 120

# 3.12+ warns that forking a process with threads may deadlock (it is what these tests check doesn't happen).
QUIET = ["-W", "ignore::DeprecationWarning"]


def run(program: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "prog.py"
    script.write_text(program)
    try:
        return run_python([*QUIET, str(script)], cwd=tmp_path, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        output = (tmp_path / "t.txt").read_text() if (tmp_path / "t.txt").exists() else ""
        pytest.fail(f"hung (deadlock after fork); the trace so far ends with:\n{output[-2000:]}\n{exc}")


FORK_WHILE_PRINTING = """\
import os, threading, hunter
hunter.trace(module="__main__", action=hunter.CallPrinter(stream="t.txt"))
def f(): pass
def spin():
    while True: f()
for _ in range(3): threading.Thread(target=spin, daemon=True).start()
for i in range(20):
    pid = os.fork()
    if pid == 0:
        f(); os._exit(0)
    os.waitpid(pid, 0)
print("ok")
"""

#: What each child writes: the rest of the fork loop's iteration and its call of f, each line whole.
CHILD_LINES = [
    "MainThread prog.py:9 line if pid == 0:",
    "MainThread prog.py:10 line f(); os._exit(0)",
    "MainThread prog.py:3 call => f()",
    "MainThread prog.py:3 line def f(): pass",
    "MainThread prog.py:3 return <= f: None",
]


def children_lines(trace: str, parent: int | None = None) -> dict[int, list[str]]:
    """The lines of each process but ``parent`` (``[pid]`` prefix), with whitespace runs as one space."""
    found: dict[int, list[str]] = {}
    for line in trace.splitlines():
        match = re.match(r"\[(\d+)\]\s+(.*)", line)
        if match and int(match[1]) != parent:
            # The script's path (shortened in its column) becomes its name.
            found.setdefault(int(match[1]), []).append(re.sub(r"\S*prog\.py:", "prog.py:", " ".join(match[2].split())))
    return found


def test_fork_while_other_threads_print(tmp_path: Path) -> None:
    result = run(FORK_WHILE_PRINTING, tmp_path)
    assert result.returncode == 0 and result.stdout == "ok\n", describe(result)
    children = children_lines((tmp_path / "t.txt").read_text())
    expected = [line for line in CHILD_LINES]
    assert len(children) == 20
    for lines in children.values():
        assert lines == expected


#: As FORK_WHILE_PRINTING, recorded (or written to a timeline) whole, the standard library included: in the child the
#: interpreter's own fork hook (threading's) runs before hunter's and makes events, while the forking thread still
#: holds the recorder's lock, taken for the fork.
FORK_WHILE_RECORDING = FORK_WHILE_PRINTING.replace(
    'hunter.trace(module="__main__", action=hunter.CallPrinter(stream="t.txt"))', "hunter.trace({output})"
)


@pytest.mark.parametrize(
    "output", ["record='run.hunt'", "action=hunter.ChromeTrace('t.json')"], ids=["record", "chrome"]
)
def test_fork_while_other_threads_record_everything(tmp_path: Path, output: str) -> None:
    result = run(FORK_WHILE_RECORDING.format(output=output), tmp_path)
    assert result.returncode == 0 and result.stdout == "ok\n", describe(result)
    if output.startswith("record"):
        from hunter.record import read

        # (the parent's threads call f too: 21 processes)
        assert len({event.pid for event in read(tmp_path / "run.hunt") if event.function == "f"}) == 21
    else:
        assert len(list(tmp_path.glob("t.*.json"))) == 20  # (each child's file: merged by the command line's end)


POOL_WITH_HEARTBEAT = """\
import multiprocessing, os, threading, hunter
hunter.trace(module="__main__", action=hunter.CallPrinter(stream="t.txt"))
def beat(): pass
def heartbeat():
    while True: beat()
def work(n):
    return n * n
if __name__ == "__main__":
    threading.Thread(target=heartbeat, daemon=True).start()
    for _ in range(5):
        with multiprocessing.get_context("fork").Pool(3) as pool:
            print(sum(pool.map(work, range(30))))
    print(os.getpid())
"""


def test_fork_pool_with_a_traced_heartbeat_thread(tmp_path: Path) -> None:
    result = run(POOL_WITH_HEARTBEAT, tmp_path)
    assert result.returncode == 0, describe(result)
    *sums, parent = result.stdout.split()
    assert sums == ["8555"] * 5, describe(result)
    children = children_lines((tmp_path / "t.txt").read_text(), parent=int(parent))
    calls = [line for lines in children.values() for line in lines if " call => " in line]
    returns = [line for lines in children.values() for line in lines if " return <= " in line]
    # Every call of work() in a worker is there, whole, with its return.
    assert sorted(calls) == sorted(f"MainThread prog.py:6 call => work(n={n})" for n in range(30) for _ in range(5))
    assert sorted(returns) == sorted(
        f"MainThread prog.py:7 return <= work: {n * n}" for n in range(30) for _ in range(5)
    )


def test_fork_hook_leaves_no_lock_held(tmp_path: Path) -> None:
    """In the parent and in the child, after a fork, every lock of hunter's is free and works."""
    code = """\
import os, hunter
from hunter._engine import _fork
import hunter.tracer
try:
    import hunter.backends.monitoring._backend
except ImportError:
    pass
locks = _fork._live_locks()
assert len(locks) >= 2, locks
pid = os.fork()
for lock in locks:
    assert lock.acquire(blocking=False), (os.getpid(), lock)
    lock.release()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print("ok")
"""
    result = run_python([*QUIET, "-c", code], timeout=TIMEOUT)
    assert result.returncode == 0 and result.stdout == "ok\n", describe(result)
