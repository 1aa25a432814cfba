"""Per-code-object verdicts of the active predicate, cached without keeping code objects alive."""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from ._verdict import EFFECT, NEVER, Verdict, verdict_of
from .event import Event

#: Event kinds a backend asks about, in the order of the verdict tuples.
KINDS = ("call", "line", "return", "exception")

Verdicts = tuple[Verdict, Verdict, Verdict, Verdict]


_HUNTER_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_hunter_code(filename: str) -> bool:
    return filename.startswith(_HUNTER_DIR)


class VerdictCache:
    """Maps a code object to the predicate's verdict for each event kind, computed from its first frame.

    Module and file name come from the frame's globals, so a code object run under two different
    ``__name__`` values (rare: exec of one code in two namespaces) is judged by the first one seen.
    """

    def __init__(self, predicate: Callable[[Event], Any], threading_support: bool | None) -> None:
        self._predicate = predicate
        self._threading_support = threading_support
        self._entries: dict[int, tuple[weakref.ref[CodeType], Verdicts, dict[str, Any]]] = {}

    def get(self, code: CodeType, frame: FrameType) -> Verdicts:
        """The verdicts for ``code`` (computed from ``frame`` the first time)."""
        return self.lookup(code, frame)[0]

    def lookup(self, code: CodeType, frame: FrameType) -> tuple[Verdicts, dict[str, Any]]:
        """The verdicts for ``code`` and its static event fields (module, filename, stdlib) to pre-fill events."""
        key = id(code)
        entry = self._entries.get(key)
        if entry is not None and entry[0]() is code:
            return entry[1], entry[2]
        verdicts, static = self._compute(frame)
        entries = self._entries
        try:
            # A C callable (dict.pop(key, ref)) as the callback: a Python one would show up in traces when
            # a code object dies while tracing.
            ref = weakref.ref(code, functools.partial(entries.pop, key))
        except TypeError:  # not weak-referenceable: don't cache
            return verdicts, static
        entries[key] = (ref, verdicts, static)
        return verdicts, static

    def _compute(self, frame: FrameType) -> tuple[Verdicts, dict[str, Any]]:
        facts = Event(frame, "call", None, 0, 0, self._threading_support)
        # Fixed per code object and costly to derive per event (globals lookup, path checks): done once.
        static = {"module": facts.module, "filename": facts.filename, "stdlib": facts.stdlib}
        if _is_hunter_code(frame.f_code.co_filename):
            # hunter's own machinery (a tracer stopping itself, wrap's bookkeeping) is never the program's doing.
            return (NEVER, NEVER, NEVER, NEVER), static
        verdicts = []
        for kind in KINDS:
            facts.kind = kind
            try:
                verdicts.append(verdict_of(self._predicate, facts))
            except Exception:  # noqa: BLE001 - an odd predicate must not break tracing; just don't prune
                verdicts.append(EFFECT)
        return tuple(verdicts), static  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._entries)


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
    verdicts = []
    for kind in KINDS:
        try:
            verdicts.append(verdict_of(predicate, _KindFacts(kind, builtin, threading_support)))
        except Exception:  # noqa: BLE001 - undecidable: keep the kind
            verdicts.append(EFFECT)
    return tuple(verdicts)  # type: ignore[return-value]
