"""The end of a command-line timeline run: stop the other processes' recording, merge their files, one summary line."""

from __future__ import annotations

import contextlib
import os
import sys
import time

from ._summary import size_text, summarize
from ._timeline import TimelineWriter, is_regular_target, stop_marker

__all__ = ["finish_timeline"]

#: How long the main process waits for the other processes to finish their files once told to stop: they look
#: for the stop marker whenever they write (every 0.2 s while recording), so a busy one answers well within it,
#: and one that is blocked does not hold up the end of the run.
STOP_WAIT_S = 0.6
_POLL_S = 0.02


def finish_timeline(exporter: TimelineWriter, prog: str) -> None:
    """After ``exporter`` closed: stop, then merge the child processes' files into it; print the summary line."""
    from .chrome import ChromeTrace, merge, unfinished_children

    path = exporter.path
    if path is None:
        return  # a file object the program gave: not ours to describe
    chrome = isinstance(exporter, ChromeTrace)
    what = "timeline" if chrome else "events"
    if not exporter.root:
        return
    if exporter.error is not None:
        if not exporter.error_told:
            sys.stderr.write(f"hunter: tracing stopped: {exporter.error}\n")
        return  # said once (here or when tracing stopped): a summary of a broken file would only confuse
    if not is_regular_target(path):
        # A pipe, a terminal, /dev/null: what is written there can't be read back (it may never end).
        sys.stderr.write(
            f"hunter: {what} written to {path}: {exporter.lines_written:,} lines, "
            f"{size_text(exporter.bytes_written)} (from this process)\n"
        )
        return
    marker = stop_marker(path, exporter.token)
    try:
        with open(marker, "wb"):
            pass
    except OSError:
        marker = ""
    running: list[str] = []
    try:
        if chrome:
            deadline = time.monotonic() + STOP_WAIT_S
            while unfinished_children(path) and time.monotonic() < deadline:
                time.sleep(_POLL_S)
            try:
                _merged, running = merge(path)
            except OSError as exc:
                sys.stderr.write(f"hunter: could not merge the child processes' timelines: {exc}\n")
    finally:
        if marker:
            with contextlib.suppress(OSError):
                os.remove(marker)
    how = f"view it with: {prog} view {path}"
    if chrome:
        how += " (or open it in https://ui.perfetto.dev)"
    sys.stderr.write(f"hunter: {what} written to {path}: {summarize(path).text()}; {how}\n")
    if running:
        sys.stderr.write(
            f"hunter: {len(running)} child process(es) still running: what they wrote so far is in it, "
            f"the rest will be in {', '.join(running)} (merge it later with: {prog} merge {path})\n"
        )
