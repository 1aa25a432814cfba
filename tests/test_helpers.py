"""The tests' own subprocess helpers: a child a test is done with dies with everything it started, so a hung test
leaves no orphans behind to disturb later tests."""

from __future__ import annotations

import os
import select
import subprocess
import sys

import pytest
from helpers import kill_group, kill_groups_started_since, live_groups, run_in_group, start_in_group

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups")

#: Generous: a deadline, never a pause.
DEADLINE = 60.0

#: A child that starts a grandchild holding the pipe ``argv[1]`` (a ``sleep``, which never writes; not holding the
#: child's output, which would keep a reader of it waiting), says so on that pipe, lets go of its own end and hangs.
HANGING = """\
import os, subprocess, sys, threading
fd = int(sys.argv[1])
subprocess.Popen(["sleep", "600"], pass_fds=(fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.write(fd, b"started")
os.close(fd)
threading.Event().wait()
"""


def rest_of(read: int) -> bytes:
    """What the pipe still holds, up to its end: the end comes when every process holding it is gone."""
    data = b""
    try:
        while select.select([read], [], [], DEADLINE)[0]:
            chunk = os.read(read, 100)
            if not chunk:
                return data
            data += chunk
        raise AssertionError(f"the pipe is still held open after {DEADLINE} s: a process holding it runs on")
    finally:
        os.close(read)


def test_a_timed_out_child_dies_with_the_children_it_started() -> None:
    read, write = os.pipe()
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            run_in_group([sys.executable, "-c", HANGING, str(write)], timeout=5, pass_fds=(write,))
    finally:
        os.close(write)
    assert rest_of(read) == b"started"  # (the grandchild had started: it is gone too)


def test_killing_a_group_ends_what_its_leader_started() -> None:
    read, write = os.pipe()
    process = start_in_group([sys.executable, "-c", HANGING, str(write)], pass_fds=(write,))
    os.close(write)
    assert os.read(read, 7) == b"started"
    kill_group(process)
    assert process.returncode == -9
    assert rest_of(read) == b""


def test_a_teardown_kills_the_groups_started_since_it_began() -> None:
    known = live_groups()
    read, write = os.pipe()
    process = start_in_group([sys.executable, "-c", HANGING, str(write)], pass_fds=(write,))
    os.close(write)
    assert os.read(read, 7) == b"started"
    assert live_groups() == known | {id(process)}
    kill_groups_started_since(known)
    assert live_groups() == known
    assert process.returncode == -9
    assert rest_of(read) == b""


def test_a_child_that_ends_leaves_nothing_running_and_its_output_is_whole() -> None:
    read, write = os.pipe()
    code = HANGING.replace("threading.Event().wait()", "print('done')")
    result = run_in_group([sys.executable, "-c", code, str(write)], text=True, timeout=DEADLINE, pass_fds=(write,))
    os.close(write)
    assert (result.returncode, result.stdout, result.stderr) == (0, "done\n", "")
    assert rest_of(read) == b"started"
