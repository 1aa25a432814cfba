"""The side of hunter-trace that runs inside the traced process: entry points, the session thread, the output stream.

How it stays out of the way of the program it runs in:

* The entry points (the signal handler of :func:`hunter.remote.install`, the code injected through
  gdb or ``sys.remote_exec``) run on the main thread between two bytecodes, wherever the program
  happened to be: inside a ``with lock:`` block, half-way through writing a line, inside an import.
  They therefore take no lock, import nothing, write nothing and do no I/O: they only start a
  thread with ``_thread.start_new_thread`` (the ``threading`` module would take its own
  ``_active_limbo_lock``, which the interrupted code may be holding: a deadlock).
* The session thread does the rest: finds the socket, checks the peer, reads the options, builds
  the tracer, streams the output, and stops the tracer when the CLI quits or disappears. It is one
  of hunter's own threads (:mod:`hunter._engine._own_threads`): no backend reports anything it runs.
* Only ``sys.settrace`` is per thread. With the settrace backend the tracer must be started and
  stopped *on the main thread*; the session thread queues that work and wakes the main thread with
  our own signal, sent to the main thread itself (which also interrupts a blocking system call), or,
  when no handler of ours is installed, with ``Py_AddPendingCall``. The monitoring backend (3.12+)
  is global and started from the session thread directly, so a main thread stuck in C code does
  not matter.
* Signals are lossy: two of one kind that are pending together are handled once. So every signal
  counts as a request to attach (it may carry one besides our own wake-up call), and a session
  thread that was busy while requests came looks for a waiting hunter-trace again when it is done.
* Nothing is ever printed to the program's own stdout/stderr; problems are reported to the CLI.
"""

from __future__ import annotations

import _thread
import atexit
import collections
import contextlib
import os
import socket
import stat
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

from .._engine import _own_threads
from .. import config
from .._setup._options import TraceSetup, prepare
from .._version import __version__
from . import channel, peers

__all__ = ["bootstrap", "handle_signal", "install_handler", "uninstall_handler"]

#: How long the target waits for the CLI's request after connecting.
REQUEST_TIMEOUT = 10.0
#: How long a traced thread may block writing output that the CLI does not read before the session is dropped.
#: The program's threads wait while the CLI is stalled (e.g. a paused terminal); after this they run on untraced.
SEND_TIMEOUT = 10.0
#: How long the session thread waits for the main thread to start or stop a settrace tracer.
MAIN_THREAD_TIMEOUT = 10.0


class _State:
    """Module state; plain attributes, read and written under the GIL only (the signal handler takes no lock)."""

    signum: int | None = None  # the signal our handler is installed for (None: not installed)
    previous_handler: Any = None  # what install_handler() replaced, restored by uninstall_handler()
    # Held while a session thread exists (connecting or attached): further signals only count as requests.
    # A lock, so that claiming it is one atomic step for the signal handler and a session thread alike.
    slot = _thread.allocate_lock()
    requests = 0  # signals handled so far: those that came while the slot was held get a look of their own later
    served_peer: int | None = None  # the pid of the hunter-trace served last: it serves one session only
    session: _Session | None = None


_state = _State()
#: Work that must run on the main thread (starting/stopping a settrace tracer); deque operations are atomic.
_main_tasks: collections.deque[_MainTask] = collections.deque()
_pending_call_callback: Any = None


# -- entry points (main thread, minimal work) ------------------------------------------------------------------


def handle_signal(signum: int, frame: Any) -> None:
    """The signal handler: run queued main-thread work, and look for a waiting hunter-trace (never blocks)."""
    ran_tasks = _run_main_tasks()
    # Even when this was our own wake-up call, an attach signal may have merged with it while both were pending:
    # every signal is a request. Counted before the slot is tried, so a busy session thread sees it afterwards.
    _state.requests += 1
    _start_session_thread(None)
    previous = _state.previous_handler
    if not ran_tasks and callable(previous):
        previous(signum, frame)


def bootstrap(path: str, fork_filter: Any = None) -> None:
    """Entry point for code injected by gdb or sys.remote_exec, run in a thread of its own: attach to ``path``.

    ``fork_filter`` is the warning filter the injected code put in place while it imported hunter (see
    _before_fork); it is taken out once this thread counts as hunter's, so no fork sees a gap between the two.
    """
    _own_threads.claim()
    if fork_filter is not None:
        _remove_filter(fork_filter)
    if _state.slot.acquire(False):
        _own_threads.run(_session_thread, path)


def _start_session_thread(path: str | None) -> None:
    if not _state.slot.acquire(False):
        return  # a session thread exists; it looks again for this request when it is done
    try:
        _own_threads.start(_session_thread, path)  # _thread underneath; never traced, whatever the query
    except RuntimeError:  # interpreter shutting down: no new threads
        _state.slot.release()


def install_handler(signum: int) -> None:
    """Install :func:`handle_signal` for ``signum`` (main thread only), keeping the previous handler."""
    import signal

    if _state.signum == signum and signal.getsignal(signum) is handle_signal:
        return
    if _state.signum is not None:
        uninstall_handler()
    previous = signal.signal(signum, handle_signal)
    _state.previous_handler = previous
    _state.signum = signum


def uninstall_handler() -> None:
    """Restore the handler that install_handler() replaced and end an active session (main thread only)."""
    import signal

    signum = _state.signum
    if signum is None:
        return
    if signal.getsignal(signum) is handle_signal:
        previous = _state.previous_handler
        signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
    _state.signum = None
    _state.previous_handler = None
    session = _state.session
    if session is not None:
        session.end(None)


# -- running work on the main thread -----------------------------------------------------------------------------


class _MainTask:
    """A function to run on the main thread, and a lock released when it ran."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.function()
        except BaseException as exc:  # reported to the session, never raised into the program
            self.error = exc
        finally:
            self.done.release()

    def wait(self, timeout: float) -> bool:
        """Wait until the main thread ran the task; after ``timeout`` withdraw it, so that it never runs late."""
        if self.done.acquire(timeout=timeout):
            return True
        try:
            _main_tasks.remove(self)  # atomic: either we withdraw it, or the main thread has taken it
        except ValueError:
            self.done.acquire()  # the main thread is running it right now: it ends shortly
            return True
        return False


def _run_main_tasks() -> bool:
    ran = False
    while True:
        try:
            task = _main_tasks.popleft()
        except IndexError:
            return ran
        ran = True
        task.run()


def _call_on_main_thread(function: Callable[[], Any]) -> _MainTask:
    """Queue ``function`` for the main thread and wake it up; the caller waits on the returned task."""
    import signal
    import threading

    task = _MainTask(function)
    _main_tasks.append(task)
    # 3.13+ knows the main thread for sure; before, threading's idea of it is right as long as threading
    # was first imported on the main thread (install() and the injected bootstrap make sure of that).
    get_main_ident = getattr(_thread, "_get_main_thread_ident", None)
    main_ident: int | None = get_main_ident() if get_main_ident is not None else threading.main_thread().ident
    if _thread.get_ident() == main_ident:
        _run_main_tasks()
        return task
    signum = _state.signum
    if signum is not None and main_ident is not None and signal.getsignal(signum) is handle_signal:
        # A real signal also interrupts a blocking system call of the main thread (PEP 475 retries it
        # after running handlers), so the work runs promptly even in a program that sleeps or waits.
        # It is sent to the main thread itself: a signal sent to the process may be taken by any other
        # thread (e.g. one starting a thread just then), and then the main thread sleeps on.
        signal.pthread_kill(main_ident, signum)
    else:
        _add_pending_call()
    return task


def _add_pending_call() -> None:
    """Ask the interpreter to call :func:`_run_main_tasks` on the main thread at its next safe point."""
    global _pending_call_callback
    import ctypes

    prototype = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
    if _pending_call_callback is None:

        def callback(_arg: object) -> int:
            _run_main_tasks()
            return 0  # -1 would mean "exception set" to the interpreter

        # Kept in a global: the C side holds only a raw pointer to it.
        _pending_call_callback = prototype(callback)
    add = ctypes.pythonapi.Py_AddPendingCall
    add.argtypes = [prototype, ctypes.c_void_p]
    add.restype = ctypes.c_int
    if add(_pending_call_callback, None) != 0:
        raise RuntimeError("the interpreter's pending call queue is full")


# -- the session ---------------------------------------------------------------------------------------------------


def _session_thread(path: str | None) -> None:
    """The session thread: it owns the slot; looks for a waiting hunter-trace and serves it, as often as asked."""
    while True:
        seen = _state.requests
        _one_session(path)
        # Signals that came meanwhile found the slot held and were only counted: a hunter-trace may have made its
        # socket after we looked (e.g. our own late wake-up signal started this thread) or while we served
        # another one. Look again, unless nothing came or a newer session thread took the slot already.
        if path is not None or _state.requests == seen or not _state.slot.acquire(False):
            return


def _one_session(path: str | None) -> None:
    """Connect and run one session, if a hunter-trace waits; the slot is free afterwards."""
    session = None
    try:
        sock = _connect(path)
        if sock is None:
            return
        session = _Session(sock)
        _state.session = session
        session.run()
    except BaseException:  # never disturb the program; the CLI sees the channel close
        pass
    finally:
        if session is None:
            _state.slot.release()
        else:
            # end() frees the slot itself, before saying goodbye; a newer session may own it by now.
            with contextlib.suppress(BaseException):
                session.end(None)
            if _state.session is session:
                _state.session = None


def admitted(peer: channel.PeerCredentials) -> str | None:
    """Why the peer at the other end of a session socket may not attach to this process (None: it may)."""
    own = peers.credentials_of(os.getpid())
    if own is None:
        return None if peer.uid in (0, os.geteuid()) else f"peer uid {peer.uid} is not ours"
    return peers.refusal(own, peer.uid, peer.gid, peers.capabilities_of(peer.pid))


def _connect(path: str | None) -> socket.socket | None:
    """Connect to a waiting hunter-trace; None when none waits for this process (e.g. a stray signal).

    root's directories come first, and when something listens there for us (root is attaching), only they
    count: another process of our user listening in our own directory must not receive root's session. A
    socket file there that nothing listens on (left by a root hunter-trace that was killed) doesn't count.
    """
    uid = os.geteuid()
    if path is not None:
        return _connect_to(path, uid)[0]
    name = channel.socket_name(os.getpid())
    sock, listening = _connect_first([os.path.join(directory, name) for directory in channel.root_dirs()], uid)
    if sock is not None or listening:
        return sock
    return _connect_first([os.path.join(directory, name) for directory in channel.candidate_dirs(uid)], uid)[0]


def _connect_first(candidates: list[str], uid: int) -> tuple[socket.socket | None, bool]:
    """The first of ``candidates`` that connects and passes the checks; and whether any had a listener."""
    listening = False
    for candidate in candidates:
        sock, here = _connect_to(candidate, uid)
        if sock is not None:
            return sock, True
        listening = listening or here
    return None, listening


def _connect_to(candidate: str, uid: int) -> tuple[socket.socket | None, bool]:
    """A checked connection to the session socket ``candidate`` (or None); and whether something listened."""
    try:
        channel.check_session_dir(os.path.dirname(candidate), uid)
        info = os.lstat(candidate)
    except (OSError, channel.ChannelError):
        return None, False
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != uid:
        return None, False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(REQUEST_TIMEOUT)
        sock.connect(candidate)
    except OSError as exc:
        sock.close()
        return None, not channel.is_connection_refused(exc)
    try:
        peer = channel.peer_credentials(sock)
        # Admitted only where the kernel would let the peer debug us (ptrace's rule), never wider.
        problem = admitted(peer)
        if problem is not None:
            raise channel.ChannelError(problem)
        if peer.pid is not None and peer.pid == _state.served_peer:
            # The hunter-trace we just served, still listening while it leaves: it never accepts again.
            raise channel.ChannelError("already served")
    except (OSError, channel.ChannelError):
        sock.close()
        return None, True
    _state.served_peer = peer.pid
    return sock, True


class SocketStream:
    """The file-like object the printers write to: each write becomes one OUTPUT message to the CLI."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, session: _Session, colors: bool) -> None:
        self._session = session
        self._colors = colors
        self.closed = False

    def write(self, text: str) -> int:
        """Send ``text``; once the channel is closed or broken, drop it silently (the session is ending)."""
        if not self.closed:
            try:
                # In pieces the CLI accepts (channel.MAX_FRAME), cut between characters: each piece decodes alone.
                for start in range(0, len(text), channel.OUTPUT_CHUNK):
                    piece = text[start : start + channel.OUTPUT_CHUNK]
                    self._session.send(channel.OUTPUT, piece.encode("utf-8", "replace"))
            except OSError:
                # The CLI is gone or stalled for SEND_TIMEOUT: end the session instead of raising into
                # the tracer (which would print a message into the program's own stderr).
                self.closed = True
                self._session.abort()
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def isatty(self) -> bool:
        """Whether the CLI's terminal wants colours."""
        return self._colors

    def __repr__(self) -> str:
        return f"<hunter-trace stream of process {os.getpid()}>"


class _Session:
    """One attached hunter-trace: handshake, tracer lifecycle, and the wait for QUIT or a closed channel."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = channel.FrameReader(sock)
        self.send_lock = _thread.allocate_lock()
        self.stream: SocketStream | None = None
        self.tracer: Any = None
        self.main_thread_backend = False
        self.ended = False
        self.pid = os.getpid()

    # -- I/O --

    def send(self, kind: bytes, payload: bytes = b"") -> None:
        with self.send_lock:
            channel.send_frame(self.sock, kind, payload)

    def send_json(self, kind: bytes, data: dict[str, Any]) -> None:
        import json

        self.send(kind, json.dumps(data).encode())

    def abort(self) -> None:
        """Wake the session thread (blocked reading) so that it stops the tracer; callable from any thread."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    # -- lifecycle --

    def run(self) -> None:
        import json
        import platform

        self.send_json(
            channel.HELLO,
            {
                "pid": self.pid,
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
                "executable": sys.executable,
                "hunter": __version__,
            },
        )
        frame = self.reader.read(deadline=time.monotonic() + REQUEST_TIMEOUT)
        if frame is not None and frame.kind == channel.DUMP:
            self.dump()
            return
        if frame is None or frame.kind != channel.REQUEST:
            return
        request = json.loads(frame.payload)
        try:
            self.start(str(request["options"]), bool(request.get("colors")))
        except Exception as exc:  # bad options or a tracer that can't start: tell the CLI
            self.send(channel.ERROR, _one_line(exc).encode())
            self.stop()
            return
        # From here on the socket blocks; a stalled CLI makes sends fail after SEND_TIMEOUT (SO_SNDTIMEO).
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _timeval(SEND_TIMEOUT))
        self.send_json(
            channel.ACCEPTED,
            {
                "backend": self.tracer.backend,
                "all_threads": not self.main_thread_backend,
                "main_thread_only": self.tracer.threading_support is False,
            },
        )
        quit_requested = False
        while True:
            try:
                frame = self.reader.read()
            except (OSError, channel.ChannelError):
                frame = None
            if frame is None:
                break  # the CLI is gone (killed, closed): stop and run on
            if frame.kind == channel.QUIT:
                quit_requested = True
                break
        self.end(channel.BYE if quit_requested else None)

    def dump(self) -> None:
        """``hunter-trace --dump``: write this process's flight recorders now and say which files (nothing traced)."""
        written, problems = dump_flight_recorders()
        if not written and not problems:
            self.send(channel.ERROR, NO_FLIGHT_RECORDER.encode())
            return
        self.send_json(channel.DUMPED, {"files": written, "problems": problems})

    def start(self, options: str, colors: bool) -> None:
        """Parse the options as trace() would, send every printer's output to the CLI, start the tracer."""
        setup = trace_arguments(options)
        predicate = setup.predicate
        self.stream = SocketStream(self, colors)
        _redirect_printers(predicate, self.stream, colors)
        tracer = _session_tracer_class()(
            threading_support=setup.threading_support, profiling_mode=setup.profiling_mode, backend=setup.backend
        )
        tracer.session = self
        self.tracer = tracer
        # settrace hooks the thread that starts it; threading_support=False means "this thread" on either
        # backend: the program's main thread, not ours.
        if tracer.backend == "settrace" or tracer.threading_support is False:
            self.main_thread_backend = True
            task = _call_on_main_thread(lambda: tracer.trace(predicate))
            if not task.wait(MAIN_THREAD_TIMEOUT):
                raise TimeoutError(
                    f"the main thread did not run Python code for {MAIN_THREAD_TIMEOUT:g}s "
                    "(busy in C code?), so the settrace backend could not start"
                )
            if task.error is not None:
                raise task.error
        else:
            tracer.trace(predicate)

    def tracing_failed(self, text: str, summary: str) -> None:
        """A predicate or action raised (the tracer has stopped): tell the CLI, end the session; any thread."""
        if self.stream is not None:
            self.stream.closed = True
        try:
            for start in range(0, len(text), channel.OUTPUT_CHUNK):
                self.send(channel.OUTPUT, text[start : start + channel.OUTPUT_CHUNK].encode("utf-8", "replace"))
            self.send(channel.ERROR, summary[:1000].encode("utf-8", "replace"))
        except OSError:
            pass
        self.abort()  # the session thread wakes up, cleans up and frees the slot

    def stop(self) -> None:
        """Stop the tracer (on the main thread for settrace), restoring what was installed before."""
        if self.stream is not None:
            self.stream.closed = True  # nothing more is sent, whatever the tracer still does
        tracer = self.tracer
        if tracer is None:
            return
        self.tracer = None
        if self.main_thread_backend:
            task = _call_on_main_thread(tracer.stop)
            task.wait(MAIN_THREAD_TIMEOUT)
        else:
            tracer.stop()

    def end(self, last: bytes | None) -> None:
        """Stop tracing, say ``last`` (BYE/EXITING) when given, and close the channel; idempotent."""
        if self.ended:
            return
        self.ended = True
        try:
            self.stop()
        finally:
            # Free the slot before saying goodbye: the CLI may attach again as soon as it hears BYE.
            _state.slot.release()
            if last is not None:
                with contextlib.suppress(OSError):
                    self.send(last)
            self.abort()
            self.sock.close()


NO_FLIGHT_RECORDER = (
    "has no flight recorder holding events (start it with record=PATH, record_last=N in PYTHONHUNTER or trace(), "
    "or run it with hunter record --last N)"
)


def dump_flight_recorders() -> tuple[list[str], list[str]]:
    """Write every flight recorder of this process: the files written, and one line per recorder that failed."""
    # Only when recording machinery is already loaded: a process that never recorded has no flight recorder, and
    # importing it here would only cost the program.
    flight = sys.modules.get("hunter.record.flight")
    if flight is None:
        return [], []
    written: list[str] = []
    problems: list[str] = []
    for recorder in flight.live_recorders():
        try:
            filename = recorder.dump()
        except OSError as exc:
            problems.append(f"cannot write {recorder.path!r}: {exc.strerror or exc}")
            continue
        if filename:
            written.append(filename)
    return written, problems


def trace_arguments(options: str, backend_here: bool = True) -> TraceSetup:
    """A session's options as ``hunter.trace()`` takes them: the predicate and the Tracer's settings.

    The target's environment is not ours to change (``clear_env_var`` is ignored by the caller). With
    ``backend_here=False`` (the CLI checking the options before attaching) a requested backend is checked by
    name only: the target may run another Python version than the CLI.
    """
    args, kwargs = config.parse_trace_arguments(options)
    return prepare(args, kwargs, check_backend=backend_here)


_tracer_class: Any = None


def _session_tracer_class() -> Any:
    """The Tracer of a session: a failing predicate or action is reported to the CLI, not to the program's stderr."""
    global _tracer_class
    if _tracer_class is None:
        import traceback

        from hunter.tracer import Tracer

        class SessionTracer(Tracer):
            session: _Session

            def _report_failure(self, handler: object, event: Any, exc: Exception) -> None:
                # Only the reporting is the session's own: the decision (let the program's signal-handler
                # exceptions through, stop) is Tracer._handler_failed's, as for local tracing.
                text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                text += f"Disabling tracer because handler {handler!r} failed ({exc!r}) at {event!r}.\n"
                self.session.tracing_failed(text, f"tracing stopped: {_one_line(exc)}")

        _tracer_class = SessionTracer
    return _tracer_class


def _redirect_printers(root: Any, stream: SocketStream, colors: bool) -> None:
    """Point every printer action inside the predicate tree at the CLI (colours as the CLI's terminal wants)."""
    from hunter.actions import ColorStreamAction
    from hunter.predicates import walk

    for _role, node in walk(root):
        if isinstance(node, ColorStreamAction):
            node.force_colors = colors
            node.stream = stream


def _timeval(seconds: float) -> bytes:
    whole = int(seconds)
    return struct.pack("@ll", whole, int((seconds - whole) * 1_000_000))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    name = type(exc).__name__
    if name in ("ConfigError",):
        return f"invalid options: {message}"
    return f"{name}: {message}" if message else name


def _at_exit() -> None:
    # Runs before the core's own exit hook (registered earlier, atexit is LIFO): tell the CLI why the
    # channel is about to close, so it can say "process exited" rather than "connection lost".
    session = _state.session
    if session is not None:
        session.end(channel.EXITING)


def _after_fork_in_child() -> None:
    # The child shares the parent's socket: it must neither write into the parent's session nor keep
    # the connection open after the parent is gone. Close our copy (no shutdown: that would cut the
    # parent's session too) and stop tracing in the child.
    _drop_fork_filter()
    session = _state.session
    _state.session = None
    _state.slot = _thread.allocate_lock()  # whoever held it exists in the parent only
    _main_tasks.clear()
    if session is None:
        return
    session.ended = True
    if session.stream is not None:
        session.stream.closed = True
    with contextlib.suppress(OSError):
        session.sock.close()
    tracer = session.tracer
    session.tracer = None
    if tracer is not None:
        with contextlib.suppress(Exception):  # the child must run on whatever happens
            tracer.stop()


#: The warning filter _before_fork() put in place (None: none).
_fork_filter: Any = None
#: Its message pattern (``% pid``). Not the one of the filter the bootstrap puts in place while it loads hunter
#: (``inject.LOADING_FORK_WARNING``): equal filters are one to ``warnings``. filterwarnings() would replace that one
#: with ours, and the bootstrap thread taking its own out would then take ours.
_FORK_WARNING = r"This process \(pid=%d\) is multi-threaded, use of"


def _before_fork() -> None:
    # Python 3.12+ warns a program that forks while it has other threads ("... is multi-threaded, use of fork()
    # may lead to deadlocks in the child"), on its stderr. When all the other threads are hunter's (the session
    # thread, also while it starts or ends), the warning is about us, not the program, and our side is fork-safe
    # (the child drops the session without taking its locks): keep it quiet for this fork. A program with threads
    # of its own still gets it. The filter stays until the next fork decides again: 3.13 warns after the
    # after-fork hooks have run.
    global _fork_filter
    _drop_fork_filter()
    if sys.version_info < (3, 12) or not _own_threads.only_ours_besides(_thread.get_native_id()):
        return
    import warnings

    warnings.filterwarnings("ignore", _FORK_WARNING % os.getpid(), DeprecationWarning)
    _fork_filter = warnings.filters[0]


def _drop_fork_filter() -> None:
    # Before the next fork decides again, and in the child (which inherited the filter list).
    global _fork_filter
    fork_filter, _fork_filter = _fork_filter, None
    if fork_filter is not None:
        _remove_filter(fork_filter)


def _remove_filter(fork_filter: Any) -> None:
    import warnings

    filters: Any = warnings.filters
    with contextlib.suppress(ValueError):
        filters.remove(fork_filter)
    # Forget what was decided while the filter was in place (filterwarnings() does the same when it adds one).
    mutated = getattr(warnings, "_filters_mutated", None)
    if mutated is not None:
        mutated()


atexit.register(_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
