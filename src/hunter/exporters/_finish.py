"""The end of a command-line timeline run: stop the other processes' recording, merge their files, one summary line.

The command line imports this module before the program runs: a module first imported at exit, after an uncaught
KeyboardInterrupt, makes python exit with status 1 instead of by SIGINT (130).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from ._files import is_regular_target, stop_marker
from ._progress import Progress
from .._output._sizes import size_text
from ._summary import summarize
from ._timeline import TimelineWriter
from .chrome import ChromeTrace, merge, unfinished_children

__all__ = ["finish_timeline"]

#: How long the main process waits for the other processes to finish their files once told to stop: they look
#: for the stop marker whenever they write (every 0.2 s while recording), so a busy one answers well within it,
#: and one that is blocked does not hold up the end of the run.
STOP_WAIT_S = 0.6
_POLL_S = 0.02


def finish_timeline(exporter: TimelineWriter, prog: str) -> int:
    """After ``exporter`` closed: stop, then merge the child processes' files into it; print the summary line.

    Returns how many events the timeline holds, or -1 where that isn't known (not a file of ours, a pipe).
    """
    path = exporter.path
    if path is None:
        return -1  # a file object the program gave: not ours to describe
    chrome = isinstance(exporter, ChromeTrace)
    what = "timeline" if chrome else "events"
    if not exporter.root:
        return -1
    if exporter.error is not None and not exporter.limited:
        if not exporter.error_told:
            sys.stderr.write(f"hunter: tracing stopped: {exporter.error}\n")
        return -1  # said once (here or when tracing stopped): a summary of a broken file would only confuse
    if not is_regular_target(path):
        # A pipe, a terminal, /dev/null: what is written there can't be read back (it may never end).
        sys.stderr.write(
            f"hunter: {what} written to {path}: {exporter.lines_written:,} lines, "
            f"{size_text(exporter.bytes_written)} (from this process)\n"
        )
        return -1
    marker = stop_marker(path, exporter.token)
    try:
        with open(marker, "wb"):
            pass
    except OSError:
        marker = ""
    running: list[str] = []
    # (A large file takes seconds to merge and count: a line on the terminal says what is going on meanwhile.)
    progress = Progress(sys.stderr)
    try:
        if chrome:
            deadline = time.monotonic() + STOP_WAIT_S
            while (unfinished := unfinished_children(path)) and time.monotonic() < deadline:
                progress.update(f"waiting for {len(unfinished)} child process(es) to finish their files")
                time.sleep(_POLL_S)
            try:
                _merged, running = merge(path, progress)
            except OSError as exc:
                progress.done()
                sys.stderr.write(f"hunter: could not merge the child processes' timelines: {exc}\n")
    finally:
        if marker:
            with contextlib.suppress(OSError):
                os.remove(marker)
    how = f"view it with: {prog} view {path}"
    if chrome:
        how += " (or open it in https://ui.perfetto.dev)"
    summary = summarize(path, progress)
    progress.done()
    sys.stderr.write(f"hunter: {what} written to {path}: {summary.text()}; {how}\n")
    if running:
        sys.stderr.write(
            f"hunter: {len(running)} child process(es) still running: what they wrote so far is in it, "
            f"the rest will be in {', '.join(running)} (merge it later with: {prog} merge {path})\n"
        )
    return summary.events


def merge_main(argv: list[str], prog: str) -> int:
    """``hunter merge FILE...``: fold the per-process files a run left next to each timeline into it."""
    import argparse

    parser = argparse.ArgumentParser(
        prog=f"{prog} merge",
        description="Fold the per-process files (NAME.<pid>.json) that a run left next to a Chrome timeline into it.",
    )
    parser.add_argument("file", nargs="+", help="a timeline written by --format chrome")
    options = parser.parse_args(argv)
    status = 0
    for path in options.file:
        if not os.path.isfile(path):
            sys.stderr.write(f"{prog} merge: error: {path!r} is not a file\n")
            status = 2
            continue
        progress = Progress(sys.stderr)
        try:
            merged, running = merge(path, progress)
        except OSError as exc:
            progress.done()
            sys.stderr.write(f"{prog} merge: error: cannot merge into {path!r}: {exc.strerror or exc}\n")
            status = 2
            continue
        if not merged and not running:
            progress.done()
            sys.stderr.write(f"hunter: nothing to merge into {path} (no files of its run next to it)\n")
            continue
        note = f" ({len(running)} still being written: they stay)" if running else ""
        summary = summarize(path, progress)
        progress.done()
        sys.stderr.write(f"hunter: merged {len(merged) + len(running)} file(s) into {path}{note}: {summary.text()}\n")
    return status


def finish_text(path: str) -> None:
    """The summary line of a text trace written to ``path`` (``-o``), when it is a file that can be read back."""
    if not is_regular_target(path):
        return
    try:
        with open(path, "rb") as file:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
        size = os.path.getsize(path)
    except OSError:
        return
    sys.stderr.write(f"hunter: trace written to {path}: {lines:,} lines, {size_text(size)}\n")
