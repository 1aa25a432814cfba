"""What a finished timeline file holds, in one line: events, threads, processes and size."""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

from ._files import open_read, read_lines_of
from .._output._sizes import size_text
from ._progress import Progress

__all__ = ["TimelineSummary", "summarize"]

_METADATA = re.compile(rb',?\{"ph":"M","name":"(process_name|thread_name)","pid":(-?\d+),"tid":(-?\d+)')
#: The track ids of asyncio tasks count from here (see ChromeTrace: above any thread id).
TASK_TIDS = 1 << 31
#: And those of greenlets from here (see _greenlets).
GREENLET_TIDS = 3 << 30
_EVENT = re.compile(rb',?\{"ph":"[^M]"')
_JSONL_WHERE = re.compile(rb'"pid":(-?\d+),"tid":(-?\d+)')


@dataclass
class TimelineSummary:
    """Counts of a timeline file."""

    events: int
    threads: int
    processes: int
    size: int
    #: Tracks of asyncio tasks (ChromeTrace(asyncio=True)) and of greenlets: not threads, though viewers show them
    #: as such.
    tasks: int = 0
    greenlets: int = 0

    def text(self) -> str:
        """``12,345 events, 3 threads, 2 processes, 1.2 MB`` (and ``4 asyncio tasks`` after the threads)."""
        tasks = f", {_count(self.tasks, 'asyncio task')}" if self.tasks else ""
        tasks += f", {_count(self.greenlets, 'greenlet')}" if self.greenlets else ""
        return (
            f"{_count(self.events, 'event')}, {_count(self.threads, 'thread')}{tasks}, "
            f"{_count(self.processes, 'process', 'processes')}, {size_text(self.size)}"
        )


def summarize(path: str, progress: Progress | None = None) -> TimelineSummary:
    """Count the events, threads and processes of a Chrome trace or JSON Lines file (whole lines only); ``progress``
    is told how far the reading got."""
    events = 0
    threads: set[tuple[bytes, bytes]] = set()
    processes: set[bytes] = set()
    try:
        size = os.path.getsize(path)
        read = 0
        with open_read(path) as file:
            compressed = not isinstance(file, io.BufferedReader)
            for count, line in enumerate(read_lines_of(file)):
                read += len(line)
                if progress is not None and not count & 0xFFFF:
                    progress.bytes("counting the events", read, 0 if compressed else size)
                if not line.endswith(b"\n") or (read > size and not compressed):
                    break  # cut off, or written after we looked (a process that goes on: this could never end)
                if line.startswith(b'{"time"'):  # JSON Lines: every line is an event
                    events += 1
                    where = _JSONL_WHERE.search(line)
                    if where:
                        threads.add((where.group(1), where.group(2)))
                        processes.add(where.group(1))
                elif _EVENT.match(line):
                    events += 1
                else:
                    metadata = _METADATA.match(line)
                    if metadata is None:
                        continue
                    if metadata.group(1) == b"process_name":
                        processes.add(metadata.group(2))
                    else:
                        threads.add((metadata.group(2), metadata.group(3)))
    except OSError:
        return TimelineSummary(events, len(threads), len(processes), 0)
    tasks = sum(1 for _pid, tid in threads if TASK_TIDS <= int(tid) < GREENLET_TIDS)
    greenlets = sum(1 for _pid, tid in threads if int(tid) >= GREENLET_TIDS)
    return TimelineSummary(events, len(threads) - tasks - greenlets, len(processes), size, tasks, greenlets)


def _count(number: int, singular: str, plural: str = "") -> str:
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"
