"""The flight recorder: each thread's last events (a count or a size) kept in memory, written out when something goes
wrong."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from typing import Any

from .._engine import _fork
from .._output._process import process_label
from .._output._sizes import parse_size
from ..event import Event
from .writer import Recorder, _write_all, label_line

__all__ = ["FlightRecorder", "dump_all", "live_recorders"]

#: The signal that asks every flight recorder of the process to write its events.
DUMP_SIGNAL = getattr(signal, "SIGUSR2", None)
_live: weakref.WeakSet[FlightRecorder] = weakref.WeakSet()
#: The newest flight recorder of each file, held until it is closed: its events outlive the tracer that recorded them
#: (a crash or a dump may come after the tracer stopped). A newer one of the same file replaces it (the file it
#: would write is that one's now), and only the newest KEPT_FILES files' are held: a program that records each
#: request to a file of its own doesn't pile them up (an older one lives on while its tracer or the program holds it).
_kept: dict[str, FlightRecorder] = {}
KEPT_FILES = 16
_kept_lock = _fork.lock(_fork.TIMELINE)
_hooked = False


#: What a kept event costs beyond its text (the string object and its slot in the ring), counted in the size bound.
LINE_OVERHEAD = 64
#: The smallest size bound: room for a few events whatever their values.
MIN_SIZE = 4096


def _held(record: Any) -> int:
    """The bytes a raw record still waiting holds, as a ring counts its line (the compiled callbacks' records are
    their lines already; a record without a text is counted when it becomes one)."""
    if type(record) is str:
        return len(record) + LINE_OVERHEAD
    return len(record[2]) + LINE_OVERHEAD if len(record) > 2 else 0


class SizedRing:
    """A thread's last events: at most ``count`` of them (None: any number) holding at most ``limit`` bytes
    (their text plus ``LINE_OVERHEAD`` each), the oldest dropped first; the newest is always kept."""

    __slots__ = ("held", "limit", "lines")

    def __init__(self, count: int | None, limit: int) -> None:
        self.lines: deque[str] = deque(maxlen=count)
        self.limit = limit
        #: The bytes the kept events hold.
        self.held = 0

    def append(self, line: str) -> None:
        """Keep ``line``; drop the oldest events past the bounds."""
        lines = self.lines
        if len(lines) == lines.maxlen:
            self.held -= len(lines[0]) + LINE_OVERHEAD  # (the deque drops it)
        lines.append(line)
        self.held += len(line) + LINE_OVERHEAD
        while self.held > self.limit and len(lines) > 1:
            self.held -= len(lines.popleft()) + LINE_OVERHEAD

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)


class FlightRecorder(Recorder):
    """A Recorder that keeps only each thread's last events in memory, ``last`` of them and/or ``last_size`` bytes'
    worth, and writes them (the file, replaced each time) on :meth:`dump`: ``hunter.dump()``, SIGUSR2, and an
    uncaught exception (of any thread) call it. A program that ends normally writes nothing."""

    #: Few raw records wait to become lines in a ring: what waits is outside the rings' bounds.
    batch = 16
    #: (a ring keeps a thread's last lines only: the callers record an event needs may be gone from it)
    records_callers = False
    keeps_last = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        last: int | None = None,
        last_size: int | str | None = None,
        **options: Any,
    ) -> None:
        if last is None and last_size is None:
            raise ValueError(
                "a flight recorder needs a bound: last (events per thread) or last_size (bytes per thread)"
            )
        if last is not None and (not isinstance(last, int) or isinstance(last, bool) or last < 1):
            raise ValueError(f"last must be a whole number of at least 1, not {last!r}")
        size = None if last_size is None else parse_size(last_size)
        if size is not None and size < MIN_SIZE:
            raise ValueError(f"last_size must be at least {MIN_SIZE} bytes, not {last_size!r}")
        super().__init__(path, **options)
        self.last = last
        self.last_size = size
        self._rings: list[Any] = []
        self._flush_at = float("inf")  # (the buffer holds the code and thread entries: nothing is written early)
        self.due_ns = 1 << 62
        self._pending = False

    def __repr__(self) -> str:
        bounds = "" if self.last is None else f", last={self.last}"
        bounds += "" if self.last_size is None else f", last_size={self.last_size}"
        return f"{super().__repr__()[:-1]}{bounds})"

    __str__ = __repr__

    def __call__(self, event: Event) -> None:
        """Keep one event's record in its thread's ring (and write them all if a signal asked meanwhile)."""
        super().__call__(event)
        if self._pending:
            self.dump()

    def records_due(self, ns: int) -> None:
        """A thread's raw records fill a batch: into its ring (and a dump a signal asked for, now)."""
        super().records_due(ns)
        if self._pending:
            self.dump()

    def _thread_out(self) -> Any:
        ring: Any = deque(maxlen=self.last) if self.last_size is None else SizedRing(self.last, self.last_size)
        with self._lock:
            self._rings.append(ring)
        return ring

    def _bounded(self, lines: list[str]) -> list[str]:
        """A thread's last lines within the bounds (its ring's, and its raw records' still waiting)."""
        if self.last is not None:
            lines = lines[-self.last :]
        if self.last_size is not None:
            held = sum(len(line) + LINE_OVERHEAD for line in lines)
            start = 0
            while held > self.last_size and start < len(lines) - 1:
                held -= len(lines[start]) + LINE_OVERHEAD
                start += 1
            lines = lines[start:]
        return lines

    def held_bytes(self) -> int:
        """The bytes of events kept in memory now: the rings' and the raw records still waiting to join them."""
        held = sum(
            ring.held if isinstance(ring, SizedRing) else sum(len(line) + LINE_OVERHEAD for line in ring)
            for ring in list(self._rings)
        )
        for state in list(self._table.threads):
            held += sum(_held(record) for record in list(state.records))
        return held

    def _open_file(self, filename: str) -> None:
        """Nothing is opened before a dump (an older file is removed); the dump's hooks are set up instead."""
        if os.path.isfile(filename):  # (never a device or a pipe: as root, /dev/full was deleted)
            with contextlib.suppress(OSError):
                os.unlink(filename)
        _live.add(self)
        _keep(os.path.abspath(filename), self)
        _install_hooks()

    def _reset(self) -> None:
        super()._reset()
        self._rings = []

    def _after_fork_in_child(self) -> None:
        super()._after_fork_in_child()
        self._rings = []  # (the parent's events are the parent's to write)

    def flush(self) -> None:
        """Nothing to do: events stay in memory until :meth:`dump`."""

    def close(self) -> None:
        """Stop keeping events (without writing them)."""
        self._closed = True
        with self._lock:
            self._reset()
            self._pid = 0
        _live.discard(self)
        _let_go(self)

    def dump(self, wait: bool = True) -> str | None:
        """Write the kept events to the file (replacing it); returns its name, None when there was nothing to write.

        ``wait=False`` (a signal handler): if another event is being recorded right now, the dump is left to the
        next event instead of waiting for a lock the interrupted code holds.
        """
        if not self._ready or self._pid != os.getpid():
            return None
        # (the lock is reentrant, see _engine._fork: a signal handler in the thread that is recording would get it)
        if self._lock._is_owned() or not self._lock.acquire(blocking=wait):
            self._pending = True
            return None
        try:
            self._pending = False
            # Raw records still waiting join their thread's lines here (within the same bounds) but stay where they
            # are: each ring is its own thread's alone (a SizedRing's count of bytes isn't safe from two threads).
            entries: list[str] = []
            kept: list[str] = []
            for state in list(self._table.threads):
                lines = list(state.out)  # (the copy is atomic: the thread goes on appending)
                if state.records:
                    self._render(list(state.records), state.formatted_ref, lines.append, entries.append)
                kept.extend(self._bounded(lines))
            events = sorted(kept, key=_time_of)
            end = f'["end",{_time_of(events[-1]) if events else 0}]\n'
            # (the process's name now: a file replaced at each dump says it every time)
            text = "".join([*self._buffer, label_line(process_label()), *entries, *events, end])
        finally:
            self._lock.release()
        filename = self.filename or self.path
        data = text.encode("ascii", "backslashreplace")
        if not os.path.isfile(filename) and os.path.exists(filename):
            # A device or a pipe is written to, not replaced by a file; a pipe nobody reads fails at once (ENXIO)
            # rather than hold the program (a dump comes from a crash or a signal handler too).
            fd = os.open(filename, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0))
            try:
                os.set_blocking(fd, True)
                _write_all(fd, [data])
            finally:
                os.close(fd)
            return filename
        temporary = f"{filename}.{os.getpid()}.tmp"
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, filename)  # (a reader never sees half a dump)
        return filename


def _keep(filename: str, recorder: FlightRecorder) -> None:
    """Hold ``recorder`` as the newest of ``filename`` (see _kept)."""
    with _kept_lock:
        _kept.pop(filename, None)  # (then last in the order: the newest)
        _kept[filename] = recorder
        while len(_kept) > KEPT_FILES:
            del _kept[next(iter(_kept))]


def _let_go(recorder: FlightRecorder) -> None:
    """``recorder`` was closed: no longer held."""
    with _kept_lock:
        for filename, kept in list(_kept.items()):
            if kept is recorder:
                del _kept[filename]


def _time_of(line: str) -> int:
    return int(line.split(",", 2)[1])


def dump_all(wait: bool = True) -> list[str]:
    """Write every flight recorder of this process (``hunter.dump()``); the files written."""
    written = []
    for recorder in list(_live):
        with contextlib.suppress(OSError):
            filename = recorder.dump(wait)
            if filename:
                written.append(filename)
    return written


def live_recorders() -> list[FlightRecorder]:
    """The flight recorders of this process that hold events (those dump_all() writes)."""
    return list(_live)


def _on_signal(signum: int, frame: Any) -> None:
    dump_all(wait=False)


def _install_hooks() -> None:
    """Uncaught exceptions (sys.excepthook, threading.excepthook) and SIGUSR2 write the flight recorders; once."""
    global _hooked
    if _hooked:
        return
    _hooked = True
    original = sys.excepthook

    def excepthook(*exc_info: Any) -> Any:
        dump_all()
        return original(*exc_info)

    sys.excepthook = excepthook
    thread_original = threading.excepthook

    def thread_excepthook(args: Any) -> Any:
        dump_all()
        return thread_original(args)

    threading.excepthook = thread_excepthook
    if DUMP_SIGNAL is not None and threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(DUMP_SIGNAL) in (signal.SIG_DFL, None):  # never take the program's own handler
                signal.signal(DUMP_SIGNAL, _on_signal)
