"""What is hunter's own code (its package directory and the frames running it), never reported as the program's."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from ._source import frame_module, is_stdlib

__all__ = ["HUNTER_DIR", "PROGRAM_RUNNER", "is_hunter_frame", "runs_for_hunter"]

#: hunter's package directory, with a trailing separator: a file name starting with it is hunter's code.
HUNTER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # (this is hunter/_engine/)


#: The code of the frame in which hunter's command line runs the program (``hunter.cli._run.run_program``), once it
#: does: the frames above it are the launcher's, which what shows the program's callers leaves out (a StackPrinter
#: shows what it shows under ``python`` itself, as the command line's tracebacks do).
PROGRAM_RUNNER: CodeType | None = None


def is_hunter_frame(frame: FrameType) -> bool:
    """Whether the frame runs hunter's own code: never reported, nor what it calls."""
    filename = frame.f_code.co_filename
    if filename.startswith(HUNTER_DIR):
        return True
    # Code generated from a string (a dataclass's __init__) has no file: it belongs to the module that made it.
    if filename[:1] != "<":
        return False
    module = frame_module(frame)
    return module == "hunter" or module.startswith("hunter.")


def runs_for_hunter(frame: FrameType, known: Callable[[int], Any] | None = None) -> bool:
    """Whether a standard library frame was called by hunter's own code, through standard library frames only.

    hunter's code runs in the program's threads (``hunter.trace()``, ``stop()``, a wrapper's bookkeeping) and
    calls the standard library (``os.environ``, ``signal``, ``threading``): never the program's doing, so never
    reported. Program code in between (the function ``hunter.wrap`` calls) ends the search: what it calls is the
    program's. Backends ask only for frames of standard library code that could report something, and pass
    ``known``, their ``id(code) -> record`` lookup (records with ``own`` and ``stdlib``), to skip the path checks.
    """
    caller = frame.f_back
    while caller is not None:
        record = known(id(caller.f_code)) if known is not None else None
        if record is not None:
            if record.own:
                return True
            if not record.stdlib:
                return False
        elif is_hunter_frame(caller):
            return True
        elif not is_stdlib(caller.f_code.co_filename, frame_module(caller)):
            return False
        caller = caller.f_back
    return False
