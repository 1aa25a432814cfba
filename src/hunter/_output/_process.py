"""What a timeline calls the current process: a multiprocessing child's name, else the program's."""

from __future__ import annotations

import os
import sys
from types import FrameType

__all__ = ["process_label"]


def process_label() -> str:
    """What a trace viewer should call this process: a multiprocessing child's name (``ForkPoolWorker-1``), else the
    program's name (its script or command), as viztracer names them."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None:
        try:
            name = _forked_process_name() or multiprocessing.current_process().name
        except Exception:  # (an odd state at shutdown: the program's name will do)
            name = None
        if isinstance(name, str) and name and name != "MainProcess":
            return name
    program = sys.argv[0] if sys.argv and isinstance(sys.argv[0], str) else ""
    if program in ("", "-c", "-"):
        return "python" + (f" {program}" if program else "")
    if os.path.basename(program) == "__main__.py":  # python -m package: the package's name
        return os.path.basename(os.path.dirname(program)) or program
    return os.path.basename(program)


def _forked_process_name() -> str | None:
    """The name of the multiprocessing Process this process is, when a fork started it: read from the frame that
    forked, which stays below the child's whole run.

    From the fork to the Process's bootstrap, ``current_process()`` is still the parent's: a worker that a pool
    terminates that early (its parent's work was done) writes its timeline then, and must not be named after the
    parent. None in any other process, and in a thread other than the one that forked.
    """
    if "multiprocessing.popen_fork" not in sys.modules:
        return None
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_launch" and code.co_filename.endswith("popen_fork.py"):
            started = frame.f_locals.get("process_obj")
            # The process that made the Process object is the parent (this frame is on its stack too, during the
            # fork): in the child, this is its own Process (from the innermost, for a child that forks in turn).
            if getattr(started, "_parent_pid", None) not in (None, os.getpid()):
                name = getattr(started, "name", None)
                return name if isinstance(name, str) else None
        frame = frame.f_back
    return None
