"""What the attach tests share: target programs and processes, the hunter-trace CLI run as a child, other users."""

from __future__ import annotations

import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from helpers import child_env, default_signals, kill_group, run_in_group, start_in_group

import hunter.remote
from hunter.remote import inject as _remote_inject

#: Generous: a deadline, never a pause. Slow CI machines wait longer, fast ones don't wait at all.
DEADLINE = 60.0


TARGET = textwrap.dedent(
    """\
    import os, sys, threading, time

    signalled = []
    if os.environ.get("TARGET_COUNT_SIGNALS"):
        import signal
        # Kept by install() as the previous handler, which it calls: every attach signal shows in the heartbeats.
        signal.signal(signal.SIGURG, lambda signum, frame: signalled.append(signum))

    if os.environ.get("TARGET_PREPARED"):
        import hunter.remote
        hunter.remote.install(os.environ.get("TARGET_SIGNAL", "SIGURG"))

    if os.environ.get("TARGET_FLIGHT"):
        import hunter
        # A flight recorder of the program's own calls: the last 20 events of each thread, in memory.
        hunter.trace(module="__main__", record=os.environ["TARGET_FLIGHT"], record_last=20)

    def own_trace(frame, event, arg):
        return None

    if os.environ.get("TARGET_OWN_TRACE"):
        sys.settrace(own_trace)

    def say(text):
        # One write per line: print() writes the text and the newline separately, which threads interleave.
        sys.stdout.write(text + "\\n")

    def leaf(x):
        return x * 2

    def middle(x):
        return leaf(x) + 1

    def state():
        trace = sys.gettrace()
        text = "own" if trace is own_trace else "none" if trace is None else "other"
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None and any(monitoring.get_tool(i) is not None for i in range(6)):
            text += "+mon"
        if signalled:
            text += "+sig"
        return text

    stop = threading.Event()
    mutex = ctypes = None

    def commands():
        for line in sys.stdin:
            command = line.strip()
            if command == "exit":
                stop.set()
            elif command == "unlock":
                ctypes.CDLL(None).pthread_mutex_unlock(mutex)

    threading.Thread(target=commands, daemon=True).start()
    mode = os.environ.get("TARGET_MAIN", "loop")

    def heartbeats(use_threads):
        n = 0
        while not stop.is_set():
            if use_threads:
                # New threads: traced by either backend (settrace traces threads started after attaching).
                worker = threading.Thread(target=middle, args=(n,))
                worker.start()
                worker.join()
                say(f"heartbeat {n}")
            else:
                middle(n)
                say(f"heartbeat {n} {state()}")
            n += 1
            time.sleep(0.01)

    say(f"ready {os.getpid()}")
    if mode == "loop":
        heartbeats(False)
    else:
        threading.Thread(target=heartbeats, args=(True,), daemon=True).start()
        if mode == "read":
            read_end, write_end = os.pipe()
            os.read(read_end, 1)  # never written: blocked in a system call for good
        elif mode == "lock":
            lock = threading.Lock()
            lock.acquire()
            lock.acquire()  # held by ourselves: blocked on a lock for good
        elif mode == "cmutex":
            import ctypes
            mutex = ctypes.create_string_buffer(64)  # PTHREAD_MUTEX_INITIALIZER is all zeros in glibc
            libc = ctypes.CDLL(None)
            libc.pthread_mutex_lock(mutex)
            say("in C")
            libc.pthread_mutex_lock(mutex)  # blocked in C (a futex wait signals don't end) until "unlock"
            say("out of C")
            stop.wait()
    """
)


class Lines:
    """Collects the lines of a pipe in a thread, so that tests can wait for a line with a deadline."""

    def __init__(self, stream: object, context: Callable[[], str] | None = None) -> None:
        self.context = context  # more to show when a wait fails (the CLI's stderr)
        self.lines: list[str] = []
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace"))
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_for(self, condition: Callable[[list[str]], bool], what: str, timeout: float = DEADLINE) -> None:
        """Wait until ``condition(lines)`` holds; fail with the lines so far after ``timeout`` or at end of output."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not condition(self.lines):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    extra = self.context() if self.context is not None else ""
                    pytest.fail(
                        f"no {what} (output {'ended' if self.closed else 'timed out'}); last lines:\n"
                        f"{''.join(self.lines[-40:])}{extra}"
                    )
                self._cond.wait(remaining)

    def wait_line(self, text: str, start: int = 0, timeout: float = DEADLINE) -> int:
        """Wait for a line containing ``text`` at index ``start`` or later; return its index."""
        found: list[int] = []

        def condition(lines: list[str]) -> bool:
            for index in range(start, len(lines)):
                if text in lines[index]:
                    found.append(index)
                    return True
            return False

        self.wait_for(condition, repr(text), timeout)
        return found[0]

    def wait_closed(self, timeout: float = DEADLINE) -> None:
        self.wait_for(lambda lines: self.closed, "end of output", timeout)

    def finish(self) -> None:
        """Let the reader reach the end (its writers were killed), so that closing the pipe can't race its read."""
        self._thread.join(DEADLINE)

    def text(self) -> str:
        with self._cond:
            return "".join(self.lines)


class Target:
    """A real Python process running TARGET, with its stdout collected."""

    def __init__(
        self,
        tmp_path: Path,
        env: dict[str, str | None] | None = None,
        python: str = sys.executable,
        source: str = TARGET,
    ) -> None:
        script = tmp_path / "target.py"
        script.write_text(source)
        self.process = start_in_group(
            [python, "-u", str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=child_env(env),
            cwd=tmp_path,
        )
        self._beats: list[tuple[int, str]] = []
        self._parsed = 0
        self.err = Lines(self.process.stderr)
        self.out = Lines(self.process.stdout, lambda: "--- target's stderr ---\n" + self.err.text())
        self.out.wait_line("ready")
        self.pid = self.process.pid

    def heartbeats(self) -> list[tuple[int, str]]:
        """The heartbeats so far as (number, trace state); parsed incrementally (there are thousands)."""
        lines = self.out.lines
        while self._parsed < len(lines):
            line = lines[self._parsed]
            self._parsed += 1
            if line.startswith("heartbeat "):
                parts = line.split()
                self._beats.append((int(parts[1]), parts[2] if len(parts) > 2 else ""))
        return self._beats

    def wait_beats(self, count: int, what: str = "heartbeats") -> None:
        """Wait until ``count`` more heartbeats arrived (proof that the program runs on)."""
        before = len(self.heartbeats())
        self.out.wait_for(lambda lines: len(self.heartbeats()) >= before + count, f"{count} more {what}")

    def wait_state(self, state: str) -> None:
        """Wait for a heartbeat that reports the given trace state (loop mode)."""
        self.out.wait_for(lambda lines: any(s == state for _, s in self.heartbeats()[-3:]), f"state {state!r}")

    def assert_output_intact(self) -> None:
        """Every heartbeat is there, in order, and nothing else was written to the program's stdout/stderr."""
        beats = [n for n, _ in self.heartbeats()]
        assert beats == list(range(len(beats))), "heartbeats lost or out of order"
        others = [
            line
            for line in self.out.text().splitlines()
            if not line.startswith(("heartbeat ", "ready", "in C", "out "))
        ]
        assert others == []
        assert self.err.text() == ""

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        self.process.stdin.flush()

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        kill_group(self.process)
        self.out.finish()
        self.err.finish()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class CLI:
    """A running ``hunter-trace`` (python -m hunter.remote) with stdout and stderr collected."""

    def __init__(self, args: Sequence[str], env: dict[str, str | None] | None = None, stdout: int | None = None):
        self.process = start_in_group(
            [sys.executable, "-m", "hunter.remote", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout is None else stdout,
            stderr=subprocess.PIPE,
            env=child_env(env),
            # interrupt() sends SIGINT, which a background job (or nohup's caller) may have ignored.
            preexec_fn=default_signals,
        )
        self.err = Lines(self.process.stderr)
        self.out = Lines(self.process.stdout, lambda: "--- stderr ---\n" + self.err.text()) if stdout is None else None

    def wait(self) -> int:
        code = self.process.wait(DEADLINE)
        self.err.wait_closed()
        if self.out is not None:
            self.out.wait_closed()
        return code

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.wait()

    def close(self) -> None:
        kill_group(self.process)  # (with the gdb it may have started)
        for lines in (self.out, self.err):
            if lines is not None:
                lines.finish()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def describe(self) -> str:
        out = self.out.text() if self.out is not None else ""
        return f"exit code {self.process.returncode}\n--- stdout ---\n{out[-3000:]}--- stderr ---\n{self.err.text()}"


def start_target(tmp_path: Path, cleanup: Callable[[object], None], **env: str | None) -> Target:
    target = Target(tmp_path, env)
    cleanup(target)
    return target


def start_cli(cleanup: Callable[[object], None], *args: str, **kw: object) -> CLI:
    cli = CLI(args, **kw)  # type: ignore[arg-type]
    cleanup(cli)
    return cli


def gdb_usable() -> str | None:
    """Why --gdb can't be tested here (None when it can)."""
    if shutil.which("gdb") is None:
        return "gdb is not installed"
    try:
        scope = Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip()
    except OSError:
        scope = "0"
    if scope == "3" or (scope != "0" and os.geteuid() != 0):
        return f"ptrace is restricted (kernel.yama.ptrace_scope={scope})"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stderr=subprocess.DEVNULL)
    try:
        probe = run_in_group(
            # The call is what an injection does: some gdb/CPU pairs attach but can't run a function in the
            # target (gdb 13 on CPUs with AMX: "Couldn't write extended state status").
            ["gdb", "-nx", "-batch", "-p", str(sleeper.pid), "-ex", "call (long) getpid()", "-ex", "detach"],
            text=True,
            timeout=DEADLINE,
        )
    finally:
        sleeper.kill()
        sleeper.wait()
    output = probe.stdout + probe.stderr
    if "Operation not permitted" in output:
        return "ptrace is not permitted here (container without CAP_SYS_PTRACE?)"
    if f"= {sleeper.pid}" not in output:
        return "gdb can't call a function in a process on this machine: " + _remote_inject.gdb_call_failure(output)
    return None


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching to another uid needs root")


def _nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' user here")
    return entry.pw_uid, entry.pw_gid


def _as_other_user(function: Callable[[], object]) -> int:
    """Fork a child that becomes 'nobody' and runs ``function``; return its pid.

    A fork, not a new interpreter: the interpreters here live under /root, which 'nobody' can't enter.
    The child exits 0 when ``function`` returns, 1 when it raised PermissionError, 2 on anything else.
    """
    uid, gid = _nobody()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() in a process with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 2
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            function()
            code = 0
        except PermissionError:
            code = 1
        finally:
            os._exit(code)
    return pid


def _exit_code(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _nobody_dir() -> Path:
    """/tmp/hunter-<nobody>: where root used to put its sessions with nobody's processes; made by nobody."""
    uid, _ = _nobody()
    path = Path(f"/tmp/hunter-{uid}")
    if path.is_symlink() or (path.exists() and path.lstat().st_uid != uid):
        shutil.rmtree(path) if not path.is_symlink() else path.unlink()
    assert _exit_code(_as_other_user(lambda: os.makedirs(path, mode=0o700, exist_ok=True))) == 0
    return path


def leaf(x: int) -> int:
    return x * 2


class NobodyProcess:
    """A Python process of user 'nobody' that heartbeats: a fork of this test process ('nobody' can't run our
    interpreters), with hunter's attach handler installed (``prepared``) after dropping privileges, or before it as a
    daemon started by root does (``install_as_root``); ``saved_uid``, ``cwd`` and ``dumpable`` (None: as the kernel
    left it after the change of ids) as given."""

    def __init__(
        self,
        prepared: bool = True,
        *,
        install_as_root: bool = False,
        cwd: Path | None = None,
        saved_uid: int | None = None,
        dumpable: bool | None = None,
        wait: bool = False,
    ) -> None:
        uid, gid = _nobody()
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() in a process with threads
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                os.dup2(out_write, 1)
                os.dup2(err_write, 2)
                if prepared and install_as_root:
                    hunter.remote.install()
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid if saved_uid is None else saved_uid)
                if cwd is not None:
                    os.chdir(cwd)
                if dumpable is not None:
                    # Changing ids made it non-dumpable (the kernel's suid_dumpable); say explicitly which it is.
                    ctypes.CDLL(None).prctl(4, int(dumpable), 0, 0, 0)  # PR_SET_DUMPABLE
                if prepared and not install_as_root:
                    hunter.remote.install()
                n = 0
                while True:
                    leaf(n)
                    os.write(1, f"heartbeat {n}\n".encode())
                    n += 1
                    time.sleep(0.01)
            finally:
                os._exit(1)
        os.close(out_write)
        os.close(err_write)
        self.pid = pid
        self.out = Lines(os.fdopen(out_read, "rb"))
        self.err = Lines(os.fdopen(err_read, "rb"))
        if wait:
            self.out.wait_line("heartbeat 1")

    def close(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        _exit_code(self.pid)


FAKE_TARGET = textwrap.dedent(
    """\
    import json, os, signal, socket, struct, sys
    from hunter.remote import channel

    EVIL = "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred\\x1b[0m\\r\\x9b6n\\x7f"
    signal.signal(signal.SIGURG, lambda signum, frame: None)  # shows as handled in /proc: "prepared"
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})
    sys.stdout.write("ready\\n")
    signal.sigwait({signal.SIGURG})
    name = channel.socket_name(os.getpid())
    path = next(
        os.path.join(d, name) for d in channel.candidate_dirs(os.geteuid()) if os.path.exists(os.path.join(d, name))
    )
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    reader = channel.FrameReader(sock)

    def send(kind, payload):
        sock.sendall(struct.pack(">cI", kind, len(payload)) + payload)

    scenario = os.environ["FAKE_SCENARIO"]
    hello = {"pid": os.getpid(), "python": "3" + EVIL, "backend": EVIL}
    answer = {"backend": "monitoring" + EVIL, "all_threads": True}
    try:
        if scenario == "deep-hello":
            send(b"H", b"[" * 100000 + b"]" * 100000)  # deeper than any JSON parser recurses
        else:
            send(b"H", b"[1, 2]" if scenario == "list-hello" else json.dumps(hello).encode())
        reader.read()  # the request
        if scenario == "refuse":
            send(b"E", ("no: " + EVIL).encode())
        elif scenario == "bad-answer":
            send(b"A", b"\\xff{")
        else:
            send(b"A", json.dumps(answer).encode())
        if scenario == "escapes":
            send(b"O", ("line " + EVIL + "\\tend\\n").encode())
            send(b"N", ("note " + EVIL).encode())
            send(b"E", ("error " + EVIL).encode())
        elif scenario == "huge-frame":
            sock.sendall(struct.pack(">cI", b"O", 2**31))
        elif scenario == "sgr-open":
            send(b"O", "\\x1b[8mhidden, and so would be the shell's prompt\\n".encode())
            send(b"X", b"")
        elif scenario == "wide-chars":
            send(b"O", "\\u201b\\u00e9\\u20ac\\u0153\\n".encode())
            send(b"X", b"")
        elif scenario == "no-bye":
            while sock.recv(1):  # QUIT is read and ignored: the CLI must give up by itself
                pass
        sock.recv(1)  # until the CLI closes
    except OSError:
        pass
    """
)


def start_fake_target(tmp_path: Path, cleanup: Callable[[object], None], scenario: str) -> Target:
    target = Target(tmp_path, {"FAKE_SCENARIO": scenario}, source=FAKE_TARGET)
    cleanup(target)
    return target
