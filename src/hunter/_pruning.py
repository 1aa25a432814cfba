"""Per-code-object verdicts of the active predicate: which event kinds can match in a code object, and anywhere."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import FrameType
from typing import Any

from ._signals import let_through
from ._source import frame_module, is_stdlib
from ._verdict import EFFECT, NEVER, Verdict, verdict_of
from .event import Event

#: Event kinds a backend asks about, in the order of the verdict tuples.
KINDS = ("call", "line", "return", "exception")

Verdicts = tuple[Verdict, Verdict, Verdict, Verdict]


def _per_kind(verdict_for: Callable[[str], Verdict]) -> Verdicts:
    """One verdict per kind, in the order of KINDS."""
    call, line, return_, exception = KINDS
    return verdict_for(call), verdict_for(line), verdict_for(return_), verdict_for(exception)


def _guarded_verdict(predicate: Callable[[Event], Any], facts: object) -> Verdict:
    """The predicate's verdict; EFFECT (assume the worst, never prune) when asking fails."""
    try:
        return verdict_of(predicate, facts)
    except Exception as exc:  # an odd predicate must not break tracing; just don't prune
        let_through(exc)
        return EFFECT


_HUNTER_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def is_hunter_frame(frame: FrameType) -> bool:
    """Whether the frame runs hunter's own code: never reported, nor what it calls."""
    filename = frame.f_code.co_filename
    if filename.startswith(_HUNTER_DIR):
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


class CodeJudge:
    """Asks the predicate, once per code object, for its verdict on each event kind there.

    The facts come from the code's first frame: module and file name from the frame's globals, so a code
    object run under two different ``__name__`` values (rare: exec of one code in two namespaces) is judged
    by the first one seen. Backends keep the answer in their own per-code record (a ``CodeMap``).
    """

    def __init__(self, predicate: Callable[[Event], Any], threading_support: bool | None) -> None:
        self._predicate = predicate
        self._threading_support = threading_support

    def judge(self, frame: FrameType) -> tuple[Verdicts, dict[str, Any]]:
        """The verdicts for ``frame``'s code and its static event fields (module, filename, stdlib) to pre-fill."""
        facts = Event(frame, "call", None, 0, 0, self._threading_support)
        # Fixed per code object and costly to derive per event (globals lookup, path checks): done once.
        static = {"module": facts.module, "filename": facts.filename, "stdlib": facts.stdlib}
        if is_hunter_frame(frame):
            # hunter's own machinery (a tracer stopping itself, wrap's bookkeeping) is never the program's doing.
            return (NEVER, NEVER, NEVER, NEVER), static

        def verdict_for(kind: str) -> Verdict:
            facts.kind = kind
            return _guarded_verdict(self._predicate, facts)

        return _per_kind(verdict_for), static


def nothing_after_call(verdicts: Verdicts) -> bool:
    """True when no line, return or exception event of the code can matter."""
    return verdicts[1] is NEVER and verdicts[2] is NEVER and verdicts[3] is NEVER


class _KindFacts:
    """Facts about an event kind alone: every field but ``kind`` and ``builtin`` is unknown (reading it raises)."""

    def __init__(self, kind: str, builtin: bool, threading_support: bool | None) -> None:
        self.kind = kind
        self.builtin = builtin
        self.threading_support = threading_support

    def __getattr__(self, name: str) -> Any:
        raise LookupError(f"{name} is not known without a code object")


def kind_verdicts(predicate: Callable[[Event], Any], threading_support: bool | None, builtin: bool = False) -> Verdicts:
    """The predicate's verdict per event kind for any code at all: NEVER means no code object can match that kind.

    Query treats a field it can't read as undecided, so only tests on ``kind`` (and ``builtin``) can rule a
    kind out. Backends use this to leave interpreter-wide events (exceptions, C calls) switched off.
    """
    return _per_kind(lambda kind: _guarded_verdict(predicate, _KindFacts(kind, builtin, threading_support)))
