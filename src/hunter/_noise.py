"""Events that belong to the machinery around a program, not to it: the interpreter's shutdown (left out by the
command line) and a test runner's own code (left out of a test's trace)."""

from __future__ import annotations

import re
import sys
from typing import Any

from . import _source
from ._verdict import ALWAYS, MAYBE, NEVER, Verdict

__all__ = ["INTERPRETER_SHUTDOWN", "RunnerCode"]


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


class RunnerCode:
    """True for the events of a runner's code (modules matching ``pattern``, e.g. pytest and pluggy) and of the
    standard library code it calls (the runner's ``contextlib`` or ``reprlib`` calls are the runner's work; the
    same functions called by the code under test are that code's).

    Decided statically for the runner's modules (true) and for other non-stdlib code (false); for stdlib code
    by walking the stack to the first frame outside the stdlib.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._match = re.compile(pattern).match

    def __call__(self, event: Any) -> bool:
        if self._match(event.module):
            return True
        if not event.stdlib or event.frame is None:
            return False
        frame = event.frame.f_back
        while frame is not None:
            module = _source.frame_module(frame)
            if not _source.is_stdlib(_source.code_filename(frame.f_code, frame.f_globals), module):
                return bool(self._match(module))
            frame = frame.f_back
        return False

    def _verdict(self, facts: Any) -> Verdict:
        if self._match(facts.module):
            return ALWAYS
        return MAYBE if facts.stdlib else NEVER

    def _reads_calls(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"RunnerCode({self.pattern!r})"

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunnerCode) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.pattern))
