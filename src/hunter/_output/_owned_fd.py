"""File descriptors hunter opened for its output, checked before each use: the traced program may have closed them.

A daemon closes every descriptor it didn't open (``os.closerange``) and then opens files of its own, which take the
lowest free numbers: a write to the number hunter remembers would land in the program's file, and closing it would
close the program's. A descriptor is hunter's while it still refers to the file hunter opened (device and inode).
"""

from __future__ import annotations

import contextlib
import errno
import os

__all__ = ["FileIdentity", "OwnedTextFile", "close_if_ours", "identity", "raise_unless_ours"]

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


class OwnedTextFile:
    """A text file a printer's ``stream`` names by its path: appended to, each write straight to the file (a line at a
    time: someone tailing the file of a hung program sees every line so far), and only while the descriptor is still
    the one opened here."""

    encoding = "utf-8"

    def __init__(self, path: str) -> None:
        self.name = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0), 0o666)
        self._file = identity(self._fd)
        self.closed = False

    def write(self, text: str) -> int:
        """Write ``text`` whole (OSError, EBADF, once the program closed the descriptor)."""
        if self.closed:
            raise ValueError("I/O operation on closed file")
        raise_unless_ours(self._fd, self._file)
        view = memoryview(text.encode("utf-8", "backslashreplace"))
        while view:  # (a write may take less than all of it: a signal)
            view = view[os.write(self._fd, view) :]
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def isatty(self) -> bool:
        return False  # (a path names a file: a terminal is written to through sys.stderr)

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        """Close the descriptor, if it is still the one opened here."""
        if not self.closed:
            self.closed = True
            close_if_ours(self._fd, self._file)

    def __repr__(self) -> str:
        return f"<file {self.name!r}>"
