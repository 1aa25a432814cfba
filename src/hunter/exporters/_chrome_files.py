"""Chrome trace files offline: reading their events, and merging the per-process files of a run into one."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
from collections.abc import Callable
from typing import Any, TextIO

from ._files import gzip_member, iter_lines, open_read, sibling_files
from ._progress import Progress

__all__ = ["FORMS", "OBJECT_FOOTER", "OBJECT_HEADER", "file_form", "merge", "read_events", "unfinished_children"]

#: The two layouts of the Chrome Trace Event Format: a bare JSON array, or an object holding it.
FORMS = ("array", "object")
OBJECT_HEADER = '{"displayTimeUnit":"ms","otherData":{"producer":"hunter"},"traceEvents":[\n'
OBJECT_FOOTER = "]}\n"


_EVENT_HEAD = re.compile(
    r',?\{"ph":"(.)",(?:"s":".",)?"pid":(-?\d+),"tid":(-?\d+),"ts":([-+0-9.eE]+)(?:,"dur":([-+0-9.eE]+))?'
    r'(?:,("name":"(?:[^"\\]|\\.)*"))?'
)


def _is_event_line(text: str) -> bool:
    """Whether a (stripped) line of a trace file is an event, not the array's or the object's framing."""
    return text.startswith(('{"ph"', ',{"ph"'))


def read_events(path: str) -> list[dict[str, Any]]:
    """All events of a trace file (either form), tolerating a missing end and a cut-off last line (as viewers do)."""
    events = []
    for line in iter_lines(path):
        text = line.strip()
        if not _is_event_line(text):
            continue
        try:
            events.append(json.loads(text.lstrip(",")))
        except ValueError:
            continue
    return events


def file_form(path: str) -> str:
    """``'object'`` when a trace file starts as the JSON Object Format, else ``'array'``."""
    try:
        with open_read(path) as file:
            start = file.read(64)
    except (OSError, EOFError):
        return "array"
    return "object" if start.lstrip().startswith(b"{") and not start.lstrip().startswith(b'{"ph"') else "array"


def _run_token(path: str) -> str | None:
    """The run token in a trace file's process_name event (its second line)."""
    try:
        with open_read(path) as file:
            file.readline()
            second = file.readline().decode("ascii", "replace")
        event = json.loads(second.lstrip(","))
        token = event["args"]["hunter_run"]
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        return None
    return token if isinstance(token, str) else None


#: How a finished file ends: its footer, as text or as the gzip member a compressed writer makes of it alone.
_ENDINGS = (b"]\n", b"]}\n", gzip_member(b"]\n"), gzip_member(OBJECT_FOOTER.encode()))


def _is_complete(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(size - 64, 0))
            return file.read().endswith(_ENDINGS)
    except OSError:
        return False


def _calls_balance(path: str) -> bool:
    """Whether a file has as many ends of calls as beginnings (counted at C speed: no line is parsed)."""
    begins = ends = 0
    with open_read(path) as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            begins += chunk.count(b'{"ph":"B"')
            ends += chunk.count(b'{"ph":"E"')
    return begins == ends


def _copy_whole(source: str, out: Any, first: bool, step: Callable[[int], None]) -> None:
    """``_copy`` of a finished file (every call ended, every line whole): its bytes, without the parsing."""
    with open_read(source) as file:
        file.readline()  # the header
        pending = file.readline()
        if pending.startswith(b"]"):
            return  # no event at all
        if not first and not pending.startswith(b","):
            out.write(b",")
        while True:
            chunk = file.read(1 << 20)
            if not chunk:
                break
            step(len(chunk))
            out.write(pending)
            pending = chunk
        # The last piece ends with the footer line: leave it out.
        out.write(pending[: pending.rfind(b"\n", 0, len(pending) - 1) + 1])


def _still_running(pid: int) -> bool:
    if os.name != "posix":
        return False  # no cheap, harmless probe elsewhere; an unfinished file merges as it is
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _copy(source: str, out: TextIO, first: bool, step: Callable[[int], None], limit: int | None = None) -> None:
    """Append one file's events (its first ``limit`` bytes) to ``out``; calls left open get closing events.

    Calls are complete events (X), or B/E pairs (of either form: ours written when a call ends, or as it begins):
    a B without its E is a call that was running when the file was cut off, closed at the last time of its thread.
    """
    open_calls: dict[tuple[str, str], list[str]] = {}
    last_ts: dict[tuple[str, str], float] = {}
    leading = first
    taken = 0
    for line in iter_lines(source, limit):
        taken += len(line)
        if taken >= 1 << 20:
            step(taken)
            taken = 0
        text = line.strip()
        if not _is_event_line(text):
            continue
        match = _EVENT_HEAD.match(text)
        if match:
            where = (match.group(2), match.group(3))
            with contextlib.suppress(ValueError):  # (a file of another producer: odd numbers are left alone)
                # A call written when it ended comes after those that began later: the latest time of all counts.
                end = float(match.group(4)) + float(match.group(5) or 0)
                last_ts[where] = max(last_ts.get(where, end), end)
            if match.group(1) == "B":
                open_calls.setdefault(where, []).append(match.group(6) or '"name":"?"')
            elif match.group(1) == "E" and open_calls.get(where):
                open_calls[where].pop()
        if leading:
            leading = False
            out.write(text + "\n")
        else:
            out.write(("" if text.startswith(",") else ",") + text + "\n")
    for (pid, tid), names in open_calls.items():
        out.writelines(
            f',{{"ph":"E","pid":{pid},"tid":{tid},"ts":{round(last_ts.get((pid, tid), 0.0), 3)},{name},'
            '"args":{"unfinished":"process ended"}}\n'
            for name in reversed(names)
        )


def unfinished_children(path: str) -> list[str]:
    """The per-process files of the run that wrote ``path`` whose process is running and hasn't finished them."""
    token = _run_token(path)
    if token is None:
        return []
    return [
        name
        for pid, name in sibling_files(path)
        if _run_token(name) == token and not _is_complete(name) and _still_running(pid)
    ]


def merge(path: str, progress: Progress | None = None) -> tuple[list[str], list[str]]:
    """Fold the per-process files of the run that wrote ``path`` into it; returns ``(merged, still_running)``.

    A child's file is taken when it belongs to the same run (same token). Files of finished processes are
    removed once merged. A process still running gets what it wrote so far merged and its file stays, unless
    it wrote no event at all (e.g. multiprocessing's resource tracker, which outlives the main program by a
    moment and whose own code a query rarely selects): that file is just removed. ``progress`` is told how far the
    copying got.
    """
    path = os.path.abspath(path)
    token = _run_token(path)
    if token is None:
        return [], []
    merged, running = [], []
    for pid, name in sibling_files(path):
        if _run_token(name) != token:
            continue
        if _is_complete(name) or not _still_running(pid):
            merged.append(name)
        elif _has_events(name):
            running.append(name)
        else:
            _remove(name)
    if not merged and not running:
        return [], []
    # What a running process writes from now on is left out: copying it as it grows might never end.
    sizes = {name: _size(name) for name in running}
    temporary = f"{path}.merging"
    obj = file_form(path) == "object"
    compressed = path.endswith(".gz")
    names = [path, *merged, *running]
    total = sum(sizes.get(name, _size(name)) for name in names)
    copied = 0

    def step(count: int) -> None:
        nonlocal copied
        copied += count
        if progress is not None:
            progress.bytes(f"merging {len(names)} files", copied, 0 if compressed else total)

    with open(temporary, "wb") as raw:
        sink: Any = gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=1, mtime=0) if compressed else raw
        out = io.TextIOWrapper(sink, encoding="ascii", newline="\n")
        out.write(OBJECT_HEADER if obj else "[\n")
        for index, name in enumerate(names):
            if name in sizes or not _is_complete(name) or not _calls_balance(name):
                _copy(name, out, index == 0, step, limit=sizes.get(name))
            else:
                out.flush()
                _copy_whole(name, sink, index == 0, step)
        out.flush()
        out.detach()
        if compressed:
            sink.close()  # (the member ends; the file stays open)
        footer = (OBJECT_FOOTER if obj else "]\n").encode()
        raw.write(gzip_member(footer) if compressed else footer)
    os.replace(temporary, path)
    for name in merged:
        _remove(name)
    return merged, running


def _has_events(path: str) -> bool:
    """Whether a trace file holds anything but metadata."""
    return any((match := _EVENT_HEAD.match(line)) and match.group(1) != "M" for line in iter_lines(path))


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
