"""Per-code-object verdicts of the active predicate: which event kinds can match in a code object, and anywhere."""

from __future__ import annotations

import operator
from collections.abc import Callable
from types import FrameType, FunctionType, MethodType
from typing import Any

from ._ceilings import Ceiling, depth_ceiling
from ._own_code import is_hunter_frame
from ._program_signals import let_through
from ._source import code_filename, frame_module, is_stdlib
from ._verdict import EFFECT, NEVER, Verdict, verdict_fields, verdict_of
from ..event import KINDS, Event


#: One verdict per event kind, in the order of KINDS; read with the indexes below (a plain tuple indexed by
#: constants: a NamedTuple's attributes cost more on the backends' per-event path).
Verdicts = tuple[Verdict, Verdict, Verdict, Verdict]
ON_CALL, ON_LINE, ON_RETURN, ON_EXCEPTION = 0, 1, 2, 3
ALL_NEVER: Verdicts = (NEVER, NEVER, NEVER, NEVER)

#: The fields a code object's verdicts may be kept by (see ``CodeJudge``): its static fields that are known before it
#: is judged. ``kind`` is judged for each kind anyway; ``builtin`` and ``threading_support`` are the same for every
#: code a judge meets.
_KEY_FIELDS = ("filename", "function", "module", "stdlib")
_SAME_FOR_EVERY_CODE = frozenset({"kind", "builtin", "threading_support"})


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


class CodeJudge:
    """Asks the predicate, once per code object, for its verdict on each event kind there.

    The facts come from the code's first frame: module and file name from the frame's globals, so a code
    object run under two different ``__name__`` values (rare: exec of one code in two namespaces) is judged
    by the first one seen. Backends keep the answer in their own per-code record (a ``CodeMap``).
    """

    def __init__(self, predicate: Callable[[Event], Any], threading_support: bool | None) -> None:
        self._predicate = predicate
        self._threading_support = threading_support
        #: id(action) -> (action, what backends call for it): made once per action, not per code object (backends
        #: keep per-handler state by the handler's identity).
        self._entries: dict[int, tuple[Callable[[Event], Any], Callable[[Event], Any]]] = {}
        #: The fields the verdicts read, when the predicate can tell and they are among _KEY_FIELDS: the verdicts are
        #: then kept by those fields' values (``stdlib=False`` reads one: two sets of verdicts serve every code object
        #: a recording meets). None: asked for each code object.
        fields = verdict_fields(predicate)
        read = None if fields is None else fields - _SAME_FOR_EVERY_CODE
        self._key_fields = None if read is None or not read <= set(_KEY_FIELDS) else tuple(sorted(read))
        #: The key of a code's static fields, when ``function`` (its code's, not among them) isn't one of the fields.
        self._static_key = (
            operator.itemgetter(*self._key_fields) if self._key_fields and "function" not in self._key_fields else None
        )
        self._known: dict[Any, Verdicts] = {}

    @property
    def predicate(self) -> Callable[[Event], Any]:
        """The predicate judged."""
        return self._predicate

    @property
    def threading_support(self) -> bool | None:
        """The tracer's threading_support option (facts carry it)."""
        return self._threading_support

    def entry_for(self, action: Callable[[Event], Any]) -> Callable[[Event], Any]:
        """What the backends call for ``action`` with live events of Python code (see ``_fast_callable``)."""
        found = self._entries.get(id(action))
        if found is None:
            found = self._entries[id(action)] = (action, _fast_callable(action))
        return found[1]

    def judge(self, frame: FrameType, hunters: bool = True) -> tuple[Verdicts, dict[str, Any]]:
        """The verdicts for ``frame``'s code and its static event fields (module, filename, stdlib) to pre-fill.

        ``hunters=False``: the caller knows the frame isn't running hunter's own code (asked once, not twice).
        """
        # Fixed per code object and costly to derive per event (globals lookup, path checks): done once, as Event
        # derives them.
        module = frame_module(frame)
        filename = code_filename(frame.f_code, frame.f_globals)
        static = {"module": module, "filename": filename, "stdlib": is_stdlib(filename, module)}
        if hunters and is_hunter_frame(frame):
            # hunter's own machinery (a tracer stopping itself, wrap's bookkeeping) is never the program's doing.
            return ALL_NEVER, static
        fields = self._key_fields
        if fields is None:
            return self._verdicts(frame, static), static
        static_key = self._static_key
        if static_key is not None:
            key = static_key(static)
        else:
            key = tuple([frame.f_code.co_name if name == "function" else static[name] for name in fields])
        verdicts = self._known.get(key)
        if verdicts is None:
            verdicts = self._known[key] = self._verdicts(frame, static)
        return verdicts, static

    def _verdicts(self, frame: FrameType, static: dict[str, Any]) -> Verdicts:
        """Ask the predicate, once per kind (and first for any kind)."""
        facts = call_facts(frame, self._threading_support)
        facts.__dict__.update(static)
        # First without a kind: most code a filter meets (the standard library under stdlib=False, other modules) is
        # ruled out whatever the kind, and one verdict then stands for the four.
        del facts.kind
        if _guarded_verdict(self._predicate, facts) is NEVER:
            return ALL_NEVER

        def verdict_for(kind: str) -> Verdict:
            facts.kind = kind
            return _guarded_verdict(self._predicate, facts)

        return _per_kind(verdict_for)

    def ceiling(self, frame: FrameType) -> Ceiling | None:
        """The predicate's depth ceiling for ``frame``'s code, whatever the event kind (see ``_ceilings``).

        One for all kinds, so that the per-event check is one call: the facts leave ``kind`` unknown (a Query
        testing it can't rule the code out by it).
        """
        facts = Event(frame, "call", None, 0, 0, self._threading_support)
        del facts.kind
        try:
            return depth_ceiling(self._predicate, facts)
        except Exception as exc:  # an odd predicate: no ceiling, every event is delivered
            let_through(exc)
            return None


def call_facts(frame: FrameType, threading_support: bool | None) -> Event:
    """``Event(frame, "call", None, 0, 0, threading_support)``, made as the backends make events (from its fields:
    ``Event.__init__`` costs a few µs, paid for every code object a trace meets)."""
    facts: Event = _new_event(Event)
    facts.__dict__ = {
        "frame": frame,
        "kind": "call",
        "builtin": False,
        "arg": None,
        "tracer": None,
        "depth": 0,
        "calls": 0,
        "threading_support": threading_support,
    }
    return facts


_new_event = object.__new__


def handler_for_code(judge: CodeJudge, frame: FrameType) -> Callable[[Event], Any]:
    """What the backend calls with the events of ``frame``'s code: the predicate, or what it certainly comes to.

    ``When(condition, action)`` with a condition certainly true for every event of the code (an ALWAYS verdict for
    every kind: ``stdlib=False`` for the program's own code) comes to the action: the condition need not be asked
    per event. Only a When of hunter's own (a subclass may do anything in ``__call__``).
    """
    predicate = judge.predicate
    method = vars(type(predicate)).get("_certain_runner")
    if method is None:
        return predicate
    facts = Event(frame, "call", None, 0, 0, judge.threading_support)
    runner: Callable[[Event], Any] | None = None
    try:
        for kind in KINDS:
            facts.kind = kind
            runner = method(predicate, facts)
            if runner is None:
                return predicate
    except Exception as exc:  # an odd condition: ask it per event
        let_through(exc)
        return predicate
    return judge.entry_for(runner) if runner is not None else predicate


def _fast_callable(action: Callable[[Event], Any]) -> Callable[[Event], Any]:
    """What to call for ``action`` with live events of Python code, as fast as CPython calls things: a printer's own
    entry for such events (``_live_code_handler``), else a bound ``__call__`` for an instance of a class defined in
    Python (no slot lookup per call), else ``action``. Called for every event of the code."""
    offered = getattr(action, "_live_code_handler", None)
    live = offered() if callable(offered) else None
    if live is not None:
        return live  # type: ignore[no-any-return]
    method = vars(type(action)).get("__call__")  # (defined by its own class: an inherited one is left as it is)
    if isinstance(method, FunctionType):
        return MethodType(method, action)
    return action


def nothing_after_call(verdicts: Verdicts) -> bool:
    """True when no line, return or exception event of the code can matter."""
    return verdicts[ON_LINE] is NEVER and verdicts[ON_RETURN] is NEVER and verdicts[ON_EXCEPTION] is NEVER


class _NotKnown(AttributeError, LookupError):
    """A field that facts about an event kind alone don't hold. An AttributeError, so that ``getattr`` with a default
    (a Query's verdict) gives the default without an exception reaching Python code: a verdict that reads the field
    plainly still fails, and is EFFECT (see _guarded_verdict)."""


class _KindFacts:
    """Facts about an event kind alone: every field but ``kind`` and ``builtin`` is unknown (reading it raises)."""

    def __init__(self, kind: str, builtin: bool, threading_support: bool | None) -> None:
        self.kind = kind
        self.builtin = builtin
        self.threading_support = threading_support

    def __getattr__(self, name: str) -> Any:
        raise _NotKnown(f"{name} is not known without a code object")


def kind_verdicts(predicate: Callable[[Event], Any], threading_support: bool | None, builtin: bool = False) -> Verdicts:
    """The predicate's verdict per event kind for any code at all: NEVER means no code object can match that kind.

    Query treats a field it can't read as undecided, so only tests on ``kind`` (and ``builtin``) can rule a
    kind out. Backends use this to leave interpreter-wide events (exceptions, C calls) switched off.
    """
    return _per_kind(lambda kind: _guarded_verdict(predicate, _KindFacts(kind, builtin, threading_support)))
