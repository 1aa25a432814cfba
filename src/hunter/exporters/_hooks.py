"""The process hooks of the timeline writers: flush before fork, start anew in the child, close at exit and os._exit."""

from __future__ import annotations

import atexit
import os
import weakref
from typing import NoReturn, Protocol

from . import _termination as _signals
from ._child_ends import ensure_children_end


class _Writer(Protocol):
    """What the hooks ask of a timeline writer (``_timeline.TimelineWriter``)."""

    #: When its next batch is due (``perf_counter_ns``); 0: at its next event.
    due_ns: int
    #: The process it writes for: another one in a forked child until its ``_after_fork_in_child`` has run.
    process_id: int

    def _before_fork(self) -> None: ...
    def _after_fork_in_child(self) -> None: ...
    def close(self) -> None: ...
    def flush(self) -> None: ...


#: Writers that are open, for the fork and exit hooks (weak: an exporter nobody uses may go away).
_live: weakref.WeakSet[_Writer] = weakref.WeakSet()


def _before_fork() -> None:
    for writer in list(_live):
        writer._before_fork()
    if _signals._previous:  # (SIGTERM is hunter's: see _child_ends)
        ensure_children_end()


def _after_fork_in_child() -> None:
    pid = os.getpid()
    for writer in list(_live):
        # (A signal's handler may have done it already, before this hook's turn came: see _termination.)
        if writer.process_id != pid:
            writer._after_fork_in_child()


def _close_all() -> None:
    for writer in list(_live):
        try:
            writer.close()
        except Exception:  # exit must go on
            continue


def _flush_all() -> None:
    for writer in list(_live):
        try:
            writer.flush()
        except Exception:  # a checkpoint must never fail the program
            continue


def _due_now() -> None:
    for writer in list(_live):
        writer.due_ns = 0


def _register_methods(cls: type) -> None:
    """Note the code of a writer class's methods: a signal that interrupts one of them waits (see _signals)."""
    for value in vars(cls).values():
        code = getattr(getattr(value, "__func__", value), "__code__", None)
        if code is not None:
            _signals.writer_codes.add(code)


_signals.close_all = _close_all
_signals.after_fork = _after_fork_in_child
_signals.flush_all = _flush_all
_signals.on_defer = _due_now


_os_exit = os._exit
_hooks_installed = False


def _exit_closing_timelines(status: int) -> NoReturn:
    """``os._exit`` that first closes the open timelines (then exits exactly as the original would).

    The command line's finishing work (merge, summary) runs too: its hook is the same as for a fatal signal.
    """
    _signals.run_hooks()
    _close_all()
    _os_exit(status)


_exit_closing_timelines.__wrapped__ = _os_exit  # type: ignore[attr-defined]


def _install_process_hooks() -> None:
    """Hook fork and exit, once, when the first writer is created (importing the package changes nothing)."""
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
    atexit.register(_close_all)
    # os._exit() skips atexit, and it is how forked workers end (multiprocessing's fork start method, pre-fork
    # servers): without this, the last batch of their events would be lost. Nothing else changes: same call.
    if os._exit is _os_exit:
        os._exit = _exit_closing_timelines
