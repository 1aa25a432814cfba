"""File descriptors hunter opens for its output, kept out of the traced program's way.

A daemon closes every descriptor it didn't open (``os.closerange``) and then opens files of its own, which take the
lowest free numbers: a write to the number hunter remembers would land in the program's file, and closing it would
close the program's. Hunter's descriptors are moved to high numbers, and a recording's or a timeline's are checked
before each batch is written (and before they are closed): one is hunter's while it still refers to the file hunter
opened (device and inode). A printer's file, written a line at a time, relies on the high number alone.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
from typing import IO

__all__ = ["FileIdentity", "close_if_ours", "identity", "open_out_of_the_way", "open_text", "raise_unless_ours"]

#: A descriptor's file: (device, inode).
FileIdentity = tuple[int, int]


def identity(fd: int) -> FileIdentity:
    """The file ``fd`` refers to now (just after opening it)."""
    status = os.fstat(fd)
    return status.st_dev, status.st_ino


def _is_ours(fd: int, opened: FileIdentity) -> bool:
    try:
        return identity(fd) == opened
    except OSError:  # closed, and not reused
        return False


def raise_unless_ours(fd: int, opened: FileIdentity) -> None:
    """Raise OSError (EBADF) when ``fd`` no longer refers to the file hunter opened: nothing may be written to it."""
    if not _is_ours(fd, opened):
        raise OSError(errno.EBADF, "the traced program closed the file descriptor")


def close_if_ours(fd: int, opened: FileIdentity) -> None:
    """Close ``fd`` if it still refers to the file hunter opened; else leave the number to whoever has it now."""
    if fd >= 0 and _is_ours(fd, opened):
        with contextlib.suppress(OSError):
            os.close(fd)


#: Where hunter's descriptors go (see open_out_of_the_way): far above what programs usually hold open.
_HIGH = 1000


def open_out_of_the_way(path: str, flags: int) -> int:
    """``os.open(path, flags)``, the descriptor moved to a high number where it can: a program that closes every
    descriptor then opens files of its own gets the lowest numbers, not this one (writes to it fail instead)."""
    fd = os.open(path, flags, 0o666)
    try:
        import fcntl  # (POSIX only)

        floor = _floor()
        if floor <= fd:
            return fd
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor)
    except (ImportError, OSError, ValueError, AttributeError):  # (e.g. a limit lowered since: the number stays)
        return fd
    os.close(fd)
    return moved


@functools.cache
def _floor() -> int:
    """The lowest number hunter's descriptors are moved to: _HIGH, or under a lower limit of open files."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return _HIGH if soft == resource.RLIM_INFINITY else min(_HIGH, soft - 64)


def open_text(path: str) -> IO[str]:
    """A printer's file named by its path: appended to, line buffered (someone tailing the file of a hung program
    sees every line so far), its descriptor out of the way."""
    fd = open_out_of_the_way(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0))
    file = open(fd, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (the printers keep it open)
    file.buffer.raw.name = path  # type: ignore[attr-defined]  # (as open(path) names it: printer.stream.name)
    return file
