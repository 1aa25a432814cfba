"""Call depth from the frame chain, without walking the whole chain for every event.

An event's depth comes from its frame's *count*: how many frames, from it up its ``f_back`` chain, were not on any
thread's stack when tracing started (the *base*; see ``_frames.current_stacks``). Counting is exact whatever the
backend saw or skipped, but costs a walk up the stack. Two shortcuts make it cost one step for most events:

- The settrace backend's local trace functions carry their frame's count (:class:`CountedTrace`, the frame's
  ``f_trace``): a new frame's count is its caller's plus one. The count lives and dies with the frame.
- The monitoring backend :meth:`Depths.remember` the frames whose exits (return, yield, unwind) it is sure to
  see, and :meth:`Depths.forget` them there; a walk stops at the first remembered frame. Remembered frames are
  running frames only, held until they leave: an id in the table can't be a dead frame's, reused.

A frame's count never changes while it runs (its callers stay where they are), except a generator's or
coroutine's, which may resume under other callers: both shortcuts drop a frame when it yields.
"""

from __future__ import annotations

import functools
from types import FrameType
from typing import Any

__all__ = ["CountedTrace", "Depths", "depth_of"]


class CountedTrace(functools.partial[Any]):
    """A frame's local trace function that knows the frame's count: called as ``func(count, frame, kind, arg)``.

    Each backend makes a subclass of its own, so that a walk never trusts another tracer's counts.
    """

    @property
    def count(self) -> int:
        """The frame's count."""
        count: int = self.args[0]
        return count


def depth_of(count: int, kind: str, builtin: bool) -> int:
    """An event's depth from its frame's count: a call or return counts at its caller's level, as in hunter 3.9."""
    if kind in ("call", "return") and not builtin:
        count -= 1
    return max(count, 0)


class Depths:
    """The counts of frames, for one backend run: the base frames, and the running frames it remembers.

    ``base`` is shared with the tracer (the frames running when it first started, held until it stops, so that
    none of their ids is reused meanwhile).
    """

    __slots__ = ("base", "known")

    def __init__(self, base: dict[int, FrameType]) -> None:
        self.base = base
        #: id(frame) -> (frame, count): running frames whose exits the backend reports to :meth:`forget`.
        self.known: dict[int, tuple[FrameType, int]] = {}

    def count(self, frame: FrameType | None) -> int:
        """How many frames from ``frame`` up its chain started after tracing did."""
        base_get = self.base.get
        known_get = self.known.get
        count = 0
        while frame is not None:
            key = id(frame)
            entry = known_get(key)
            if entry is not None and entry[0] is frame:
                return count + entry[1]
            if base_get(key) is frame:
                return count
            count += 1
            frame = frame.f_back
        return count

    def remember(self, frame: FrameType) -> int:
        """``frame``'s count, remembered until :meth:`forget` (the caller must report the frame's exit there)."""
        entry = self.known.get(id(frame))
        if entry is not None and entry[0] is frame:
            return entry[1]
        count = self.count(frame)
        self.known[id(frame)] = (frame, count)
        return count

    def forget(self, frame: FrameType) -> None:
        """``frame`` returns, yields or unwinds: its count may not hold when it runs again, and it may die."""
        self.known.pop(id(frame), None)

    def clear(self) -> None:
        """Forget every remembered frame (the backend stops seeing exits: stopped or suspended)."""
        self.known.clear()
