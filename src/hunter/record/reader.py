"""Reading trace files: ``hunter.record.read(path)`` gives the run's events, every process's part merged in time."""

from __future__ import annotations

import heapq
import json
import linecache
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .events import RecordedCode, RecordedEvent
from .format import CALLERS, KIND_NAMES, KINDS, MAGIC, VERSION, WRITTEN
from .writer import flush_recording

__all__ = ["FormatError", "Part", "Trace", "read"]


class FormatError(ValueError):
    """The file is not a trace file this hunter can read (one line says why)."""


@dataclass
class Part:
    """One process's file: its header's metadata, and whether it was closed cleanly (else: cut off, a crash)."""

    filename: str
    metadata: dict[str, Any]
    complete: bool = False
    #: What a timeline calls the process (a live ChromeTrace's process name): the header's, then each ``p`` entry's
    #: as the events are read (a multiprocessing worker gets its name after it started); older files: its command.
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            label, argv = self.metadata.get("label"), self.metadata.get("argv")
            if not (isinstance(label, str) and label):
                label = " ".join(str(word) for word in argv) if isinstance(argv, list) and argv else "python"
            self.label = label

    @property
    def pid(self) -> int:
        """The process that wrote it."""
        return int(self.metadata.get("pid", 0))

    def events(self) -> Iterator[RecordedEvent]:
        """This process's events, in the order they happened."""
        return _part_events(self)


@dataclass
class Trace:
    """A recording: its parts (the root process's first) and their events, read on demand."""

    path: str
    parts: list[Part] = field(default_factory=list)

    @property
    def metadata(self) -> dict[str, Any]:
        """The root part's header metadata (``lines``, ``values``, ``repr_limit``, ``python``, ``argv``...)."""
        return self.parts[0].metadata

    def events(self) -> Iterator[RecordedEvent]:
        """Every recorded event, in time order across the processes (each process's own order kept)."""
        streams = [part.events() for part in self.parts]
        if len(streams) == 1:
            return streams[0]
        return heapq.merge(*streams, key=lambda event: event.time_ns)

    def __iter__(self) -> Iterator[RecordedEvent]:
        return self.events()


def read(path: str | os.PathLike[str]) -> Trace:
    """Open a trace file (and the parts other processes of the run wrote next to it) for reading.

    Raises FormatError for a file that is not a recording or comes from a newer hunter.
    """
    filename = os.path.abspath(os.fspath(path))
    flush_recording(filename)  # (recorded by this very process, e.g. a trace() that just stopped: all of it)
    root = _read_header(filename)
    trace = Trace(filename, [root])
    token = root.metadata.get("token")
    for other in _sibling_parts(filename):
        try:
            part = _read_header(other)
        except (OSError, FormatError):
            continue
        if part.metadata.get("token") == token:
            trace.parts.append(part)
    return trace


def _read_header(filename: str) -> Part:
    with open(filename, "rb") as file:
        first = file.readline()
    if not first:
        raise FormatError(
            f"{filename} is empty: its program ended (or was killed) before hunter's first write to it, which"
            " comes a fraction of a second after recording starts, or when it stops"
        )
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, list) or len(header) != 3 or header[0] != MAGIC or not isinstance(header[2], dict):
        raise FormatError(f"{filename} is not a hunter recording")
    if not isinstance(header[1], int) or header[1] > VERSION:
        raise FormatError(
            f"{filename} is a version {header[1]} recording; this hunter reads versions up to {VERSION}: upgrade hunter"
        )
    return Part(filename, header[2], complete=_ends_cleanly(filename))


def _ends_cleanly(filename: str) -> bool:
    """Whether the file's last line is the end mark (written by a clean close)."""
    with open(filename, "rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(size - 64, 0))
        tail = file.read()
    return tail.endswith(b"\n") and tail.rstrip(b"\n").rpartition(b"\n")[2].startswith(b'["end",')


def _sibling_parts(filename: str) -> list[str]:
    """The files other processes write next to ``filename`` (``run.<pid>.hunt``), by pid."""
    directory, name = os.path.split(filename)
    stem, dot, ext = name.rpartition(".")
    pattern = re.compile(re.escape(stem) + r"\.(\d+)\." + re.escape(ext) + r"\Z") if dot else None
    if pattern is None:
        pattern = re.compile(re.escape(name) + r"\.(\d+)\Z")
    found = []
    for candidate in os.listdir(directory or "."):
        match = pattern.match(candidate)
        if match:
            found.append((int(match.group(1)), os.path.join(directory, candidate)))
    return [path for _pid, path in sorted(found)]


def _records(filename: str) -> Iterator[list[Any]]:
    """The whole lines of a file as JSON arrays; a cut-off last line (a crash mid-write) ends it."""
    with open(filename, "rb") as file:
        file.readline()
        for line in file:
            if not line.endswith(b"\n"):
                return
            try:
                record = json.loads(line)
            except ValueError:
                return
            if isinstance(record, list) and record:
                yield record


def _remember_source(filename: str, text: str) -> None:
    """A source stored in the recording (no file held it): source lines of its events are read from it."""
    if not os.path.exists(filename) and filename not in linecache.cache:
        # (no modification time: linecache.checkcache keeps the entry, as it keeps those of interactive code)
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)


def _part_events(part: Part) -> Iterator[RecordedEvent]:
    """A part's events in the order they happened: each write's in time order (a file whose header says
    ``written``: each write holds every thread's waiting records, a thread's after another's), else in file order."""
    events = _file_events(part)
    if not part.metadata.get("written"):
        yield from (event for event in events if event is not None)
        return
    write: list[RecordedEvent] = []
    for event in events:
        if event is not None:
            write.append(event)
            continue
        write.sort(key=_time_of)  # (stable: a thread's events, and events at the same time, keep the file's order)
        yield from write
        write.clear()
    write.sort(key=_time_of)  # (a file cut off: the last write's events that are whole)
    yield from write


def _time_of(event: RecordedEvent) -> int:
    return event.time_ns


def _file_events(part: Part) -> Iterator[RecordedEvent | None]:
    """A part's events in the file's order, and None where a write ends (a ``WRITTEN`` line)."""
    metadata = part.metadata
    origin = int(metadata.get("origin_ns", 0))
    values = bool(metadata.get("values", False))
    pid = part.pid
    cwd = str(metadata.get("cwd", ""))
    codes: dict[int, RecordedCode] = {}
    threads: dict[int, tuple[int | None, str]] = {}
    natives: dict[int, int] = {}
    # (a call's caller's line follows its arguments' texts, in files that record callers)
    caller_at = (1 if values else 0) if metadata.get("callers") else -1
    #: Thread ref -> the callers record its next event comes with.
    pending: dict[int, list[Any]] = {}
    #: Thread (its threadid) -> the callers of its last callers record that went up to its first frame.
    tops: dict[int | None, tuple[tuple[RecordedCode, Any], ...]] = {}
    for record in _records(part.filename):
        tag = record[0]
        if type(tag) is int:
            kind, builtin = KIND_NAMES[tag]
            extra = record[6:]
            caller_line = None
            if tag == _CALL and 0 <= caller_at < len(extra):
                caller_line = extra[caller_at]
            event = RecordedEvent.make(
                kind, builtin, codes[record[4]], threads[record[2]], record[3], record[5], extra, values
            )
            if caller_line is not None:
                event.__dict__["caller_line"] = caller_line
            callers = pending.pop(record[2], None)
            if callers is not None:
                event.__dict__["recorded_callers"] = _callers(callers, codes, tops, threads[record[2]][0])
            event.time_ns = origin + record[1]
            event.pid = pid
            event.tid = natives[record[2]]
            event.cwd = cwd
            yield event
        elif tag == CALLERS:
            pending[record[2]] = record
        elif tag == "c":
            codes[record[1]] = RecordedCode(record)
        elif tag == "t":
            threads[record[1]] = (record[2], record[3])
            natives[record[1]] = _native_id(record, pid)
        elif tag == "s":
            _remember_source(record[1], record[2])
        elif tag == "p" and len(record) > 1 and isinstance(record[1], str):
            part.label = record[1]
        elif tag == WRITTEN:
            yield None


_CALL = KINDS["call"]


def _callers(
    record: list[Any],
    codes: dict[int, RecordedCode],
    tops: dict[int | None, tuple[tuple[RecordedCode, Any], ...]],
    thread: int | None,
) -> tuple[bool, tuple[tuple[RecordedCode, Any], ...]]:
    """A callers record as (top, its callers innermost first): one that goes up to the thread's first frame may leave
    out the outer ones it shares with the thread's last such record (their number follows the list)."""
    top = bool(record[3])
    listed = tuple((codes[ref], line) for ref, line in record[4])
    if top:
        shared = record[5] if len(record) > 5 and type(record[5]) is int else 0
        last = tops.get(thread, ())
        listed += last[len(last) - shared :] if shared else ()
        tops[thread] = listed
    return top, listed


def _native_id(record: list[Any], pid: int) -> int:
    """A ``t`` entry's OS thread id; files written before it was recorded: the pid for the main thread (its id on
    Linux), the ``threadid`` for others."""
    if len(record) > 4 and type(record[4]) is int:
        return record[4]
    return pid if record[2] is None else int(record[2])
