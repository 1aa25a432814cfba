"""SIGTERM and SIGHUP end a traced process as they would an untraced one, but with its timelines complete.

A Python signal handler runs in the main thread between two bytecodes, so it can interrupt an exporter halfway
through recording an event (a line queued, its call not yet on the stack) or while it holds its lock. Then the
handler only notes the signal; the exporter acts on it as soon as the event is recorded (see ``pending``).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from .._engine._own_code import HUNTER_DIR

__all__ = ["add_hook", "handle_fatal_signals", "pending", "run_hooks", "writer_codes"]

#: Signals whose default action ends the process and which a user or a supervisor sends to stop a program.
FATAL_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

#: The code of the exporters' methods (registered by TimelineWriter subclasses): a frame running one of them
#: may be halfway through recording an event.
writer_codes: set[CodeType] = set()
#: What each handled signal did before hunter handled it (SIG_DFL, or the program's own handler).
_previous: dict[int, Any] = {}
#: Run before the timelines are closed and the process ends (the command line: stop, merge, summary).
_hooks: list[Callable[[], None]] = []
#: A signal that arrived while an exporter was recording: ``(signum, frame)``; delivered by ``pending()``.
_deferred: list[tuple[int, FrameType | None]] = []


def _nothing() -> None:
    """The default of the hooks below, until the writers' module sets them."""


#: Set by the writers' module: closes every open timeline / writes out every queued line.
close_all: Callable[[], None] = _nothing
flush_all: Callable[[], None] = _nothing
#: Makes the writers this process's own in a forked child (a no-op once done, and in the process that made them).
after_fork: Callable[[], None] = _nothing
#: Called with no argument when a signal is deferred: makes every writer check ``pending()`` at its next event.
on_defer: Callable[[], None] = _nothing


def add_hook(hook: Callable[[], None]) -> None:
    """Run ``hook`` when SIGTERM, SIGHUP or ``os._exit()`` ends the process, before the timelines are closed."""
    if hook not in _hooks:
        _hooks.append(hook)


def run_hooks() -> None:
    """Run the hooks of ``add_hook`` (the process is ending without its exit handlers)."""
    for hook in _hooks:
        try:
            hook()
        except Exception:  # the process is ending: the files matter more than a report
            continue


def handle_fatal_signals() -> None:
    """Handle SIGTERM and SIGHUP (once; from the main thread only), unless the program ignores them."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in FATAL_SIGNALS:
        if signum in _previous:
            continue
        try:
            current = signal.getsignal(signum)
            # Ignored (nohup), or set outside Python (None): leave it exactly as it is.
            if current is None or current == signal.SIG_IGN:
                continue
            signal.signal(signum, _on_signal)
        except (ValueError, OSError):  # e.g. an embedding interpreter that owns its signals
            continue
        _previous[signum] = current


def pending() -> None:
    """Act on a signal that arrived while an exporter was busy (exporters call this once an event is recorded)."""
    if _deferred and threading.current_thread() is threading.main_thread():
        signum, frame = _deferred.pop(0)
        _deferred.clear()
        _act(signum, frame)


#: The process is ending by a signal already: one that comes again meanwhile (see _child_ends) waits for that end.
_ending: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _ending:
        return
    if _interrupted_writer(frame):
        _deferred.append((signum, frame))
        on_defer()
        return
    _act(signum, frame)


def _interrupted_writer(frame: FrameType | None) -> bool:
    """Whether the interrupted code is an exporter's (the innermost run of hunter frames holds a writer method)."""
    while frame is not None and frame.f_code.co_filename.startswith(HUNTER_DIR):
        if frame.f_code in writer_codes:
            return True
        frame = frame.f_back
    return False


def _act(signum: int, frame: FrameType | None) -> None:
    # A signal that reaches a forked child while the interpreter's fork hooks still run (a pool's terminate() of a
    # worker that has only just started) may come before hunter's own: the writers would still be the parent's, and
    # would end the parent's file with the child's close.
    after_fork()
    previous = _previous.get(signum)
    if callable(previous):
        # The program's own handler decides what happens; the timelines are on disk whatever it does.
        flush_all()
        previous(signum, frame)
        return
    _ending.append(signum)
    run_hooks()
    close_all()
    # End as the signal would have ended the untraced program: by the signal, with its default action.
    try:
        signal.signal(signum, signal.SIG_DFL)
    except (ValueError, OSError):
        _ending.clear()  # (the process goes on: later signals are handled again)
        return
    os.kill(os.getpid(), signum)
