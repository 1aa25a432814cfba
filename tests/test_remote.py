"""hunter-trace -p PID: attaching to real running processes, detaching, failures, and the channel's security."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from helpers import child_env, kill_group, run_in_group, start_in_group
from remote_support import (
    DEADLINE,
    TARGET,
    Lines,
    NobodyProcess,
    Target,
    _as_other_user,
    _exit_code,
    _nobody,
    _nobody_dir,
    needs_root,
    start_cli,
    start_fake_target,
    start_target,
)

import hunter.record
import hunter.remote
from hunter.remote import agent as _remote_agent
from hunter.remote import api
from hunter.remote import channel as _remote_channel
from hunter.remote import cli as remote
from hunter.remote import inject as _remote_inject

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX") or sys.platform != "linux", reason="Linux only")


# -- attaching to a prepared process (signal) -------------------------------------------------------------------


def test_signal_attach_streams_detaches_and_restores_previous_trace(tmp_path, cleanup, backend):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_OWN_TRACE="1")
    target.wait_state("own")
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(x=")
    cli.out.wait_line("<= leaf: ")
    cli.err.wait_line(f"attached to process {target.pid}")
    traced_state = "other" if backend == "settrace" else "own+mon"
    target.wait_state(traced_state)
    assert cli.interrupt() == 0, cli.describe()
    assert "detached" in cli.err.text()
    # Only leaf's events were asked for; none of hunter's own frames show.
    assert all(("/target.py:" in line and "leaf" in line) or "return x * 2" in line for line in cli.out.lines), (
        cli.describe()
    )
    target.wait_state("own")  # the program's own trace function is back, nothing of ours remains
    target.wait_beats(20)
    target.assert_output_intact()


@pytest.mark.parametrize("query", [["stdlib=True"], []], ids=["stdlib=True", "no query"])
def test_the_session_thread_never_shows_in_the_trace(tmp_path, cleanup, query):
    # The session thread sends its answer with json, and output through socket code, while the tracer runs
    # (monitoring traces every thread). A broad query would show hunter's own work as the program's.
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    cli = start_cli(cleanup, "-p", str(target.pid), *query)
    assert cli.out is not None
    cli.out.wait_line("=> is_set(")  # the program's own use of the standard library (its heartbeat loop)
    assert cli.interrupt() == 0, cli.describe()
    shown = cli.out.text()
    for sign in ("json", "socket", "hunter/", "_own_threads", "Thread-"):
        assert sign not in shown, cli.describe()
    target.wait_beats(5)
    target.assert_output_intact()


def test_threads_false_traces_the_main_thread(tmp_path, cleanup):
    # threading_support=False means "this thread": the program's main thread, not hunter's session thread.
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    cli = start_cli(cleanup, "-p", str(target.pid), "threads=False", 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    cli.err.wait_line("tracing the main thread);")
    assert cli.interrupt() == 0, cli.describe()
    target.wait_state("none")
    target.wait_beats(5)
    target.assert_output_intact()


def test_reattach_many_times(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    for round in range(3):
        cli = start_cli(cleanup, "-p", str(target.pid), 'function="middle"', "action=CodePrinter")
        assert cli.out is not None
        cli.out.wait_line("def middle(x):")
        assert cli.interrupt() == 0, f"round {round}: {cli.describe()}"
        target.wait_state("none")
    target.wait_beats(10)
    target.assert_output_intact()


def test_cli_killed_target_stops_tracing_and_runs_on(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_OWN_TRACE="1")
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    cli.process.kill()
    cli.process.wait(DEADLINE)
    target.wait_state("own")
    target.wait_beats(30)
    target.assert_output_intact()
    # And the next hunter-trace attaches as if nothing happened (the stale socket file is replaced).
    again = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert again.out is not None
    again.out.wait_line("=> leaf(")
    assert again.interrupt() == 0, again.describe()
    target.assert_output_intact()


def test_target_killed_while_attached(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    target.process.kill()
    assert cli.wait() == 1, cli.describe()
    assert f"process {target.pid} exited" in cli.err.text()


def test_target_exits_normally_while_attached(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    target.send("exit")
    assert target.process.wait(DEADLINE) == 0
    assert cli.wait() == 1, cli.describe()
    assert f"process {target.pid} exited" in cli.err.text()
    target.out.wait_closed()
    target.err.wait_closed()
    target.assert_output_intact()


def test_second_cli_is_refused_while_one_is_attached(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    first = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert first.out is not None
    first.out.wait_line("=> leaf(")
    second = start_cli(cleanup, "-p", str(target.pid))
    assert second.wait() == 2, second.describe()
    assert "another hunter-trace is attached" in second.err.text()
    seen = len(first.out.lines)
    first.out.wait_line("=> leaf(", start=seen)  # the first session is unaffected
    assert first.interrupt() == 0


def test_custom_signal(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_SIGNAL="SIGUSR2")
    cli = start_cli(cleanup, "-p", str(target.pid), "-s", "USR2", 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    assert cli.interrupt() == 0
    if hasattr(sys, "remote_exec"):
        # 3.14+: without -s, a process that doesn't handle the default signal is reached through sys.remote_exec.
        other = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
        assert other.out is not None
        other.out.wait_line("=> leaf(")
        assert other.interrupt() == 0
    else:
        # Without -s the default signal is not handled: one clear message, and SIGUSR2's target is untouched.
        wrong = start_cli(cleanup, "-p", str(target.pid))
        assert wrong.wait() == 2, wrong.describe()
        assert "does not handle SIGURG" in wrong.err.text()
    target.wait_beats(5)
    target.assert_output_intact()


def test_environment_variable_prepares_the_process(tmp_path, cleanup):
    script = "import hunter.remote; hunter.remote.activate_from_environment(); exec(open('target.py').read())"
    (tmp_path / "target.py").write_text(TARGET)
    process = start_in_group(
        [sys.executable, "-u", "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env({"PYTHONHUNTER_REMOTE": "SIGUSR1"}),
        cwd=tmp_path,
    )
    out = Lines(process.stdout)
    try:
        out.wait_line("ready")
        cli = start_cli(cleanup, "-p", str(process.pid), "-s", "SIGUSR1", 'function="leaf"')
        assert cli.out is not None
        cli.out.wait_line("=> leaf(")
        assert cli.interrupt() == 0
    finally:
        kill_group(process)


def test_bad_environment_variable_prints_one_line(tmp_path):
    result = run_in_group(
        [sys.executable, "-c", "import hunter.remote; hunter.remote.activate_from_environment(); print('ran')"],
        env=child_env({"PYTHONHUNTER_REMOTE": "SIGNOPE"}),
        text=True,
        timeout=DEADLINE,
    )
    assert result.stdout == "ran\n"
    assert (
        result.stderr
        == "Failed to install hunter-trace support from PYTHONHUNTER_REMOTE='SIGNOPE': unknown signal 'SIGNOPE'\n"
    )


@pytest.mark.skipif(
    "PYTHONHUNTER_REMOTE" not in (Path(hunter.remote.__file__).parents[2] / "hunter.pth").read_text()
    if (Path(hunter.remote.__file__).parents[2] / "hunter.pth").exists()
    else True,
    reason="the hunter.pth start-up hook does not read PYTHONHUNTER_REMOTE yet",
)
def test_environment_variable_through_pth_hook(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, PYTHONHUNTER_REMOTE="1")
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    assert cli.interrupt() == 0


# -- what the target may be doing when the signal comes -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["read", "lock"])
def test_attach_while_main_thread_blocked(tmp_path, cleanup, mode):
    # The main thread sits in a system call or on a lock: the signal interrupts it, the handler runs, the
    # call is resumed (PEP 475); threads started by the program are traced and nothing is disturbed.
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_MAIN=mode)
    target.wait_beats(3)
    for _ in range(2):
        cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
        assert cli.out is not None
        cli.out.wait_line("=> leaf(")
        assert cli.interrupt() == 0, cli.describe()
    target.wait_beats(10)
    assert target.alive()
    target.assert_output_intact()


def test_main_thread_stuck_in_c_code(tmp_path, cleanup):
    # Python runs signal handlers between bytecodes only: while the main thread is inside a C call that
    # doesn't return, the attach times out with a clear message and nothing else happens. When the call
    # returns, the late handler finds no waiting hunter-trace and does nothing; attaching then works.
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_MAIN="cmutex")
    target.out.wait_line("in C")
    cli = start_cli(cleanup, "-p", str(target.pid), "-t", "2", 'function="leaf"')
    assert cli.wait() == 2, cli.describe()
    assert "did not answer within 2s" in cli.err.text()
    target.wait_beats(5)
    target.send("unlock")
    target.out.wait_line("out of C")
    target.wait_beats(5)
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    assert cli.interrupt() == 0, cli.describe()
    target.wait_beats(5)
    target.assert_output_intact()


# -- gdb -------------------------------------------------------------------------------------------------------------


def test_gdb_attach_unprepared_process(tmp_path, cleanup, gdb_reason):
    if gdb_reason:
        pytest.skip(gdb_reason)
    target = start_target(tmp_path, cleanup, TARGET_OWN_TRACE="1")
    for _ in range(2):
        cli = start_cli(cleanup, "-p", str(target.pid), "--gdb", 'function="leaf"')
        assert cli.out is not None
        cli.out.wait_line("=> leaf(x=")
        assert cli.interrupt() == 0, cli.describe()
        target.wait_state("own")
    # Killing the CLI works the same as with a prepared process.
    cli = start_cli(cleanup, "-p", str(target.pid), "--gdb", 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(x=")
    cli.process.kill()
    target.wait_state("own")
    target.wait_beats(10)
    target.assert_output_intact()


def test_gdb_refuses_a_process_that_is_not_python(cleanup, gdb_reason):
    if gdb_reason:
        pytest.skip(gdb_reason)
    sleeper = subprocess.Popen(["sleep", "600"])
    try:
        cli = start_cli(cleanup, "-p", str(sleeper.pid), "--gdb")
        assert cli.wait() == 2, cli.describe()
        assert "is not a Python process" in cli.err.text()
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_gdb_missing(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup)
    cli = start_cli(cleanup, "-p", str(target.pid), "--gdb", env={"PATH": str(tmp_path)})
    assert cli.wait() == 2, cli.describe()
    assert "needs gdb" in cli.err.text()
    target.wait_beats(3)
    target.assert_output_intact()


def test_a_gdb_that_cannot_call_leaves_the_target_alone(tmp_path, cleanup):
    # Where gdb fails in the middle of a call (gdb 13 on CPUs with AMX), the failed call would leave a sleeping
    # target with a system call error it never expects (OSError 514): hunter-trace finds out on a child of its own.
    executable = shutil.which("gdb")
    if executable is None:
        pytest.skip("gdb is not installed")
    if _remote_inject.gdb_cannot_call(executable) is None:
        pytest.skip("this machine's gdb can call functions: there is nothing to refuse")
    target = start_target(tmp_path, cleanup)
    cli = start_cli(cleanup, "-p", str(target.pid), "--gdb", 'function="leaf"')
    assert cli.wait() == 2, cli.describe()
    assert "this machine's gdb can't call functions in a process" in cli.err.text()
    assert f"process {target.pid} was left alone" in cli.err.text()
    target.wait_beats(5)
    target.assert_output_intact()


def test_gdb_is_not_run_on_the_target_when_it_cannot_call(monkeypatch):
    ran: list[list[str]] = []
    monkeypatch.setattr(_remote_inject, "gdb_cannot_call", lambda executable: "a reason")
    monkeypatch.setattr(_remote_inject, "_run_gdb", lambda argv, fd, timeout: ran.append(argv) or "")
    monkeypatch.setattr(_remote_inject.shutil, "which", lambda name: "/usr/bin/gdb")
    with pytest.raises(_remote_inject.InjectError, match=r"\(a reason\); process 1 was left alone"):
        _remote_inject.gdb_inject(1, "/nonexistent/hunter-1.sock", 5.0)
    assert ran == []


def test_gdb_output_is_explained():
    ok = "...\nhunter-pending-call=0\n[Inferior 1 (process 1) detached]\n"
    _remote_inject._check_gdb_output(1, ok)
    cases = {
        "ptrace: Operation not permitted.\n": "not allowed to attach",
        'No symbol "Py_AddPendingCall" in current context.\n': "is not a Python process",
        "ptrace: No such process.\n": "there is no process",
        "hunter-pending-call=-1\n": "refused the pending call",
        "something else entirely\n": "something else entirely",
        # gdb 13 on a CPU with AMX: the reason is the command file's error, not gdb's closing "detached" line.
        "/proc/self/fd/3:1: Error in sourced command file:\nCouldn't write extended state status: Bad address.\n"
        "[Inferior 1 (process 1) detached]\n": r"Couldn't write extended state status: Bad address\. \(this gdb can't",
    }
    for output, expected in cases.items():
        with pytest.raises(_remote_inject.InjectError, match=expected):
            _remote_inject._check_gdb_output(1, output)


def test_bootstrap_is_one_ascii_statement_binding_nothing():
    statement = _remote_inject._one_statement(_remote_inject.bootstrap_source("/nonexistent/hunter-1.sock"))
    assert statement.isascii()
    assert '"' not in statement and "\\" not in statement  # nothing for gdb's string literal to escape
    namespace: dict[str, object] = {}
    started: list[object] = []
    # Run it with a stand-in _thread: it must only start the thread, and leave no name behind.
    fake = type(sys)("_thread")
    fake.start_new_thread = lambda function, args: started.append(function)  # type: ignore[attr-defined]
    saved = sys.modules["_thread"]
    sys.modules["_thread"] = fake
    try:
        exec(statement, namespace)  # running the injected statement is the point
    finally:
        sys.modules["_thread"] = saved
    assert set(namespace) == {"__builtins__"}
    assert len(started) == 1


# -- refusals that leave the target untouched ------------------------------------------------------------------------


def test_unprepared_python_process_is_untouched(tmp_path, cleanup):
    if hasattr(sys, "remote_exec"):
        pytest.skip("Python 3.14+ attaches to unprepared processes with sys.remote_exec")
    target = start_target(tmp_path, cleanup)
    cli = start_cli(cleanup, "-p", str(target.pid))
    assert cli.wait() == 2, cli.describe()
    assert "not prepared for hunter-trace" in cli.err.text()
    assert len(cli.err.lines) == 1
    target.wait_beats(5)
    target.assert_output_intact()


def test_not_a_python_process(cleanup):
    sleeper = subprocess.Popen(["sleep", "600"])
    try:
        cli = start_cli(cleanup, "-p", str(sleeper.pid))
        assert cli.wait() == 2, cli.describe()
        assert cli.err.text() == f"hunter-trace: process {sleeper.pid} is not a Python process\n"
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_no_such_process(cleanup):
    gone = subprocess.Popen(["true"])
    gone.wait()
    cli = start_cli(cleanup, "-p", str(gone.pid))
    assert cli.wait() == 2, cli.describe()
    assert cli.err.text() == f"hunter-trace: there is no process {gone.pid}\n"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="needs a Python without sys.monitoring")
def test_options_the_target_rejects(tmp_path, cleanup):
    # The CLI checks a backend by name only (the target may run another Python); the target says it can't.
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_OWN_TRACE="1")
    cli = start_cli(cleanup, "-p", str(target.pid), 'backend="monitoring"')
    assert cli.wait() == 2, cli.describe()
    assert cli.err.text().startswith(f"hunter-trace: process {target.pid} refused: ")
    assert "monitoring" in cli.err.text()
    target.wait_beats(5)
    assert {state for _, state in target.heartbeats()} == {"own"}
    target.assert_output_intact()


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ('backend="nope"', "Unknown backend 'nope'"),
        ('modul="app"', "modul"),
        ("action=CallPrinter(nope=1)", "nope"),
        ("function=(", "invalid syntax"),
    ],
)
def test_bad_options_never_signal_the_target(tmp_path, cleanup, options, problem):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_OWN_TRACE="1", TARGET_COUNT_SIGNALS="1")
    cli = start_cli(cleanup, "-p", str(target.pid), options)
    assert cli.wait() == 2, cli.describe()
    assert len(cli.err.lines) == 1, cli.describe()
    assert cli.err.text().startswith(f"hunter-trace: invalid options {options!r}: "), cli.describe()
    assert problem in cli.err.text()
    target.wait_beats(5)
    assert {state for _, state in target.heartbeats()} == {"own"}  # no "+sig": no signal ever arrived
    target.assert_output_intact()


def test_bad_options_are_refused_before_gdb(tmp_path, cleanup):
    # gdb is not even looked for: the options are wrong first.
    target = start_target(tmp_path, cleanup)
    cli = start_cli(cleanup, "-p", str(target.pid), "--gdb", 'backend="nope"', env={"PATH": str(tmp_path)})
    assert cli.wait() == 2, cli.describe()
    assert cli.err.text().startswith("hunter-trace: invalid options 'backend=\"nope\"': Unknown backend"), (
        cli.describe()
    )
    target.wait_beats(3)
    target.assert_output_intact()


# -- --dump: a flight recorder written on request -------------------------------------------------------------------


def test_dump_asks_a_running_process_to_write_its_flight_recorder(tmp_path, cleanup):
    flight = tmp_path / "flight.hunt"
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_FLIGHT=str(flight))
    target.wait_beats(5)
    assert not flight.exists()  # (a flight recorder writes nothing until asked)
    for _ in range(2):  # asked again, it writes the file anew with the events of then
        cli = start_cli(cleanup, "-p", str(target.pid), "--dump")
        assert cli.wait() == 0, cli.describe()
        assert cli.err.text() == f"hunter-trace: process {target.pid} wrote its flight recorder to {flight}\n"
        assert cli.out is not None and cli.out.text() == ""
        events = list(hunter.record.read(flight))
        main = [event for event in events if event.threadname == "MainThread"]
        assert len(main) == 20, [(event.kind, event.function) for event in events]  # each thread's last 20
        assert {event.function for event in main} <= {"heartbeats", "middle", "leaf", "say", "state", "<genexpr>"}
        assert {"middle", "leaf"} <= {event.function for event in main}
        target.wait_beats(5)  # the program runs on, still recording
    target.assert_output_intact()


def test_dump_of_a_process_without_a_flight_recorder_is_one_line(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    cli = start_cli(cleanup, "-p", str(target.pid), "--dump")
    assert cli.wait() == 2, cli.describe()
    assert cli.err.text() == (
        f"hunter-trace: process {target.pid} has no flight recorder holding events (start it with record=PATH, "
        "record_last=N in PYTHONHUNTER or trace(), or run it with hunter record --last N)\n"
    )
    target.wait_beats(5)
    target.assert_output_intact()


def test_a_dump_that_cannot_be_written_is_one_line(tmp_path, cleanup):
    folder = tmp_path / "gone"
    folder.mkdir()
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_FLIGHT=str(folder / "flight.hunt"))
    target.wait_beats(3)
    folder.rmdir()
    cli = start_cli(cleanup, "-p", str(target.pid), "--dump")
    assert cli.wait() == 2, cli.describe()
    assert cli.err.text() == (
        f"hunter-trace: process {target.pid}: flight recorder: cannot write '{folder / 'flight.hunt'}': "
        "No such file or directory\n"
    )
    target.wait_beats(3)
    target.assert_output_intact()


def test_dump_takes_no_options_and_never_signals_then(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_OWN_TRACE="1", TARGET_COUNT_SIGNALS="1")
    cli = start_cli(cleanup, "-p", str(target.pid), "--dump", 'function="leaf"')
    assert cli.wait() == 2, cli.describe()
    assert cli.err.text() == (
        "hunter-trace: --dump takes no trace options: the process writes what its flight recorder holds\n"
    )
    target.wait_beats(5)
    assert {state for _, state in target.heartbeats()} == {"own"}  # no "+sig": no signal ever arrived
    target.assert_output_intact()


def test_cannot_attach_to_itself():
    assert remote.main(["-p", str(os.getpid())]) == 2


def test_command_entry_points():
    # The installed script, python -m hunter.remote and hunter.remote.main all run the same command.
    assert hunter.remote.main is remote.main
    script = Path(sys.executable).parent / "hunter-trace"
    for argv in ([str(script)], [sys.executable, "-m", "hunter.remote"]):
        result = run_in_group([*argv, "-p", "0"], text=True, timeout=DEADLINE, env=child_env())
        assert (result.returncode, result.stderr) == (2, "hunter-trace: invalid process id 0\n")


# -- output --------------------------------------------------------------------------------------------------------


def test_colours_on_a_terminal_only(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    plain = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"', env={"NO_COLOR": None, "FORCE_COLOR": None})
    assert plain.out is not None
    plain.out.wait_line("=> leaf(")
    assert plain.interrupt() == 0
    assert "\x1b[" not in plain.out.text()

    leader, follower = os.openpty()
    try:
        tty = start_cli(
            cleanup,
            "-p",
            str(target.pid),
            'function="leaf"',
            env={"NO_COLOR": None, "FORCE_COLOR": None},
            stdout=follower,
        )
        os.close(follower)
        received = bytearray()
        deadline = time.monotonic() + DEADLINE
        while b"leaf" not in received and time.monotonic() < deadline:
            try:
                received += os.read(leader, 65536)
            except OSError:
                break
        assert tty.interrupt() == 0
    finally:
        os.close(leader)
    assert b"leaf" in received
    assert b"\x1b[" in received


# -- the channel's security ------------------------------------------------------------------------------------------


def test_private_dir_checks(tmp_path):
    uid = os.geteuid()
    good = tmp_path / "good"
    _remote_channel.make_private_dir(str(good))
    assert stat.S_IMODE(good.stat().st_mode) == 0o700
    _remote_channel.check_private_dir(str(good), uid)

    loose = tmp_path / "loose"
    loose.mkdir()
    loose.chmod(0o755)
    with pytest.raises(_remote_channel.ChannelError, match="lets other users in"):
        _remote_channel.make_private_dir(str(loose))

    link = tmp_path / "link"
    link.symlink_to(good)
    with pytest.raises(_remote_channel.ChannelError, match="symbolic link"):
        _remote_channel.check_private_dir(str(link), uid)

    with pytest.raises(_remote_channel.ChannelError, match="belongs to uid"):
        _remote_channel.check_private_dir(str(good), uid + 1)


def test_socket_is_private(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    uid = os.geteuid()
    found = []
    for directory in _remote_channel.candidate_dirs(uid):
        path = Path(directory) / _remote_channel.socket_name(target.pid)
        if path.exists():
            found.append(path)
            assert stat.S_ISSOCK(path.lstat().st_mode)
            assert stat.S_IMODE(path.lstat().st_mode) == 0o600
            assert stat.S_IMODE(Path(directory).lstat().st_mode) == 0o700
            assert Path(directory).lstat().st_uid == uid
    assert len(found) == 1
    assert cli.interrupt() == 0
    assert not found[0].exists()  # removed on the way out


@needs_root
def test_other_user_cannot_connect_to_a_session_socket(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    path = next(
        str(Path(d) / _remote_channel.socket_name(target.pid))
        for d in _remote_channel.candidate_dirs(os.geteuid())
        if (Path(d) / _remote_channel.socket_name(target.pid)).exists()
    )

    # EACCES: the directory is closed to other users, so they can neither connect nor look inside.
    assert _exit_code(_as_other_user(lambda: socket.socket(socket.AF_UNIX).connect(path))) == 1
    assert _exit_code(_as_other_user(lambda: os.listdir(os.path.dirname(path)))) == 1
    seen = len(cli.out.lines)
    cli.out.wait_line("=> leaf(", start=seen)
    assert cli.interrupt() == 0


@needs_root
def test_cli_refuses_a_peer_of_another_uid(open_tmp, capsys):
    uid, _ = _nobody()
    path = str(open_tmp / "s.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o777)  # only for this test: let the other user reach the CLI's check
    listener.listen(4)
    session = remote._CLISession(os.getpid(), 3.0, False, signal.SIGURG, False)
    session.listener = listener

    def intrude() -> None:
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        sock.recv(1)  # hold the connection until the CLI drops it

    intruder = _as_other_user(intrude)
    try:
        with pytest.raises(remote.AttachError, match="did not answer"):
            session.accept(os.geteuid())
        assert _exit_code(intruder) == 0  # it got in (to this deliberately open socket), then was dropped
    finally:
        listener.close()
    assert f"refused a connection from pid {intruder} (uid {uid})" in capsys.readouterr().err


@needs_root
def test_target_refuses_a_socket_of_another_uid(open_tmp):
    uid, gid = _nobody()
    ours = open_tmp / "ours"
    _remote_channel.make_private_dir(str(ours))
    theirs = open_tmp / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, uid, gid)
    theirs_socket = theirs / "s.sock"
    ready_read, ready_write = os.pipe()

    def listen() -> None:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(theirs_socket))
        listener.listen(4)
        os.write(ready_write, b"x")
        while True:
            listener.accept()[0].close()

    listener = _as_other_user(listen)
    try:
        assert os.read(ready_read, 1) == b"x"
        # In a directory of another user: refused before connecting.
        assert _remote_agent._connect(str(theirs_socket)) is None
        # Moved into our own private directory and handed to us, the listener is still another user's
        # process: the SO_PEERCRED check refuses it.
        planted = ours / "s.sock"
        os.rename(theirs_socket, planted)
        os.chown(planted, os.geteuid(), os.getegid())
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(str(planted))
        assert _remote_channel.peer_credentials(probe).uid == uid  # really another uid at the other end
        probe.close()
        assert _remote_agent._connect(str(planted)) is None
    finally:
        os.kill(listener, signal.SIGKILL)
        _exit_code(listener)
        os.close(ready_read)
        os.close(ready_write)


# -- small pieces ------------------------------------------------------------------------------------------------------


def test_frames_survive_any_split():
    left, right = socket.socketpair()
    try:
        payloads = [b"", b"x", "é\n".encode() * 1000]
        data = b"".join(struct.pack(">cI", b"O", len(p)) + p for p in payloads)
        reader = _remote_channel.FrameReader(right)

        def write() -> None:
            for index in range(0, len(data), 7):  # tiny pieces: headers and payloads split everywhere
                left.sendall(data[index : index + 7])
            left.close()

        writer = threading.Thread(target=write)
        writer.start()
        got = [reader.read(time.monotonic() + DEADLINE) for _ in payloads]
        assert [frame.payload for frame in got if frame] == payloads
        assert reader.read(time.monotonic() + DEADLINE) is None
        writer.join(DEADLINE)
    finally:
        right.close()


def test_frame_reader_rejects_huge_frames():
    left, right = socket.socketpair()
    try:
        left.sendall(struct.pack(">cI", b"O", _remote_channel.MAX_FRAME + 1))
        with pytest.raises(_remote_channel.ChannelError):
            _remote_channel.FrameReader(right).read(time.monotonic() + DEADLINE)
    finally:
        left.close()
        right.close()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("SIGURG", signal.SIGURG), ("urg", signal.SIGURG), ("10", 10), (signal.SIGUSR2, signal.SIGUSR2)],
)
def test_parse_signal(value, expected):
    assert api.parse_signal(value) == expected


@pytest.mark.parametrize("value", ["SIGNOPE", "SIG_IGN", "0", "KILL", 999])
def test_parse_signal_rejects(value):
    with pytest.raises(ValueError):
        api.parse_signal(value)


def test_hello_describes_the_target(tmp_path, cleanup):
    # The handshake as the CLI sees it, driven by hand over the real channel.
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1")
    session = remote._CLISession(target.pid, DEADLINE, False, signal.SIGURG, False)
    uid, gid = session.target_uid()
    session.listen(uid, gid)
    try:
        session.trigger()
        conn = session.accept(uid)
        reader = _remote_channel.FrameReader(conn)
        hello = reader.read(time.monotonic() + DEADLINE)
        assert hello is not None and hello.kind == _remote_channel.HELLO
        facts = json.loads(hello.payload)
        assert facts["pid"] == target.pid
        assert facts["python"] == ".".join(map(str, sys.version_info[:3]))
        conn.close()  # no request: the target gives up on this session and runs on
    finally:
        session.cleanup()
    target.wait_beats(5)
    again = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert again.out is not None
    again.out.wait_line("=> leaf(")
    assert again.interrupt() == 0
    target.assert_output_intact()


def test_main_thread_work_from_a_pending_call():
    # What the injected bootstrap relies on when no signal handler of ours is installed (settrace backend).
    assert _remote_agent._state.signum is None
    ran_on: list[int] = []
    result: list[bool] = []

    def worker() -> None:
        task = _remote_agent._call_on_main_thread(lambda: ran_on.append(threading.get_ident()))
        result.append(task.wait(DEADLINE))

    thread = threading.Thread(target=worker)
    thread.start()
    deadline = time.monotonic() + DEADLINE
    while thread.is_alive() and time.monotonic() < deadline:
        thread.join(0.01)  # the main thread runs bytecode here, so the pending call gets its chance
    assert result == [True]
    assert ran_on == [threading.main_thread().ident]


FORKING = textwrap.dedent(
    """\
    import os, sys, threading, time
    import hunter.remote
    hunter.remote.install()

    def leaf(x):
        return x

    fork = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), fork.set()), daemon=True).start()
    sys.stdout.write(f"ready {os.getpid()}\\n")
    while not fork.is_set():
        leaf(1)
        time.sleep(0.01)
    if os.fork() == 0:
        sys.stdout.write(f"child {os.getpid()}\\n")
        while True:
            leaf(2)
            time.sleep(0.01)
    while True:
        leaf(1)
        time.sleep(0.01)
    """
)


def test_forked_child_stays_out_of_the_session(tmp_path, cleanup):
    # The child shares the socket: it must not write into the session, nor keep it open once the parent dies.
    (tmp_path / "forking.py").write_text(FORKING)
    parent = start_in_group(
        [sys.executable, "-u", str(tmp_path / "forking.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_env(),
    )
    out = Lines(parent.stdout)
    child_pid = None
    try:
        out.wait_line("ready")
        cli = start_cli(cleanup, "-p", str(parent.pid), 'function="leaf"')
        assert cli.out is not None
        cli.out.wait_line("=> leaf(x=1)")
        assert parent.stdin is not None
        parent.stdin.write(b"fork\n")
        parent.stdin.flush()
        child_pid = int(out.lines[out.wait_line("child ")].split()[1])
        seen = len(cli.out.lines)
        cli.out.wait_line("=> leaf(x=1)", start=seen + 10)  # the parent's session goes on
        parent.kill()
        assert cli.wait() == 1, cli.describe()
        assert f"process {parent.pid} exited" in cli.err.text()
        assert "x=2" not in cli.out.text()
        os.kill(child_pid, 0)  # the child runs on
    finally:
        kill_group(parent)  # (the forked child too: it stays in the parent's group)
        if child_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child_pid, signal.SIGKILL)  # (in case it left the group)


# -- a hostile target --------------------------------------------------------------------------------------------

ESCAPED = "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\x1b[0m\\x0d\\x9b6n\\x7f"


def test_hostile_target_cannot_reach_the_terminal(tmp_path, cleanup):
    target = start_fake_target(tmp_path, cleanup, "escapes")
    cli = start_cli(cleanup, "-p", str(target.pid), env={"NO_COLOR": None, "FORCE_COLOR": None})
    assert cli.wait() == 1, cli.describe()
    assert cli.out is not None
    assert cli.out.text() == f"line {ESCAPED}\tend\n"
    assert cli.err.text() == (
        f"hunter-trace: attached to process {target.pid} (Python 3{ESCAPED}, monitoring{ESCAPED} backend, "
        "tracing all threads); Ctrl-C detaches\n"
        f"hunter-trace: note {ESCAPED}\n"
        f"hunter-trace: process {target.pid}: error {ESCAPED}\n"
    )


def test_hostile_target_gets_only_colours_through_when_colours_are_on(tmp_path, cleanup):
    # hunter's printers use SGR colour codes (ESC [ ... m) and nothing else: with colours on, only those pass.
    target = start_fake_target(tmp_path, cleanup, "escapes")
    cli = start_cli(cleanup, "-p", str(target.pid), env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    assert cli.wait() == 1, cli.describe()
    assert cli.out is not None
    # The session's end resets the colours, whatever the target left on.
    assert cli.out.text() == "line \\x1b]0;owned\\x07\\x1b[2J\x1b[31mred\x1b[0m\\x0d\\x9b6n\\x7f\tend\n\x1b[0m"
    assert "\x1b" not in cli.err.text()


@pytest.mark.parametrize(
    ("scenario", "code", "message"),
    [
        ("list-hello", 2, "process {pid} sent a malformed hello; is it really hunter?"),
        ("bad-answer", 2, "process {pid} sent a malformed answer; is it really hunter?"),
        ("refuse", 2, "process {pid} refused: no: " + ESCAPED),
        ("huge-frame", 1, "process {pid} broke the protocol (refusing a message of 2147483648 bytes); detaching"),
        ("deep-hello", 2, "process {pid} sent a malformed hello; is it really hunter?"),
    ],
)
def test_malformed_frames_get_one_clear_line(tmp_path, cleanup, scenario, code, message):
    target = start_fake_target(tmp_path, cleanup, scenario)
    cli = start_cli(cleanup, "-p", str(target.pid))
    assert cli.wait() == code, cli.describe()
    last = cli.err.lines[-1]
    assert last == f"hunter-trace: {message.format(pid=target.pid)}\n", cli.describe()
    assert "Traceback" not in cli.err.text()


# -- nothing reaches the program's stderr --------------------------------------------------------------------------

FORK_ON_SIGNAL = textwrap.dedent(
    """\
    import os, signal, sys, time
    import hunter.remote
    hunter.remote.install()

    def leaf(x):
        return x

    forks = []
    threads = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: forks.append(signum))
    signal.signal(signal.SIGUSR2, lambda signum, frame: threads.append(signum))
    sys.stdout.write(f"ready {os.getpid()}\\n")
    n = 0
    while True:  # one thread only (until SIGUSR2): the program itself never makes fork() warn
        leaf(n)
        if threads:
            threads.clear()
            import threading
            threading.Thread(target=threading.Event().wait, daemon=True).start()
            sys.stdout.write("own thread\\n")
        if forks:
            forks.clear()
            child = os.fork()
            if child == 0:
                os._exit(0)
            os.waitpid(child, 0)
            sys.stdout.write("forked\\n")
        sys.stdout.write(f"heartbeat {n}\\n")
        n += 1
        time.sleep(0.01)
    """
)


def test_fork_while_attached_prints_nothing_in_the_program(tmp_path, cleanup):
    # 3.12+ warns on stderr when a process with several threads forks; hunter's session thread must not cause it.
    target = Target(tmp_path, source=FORK_ON_SIGNAL)
    cleanup(target)
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    for _ in range(2):
        seen = len(target.out.lines)
        target.process.send_signal(signal.SIGUSR1)
        target.out.wait_line("forked", start=seen)
    assert cli.interrupt() == 0, cli.describe()
    seen = len(target.out.lines)
    target.process.send_signal(signal.SIGUSR1)
    target.out.wait_line("forked", start=seen)
    target.wait_beats(5)
    assert target.err.text() == ""
    # A program with a thread of its own is warned, as it would be without hunter (the filter that kept the
    # fork before quiet is not left in place for this one).
    cli = start_cli(cleanup, "-p", str(target.pid), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(")
    seen = len(target.out.lines)
    target.process.send_signal(signal.SIGUSR1)
    target.out.wait_line("forked", start=seen)
    assert target.err.text() == ""
    seen = len(target.out.lines)
    target.process.send_signal(signal.SIGUSR2)
    target.out.wait_line("own thread", start=seen)
    target.process.send_signal(signal.SIGUSR1)
    target.out.wait_line("forked", start=seen)
    assert cli.interrupt() == 0, cli.describe()
    target.wait_beats(5)
    if sys.version_info >= (3, 12):
        assert "is multi-threaded, use of fork() may lead to deadlocks" in target.err.text()
    else:
        assert target.err.text() == ""


def test_failing_predicate_is_reported_to_the_cli_not_the_program(tmp_path, cleanup):
    target = start_target(tmp_path, cleanup, TARGET_PREPARED="1", TARGET_OWN_TRACE="1")
    cli = start_cli(cleanup, "-p", str(target.pid), "lambda event: 1 / 0")
    # The first event may come before the target said it is tracing (a refusal, exit 2) or after (exit 1).
    code = cli.wait()
    assert code in (1, 2), cli.describe()
    intro = f"process {target.pid}: " if code == 1 else f"process {target.pid} refused: "
    assert cli.err.lines[-1] == f"hunter-trace: {intro}tracing stopped: ZeroDivisionError: division by zero\n"
    assert cli.out is not None
    if code == 1:
        assert "Disabling tracer because handler" in cli.out.text()
    target.wait_state("own")
    target.wait_beats(10)
    target.assert_output_intact()  # the program's stderr included


# -- root attaching to another user's process ----------------------------------------------------------------------


def _live_session_socket(name: str) -> bool:
    """Whether ``name`` is the socket of a hunter session whose process (``hunter-PID.sock``) still runs."""
    match = re.fullmatch(r"hunter-(\d+)\.sock", name)
    if match is None:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _entries(folder: Path) -> dict[str, int]:
    """The names in ``folder`` with the uid that owns each."""
    return {entry.name: entry.stat(follow_symlinks=False).st_uid for entry in os.scandir(folder)}


@needs_root
def test_root_listens_only_in_its_own_directory(nobody_sleeper, open_tmp, monkeypatch):
    # The attack: right after bind(), the target's user swaps a symlink in for the socket; anything root then
    # does by that name (chmod, chown) would hit the link's target. root's directory gives them no way in.
    uid, gid = _nobody()
    attacker_dir = _nobody_dir()
    victim = open_tmp / "victim"
    victim.write_text("root's own file\n")
    victim.chmod(0o644)
    swaps: list[int] = []
    real_bind = socket.socket.bind

    def bind_then_swap(self: socket.socket, address: object) -> None:
        real_bind(self, address)
        if self.family == socket.AF_UNIX and isinstance(address, str):

            def swap() -> None:
                os.rename(address, address + ".moved")
                os.symlink(victim, address)

            swaps.append(_exit_code(_as_other_user(swap)))

    session = remote._CLISession(nobody_sleeper.pid, DEADLINE, False, signal.SIGURG, False)
    monkeypatch.setattr(socket.socket, "bind", bind_then_swap)
    try:
        session.listen(uid, gid)
    finally:
        monkeypatch.undo()
        session.cleanup()
        for leftover in attacker_dir.glob(f"hunter-{nobody_sleeper.pid}.*"):
            leftover.unlink()
    assert swaps == [1]  # PermissionError: the attacker can't rename anything in root's directory
    info = victim.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o644, 0)
    assert session.socket_path is not None
    directory = Path(session.socket_path).parent
    assert str(directory) in _remote_channel.ROOT_DIRS
    assert (directory.lstat().st_uid, stat.S_IMODE(directory.lstat().st_mode)) == (0, 0o711)


@needs_root
def test_gdb_commands_are_never_read_from_the_target_users_directory(nobody_sleeper, open_tmp, monkeypatch, gdb_reason):
    # The attack: the target's user writes gdb commands where root's hunter-trace used to put its command
    # file (in that user's directory) just as gdb starts; gdb runs as root and would run them.
    if gdb_reason:
        pytest.skip(gdb_reason)
    uid, gid = _nobody()
    attacker_dir = _nobody_dir()
    marker = open_tmp / "ran-as-root"
    planted = attacker_dir / f"hunter-{nobody_sleeper.pid}.sock.gdb"

    def plant() -> None:
        fd = os.open(planted, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        os.write(fd, f"shell touch {marker}\n".encode())
        os.close(fd)

    assert _exit_code(_as_other_user(plant)) == 0
    real_popen = subprocess.Popen

    def popen_as_the_attacker_strikes(*args: object, **kwargs: object) -> object:
        assert _exit_code(_as_other_user(plant)) == 0
        return real_popen(*args, **kwargs)  # type: ignore[call-overload]

    session = remote._CLISession(nobody_sleeper.pid, DEADLINE, True, signal.SIGURG, False)
    try:
        session.listen(uid, gid)
        assert session.socket_path is not None
        monkeypatch.setattr(subprocess, "Popen", popen_as_the_attacker_strikes)
        with pytest.raises(_remote_inject.InjectError, match="not a Python process"):  # sleep(1) has no Python
            _remote_inject.gdb_inject(nobody_sleeper.pid, session.socket_path, DEADLINE)
    finally:
        monkeypatch.undo()
        session.cleanup()
        planted.unlink(missing_ok=True)
    assert not marker.exists()


@needs_root
@pytest.mark.parametrize("route", ["signal", "gdb"])
def test_root_attaches_to_another_users_process(cleanup, route, gdb_reason):
    if route == "gdb" and gdb_reason:
        pytest.skip(gdb_reason)
    # What the agent imports on attach, loaded here first: the forked child can't read our interpreter's files.
    import ctypes  # noqa: F401
    import json  # noqa: F401
    import platform  # noqa: F401

    import hunter.backends.settrace
    import hunter.tracer

    if sys.version_info >= (3, 12):
        import hunter.backends.monitoring  # noqa: F401
    attacker_dir = _nobody_dir()
    # (The sockets of live sessions of other tests running beside this one as that user are theirs to remove.)
    before = {name: owner for name, owner in _entries(attacker_dir).items() if not _live_session_socket(name)}
    target = NobodyProcess(prepared=route == "signal")
    cleanup(target)
    target.out.wait_line("heartbeat 1")
    cli = start_cli(cleanup, "-p", str(target.pid), *(["--gdb"] if route == "gdb" else []), 'function="leaf"')
    assert cli.out is not None
    cli.out.wait_line("=> leaf(x=")
    assert cli.interrupt() == 0, cli.describe()
    seen = len(target.out.lines)
    target.out.wait_line("heartbeat", start=seen + 5)  # runs on
    # Root made, changed and removed nothing in there. (Other tests, running beside this one as that user, may
    # add entries of their own: only what root owns, or what was there before, is this test's business.)
    after = _entries(attacker_dir)
    assert [name for name, owner in after.items() if owner == 0 and before.get(name) != 0] == []
    assert {name: after.get(name) for name in before} == before
    assert target.err.text() == ""


# -- signals are lossy: the races between attach signals, wake-up calls and session threads ---------------------


def pending_signals(pid: int, tid: int) -> tuple[set[int], set[int]]:
    """The signals pending for thread ``tid`` alone and for the whole process ``pid`` (from /proc)."""
    fields = dict(
        line.split(":\t", 1)
        for line in Path(f"/proc/{pid}/task/{tid}/status").read_text().splitlines()
        if ":\t" in line
    )

    def numbers(mask: str) -> set[int]:
        value = int(mask, 16)
        return {number for number in range(1, 65) if value >> (number - 1) & 1}

    return numbers(fields["SigPnd"]), numbers(fields["ShdPnd"])


BLOCKED_TARGET = textwrap.dedent(
    """\
    import os, signal, sys, threading, time
    import hunter.remote

    hunter.remote.install()
    # Blocked in every thread (threads inherit the mask): a signal stays pending where the kernel put it.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})

    def commands():
        for line in sys.stdin:
            if line.strip() == "unblock":
                signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    def beats():
        n = 0
        while True:
            sys.stdout.write(f"heartbeat {n}\\n")
            n += 1
            time.sleep(0.01)

    def unblock(signum, frame):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGURG})  # runs the pending handlers before it returns
        sys.stdout.write("unblocked\\n")

    signal.signal(signal.SIGUSR1, unblock)
    threading.Thread(target=commands, daemon=True).start()
    threading.Thread(target=beats, daemon=True).start()
    sys.stdout.write(f"ready {os.getpid()}\\n")
    os.read(os.pipe()[0], 1)  # the main thread sleeps in a system call for good
    """
)


def test_attach_signal_goes_to_the_main_thread(tmp_path, cleanup):
    # Python runs handlers on the main thread only, and only a signal delivered to the main thread interrupts
    # the system call it sleeps in. A signal sent to the process may be taken by any other thread (one that
    # starts a thread takes it as it unblocks signals): the main thread slept on and hunter-trace timed out.
    target = Target(tmp_path, source=BLOCKED_TARGET)
    cleanup(target)
    cli = start_cli(cleanup, "-p", str(target.pid), "-t", "0.5", 'function="leaf"')
    assert cli.wait() == 2, cli.describe()
    assert "did not answer within 0.5s" in cli.err.text()
    own, shared = pending_signals(target.pid, target.pid)
    assert signal.SIGURG in own  # pending for the main thread itself: no other thread can take it
    assert signal.SIGURG not in shared
    # Unblocked, it runs the handler, which finds no hunter-trace waiting any more and does nothing.
    target.send("unblock")
    seen = target.out.wait_line("unblocked")
    assert signal.SIGURG not in pending_signals(target.pid, target.pid)[0]
    target.out.wait_line("heartbeat", start=seen + 5)  # runs on
    assert target.err.text() == ""


@pytest.fixture
def handler_installed(monkeypatch):
    """The agent's handler for SIGURG in this process, with looking for a hunter-trace replaced by a record."""
    looks: list[str | None] = []
    looked = threading.Event()

    def connect(path: str | None) -> None:
        looks.append(path)
        looked.set()

    monkeypatch.setattr(_remote_agent, "_connect", connect)
    _remote_agent.install_handler(signal.SIGURG)
    try:
        yield looks, looked
    finally:
        _remote_agent.uninstall_handler()
        # A session thread that the handler started is done when it frees the slot.
        assert _remote_agent._state.slot.acquire(timeout=DEADLINE)
        _remote_agent._state.slot.release()


def test_wake_up_call_goes_to_the_main_thread(handler_installed):
    # The settrace backend's start and stop run on the main thread, which the session thread wakes with our
    # signal: sent to the process, another thread could take it, and the main thread slept on (10s, then
    # "did not run Python code"). The main thread blocks the signal here, so it waits where it was sent.
    ran: list[str] = []
    tasks: list[_remote_agent._MainTask] = []
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})
    try:
        helper = threading.Thread(
            target=lambda: tasks.append(_remote_agent._call_on_main_thread(lambda: ran.append("x")))
        )
        helper.start()
        helper.join()
        own, shared = pending_signals(os.getpid(), threading.main_thread().native_id)
        assert signal.SIGURG in own
        assert signal.SIGURG not in shared
        assert ran == []
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGURG})  # the handler runs now
    assert ran == ["x"]
    assert tasks[0].wait(DEADLINE)


def test_a_task_that_timed_out_never_runs_late_nor_swallows_an_attach_signal(handler_installed, monkeypatch):
    # The main thread did not run the task in time (stuck in C code): the session gave up. The task must not
    # run later (a late start would trace for nobody), and the next signal, a hunter-trace's, must be taken
    # as the request to attach it is (it was taken for our own late wake-up call and ignored).
    looks, looked = handler_installed
    monkeypatch.setattr(signal, "pthread_kill", lambda ident, signum: None)  # the wake-up call gets lost
    ran: list[str] = []
    results: list[bool] = []

    def session() -> None:
        task = _remote_agent._call_on_main_thread(lambda: ran.append("late"))
        results.append(task.wait(0))

    helper = threading.Thread(target=session)
    helper.start()
    helper.join()
    assert results == [False]
    _remote_agent.handle_signal(signal.SIGURG, None)  # the hunter-trace's signal
    assert ran == []
    assert looked.wait(DEADLINE)
    assert looks == [None]


def test_signals_while_a_session_thread_is_busy_get_a_look_of_their_own(monkeypatch):
    # A signal that comes while a session thread exists only counts. Whether that thread found nobody (it was
    # started by a late wake-up call of ours) or served a hunter-trace (one that was killed, while the next
    # one signals): the new hunter-trace may have made its socket after the look, so it must get one of its
    # own, or it waits in vain.
    sessions: list[str | None] = []

    def one_session(path: str | None) -> None:
        sessions.append(path)
        if len(sessions) == 1:
            _remote_agent._state.requests += 1  # the attach signal, arriving now: the slot is held
            assert not _remote_agent._state.slot.acquire(False)
        _remote_agent._state.slot.release()  # as a session's end() does, or _one_session when it found nobody

    monkeypatch.setattr(_remote_agent, "_one_session", one_session)
    assert _remote_agent._state.slot.acquire(False)  # as _start_session_thread leaves it
    _remote_agent._session_thread(None)
    assert sessions == [None, None]
    assert not _remote_agent._state.slot.locked()


def test_the_hunter_trace_just_served_is_not_connected_to_again(tmp_path, monkeypatch):
    # After a session, signals that came meanwhile get a look; the hunter-trace just served may still be
    # listening as it leaves, but never accepts again: connecting would only wait for it to go.
    directory = tmp_path / "private"
    directory.mkdir(mode=0o700)
    path = str(directory / "hunter.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(4)
    try:
        monkeypatch.setattr(_remote_agent._state, "served_peer", None)
        first = _remote_agent._connect(path)
        assert first is not None
        first.close()
        assert _remote_agent._state.served_peer == os.getpid()  # the listener is this process
        assert _remote_agent._connect(path) is None
    finally:
        listener.close()
