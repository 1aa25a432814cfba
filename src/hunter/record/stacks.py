"""Each replayed event's callers, as its live frame's ``f_back`` chain showed them: what a replay's StackPrinter prints.

A recording tells them in two ways (docs/recording.md, "The file format"): a call holds its caller's line at the
call, and a callers record lists the callers the records before don't tell (a thread's first event, a call from
code that isn't recorded, an event of a frame whose call wasn't), each with its line then. Frames are placed by
depth, which counts every frame, recorded or not: the frames above an event are those of smaller depth.
"""

from __future__ import annotations

from typing import Any, Protocol

from .events import RecordedEvent

__all__ = ["Placed", "Stacks", "frame_depth"]

#: A caller as StackPrinter shows it: its code's own file name, its line now, its function.
Parent = tuple[str, Any, str]


class Placed(Protocol):
    """A frame placed by depth (the innermost one a replay follows in the event's thread)."""

    depth: int
    code: Any


def frame_depth(event: RecordedEvent, top: Placed | None) -> int:
    """The depth of the event's frame, ``top`` being the innermost frame followed in its thread so far.

    A call's and a return's own depth; a line or an exception is one deeper, as is a C function's event (profile
    mode), whose frame is the Python frame it happens in.
    """
    depth: int = event.depth - 1 if event.builtin or event.kind in ("line", "exception") else event.depth
    if event.kind == "return" and depth == 0 and top is not None and top.depth == -1 and top.code is event.code:
        depth = -1  # (a frame that ran before tracing started: its return's depth is kept at 0, as hunter 3.9's)
    return depth


class _Frame:
    """A frame of the replayed thread: its code, the line it is at now, and its depth."""

    __slots__ = ("code", "depth", "line")

    def __init__(self, code: Any, line: Any, depth: int) -> None:
        self.code = code
        self.line = line
        self.depth = depth


class Stacks:
    """Follows each recorded thread's frames through the replay and gives each event its callers, innermost first
    (``recorded_parents``: empty when its frame had none)."""

    def __init__(self) -> None:
        self._threads: dict[int | None, list[_Frame]] = {}

    def follow(self, event: RecordedEvent) -> None:
        """Note the event in its thread's frames, and give it the callers of its frame."""
        stack = self._threads.setdefault(event.threadid, [])
        data = event.__dict__
        kind = event.kind
        depth = frame_depth(event, stack[-1] if stack else None)
        callers = data.get("recorded_callers")
        if callers is not None:
            top, listed = callers
            bottom = depth - len(listed)
            stack[:] = [] if top else [frame for frame in stack if frame.depth < bottom]
            stack.extend(_Frame(code, line, bottom + index) for index, (code, line) in enumerate(reversed(listed)))
        if not event.builtin:
            while stack and stack[-1].depth >= depth:
                stack.pop()  # (frames that left without a recorded return; or this frame itself, for its new line)
            if kind == "call" and stack and stack[-1].depth == depth - 1 and "caller_line" in data:
                stack[-1].line = data["caller_line"]
        data["recorded_parents"] = tuple(
            (frame.code.compiled_filename, frame.line, frame.code.co_name)
            for frame in reversed(stack)
            if frame.depth < depth
        )
        if not event.builtin and kind != "return":
            stack.append(_Frame(event.code, event.lineno, depth))
