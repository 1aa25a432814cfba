"""hunter's locks across ``os.fork()``: the forking thread holds them all while it forks, the child gets them free.

A lock another thread holds at the moment of a fork stays held for ever in the child, where that thread doesn't
exist: the child's first line of output (or its tracer's stop) would wait for it. So every lock hunter takes is
made here, and a fork hook takes them all in the parent just before the fork (no other thread is then half-way
through a write or a start/stop), releases them in the parent after it, and makes them new in the child.

They are reentrant: in the child, the interpreter's own fork hooks (threading's, registered first) run before hunter's
and may make events while the forking thread still holds every one of them.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

__all__ = ["LIFECYCLE", "OUTPUT", "TIMELINE", "lock"]

#: Ranks, outermost first: a lock of a rank may be taken while one of a lower rank is held, never the other way
#: round. The fork hook takes them in this order too, so it can never wait in a cycle with another thread.
LIFECYCLE = 0  # a backend's or the tracer's start and stop
TIMELINE = 1  # an exporter's queued lines and its file
OUTPUT = 2  # the printers' one write lock (held only around stream.write())

#: How long the fork hook waits for one lock. A thread that holds a lock for longer is stuck (e.g. writing to a
#: pipe nobody reads); the fork then goes on without that lock, and the child still gets it free.
_WAIT_SECONDS = 5.0

_locks: list[tuple[int, weakref.ref[Any]]] = []
_held: list[Any] = []


def lock(rank: int) -> Any:
    """A new reentrant lock that is held across forks and free in the child."""
    new = threading.RLock()
    if len(_locks) > 64:  # a program may make many exporters: forget the locks of those that are gone
        _locks[:] = [(old_rank, ref) for old_rank, ref in _locks if ref() is not None]
    _locks.append((rank, weakref.ref(new)))
    return new


def _live_locks() -> list[Any]:
    """The locks still in use, outermost rank first (the dead ones are forgotten)."""
    _locks[:] = [(rank, ref) for rank, ref in _locks if ref() is not None]
    ordered = sorted(_locks, key=lambda pair: pair[0])
    return [item for item in (ref() for _, ref in ordered) if item is not None]


def _before_fork() -> None:
    for item in _live_locks():
        if item.acquire(timeout=_WAIT_SECONDS):
            _held.append(item)


def _after_fork_in_parent() -> None:
    while _held:
        _held.pop().release()


def _after_fork_in_child() -> None:
    _held.clear()
    for item in _live_locks():
        # Free again whoever held it: the thread that did exists only in the parent.
        item._at_fork_reinit()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)
