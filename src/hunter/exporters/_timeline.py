"""The timeline writer: per-thread queues of whole lines, written in batches; per-process files; fork.

The values written (``_values``), the files of a run (``_files``) and the process hooks (``_hooks``) are apart.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._engine import _fork
from ..actions import Action, OutputError
from . import _termination as _signals
from ._files import _claim, gzip_member, is_regular_target, per_process_path, stop_marker
from ._hooks import _install_process_hooks, _live, _register_methods
from .._output._owned_fd import FileIdentity, close_if_ours, identity, open_out_of_the_way, raise_unless_ours
from .._output._process import process_label
from ._values import value_json_at

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ThreadState", "TimelineWriter", "current_thread_name", "process_label", "replaying"]

_perf_ns = time.perf_counter_ns
#: Queued lines are written at least this often (checked at each event), besides whenever a batch is full:
#: a process killed outright (SIGKILL) loses at most the events of its last moments.
FLUSH_INTERVAL_NS = 200_000_000


#: While a replay of a recording (hunter.record.replay) builds its query's actions: the recorded process (pid, name)
#: that the timelines it makes begin with, instead of the replaying process.
_replayed: list[tuple[int, str]] = []


@contextlib.contextmanager
def replaying(pid: int, label: str) -> Iterator[None]:
    """Timeline writers made within show the recorded process ``pid`` (named ``label``) and the recorded events'
    thread ids, not the replaying process's (see ``TimelineWriter.recorded_process``)."""
    _replayed.append((pid, label))
    try:
        yield
    finally:
        _replayed.pop()


def current_thread_name() -> str:
    """The current thread's name (as ``Event.threadname``: without making a dummy thread for one that is leaving)."""
    ident = threading.get_ident()
    thread = threading._active.get(ident)  # type: ignore[attr-defined]
    return thread.name if thread is not None else f"Thread-{ident}"


# -- the writer ----------------------------------------------------------------------------------------------


class ThreadState:
    """What a writer keeps per thread: lines not written yet, and format pieces that embed pid/tid."""

    __slots__ = (
        "begin_head",
        "begun",
        "buf",
        "complete_head",
        "end_head",
        "exc",
        "instant_head",
        "limit",
        "names",
        "no_return_yet",
        "records",
        "stack",
        "starts",
        "statics",
        "thread_json",
        "tid",
    )

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self.buf: list[str] = []
        #: Raw records not formatted yet (see hunter._engine._recording): they become lines in ``buf`` when written.
        self.records: list[tuple[Any, ...]] = []
        #: The open calls (a key per frame) and, for their end events, their names.
        self.stack: list[Any] = []  # (an exporter's own keys: ints for frames; ChromeTrace's raw calls, their site)
        self.names: list[str] = []
        #: When each open call began (``perf_counter_ns``), and what its beginning says (an exporter's own text):
        #: a call is written when it ends, whole; only calls still open when lines are written out get a beginning
        #: of their own first (the first ``begun`` of the stack have one), so that a file cut off shows them.
        #: (ChromeTrace without argument values keeps a call's beginning in ``names`` and leaves ``statics`` empty.)
        self.starts: list[int] = []
        self.statics: list[str] = []
        self.begun = 0
        self.exc: tuple[int, str] | None = None
        self.limit = 256
        #: ChromeTrace: the start of the thread's B (begin), E (end), i (instant) and X (complete) lines, its pid and
        #: tid in them.
        self.begin_head = self.end_head = self.instant_head = self.complete_head = ""
        #: JsonlTrace: the thread's fields (pid, tid, threadid, threadname) as a ready-made piece of JSON.
        self.thread_json = ""
        #: ChromeTrace: no return seen yet in this thread (True from its first event on, until one is): until then a
        #: call checks which of the open calls still run.
        self.no_return_yet = False


class TimelineWriter(Action):
    """Base of the exporters: owns the output file(s) and gets lines to them whole, in batches.

    Events are turned into complete lines by the subclass and appended to a per-thread list (no lock on
    the hot path); a list is written with a single ``write()`` once it holds ``batch`` lines, and on
    :meth:`flush`, before a fork, at :meth:`close`, at exit and at ``os._exit()``. So a file cut off by a
    crash holds only whole lines. A subclass that takes raw records (``hunter._engine._recording``) has them appended to
    a per-thread list too, and turns them into lines (``_format_records``) under the lock, just before a write.
    """

    #: Text that starts and ends a file.
    header = ""
    footer = ""
    #: When the next write of everything queued is due (``perf_counter_ns``); 0 makes the next event do it.
    due_ns = 0
    #: True: every process of a run appends to the one file (O_APPEND keeps each write whole), so a fork
    #: child keeps the inherited file. False: each process writes a file of its own (``out.<pid>.json``).
    shared_file = False

    def __init__(
        self,
        path: Any,
        *,
        args: bool = True,
        repr_limit: int = 256,
        batch: int = 256,
        signals: bool = False,
        max_size: int | None = None,
    ) -> None:
        if not isinstance(repr_limit, int) or isinstance(repr_limit, bool) or repr_limit < 8:
            raise ValueError(f"repr_limit must be a whole number of at least 8, not {repr_limit!r}")
        if max_size is not None and (not isinstance(max_size, int) or isinstance(max_size, bool) or max_size < 1):
            raise ValueError(f"max_size must be a whole number of bytes (at least 1) or None, not {max_size!r}")
        #: The most this process writes (bytes, before compression): once past it, recording stops (one message).
        self.max_size = max_size
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ValueError(f"batch must be a whole number of at least 1, not {batch!r}")
        self.args = bool(args)
        self.signals = bool(signals)
        self.repr_limit = repr_limit
        #: The JSON text of a value (arguments, returned values), with this writer's repr limit.
        self.value_json = value_json_at(repr_limit)
        self.batch = batch
        self._lock = _fork.lock(_fork.TIMELINE)
        #: Every thread's state, by threading.get_ident() (for flushing and closing from any thread).
        self._states: dict[int, ThreadState] = {}
        #: The current thread's state (``local.state``) and its raw records (``local.records``), for the hot path.
        #: Thread-local rather than looked up by ident: idents are reused as soon as a thread ends, and a new
        #: thread must not inherit a dead one's track. Replaced when the writer closes or forks.
        self.local = threading.local()
        self._closed = False
        self._owns_file = False
        self._file: Any = None
        #: The file an owned file's descriptor was opened on (see _output._owned_fd).
        self._fd_file: FileIdentity = (-1, -1)
        self._text_mode = False
        self.token = ""
        self.origin_ns = 0
        self.root = True
        self._base = 0
        self._fork_ident = 0
        self._label = ""
        #: The label is looked at again at the first write of events (``_relabel``): by then the command line has
        #: handed sys.argv to the program, and multiprocessing has named a forked worker.
        self._relabel = True
        #: A write failed when the file was started (e.g. /dev/full): raised at the first event, so that the
        #: tracer reports it once and the program runs on, as for a failure later on.
        self._start_error: OutputError | None = None
        #: Lines and bytes this process wrote (the summary of a file that can't be read back).
        self.lines_written = 0
        self.bytes_written = 0
        #: Why a write failed (the file is closed since), and whether it went to the tracer with an event (which
        #: reports it): a failure at close() or in the tracer's last flush did not, and the command line says it.
        self.error: str | None = None
        self.error_told = False
        #: Recording stopped at ``max_size`` (``error`` says so; the file is whole).
        self.limited = False
        #: Every process of the run writes this one file (see ``shared_file``): the class says so, or the path is
        #: no regular file (a pipe, /dev/stdout) and can hold no per-process files next to it.
        self.shared = self.shared_file
        self.compress = False
        if isinstance(path, (str, os.PathLike)):
            self.path: str | None = os.path.abspath(os.fspath(path))
            self.root, self.token, self.origin_ns = _claim(self.path)
            self.shared = self.shared_file or not is_regular_target(self.path)
            self.filename: str | None = (
                self.path if self.root or self.shared else per_process_path(self.path, os.getpid())
            )
            self._open_path(self.filename, truncate=self.root)
            # ``.gz``: each write is a gzip member of its own (a file of members is one gzip stream to readers), so
            # that a file cut off by a crash still holds every batch written before, and processes can share it.
            self.compress = self.filename.endswith(".gz")
        elif hasattr(path, "write"):
            self.path = None
            self.filename = getattr(path, "name", None) if isinstance(getattr(path, "name", None), str) else None
            self.token, self.origin_ns = os.urandom(8).hex(), time.time_ns()
            self._file = path
            self._text_mode = not _is_binary(path)
        else:
            raise TypeError(f"expected a path or a writable file object, not {path!r}")
        self.pid = self.process_id = os.getpid()
        # Timestamps count from the root process's origin, so that the files of one run share a time
        # axis; plus 1 µs, so that they never go below 1000 ns (the exporters cut digits, see ChromeTrace).
        self._base = _perf_ns() - max(time.time_ns() - self.origin_ns, 0) - 1000
        self._label = process_label()
        #: Made by a replay of a recording: the recorded processes and threads are shown (see ``replaying``).
        self.recorded = bool(_replayed)
        if _replayed:
            self.pid, self._label = _replayed[-1]
            self._relabel = False
        self.due_ns = _perf_ns() + FLUSH_INTERVAL_NS
        self._start_file()
        _install_process_hooks()
        _live.add(self)
        if self.signals:
            _signals.handle_fatal_signals()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register_methods(cls)

    # -- Action protocol --------------------------------------------------------------------------------

    def __call__(self, event: Any) -> None:  # pragma: no cover - subclasses implement
        raise NotImplementedError

    def __repr__(self) -> str:
        target = self.path if self.path is not None else self._file
        limit = "" if self.max_size is None else f", max_size={self.max_size}"
        return (
            f"{type(self).__name__}({target!r}, args={self.args}, repr_limit={self.repr_limit}, batch={self.batch}"
            f"{limit})"
        )

    __str__ = __repr__
    # Two writers are never interchangeable (each owns a file), so compare by identity, not by settings.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` ran (events arriving afterwards are ignored)."""
        return self._closed

    # -- subclass hooks ---------------------------------------------------------------------------------

    def _file_start_lines(self) -> list[str]:
        """Lines that open a file (after ``header``)."""
        return []

    def _label_lines(self) -> str:
        """Lines that give the process its label (``_label``) again, after the first lines of the file."""
        return ""

    def _thread_start(self, state: ThreadState, event: Any) -> None:
        """Set up a new thread's state (and queue its metadata lines)."""

    def _thread_end(self, state: ThreadState, ts_us: float) -> None:
        """Queue whatever closes a thread's open records at ``close()``."""

    def _thread_forked(self, state: ThreadState, ts_us: float) -> None:
        """Re-queue a thread's open records in a forked child's fresh file."""

    def _format_records(self, state: ThreadState) -> None:
        """Turn a thread's raw records into lines in its ``buf`` (the caller holds the lock)."""

    def _open_lines(self, state: ThreadState, now: int) -> None:
        """Queue the beginnings of a thread's open calls that have none in the file yet (its lines are about to be
        written at ``now``; the caller holds the lock)."""

    # -- time -------------------------------------------------------------------------------------------

    def now_us(self) -> float:
        """Microseconds since the root process's origin (shared by all processes of one run)."""
        return (_perf_ns() - self._base) / 1000

    # -- per-thread state -------------------------------------------------------------------------------

    def _new_state(self, event: Any) -> ThreadState | None:
        """Slow path of the first event of a thread (or of any event after close)."""
        if self._closed:
            error, self._start_error = self._start_error, None
            if error is not None:
                self.error_told = True
                raise error
            return None
        ident = threading.get_ident()
        state = ThreadState(self._track_tid(event))
        self._thread_start(state, event)
        with self._lock:
            if self._closed:
                return None
            finished = self._states.get(ident)
            if finished is not None:
                # The ident belonged to a thread that has ended: write what it left (and close its calls).
                if finished.records:
                    self._format_records(finished)
                self._thread_end(finished, self.now_us())
                self._write("".join(finished.buf))
                finished.buf.clear()
            self._states[ident] = state
        self.local.state = state
        self.local.records = state.records
        self.local.thread_state = state  # (the thread's own track, when greenlets take turns on it)
        return state

    def _track_tid(self, event: Any) -> int:
        """The tid of a new thread's track: the thread's OS id; in a replay, the recorded thread's."""
        if self.recorded:
            tid = getattr(event, "tid", 0)
            if type(tid) is int and tid:
                return tid
        return threading.get_native_id()

    def recorded_process(self, pid: int, label: str) -> None:
        """A replay of a recording (``hunter query``) goes on with the events of process ``pid``, named ``label``: the
        tracks so far end (at the time of the last event replayed), and the next events are shown under ``pid``."""
        with self._lock:
            if self._closed:
                return
            states = list(self._states.values())
            self._states = {}
            self.local = threading.local()  # (each thread's next event starts a track of the new process)
        now = self.now_us()
        for state in states:
            self._thread_end(state, now)
        renamed = (pid, label) != (self.pid, self._label)
        self.pid, self._label, self._relabel = pid, label, False
        with self._lock:
            self._write(
                "".join(line for state in states for line in state.buf) + (self._label_lines() if renamed else "")
            )

    # -- raw records (hunter._engine._recording) ----------------------------------------------------------------

    def thread_records(self) -> list[tuple[Any, ...]] | None:
        """The current thread's raw record list, at its first record; None when closed (the record is dropped)."""
        state = self._new_state(None)
        return None if state is None else state.records

    def records_due(self, ns: int) -> None:
        """The current thread's records fill a batch, or the flush interval passed (``ns``): write what is due."""
        state = getattr(self.local, "state", None)
        if state is not None:
            self._flush_some(state, ns)

    # -- writing ----------------------------------------------------------------------------------------

    def _flush(self, state: ThreadState, own_ns: int = 0) -> None:
        """Write a thread's queued lines (and records) in one piece; ``own_ns``: the thread's own write, at that
        time (its open calls get their beginnings written, see ``_open_lines``)."""
        lines = state.buf
        with self._lock:
            if state.records:
                self._format_records(state)
            if own_ns:
                # (Only the thread itself: another thread's stack may change under us while we read it.)
                self._open_lines(state, own_ns)
            # Take a prefix instead of swapping lists: another thread (close, fork) may flush this
            # list while its own thread is still appending, and no line may get lost in between.
            count = len(lines)
            if not count:
                return
            text = "".join(lines[:count])
            del lines[:count]
            self._write(text)

    def flush(self) -> None:
        """Write every queued line now."""
        self._flush_all(_perf_ns())

    def _flush_all(self, now: int) -> None:
        """Write every thread's queued lines (at ``now``, the calling thread's open calls too)."""
        own = getattr(self.local, "state", None)
        with self._lock:
            states = list(self._states.values())
        for state in states:
            self._flush(state, now if state is own else 0)
        _signals.pending()

    def _flush_some(self, state: ThreadState, now: int) -> None:
        """After an event (``now``: its perf_counter_ns): write every thread's lines when the flush interval has
        passed, else this thread's full batch; then act on a signal that arrived meanwhile."""
        try:
            if now >= self.due_ns:
                self.due_ns = now + FLUSH_INTERVAL_NS
                if not self.root and self.path is not None and os.path.exists(stop_marker(self.path, self.token)):
                    # The run's main process is finishing (see _finish): stop recording, so its merge has an end.
                    self.close()
                    return
                self._flush_all(now)
                if state is not getattr(self.local, "state", None):  # (a task's or greenlet's track)
                    self._flush(state, now)
            elif len(state.buf) + len(state.records) >= self.batch:
                self._flush(state, now)
                _signals.pending()
        except OutputError:
            self.error_told = True  # (raised with an event: the tracer reports it)
            raise
        if self.max_size is not None and self.bytes_written >= self.max_size:
            self._stop_at_limit()

    def _stop_at_limit(self) -> None:
        """The file reached ``max_size``: finish it (a whole timeline of what came first) and stop tracing."""
        from .._output._sizes import size_text

        self.close()
        self.limited = True
        if self.error is None:
            self.error = f"the timeline reached its size limit ({size_text(self.max_size or 0)}) in {self.filename}"
            self.error_told = True
            raise OutputError(self.error)

    def _write(self, text: str) -> None:
        """Write text (whole lines) to the file; the caller holds the lock."""
        file = self._file
        if file is None or not text:
            return
        if self._relabel and self.lines_written:
            self._relabel = False
            label = process_label()
            if label != self._label:
                self._label = label
                text = self._label_lines() + text
        try:
            if self._text_mode:
                file.write(text)
                file.flush()
            else:
                data = text.encode("ascii", "backslashreplace")
                if self.compress:
                    data = gzip_member(data)
                if self._owns_file:
                    raise_unless_ours(file.fileno(), self._fd_file)  # (a number the program took over: not written)
                    view = memoryview(data)
                    while view:  # a raw write may take less than all of it (rare, e.g. a signal)
                        written = file.write(view)
                        if not written:
                            raise OSError("the file accepts no more data")
                        view = view[written:]
                else:
                    file.write(data)
                    file.flush()
                self.lines_written += text.count("\n")
                self.bytes_written += len(data)
        except (OSError, ValueError) as exc:
            self._closed = True
            self._states = {}
            self.local = threading.local()
            error = OutputError(f"cannot write the timeline to {self.filename or file!r}: {exc}")
            if self.error is None:
                self.error = str(error)
            raise error from exc

    def _open_path(self, filename: str, truncate: bool) -> None:
        # Unbuffered: batching is ours, so a write() call always hands whole lines to the OS. O_APPEND:
        # processes sharing a file (shared_file) each add whole batches at its end, never overwrite.
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if truncate else 0) | getattr(os, "O_BINARY", 0)
        fd = open_out_of_the_way(filename, flags)
        self._fd_file = identity(fd)
        # (closefd=False: _close_file closes the descriptor, only while it is still the one opened here)
        self._file = open(fd, "ab", buffering=0, closefd=False)  # noqa: SIM115
        self._owns_file = True
        self._text_mode = False

    def _start_file(self) -> None:
        # A process joining a shared file adds lines to what the first one started (no second header).
        header = self.header if self.root or not self.shared else ""
        try:
            with self._lock:
                self._write(header + "".join(self._file_start_lines()))
        except OutputError as exc:
            self._start_error = exc

    def close(self) -> None:
        """Finish every thread's open records, write everything queued and the footer, close the file."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            states = list(self._states.values())
            self._states = {}
            self.local = threading.local()  # every thread's next event takes the slow path, and stops
        ts = self.now_us()
        try:
            with self._lock:
                for state in states:
                    if state.records:
                        self._format_records(state)
            for state in states:
                self._thread_end(state, ts)
            with self._lock:
                text = "".join(line for state in states for line in list(state.buf))
                for state in states:
                    state.buf.clear()
                self._write(text)
                # (Apart: compressed, the footer is a member of its own, which tells a finished file, see chrome.)
                self._write(self.footer if self.root or not self.shared else "")
        except OutputError:
            pass
        finally:
            _live.discard(self)
            self._close_file()
        _signals.pending()

    def _close_file(self) -> None:
        """Close a file of our own (its descriptor only if it is still the one we opened)."""
        if self._owns_file and self._file is not None:
            with contextlib.suppress(OSError, ValueError):
                close_if_ours(self._file.fileno(), self._fd_file)
                self._file.close()

    # -- fork -------------------------------------------------------------------------------------------

    def _before_fork(self) -> None:
        if self._closed:
            return
        self._fork_ident = threading.get_ident()
        with contextlib.suppress(OutputError):
            self.flush()

    def _after_fork_in_child(self) -> None:
        self.process_id = os.getpid()
        if self._closed:
            return
        self._lock = _fork.lock(_fork.TIMELINE)  # the parent's may have been held by a thread that doesn't exist here
        # The forking thread is the only one left; threading.get_ident() stays the same across fork.
        state = self._states.get(self._fork_ident)
        self._states = {}
        self.local = threading.local()
        self.pid = os.getpid()
        self._relabel = True
        self.lines_written = self.bytes_written = 0  # (this process's own)
        if self.path is None:
            # A file object is shared with the parent; without a path there is no file of our own to use.
            self._closed = True
            self._file = None
            return
        self.root = False
        if self.shared:
            # The inherited descriptor appends to the same file: go on with it, as a process of its own.
            self._start_file()
            if state is not None:
                state.buf.clear()
                state.records.clear()
                state.tid = threading.get_native_id()
                self._thread_start(state, None)
                self._thread_forked(state, self.now_us())
                self._keep_state(state)
            return
        self._close_file()
        self.filename = per_process_path(self.path, self.pid)
        try:
            self._open_path(self.filename, truncate=True)
            self._start_file()
        except (OSError, OutputError):
            self._closed = True
            self._file = None
            return
        if state is not None:
            # (Its records were formatted before the fork: any left are the parent's.)
            state.buf.clear()
            state.records.clear()
            state.tid = threading.get_native_id()
            self._thread_start(state, None)
            self._thread_forked(state, self.now_us())
            self._keep_state(state)

    def _keep_state(self, state: ThreadState) -> None:
        """The forking thread goes on in the child with its state (its open calls)."""
        self._states[self._fork_ident] = state
        self.local.state = state
        self.local.records = state.records
        self.local.thread_state = state


def _is_binary(file: Any) -> bool:
    import io

    if isinstance(file, io.TextIOBase):
        return False
    return isinstance(file, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(file, "mode", "")


_register_methods(TimelineWriter)
_register_methods(ThreadState)
