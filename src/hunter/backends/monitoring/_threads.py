"""New threads: their events are held back until the point where ``threading.settrace``/``setprofile`` hooks them."""

from __future__ import annotations

import functools
import opcode
import sys
import threading
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

__all__ = ["ThreadHook", "ThreadStarts", "thread_start_facts"]

#: Called with the LINE event's line (None for PY_START) and the frame, in a thread's bootstrap code.
ThreadHook = Callable[[int | None, FrameType], None]


@functools.cache
def thread_start_facts() -> tuple[CodeType, CodeType, int, int] | None:
    """Thread._bootstrap and _bootstrap_inner's code, and the last lines that install settrace/setprofile hooks.

    None when threading looks different from what this module knows (then new threads are traced from
    their first call, like threads not started through threading).
    """
    try:
        bootstrap = threading.Thread._bootstrap.__code__  # type: ignore[attr-defined]
        inner = threading.Thread._bootstrap_inner.__code__  # type: ignore[attr-defined]
        lines = _global_load_lines(inner, ("_trace_hook", "_profile_hook"))
        return bootstrap, inner, lines["_trace_hook"], lines["_profile_hook"]
    except (AttributeError, KeyError, IndexError):
        return None


def _global_load_lines(code: CodeType, names: tuple[str, ...]) -> dict[str, int]:
    """The last line where ``code`` loads each of ``names`` as a global.

    Read from the bytecode itself, two bytes an instruction (``co_code`` is the code before any specialisation,
    inline caches zeroed), rather than with ``dis``: the backend would import dis into every program it traces, and
    a traced program importing it then shows otherwise than under settrace. Lines come from ``co_positions()``,
    one entry per two bytes. LOAD_GLOBAL's argument is the name's index shifted left by one (3.11+).
    """
    load_global, extended_arg = opcode.opmap["LOAD_GLOBAL"], opcode.EXTENDED_ARG
    raw = code.co_code
    positions = list(code.co_positions())
    lines: dict[str, int] = {}
    extended = 0
    for unit in range(len(raw) // 2):
        operation, argument = raw[2 * unit], raw[2 * unit + 1] | extended
        extended = argument << 8 if operation == extended_arg else 0
        if operation == load_global and code.co_names[argument >> 1] in names:
            name = code.co_names[argument >> 1]
            lines[name] = max(lines.get(name, 0), positions[unit][0] or 0)
    return lines


class ThreadStarts:
    """Hooks on Thread._bootstrap/_bootstrap_inner that hold back a new thread's events until settrace would.

    ``threading.settrace``/``setprofile`` install the hook inside ``_bootstrap_inner``, just before
    ``run()``: what a new thread does before (setting its ident, signalling that it started) is never
    reported. sys.monitoring sees it all, so a thread is *unarmed* (in :attr:`unarmed`) from its first call
    until its ``_bootstrap_inner`` passes that point (seen through a LINE event there).
    """

    def __init__(
        self, watch: bool, profiling: bool, report_c_return: Callable[[FrameType, str, Any, int | None], None]
    ) -> None:
        #: Idents of the threads whose events are held back; the callbacks drop their events.
        self.unarmed: set[int] = set()
        self._hooks: dict[int, tuple[CodeType, ThreadHook, bool]] = {}
        facts = thread_start_facts() if watch else None
        if facts is None:
            return
        bootstrap, inner, trace_line, profile_line = facts
        arm_after = profile_line if profiling else trace_line
        unarmed = self.unarmed
        get_ident = threading.get_ident

        def on_bootstrap(line: int | None, frame: FrameType) -> None:
            if line is None:  # PY_START: a new thread
                unarmed.add(get_ident())

        def on_bootstrap_inner(line: int | None, frame: FrameType) -> None:
            if line is None or line <= arm_after:
                return
            ident = get_ident()
            if ident in unarmed:
                unarmed.discard(ident)
                if profiling:
                    # setprofile's own return is the first thing a profiled thread reports.
                    report_c_return(frame, "c_return", sys.setprofile, profile_line)

        self._hooks = {
            id(bootstrap): (bootstrap, on_bootstrap, False),
            id(inner): (inner, on_bootstrap_inner, True),
        }

    def hook_for(self, code: CodeType) -> tuple[ThreadHook, bool] | None:
        """The hook for a thread's bootstrap code and whether it needs LINE events there; None for other code."""
        role = self._hooks.get(id(code))
        if role is None or role[0] is not code:
            return None
        return role[1], role[2]
