"""Frame helpers for the tracer and its backends: every thread's stack, and call depth from a frame chain."""

from __future__ import annotations

import sys
from types import FrameType

__all__ = ["current_stacks", "frames_entered_after"]


def current_stacks() -> dict[int, FrameType]:
    """Every frame on every thread's stack now, by id."""
    frames: dict[int, FrameType] = {}
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        while frame is not None:
            frames[id(frame)] = frame
            frame = frame.f_back
    return frames


def frames_entered_after(frame: FrameType, base: dict[int, FrameType]) -> int:
    """How many frames from ``frame`` up the chain are not in ``base`` (the frames running at some moment).

    ``base`` must hold its frames (not only their ids) so that no new frame can reuse one of those ids.
    """
    count = 0
    current: FrameType | None = frame
    while current is not None:
        if base.get(id(current)) is current:
            break
        count += 1
        current = current.f_back
    return count
