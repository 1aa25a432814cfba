"""Output streams for the printers: resolving paths, one lock for whole lines, and broken-stream errors."""

from __future__ import annotations

import atexit
import contextlib
from typing import IO, Any

from .._engine import _fork
from ._owned_fd import open_text

#: Files opened from a path are shared by every action that names the same path.
_opened: dict[str, IO[str]] = {}
#: One lock for all printer output: a line is written whole, never interleaved with another thread's.
write_lock = _fork.lock(_fork.OUTPUT)


class _Nowhere:
    """The stream of a printer left without one: the default stream is stderr and stderr is closed (``2>&-``).

    What it is given is dropped, so the program runs on exactly as untraced; there is nowhere to say so either.
    """

    closed = False

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<nowhere: stderr is closed>"


#: Where printers write when stderr, their default stream, is closed.
NOWHERE = _Nowhere()


class OutputError(Exception):
    """The output stream of an action is closed or broken; the tracer stops with one message."""


def resolve_stream(stream: Any) -> Any:
    """A writable stream for the ``stream`` option: a file-like object, or a path opened for appending.

    None is the default stream when it is closed (``sys.stderr`` is None under ``2>&-``): ``NOWHERE``.
    """
    if stream is None:
        return NOWHERE
    if isinstance(stream, str):
        file = _opened.get(stream)
        if file is None or file.closed:
            file = _opened[stream] = open_text(stream)
        return file
    if not hasattr(stream, "write"):
        raise TypeError(f"stream must be a path or a file-like object with a write() method, not {stream!r}")
    return stream


#: How many times the printers wrote (the command line says so when a run ends with nothing written).
writes = 0


def write(stream: Any, text: str) -> None:
    """Write ``text`` in one piece; a closed or failing stream becomes an OutputError."""
    global writes
    # acquire()/release() rather than ``with``: a third of the cost, on the path of every printed event.
    write_lock.acquire()
    try:
        writes += 1
        stream.write(text)
    except (ValueError, OSError) as exc:
        raise OutputError(f"cannot write to {stream!r}: {exc}") from exc
    finally:
        write_lock.release()


def flush_all() -> None:
    """Flush the files this module opened (at tracer stop and interpreter exit)."""
    for file in list(_opened.values()):
        with contextlib.suppress(ValueError, OSError):
            file.flush()


def _close_all() -> None:
    # At exit (after the tracers stopped: this handler was registered first, so it runs last) the files opened
    # from paths are closed, not just flushed: left to the garbage collector they'd warn "unclosed file".
    for file in list(_opened.values()):
        with contextlib.suppress(ValueError, OSError):
            file.close()
    _opened.clear()


atexit.register(_close_all)
