"""The ``hunter-trace`` command: attach to ``-p PID``, stream its trace output here, detach on Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import functools
import json
import math
import os
import signal as _signal
import socket
import sys
import time
from collections.abc import Sequence
from typing import Any

from .._output import _colors
from . import agent, channel, options as _options, peers, terminal
from .api import DEFAULT_SIGNAL, ENVIRONMENT_VARIABLE, parse_signal

__all__ = ["AttachError", "main"]

_EXIT_OK = 0
_EXIT_LOST = 1
_EXIT_ERROR = 2
#: -t takes at most a day: a longer wait is a mistake, and huge values overflow the timeouts of sockets and locks.
MAX_TIMEOUT = 24 * 3600.0
#: Trace output that comes before the target says it is tracing is kept (to show after the banner) up to this
#: many bytes; a hostile target can't make the CLI keep more.
EARLY_OUTPUT_LIMIT = 1024 * 1024


class AttachError(Exception):
    """Attaching failed before tracing started; the message is one line and the target was not changed."""


class _Detach(Exception):
    """SIGTERM or SIGHUP: detach as on Ctrl-C."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hunter-trace",
        description="Trace a running Python process and stream its trace output here. Ctrl-C detaches; "
        "the process runs on.",
        epilog="OPTIONS are what you would write between the parentheses of hunter.trace(...), as in "
        "PYTHONHUNTER, e.g.: hunter-trace -p 1234 'module=\"app\"' 'action=CallPrinter'",
    )
    parser.add_argument("-p", "--pid", type=int, required=True, help="the process to trace")
    parser.add_argument(
        "-t", "--timeout", type=float, default=10.0, help="seconds to wait for the process to answer (default: 10)"
    )
    parser.add_argument(
        "--gdb", action="store_true", help="inject with gdb (for a process that did not call hunter.remote.install())"
    )
    parser.add_argument(
        "-s",
        "--signal",
        default=None,
        help="the signal the process listens on (default: SIGURG, as hunter.remote.install())",
    )
    parser.add_argument(
        "--dump",
        action="store_true",
        help="instead of tracing: ask the process to write its flight recorder (record=..., record_last=N) now",
    )
    parser.add_argument("options", nargs="*", help="trace() arguments, joined with ', '")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hunter-trace`` command: attach to ``-p PID``, stream its trace here until Ctrl-C."""
    args = _parser().parse_args(argv)
    options = ", ".join(args.options)
    try:
        # Everything is checked before the target is touched at all (no signal sent, no gdb started).
        if args.dump and options:
            raise AttachError("--dump takes no trace options: the process writes what its flight recorder holds")
        check_options(options)
        signum = parse_signal(args.signal) if args.signal is not None else DEFAULT_SIGNAL
        check_timeout(args.timeout)
        session = _CLISession(args.pid, args.timeout, args.gdb, signum, args.signal is not None)
        return session.run(options, args.dump)
    except (AttachError, ValueError) as exc:
        _say(str(exc))
        return _EXIT_ERROR


def check_timeout(timeout: float) -> None:
    """AttachError unless ``timeout`` is a number of seconds that every wait can take (not nan, inf or 1e300)."""
    if not math.isfinite(timeout) or not 0 < timeout <= MAX_TIMEOUT:
        raise AttachError(f"the timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, not {timeout}")


def check_options(options: str) -> None:
    """Parse the options as the target will, so that a mistake is one line before attaching; runs none of them."""
    try:
        # Only parsed here, never evaluated: they run in the target, as its user (see remote/options.py).
        _options.check_text(options)
    except Exception as exc:  # whatever the options raise, it is the user's mistake to show
        message = str(exc).strip().splitlines()
        detail = message[0] if message else type(exc).__name__
        if not isinstance(exc, (ValueError, TypeError)):
            detail = f"{type(exc).__name__}: {detail}"
        raise AttachError(f"invalid options {options!r}: {detail}") from None


def _say(message: str) -> None:
    """One status line on stderr; text that came from the target is shown with its control characters escaped."""
    sys.stderr.write(f"hunter-trace: {terminal.clean_line(message)}\n")
    sys.stderr.flush()


def _text(payload: bytes) -> str:
    return payload.decode("utf-8", "replace").strip()


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; with the reader gone that would print a BrokenPipeError.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _proc_status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as file:
            return dict(line.rstrip("\n").split(":\t", 1) for line in file if ":\t" in line)
    except OSError:
        return {}


def _process_gone(pid: int) -> bool:
    """True when the process no longer exists or is a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    state = _proc_status(pid).get("State", "")
    return state.startswith(("Z", "X"))


def _looks_like_python(pid: int) -> bool | None:
    """Whether the process maps a Python interpreter (None when /proc cannot tell)."""
    try:
        with open(f"/proc/{pid}/maps") as file:
            maps = file.read()
    except OSError:
        return None
    return "python" in maps.lower()


def _handles_signal(pid: int, signum: int) -> bool | None:
    """Whether the process has a handler for ``signum`` (SigCgt in /proc; None when unknown)."""
    caught = _proc_status(pid).get("SigCgt")
    if caught is None:
        return None
    return bool(int(caught, 16) >> (signum - 1) & 1)


def _signal_main_thread(pid: int, signum: int) -> None:
    """Send ``signum`` to the main thread of process ``pid`` (Linux), or to the process where that can't be done.

    Python runs signal handlers on its main thread only, and only a signal delivered to that thread interrupts
    a system call it is blocked in. A signal sent to the process may be taken by any thread that doesn't block
    it (the kernel prefers the main thread, but e.g. a thread that is starting a thread takes it as soon as it
    unblocks signals): the main thread then sleeps on in ``read()`` and never runs the handler. Linux's
    ``tgkill`` aims at one thread; the main thread's id is the process id.
    """
    tgkill = _tgkill()
    if tgkill is None:
        os.kill(pid, signum)
        return
    if tgkill(pid, pid, signum) != 0:
        error = ctypes.get_errno()
        if error != errno.ESRCH:
            raise OSError(error, os.strerror(error))  # EPERM becomes PermissionError, as from os.kill
        os.kill(pid, signum)  # no thread with the process id (the main thread has ended): the process then


@functools.lru_cache(maxsize=1)
def _tgkill() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).tgkill  # glibc 2.30+, musl
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    function.restype = ctypes.c_int
    return function


class _CLISession:
    """One run of hunter-trace: checks, the listening socket, triggering the target, streaming, detaching."""

    def __init__(self, pid: int, timeout: float, use_gdb: bool, signum: int, signal_given: bool) -> None:
        self.pid = pid
        self.timeout = timeout
        self.use_gdb = use_gdb
        self.signum = signum
        self.signal_given = signal_given
        self.listener: socket.socket | None = None
        self.socket_path: str | None = None
        self.script_path: str | None = None
        self.target_owner: tuple[int, int] | None = None  # (uid, gid) of a target of another user
        self.stdout = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
        self.early_output: list[bytes] = []
        self.early_size = 0
        self.early_dropped = 0
        self.colors = _colors.wants_colors(sys.stdout, False)  # asked of the target; SGR codes pass only then
        self.encoding = terminal.encoding_of(sys.stdout)
        self.coloured = False  # whether an SGR sequence reached our stdout (reset at the end)

    # -- checks before touching the target --

    def target_uid(self) -> tuple[int, int]:
        pid = self.pid
        if pid <= 0:
            raise AttachError(f"invalid process id {pid}")
        if pid == os.getpid():
            raise AttachError("hunter-trace cannot attach to itself")
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise AttachError(f"there is no process {pid}") from None
        except PermissionError:
            raise AttachError(f"not allowed to attach to process {pid}: it belongs to another user") from None
        status = _proc_status(pid)
        if status.get("State", "").startswith(("Z", "X")):
            raise AttachError(f"process {pid} has exited")
        target = peers.credentials_of(pid)
        if target is None:
            if not sys.platform.startswith("linux"):
                return os.geteuid(), os.getegid()  # os.kill() above was allowed: no /proc to tell more
            raise AttachError(f"there is no process {pid}")
        # The kernel's rule for debuggers (hunter-trace runs code in the target as a debugger can), never wider.
        problem = peers.refusal(target, os.geteuid(), os.getegid(), peers.capabilities_of(os.getpid()))
        if problem is not None:
            raise AttachError(f"not allowed to attach to process {pid}: {problem}")
        return target.uids[1], target.gids[1]  # effective ids: what the target's files and checks use

    def listen(self, uid: int, gid: int) -> None:
        """Create the session socket in the first safe directory of ours (never in a directory of another user)."""
        problems = []
        for_another_user = uid != os.geteuid()  # root attaching to another user's process
        # root's own directories also serve its own processes when its per-user ones are unusable (anybody can
        # make /tmp/hunter-0 first where /run/user/0 is missing).
        own = [] if for_another_user else channel.candidate_dirs(uid)
        roots = channel.root_dirs() if os.geteuid() == 0 else []
        for directory in own + roots:
            try:
                channel.make_root_dir(directory) if directory in roots else channel.make_private_dir(directory)
            except channel.ChannelError as exc:
                problems.append(str(exc))
                continue
            path = os.path.join(directory, channel.socket_name(self.pid))
            self._claim(path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            old_umask = os.umask(0o177)  # the socket file is born 0600: no window where others may connect
            try:
                listener.bind(path)
            finally:
                os.umask(old_umask)
            self.listener, self.socket_path = listener, path
            if for_another_user:
                self.target_owner = (uid, gid)
                # The target must be able to connect; in root's own directory nobody can have swapped the name.
                os.lchown(path, uid, gid)
            listener.listen(4)
            return
        raise AttachError("no safe directory for the session socket: " + "; ".join(problems))

    def _claim(self, path: str) -> None:
        if not os.path.lexists(path):
            return
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError as exc:
            if not channel.is_connection_refused(exc):
                raise AttachError(f"another hunter-trace seems attached to process {self.pid} ({path})") from None
            os.unlink(path)  # left behind by a hunter-trace that was killed
        else:
            raise AttachError(f"another hunter-trace is attached to process {self.pid} ({path})")
        finally:
            probe.close()

    def cleanup(self) -> None:
        if self.listener is not None:
            self.listener.close()
        for path in (self.socket_path, self.script_path):
            if path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(path)

    # -- getting the target to connect --

    def trigger(self) -> None:
        from . import inject

        assert self.socket_path is not None
        pid = self.pid
        if self.use_gdb:
            if _looks_like_python(pid) is False:
                raise AttachError(f"process {pid} is not a Python process (no Python interpreter in its memory map)")
            try:
                inject.gdb_inject(pid, self.socket_path, self.timeout)
            except inject.InjectError as exc:
                raise AttachError(str(exc)) from None
            return
        handles = _handles_signal(pid, self.signum)
        name = _signal.Signals(self.signum).name
        if handles is False and not self.signal_given and hasattr(sys, "remote_exec"):
            # Python 3.14+: no preparation needed when both sides run the same Python version. sys.remote_exec's
            # own error for a process without Python ("PyRuntime address lookup failed") explains nothing.
            if _looks_like_python(pid) is False:
                raise AttachError(f"process {pid} is not a Python process")
            self.script_path = self.socket_path + ".py"
            try:
                inject.remote_exec_inject(pid, self.script_path, self.socket_path, self.target_owner)
            except inject.InjectError as exc:
                raise AttachError(f"{exc}; prepare the target with hunter.remote.install() or use --gdb") from None
            return
        if handles is False:
            if _looks_like_python(pid) is False:
                raise AttachError(f"process {pid} is not a Python process")
            raise AttachError(
                f"process {pid} does not handle {name}, so it is not prepared for hunter-trace: call "
                f"hunter.remote.install() in it or start it with {ENVIRONMENT_VARIABLE}=1 (with -s if it uses "
                "another signal), or attach with --gdb"
            )
        try:
            _signal_main_thread(pid, self.signum)
        except ProcessLookupError:
            raise AttachError(f"there is no process {pid}") from None
        except PermissionError:
            raise AttachError(f"not allowed to signal process {pid}") from None

    def accept(self, uid: int) -> socket.socket:
        """Wait for the target to connect; only the target itself (same pid and uid) is accepted."""
        assert self.listener is not None
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AttachError(self._no_answer_message())
            self.listener.settimeout(remaining)
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            peer = channel.peer_credentials(conn)
            if peer.uid == uid and (peer.pid is None or peer.pid == self.pid):
                return conn
            _say(f"refused a connection from pid {peer.pid} (uid {peer.uid})")
            conn.close()

    def _no_answer_message(self) -> str:
        if _process_gone(self.pid):
            return f"process {self.pid} exited before it answered"
        if self.use_gdb or self.script_path is not None:
            return (
                f"process {self.pid} did not connect back within {self.timeout:g}s: its main thread has not run "
                "Python code since (blocked in a system call or C code?); the injected code runs when it does"
            )
        return (
            f"process {self.pid} did not answer within {self.timeout:g}s: its main thread has not run Python "
            "code (busy in C code?), or it is already being traced"
        )

    # -- the session --

    def run(self, options: str, dump: bool = False) -> int:
        uid, gid = self.target_uid()
        detach_signals = [s for s in ("SIGTERM", "SIGHUP") if hasattr(_signal, s)]
        previous = {name: _signal.signal(getattr(_signal, name), self._on_detach_signal) for name in detach_signals}
        # Ctrl-C detaches even when started with SIGINT ignored (as shells do for background jobs).
        previous["SIGINT"] = _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        try:
            self.listen(uid, gid)
            self.trigger()
            conn = self.accept(uid)
            try:
                return self.dump(conn) if dump else self.stream(conn, options)
            finally:
                conn.close()
        except (KeyboardInterrupt, _Detach):
            _say("interrupted before attaching")
            return _EXIT_ERROR
        finally:
            self.cleanup()
            for name, handler in previous.items():
                _signal.signal(getattr(_signal, name), handler)

    @staticmethod
    def _on_detach_signal(signum: int, frame: object) -> None:
        raise _Detach(signum)

    def _hello(self, reader: channel.FrameReader, deadline: float) -> bytes:
        """The target's first frame, its hello (the payload); an error it sent instead, or none, as an AttachError."""
        frame = reader.read(deadline)
        if frame is not None and frame.kind == channel.ERROR:
            raise AttachError(_text(frame.payload))
        if frame is None or frame.kind != channel.HELLO:
            raise AttachError(f"process {self.pid} closed the connection before saying hello")
        return frame.payload

    def handshake(self, conn: socket.socket, reader: channel.FrameReader, options: str) -> dict[str, Any]:
        """Say hello, send the request, wait for ACCEPTED; the target's facts (checked: it may be hostile)."""
        # Generous: with the settrace backend the target waits for its main thread to start the tracer.
        deadline = time.monotonic() + self.timeout + agent.MAIN_THREAD_TIMEOUT + 5
        try:
            hello = self._facts(self._hello(reader, deadline), "hello")
            request = {"options": options, "colors": self.colors}
            channel.send_frame(conn, channel.REQUEST, json.dumps(request).encode())
            frame = reader.read(deadline)
            # The tracer runs before the target gets to say so: keep its first lines for after our banner.
            while frame is not None and frame.kind == channel.OUTPUT:
                self._keep_early(frame.payload)
                frame = reader.read(deadline)
        except TimeoutError:
            raise AttachError(f"process {self.pid} stopped answering while attaching") from None
        except (OSError, channel.ChannelError) as exc:
            raise AttachError(f"lost the connection to process {self.pid} while attaching: {exc}") from None
        if frame is None:
            raise AttachError(f"process {self.pid} closed the connection while attaching")
        if frame.kind == channel.ERROR:
            raise AttachError(f"process {self.pid} refused: {_text(frame.payload)}")
        if frame.kind != channel.ACCEPTED:
            raise AttachError(f"unexpected answer from process {self.pid}")
        return {**hello, **self._facts(frame.payload, "answer")}

    def dump(self, conn: socket.socket) -> int:
        """``--dump``: ask the process to write its flight recorders, say which files it wrote; nothing is traced."""
        reader = channel.FrameReader(conn)
        # (writing the recorder's events takes the process a moment: a little more than the timeout)
        deadline = time.monotonic() + self.timeout + 5
        try:
            self._hello(reader, deadline)
            channel.send_frame(conn, channel.DUMP)
            frame = reader.read(deadline)
        except TimeoutError:
            raise AttachError(f"process {self.pid} did not write its flight recorder within the timeout") from None
        except (OSError, channel.ChannelError) as exc:
            raise AttachError(f"lost the connection to process {self.pid} while it dumped: {exc}") from None
        if frame is None:
            raise AttachError(
                f"process {self.pid} closed the connection without dumping (is its hunter older than --dump?)"
            )
        if frame.kind == channel.ERROR:
            raise AttachError(f"process {self.pid} {_text(frame.payload)}")
        if frame.kind != channel.DUMPED:
            raise AttachError(f"unexpected answer from process {self.pid}")
        answer = self._facts(frame.payload, "answer")
        written, problems = answer.get("files"), answer.get("problems")
        if not isinstance(written, list) or not isinstance(problems, list):
            raise AttachError(f"process {self.pid} sent a malformed answer; is it really hunter?")
        for filename in written:
            _say(f"process {self.pid} wrote its flight recorder to {filename}")
        for problem in problems:
            _say(f"process {self.pid}: flight recorder: {problem}")
        return _EXIT_OK if written and not problems else _EXIT_ERROR

    def _keep_early(self, payload: bytes) -> None:
        if self.early_size + len(payload) <= EARLY_OUTPUT_LIMIT:
            self.early_output.append(payload)
            self.early_size += len(payload)
        else:
            self.early_dropped += len(payload)

    def _facts(self, payload: bytes, what: str) -> dict[str, Any]:
        try:
            facts = json.loads(payload)
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested deeper than the parser goes
            facts = None
        if not isinstance(facts, dict):
            raise AttachError(f"process {self.pid} sent a malformed {what}; is it really hunter?")
        return facts

    def stream(self, conn: socket.socket, options: str) -> int:
        """The attached session: banner, trace output until Ctrl-C (or the end), then detaching."""
        reader = channel.FrameReader(conn)
        info = self.handshake(conn, reader, options)
        if info.get("all_threads"):
            threads = "all threads"
        elif info.get("main_thread_only"):
            threads = "the main thread"
        else:
            threads = "the main thread and threads started from now on"
        python = terminal.clean_line(str(info.get("python", "?")), terminal.FIELD_LIMIT)
        backend = terminal.clean_line(str(info.get("backend", "?")), terminal.FIELD_LIMIT)
        try:
            try:
                # The banner too: a Ctrl-C that comes as soon as it shows must detach, not leave tracing on.
                _say(
                    f"attached to process {self.pid} (Python {python}, {backend} backend, tracing {threads}); "
                    "Ctrl-C detaches"
                )
                if self.early_dropped:
                    _say(f"left out {self.early_dropped} bytes of trace output sent before the process was tracing")
                for data in self.early_output:
                    self._write(data)
                self.early_output = []
                return self._pump(reader, until_bye=False)
            except (KeyboardInterrupt, _Detach):
                return self.detach(conn, reader)
            except BrokenPipeError:
                # Our stdout was closed (e.g. piped into head): detach quietly, like a Ctrl-C.
                self.stdout = None
                _silence_stdout()
                return self.detach(conn, reader)
        finally:
            self._reset_colors()

    def _pump(self, reader: channel.FrameReader, until_bye: bool, deadline: float | None = None) -> int:
        while True:
            try:
                frame = reader.read(deadline)
            except channel.ChannelError as exc:
                _say(f"process {self.pid} broke the protocol ({exc}); detaching")
                return _EXIT_LOST
            except TimeoutError:
                raise  # the deadline given (detaching): the caller says what did not come in time
            except OSError:
                frame = None
            if frame is None:
                return self._lost()
            if frame.kind == channel.OUTPUT:
                self._write(frame.payload)
            elif frame.kind == channel.NOTE:
                _say(_text(frame.payload))
            elif frame.kind == channel.EXITING:
                _say(f"process {self.pid} exited")
                return _EXIT_LOST
            elif frame.kind == channel.BYE and until_bye:
                _say(f"detached from process {self.pid}; it runs on untraced")
                return _EXIT_OK
            elif frame.kind == channel.ERROR:
                _say(f"process {self.pid}: {_text(frame.payload)}")
                return _EXIT_LOST
            # Anything else (a kind a newer hunter may send) is skipped.

    def _write(self, data: bytes) -> None:
        if self.stdout is not None:
            text = terminal.clean_output(data.decode("utf-8", "replace"), self.colors)
            self.coloured = self.coloured or (self.colors and "\x1b" in text)
            self.stdout.write(terminal.encode(text, self.encoding))
            self.stdout.flush()

    def _reset_colors(self) -> None:
        # An SGR sequence the target left open (hidden text, say) must not outlive the session in the terminal.
        if self.coloured and self.stdout is not None:
            with contextlib.suppress(OSError, ValueError):
                self.stdout.write(terminal.SGR_RESET.encode("ascii"))
                self.stdout.flush()

    def _lost(self) -> int:
        # The kernel closes the socket when the target dies; give it a moment to become a zombie or vanish.
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if _process_gone(self.pid):
                _say(f"process {self.pid} exited")
                return _EXIT_LOST
            time.sleep(0.02)
        _say(f"process {self.pid} closed the connection; tracing there has stopped")
        return _EXIT_LOST

    def detach(self, conn: socket.socket, reader: channel.FrameReader) -> int:
        """Ask the target to stop tracing and wait (briefly) for it to confirm; a second Ctrl-C just leaves."""
        try:
            channel.send_frame(conn, channel.QUIT)
            return self._pump(reader, until_bye=True, deadline=time.monotonic() + self.timeout)
        except TimeoutError:
            _say(
                f"process {self.pid} did not confirm the detach within {self.timeout:g}s; it stops tracing when it "
                "sees the closed channel"
            )
            return _EXIT_OK
        except (KeyboardInterrupt, _Detach, OSError):
            return _EXIT_OK
