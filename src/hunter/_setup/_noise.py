"""Events that belong to the machinery around a program, not to it: the interpreter's shutdown (left out by the
command line), a test runner's own code (left out of a test's trace) and multiprocessing's resource tracker (a
process a timeline run doesn't trace)."""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache
from typing import Any

from .._engine import _source
from .._engine._verdict import ALWAYS, MAYBE, NEVER, Verdict

__all__ = ["INTERPRETER_SHUTDOWN", "TIMELINE_ROOTS_ENV", "RunnerCode", "is_timeline_helper"]

#: What a timeline run tells its traced child processes (the file each one joins: see exporters._files).
TIMELINE_ROOTS_ENV = "HUNTER_TIMELINE_ROOTS"
#: How multiprocessing starts its resource tracker: ``python -c "from multiprocessing.resource_tracker import ..."``.
_RESOURCE_TRACKER = "from multiprocessing.resource_tracker import main"


def is_timeline_helper() -> bool:
    """Whether this process is multiprocessing's resource tracker, started within a timeline run.

    It runs multiprocessing's code, not the program's, and outlives the program by a moment: on a busy machine it
    may even start tracing after the run merged its processes' files, and a file it wrote then would stay beside
    the timeline. (The fork server is traced: the processes it forks are the program's.)
    """
    if TIMELINE_ROOTS_ENV not in os.environ:
        return False
    argv = getattr(sys, "orig_argv", None) or sys.argv  # (sys.argv isn't filled in yet when a .pth file runs)
    return any(isinstance(arg, str) and arg.startswith(_RESOURCE_TRACKER) for arg in argv)


class InterpreterShutdown:
    """True for the events of ``threading._shutdown`` and of the threading code it calls.

    Python calls ``threading._shutdown`` once the main module has finished, to wait for the non-daemon
    threads: it is the interpreter's work, not the program's, yet it is Python code and gets traced. It is
    recognised by its frame at the bottom of the stack (nothing calls it from Python), so the same functions
    (``Thread.ident``, ``Thread._stop``...) called by the program itself still show. The threads it waits for
    run on their own stacks and stay traced.
    """

    def __call__(self, event: Any) -> bool:
        if event.module != "threading" or event.frame is None:
            return False
        threading = sys.modules.get("threading")
        shutdown = getattr(getattr(threading, "_shutdown", None), "__code__", None)
        frame = event.frame
        while frame.f_back is not None:
            frame = frame.f_back
        return frame.f_code is shutdown and shutdown is not None

    def _verdict(self, facts: Any) -> Verdict:
        # Decided per event only in the threading module: everywhere else it is false, and pruning stays whole.
        return MAYBE if facts.module == "threading" else NEVER

    def _verdict_fields(self) -> frozenset[str] | None:
        return frozenset({"module"}) if type(self)._verdict is InterpreterShutdown._verdict else None

    def _reads_calls(self) -> bool:
        return False

    def __str__(self) -> str:
        return "InterpreterShutdown()"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)


#: The one instance (stateless): the command line's queries refer to it by this name.
INTERPRETER_SHUTDOWN = InterpreterShutdown()


#: Folders that hold installed libraries: code there is nobody's own, it works for whoever called it.
_LIBRARY_FOLDERS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


@lru_cache(maxsize=4096)
def _role(filename: str, module: str, pattern: str) -> str:
    """``'runner'``, ``'library'`` (stdlib or installed: it works for its caller) or ``'own'`` (the user's code)."""
    if re.match(pattern, module):
        return "runner"
    if _source.is_stdlib(filename, module) or any(folder in filename for folder in _LIBRARY_FOLDERS):
        return "library"
    return "own"


class RunnerCode:
    """True for the events of a runner's code (modules matching ``pattern``, e.g. pytest and pluggy) and of the
    library code it calls: the standard library and installed packages work for whoever called them, so the
    stack is walked up to the first frame that is the runner's or the user's own code (neither stdlib nor
    installed), and that frame decides.

    Decided statically for the runner's modules (true) and for the user's own code (false).
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __call__(self, event: Any) -> bool:
        role = _role(event.filename, event.module, self.pattern)
        if role != "library":
            return role == "runner"
        frame = event.frame.f_back if event.frame is not None else None
        while frame is not None:
            role = _role(frame.f_code.co_filename, _source.frame_module(frame), self.pattern)
            if role != "library":
                return role == "runner"
            frame = frame.f_back
        return False

    def _verdict(self, facts: Any) -> Verdict:
        role = _role(facts.filename, facts.module, self.pattern)
        return ALWAYS if role == "runner" else MAYBE if role == "library" else NEVER

    def _verdict_fields(self) -> frozenset[str] | None:
        return frozenset({"filename", "module"}) if type(self)._verdict is RunnerCode._verdict else None

    def _reads_calls(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"RunnerCode({self.pattern!r})"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunnerCode) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.pattern))
