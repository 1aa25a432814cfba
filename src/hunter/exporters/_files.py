"""The files of a timeline run: which process writes which file, their names, gzip members, reading them back."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import stat
import time
import zlib
from typing import Any

from .._setup._noise import TIMELINE_ROOTS_ENV

__all__ = [
    "ROOTS_ENV",
    "gzip_member",
    "is_regular_target",
    "iter_lines",
    "open_read",
    "per_process_path",
    "read_lines_of",
    "sibling_files",
    "stop_marker",
]

#: Names the file a timeline writer owns in this process tree: ``{abspath: [pid, run token, origin ns]}``.
#: A traced child process (PYTHONHUNTER is inherited) finds its parent's entry here and writes a file of
#: its own instead of clobbering the parent's, on the same time axis as the parent.
ROOTS_ENV = TIMELINE_ROOTS_ENV


def per_process_path(path: str, pid: int) -> str:
    """The file another process writes instead of ``path``: ``out.json`` -> ``out.<pid>.json``."""
    stem, ext = os.path.splitext(path)
    return f"{stem}.{pid}{ext}"


def is_regular_target(path: str) -> bool:
    """Whether ``path`` is (or will be created as) a regular file: not a pipe, a terminal or a device.

    What isn't regular is written but never read back (to merge or summarise it): reading /dev/stdout reads a
    pipe's other end or waits forever, and /dev/zero never ends.
    """
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # not there yet: open() makes a regular file


def _claim(path: str) -> tuple[bool, str, int]:
    """Decide whether this process writes ``path`` itself (the root) or a per-process file next to it."""
    try:
        roots = json.loads(os.environ.get(ROOTS_ENV) or "{}")
    except ValueError:
        roots = {}
    if not isinstance(roots, dict):
        roots = {}
    entry = roots.get(path)
    if (
        isinstance(entry, list)
        and len(entry) == 3
        and entry[0] != os.getpid()
        and isinstance(entry[1], str)
        and isinstance(entry[2], int)
    ):
        return False, entry[1], entry[2]
    token, origin = os.urandom(8).hex(), time.time_ns()
    if os.environ.get("PYTHONHUNTER"):
        # Only a run whose children are traced needs the note: otherwise no other process can be told
        # to write the same file, and the environment stays exactly as the program left it.
        roots[path] = [os.getpid(), token, origin]
        os.environ[ROOTS_ENV] = json.dumps(roots)
    return True, token, origin


def stop_marker(path: str, token: str) -> str:
    """The file whose presence tells the other processes of run ``token`` writing ``path`` to stop recording."""
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}.{token}.stop")


def gzip_member(data: bytes) -> bytes:
    """``data`` as one gzip member (fast level: a timeline is written while the program runs)."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # 31: the gzip container, with a zero timestamp
    return compressor.compress(data) + compressor.flush()


def open_read(path: str) -> Any:
    """``path`` opened for reading bytes: decompressed when it is gzip (whatever its name)."""
    file = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    try:
        magic = file.peek(2)[:2]
    except OSError:
        magic = b""
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=file, mode="rb")
    return file


def read_lines_of(file: Any) -> Any:
    """The lines of a binary file from ``open_read``; a cut-off gzip stream (a crash mid-write) ends them."""
    try:
        yield from file
    except (EOFError, OSError, zlib.error):
        return


def iter_lines(path: str, limit: int | None = None) -> Any:
    """The complete lines of a file (a last line without its newline was cut off and is skipped).

    ``limit``: read no further than this many bytes of an uncompressed file (a process still writing it can't
    make it endless; a compressed one is read to where its writer was when this started).
    """
    with open(path, "rb") as raw:
        if raw.peek(2)[:2] == b"\x1f\x8b":
            file: Any = gzip.GzipFile(fileobj=io.BytesIO(raw.read(limit if limit is not None else -1)), mode="rb")
            limit = None
        else:
            file = raw
        read = 0
        for line in read_lines_of(file):
            read += len(line)
            if limit is not None and read > limit:
                return
            if line.endswith(b"\n"):
                yield line.decode("ascii", "replace")


def sibling_files(path: str) -> list[tuple[int, str]]:
    """The per-process files written next to ``path``, as ``(pid, filename)``, by pid."""
    directory, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    pattern = re.compile(re.escape(stem) + r"\.(\d+)" + re.escape(ext) + r"\Z")
    found = []
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return []
    for candidate in names:
        match = pattern.match(candidate)
        if match:
            found.append((int(match.group(1)), os.path.join(directory, candidate)))
    return sorted(found)
