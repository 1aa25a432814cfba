"""What a timeline calls the current process: a multiprocessing child's name, else the program's."""

from __future__ import annotations

import os
import sys

__all__ = ["process_label"]


def process_label() -> str:
    """What a trace viewer should call this process: a multiprocessing child's name (``ForkPoolWorker-1``), else the
    program's name (its script or command), as viztracer names them."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is not None:
        try:
            name = multiprocessing.current_process().name
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
