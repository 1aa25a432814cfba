"""event.depth counted as the backends go (see hunter._engine._depths): the frame chain's answer, and no frame kept."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import hunter
from hunter import From, Q, When


def _chain_count(frame: FrameType | None, base: dict[int, FrameType]) -> int:
    """The reference: frames from ``frame`` up that were not running at start."""
    count = 0
    while frame is not None and base.get(id(frame)) is not frame:
        count += 1
        frame = frame.f_back
    return count


def _base() -> dict[int, FrameType]:
    """The frames running now, in every thread (held, as the tracer holds them)."""
    frames: dict[int, FrameType] = {}
    for top in sys._current_frames().values():
        frame: FrameType | None = top
        while frame is not None:
            frames[id(frame)] = frame
            frame = frame.f_back
    return frames


def numbers(limit: int) -> Iterator[int]:
    yield from range(limit)


def recurse(level: int, values: Iterator[int]) -> int:
    # The generator is advanced from different depths: its frame resumes under other callers each time.
    if level == 0:
        return next(values)
    try:
        if level == 2:
            raise KeyError(level)
    except KeyError:
        pass
    return recurse(level - 1, values) + next(values)


def unwind(level: int) -> None:
    if level == 0:
        raise ValueError("out")
    unwind(level - 1)


def workload() -> None:
    values = numbers(100)
    for level in (3, 1, 5, 0, 4):
        recurse(level, values)
    with contextlib.suppress(ValueError):
        unwind(4)
    recurse(2, values)


def test_depth_is_the_frame_chains_answer(backend: str) -> None:
    # A predicate that reads depth makes the backends count it as they go; each event's depth must be what a walk
    # up its frame chain says, through recursion, exceptions leaving frames and a generator resumed at other depths.
    wrong: list[tuple[str, str, int, int]] = []
    base = _base()

    def check(event: Any) -> bool:
        count = _chain_count(event.frame, base)
        expected = max(count - 1, 0) if event.kind in ("call", "return") else count
        if event.depth != expected:
            wrong.append((event.kind, event.function, event.depth, expected))
        return False

    tracer = hunter.Tracer(backend=backend).trace(Q(check, module=__name__))
    workload()
    tracer.stop()
    assert wrong == []


class Finalised:
    """Notes when it is freed: a frame holding it must be freed when the program lets go of it, not later."""

    freed: list[str] = []  # noqa: RUF012

    def __init__(self, name: str) -> None:
        self.name = name

    def __del__(self) -> None:
        Finalised.freed.append(self.name)


def returns() -> None:
    value = Finalised("returned")  # noqa: F841


def raises() -> None:
    value = Finalised("raised")  # noqa: F841
    raise KeyError("x")


def suspends() -> Iterator[int]:
    value = Finalised("suspended")  # noqa: F841
    yield 1
    yield 2


def test_frames_are_freed_as_without_tracing(backend: str) -> None:
    # Counting depth remembers running frames; one that returned, raised or was dropped while suspended must be
    # freed at once, with its variables (hunter 3.9 keeps no frame), not when tracing stops.
    Finalised.freed = []
    query = From(Q(module=__name__, function="test_frames_are_freed_as_without_tracing"), Q(depth_lt=5))
    tracer = hunter.Tracer(backend=backend).trace(When(query, lambda event: None))
    gc.disable()  # freed by reference counting alone, as the program would have them
    try:
        returns()
        after_return = list(Finalised.freed)
        with contextlib.suppress(KeyError):
            raises()
        after_raise = list(Finalised.freed)
        generator = suspends()
        next(generator)
        del generator
        after_drop = list(Finalised.freed)
    finally:
        gc.enable()
        tracer.stop()
    assert (after_return, after_raise, after_drop) == (
        ["returned"],
        ["returned", "raised"],
        ["returned", "raised", "suspended"],
    )
