"""The trace file format (version 1): one JSON array per line, append-only, readable up to its last whole line.

Layout (docs/recording.md is the user's description):

- line 1, the header: ``["hunter-record", VERSION, {metadata}]``;
- ``["c", ref, filename, module, function, firstlineno, stdlib, builtin, argcount, kwonlyargcount, flags,
  varnames, co_filename, qualname]``: a code object, written once before the first event that refers to it (the last
  two only when they differ from ``filename`` and ``function``; ``co_filename`` then too when ``qualname`` differs);
- ``["s", filename, text]``: the source of a file name no file holds (``-c`` code, strings given to exec that
  linecache knows, modules in zips), before the first code entry of that name;
- ``["t", ref, threadid, threadname, native_id]``: a thread (``threadid`` null for the main thread; ``native_id``
  the OS's id, absent in files of hunter before it), written before its first event and again under a new ref when
  its name changes;
- ``["p", label]``: what a timeline calls the process from here on (when it changed since the header's ``label``:
  a multiprocessing worker is named after it started);
- events, arrays that start with a kind number: ``[kind, ns, thread, depth, code, lineno, ...]`` (see
  :data:`KINDS`); a call adds the texts of its arguments, a return how it left (1 returned, 2 suspended, 0 an
  exception passed through: ``_engine._recording.how_left``) then its value's
  text, an exception its value's text (values only when the file's ``values`` is true); then, in a file whose
  header says ``callers``, a call adds its caller's line (what the caller's f_lineno said at the call; null
  without a caller);
- ``["k", ns, thread, top, [[code, lineno], ...], shared]`` (files whose header says ``callers``): the callers of
  the thread's next event's frame that the records before don't tell (its first event, a call from code that isn't
  recorded, an event of a frame whose call wasn't), innermost first, each with its line then; ``top`` 1 when they go
  up to the thread's first frame (or the first :data:`MAX_CALLERS`; then the outermost ``shared`` are left out: the
  outermost of the thread's last such record), 0 when the last of them is the thread's innermost recorded call (its
  line now: its frame may have moved on since its last recorded call);
- ``["w"]`` (files whose header says ``written``): the end of one write; each thread's records waiting then were
  written a thread at a time, so the events between two of these are in order per thread only: a reader orders them
  by time;
- ``["end", ns]``: the recording was closed cleanly (a file without it was cut off: a crash, kill -9).

Strings are ASCII-only JSON, so any Python reads any file; a newer reader accepts every older version.
"""

from __future__ import annotations

import json
from typing import Any

from ..event import KINDS as EVENT_KINDS

__all__ = [
    "CALLERS",
    "KINDS",
    "KIND_NAMES",
    "MAGIC",
    "MAX_CALLERS",
    "VERSION",
    "WRITTEN",
    "header_line",
    "part_path",
]

MAGIC = "hunter-record"
VERSION = 1
#: The tag of a callers record (older readers skip it, as any tag they don't know).
CALLERS = "k"
#: The tag of the line that ends each write (files whose header says ``written``): every thread's records waiting
#: then are written at once, a thread's after another's, so a reader orders the events between two such lines by
#: their times to have the threads' events in the order they happened (older readers skip it).
WRITTEN = "w"
#: Callers a callers record lists at most.
MAX_CALLERS = 256
#: Event kind numbers: the live event's ``kind`` and, for 4-6, ``builtin=True`` (profile mode's C functions).
#: Each kind's number in the file: its place in ``hunter.event.KINDS``.
KINDS = {kind: number for number, kind in enumerate(EVENT_KINDS)}
BUILTIN_KINDS = {"call": 4, "return": 5, "exception": 6}
#: Kind number -> (kind, builtin).
KIND_NAMES: dict[int, tuple[str, bool]] = {
    **{number: (name, False) for name, number in KINDS.items()},
    **{number: (name, True) for name, number in BUILTIN_KINDS.items()},
}
#: The flags of a code object that decide how its parameters are listed (CO_VARARGS, CO_VARKEYWORDS).
PARAMETER_FLAGS = 0x04 | 0x08

escape = json.encoder.encode_basestring_ascii
#: A file's entries as JSON, without spaces: one encoder for them all (``json.dumps`` with any option makes an encoder
#: per call, which cost more than encoding an entry).
compact_json = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def header_line(metadata: dict[str, Any]) -> str:
    """The first line of a file."""
    return compact_json([MAGIC, VERSION, metadata]) + "\n"


def part_path(path: str, pid: int) -> str:
    """The file another process of the run writes: ``run.hunt`` -> ``run.<pid>.hunt``."""
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        return f"{path}.{pid}"
    return f"{stem}.{pid}.{ext}"
