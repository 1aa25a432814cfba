"""asyncio awareness for the printers and the timeline: the running task, and a coroutine's steps (resumed,
suspended, handed the result of what it awaited) told apart from calls, returns and exceptions."""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from .._engine._compat import AWAIT_OPCODES, is_resumption, is_suspension

__all__ = ["current_task", "is_await_machinery", "is_resumption", "is_suspension", "task_name"]

_STOPS = (StopIteration, StopAsyncIteration)


def current_task() -> Any:
    """The asyncio task running in this thread, or None (no asyncio, no running loop, or code outside a task)."""
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        loop = asyncio.events._get_running_loop()
        return None if loop is None else asyncio.current_task(loop)
    except Exception:
        return None


def task_name(task: Any) -> str:
    """A task's name ('' for none); never raises."""
    if task is None:
        return ""
    try:
        return str(task.get_name())
    except Exception:
        return "?"


def is_await_machinery(frame: FrameType | None, arg: Any) -> bool:
    """Whether an ``exception`` event is the StopIteration (or StopAsyncIteration) with which an awaited coroutine,
    ``yield from`` or ``async for`` hands its result back, raised and caught inside the await itself."""
    if frame is None:
        return False
    try:
        if arg[0] not in _STOPS:
            return False
        code = frame.f_code
        return code.co_code[frame.f_lasti] in AWAIT_OPCODES
    except Exception:
        return False
