"""The flight recorder: the last N events of each thread kept in memory, written out when something goes wrong."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import weakref
from collections import deque
from typing import Any

from ..event import Event
from .writer import Recorder, _Table

__all__ = ["FlightRecorder", "dump_all", "live_recorders"]

#: The signal that asks every flight recorder of the process to write its events.
DUMP_SIGNAL = getattr(signal, "SIGUSR2", None)
_live: weakref.WeakSet[FlightRecorder] = weakref.WeakSet()
_hooked = False


class FlightRecorder(Recorder):
    """A Recorder that keeps only each thread's last ``last`` events, in memory, and writes them (the file, replaced
    each time) on :meth:`dump`: ``hunter.dump()``, SIGUSR2, and an uncaught exception (of any thread) call it.
    A program that ends normally writes nothing."""

    def __init__(self, path: str | os.PathLike[str], *, last: int, **options: Any) -> None:
        if not isinstance(last, int) or isinstance(last, bool) or last < 1:
            raise ValueError(f"last must be a whole number of at least 1, not {last!r}")
        super().__init__(path, **options)
        self.last = last
        self._rings: list[deque[str]] = []
        self._flush_at = float("inf")  # (the buffer holds the code and thread entries: nothing is written early)
        self.due_ns = 1 << 62
        self._pending = False

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, last={self.last})"

    __str__ = __repr__

    def __call__(self, event: Event) -> None:
        """Keep one event's record in its thread's ring (and write them all if a signal asked meanwhile)."""
        super().__call__(event)
        if self._pending:
            self.dump()

    def _thread_ref(self, event: Event, table: _Table) -> int:
        ring = getattr(table.local, "events", None)
        ref = super()._thread_ref(event, table)
        if ring is None or ring is self._buffer:
            ring = deque(maxlen=self.last)
            with self._lock:
                self._rings.append(ring)
        table.local.events = ring
        return ref

    def _open_file(self, filename: str) -> None:
        """Nothing is opened before a dump (an older file is removed); the dump's hooks are set up instead."""
        with contextlib.suppress(OSError):
            os.unlink(filename)
        _live.add(self)
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

    def dump(self, wait: bool = True) -> str | None:
        """Write the kept events to the file (replacing it); returns its name, None when there was nothing to write.

        ``wait=False`` (a signal handler): if another event is being recorded right now, the dump is left to the
        next event instead of waiting for a lock the interrupted code holds.
        """
        if not self._ready or self._pid != os.getpid():
            return None
        if not self._lock.acquire(blocking=wait):
            self._pending = True
            return None
        try:
            self._pending = False
            rings = [list(ring) for ring in self._rings]  # (each copy is atomic: threads go on appending)
            events = sorted((line for ring in rings for line in ring), key=_time_of)
            text = "".join([*self._buffer, *events, f'["end",{_time_of(events[-1]) if events else 0}]\n'])
        finally:
            self._lock.release()
        filename = self.filename or self.path
        temporary = f"{filename}.{os.getpid()}.tmp"
        with open(temporary, "wb") as file:
            file.write(text.encode("ascii", "backslashreplace"))
        os.replace(temporary, filename)  # (a reader never sees half a dump)
        return filename


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
