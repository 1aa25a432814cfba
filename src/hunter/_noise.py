"""Events of the interpreter's own work that the command line leaves out of a program's trace."""

from __future__ import annotations

import sys
from typing import Any

from ._verdict import MAYBE, NEVER, Verdict

__all__ = ["INTERPRETER_SHUTDOWN"]


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
