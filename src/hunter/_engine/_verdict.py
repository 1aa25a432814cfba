"""Static verdicts: what a predicate can tell about a code object before any of its events happen.

The backends ask a predicate once per (code object, event kind) and switch events off where the answer
is NEVER. The four answers form a small algebra that And/Or/Not combine.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from ..event import fields_where
from ._program_signals import let_through


class Verdict(IntEnum):
    """What a predicate will answer for every event of one code object and kind."""

    #: Always false and without side effects: the event need not be delivered at all.
    NEVER = 0
    #: Always true and without side effects.
    ALWAYS = 1
    #: Depends on the event (line, locals, depth...), but calling it changes nothing.
    MAYBE = 2
    #: Must be called: it keeps state or acts (From, Backlog, actions, arbitrary callables).
    EFFECT = 3


NEVER, ALWAYS, MAYBE, EFFECT = Verdict.NEVER, Verdict.ALWAYS, Verdict.MAYBE, Verdict.EFFECT

#: Event fields that are fixed for a code object (given the event kind), so a Query can decide them early.
STATIC_FIELDS = frozenset(fields_where(query=True, static=True))


def verdict_of(predicate: object, facts: object) -> Verdict:
    """The verdict of any predicate; plain callables can't be inspected and must always run."""
    method = getattr(type(predicate), "_verdict", None)
    if method is None:
        return EFFECT
    verdict: Verdict = method(predicate, facts)
    return verdict


def verdict_fields(predicate: object) -> frozenset[str] | None:
    """The event fields a predicate's verdict reads (its verdict is a function of them); None when it can't tell.

    Anything without a ``_verdict`` reads nothing (its verdict is always EFFECT). A class with one says what it reads
    through ``_verdict_fields``; a class that has its own ``_verdict`` but not that, or whose method fails, can't
    tell. Backends keep verdicts by these fields' values (see ``_pruning.CodeJudge``).
    """
    cls = type(predicate)
    if getattr(cls, "_verdict", None) is None:
        return frozenset()
    method = getattr(cls, "_verdict_fields", None)
    if method is None:
        return None
    try:
        fields: frozenset[str] | None = method(predicate)
    except Exception as exc:  # an odd predicate: it can't tell
        let_through(exc)
        return None
    return fields


def fields_of_all(predicates: Iterable[object]) -> frozenset[str] | None:
    """The fields that the verdicts of all of ``predicates`` read; None when one of them can't tell."""
    found: set[str] = set()
    for predicate in predicates:
        fields = verdict_fields(predicate)
        if fields is None:
            return None
        found |= fields
    return frozenset(found)


def combine_and(verdicts: list[Verdict]) -> Verdict:
    """And evaluates left to right and stops at the first false child."""
    effect = maybe = False
    for verdict in verdicts:
        if verdict is NEVER:
            # Children before this one still run in the real And, so their effects must happen.
            return EFFECT if effect else NEVER
        if verdict is EFFECT:
            effect = True
        elif verdict is MAYBE:
            maybe = True
    return EFFECT if effect else MAYBE if maybe else ALWAYS


def combine_or(verdicts: list[Verdict]) -> Verdict:
    """Or evaluates left to right and stops at the first true child."""
    effect = maybe = False
    for verdict in verdicts:
        if verdict is ALWAYS:
            return EFFECT if effect else ALWAYS
        if verdict is EFFECT:
            effect = True
        elif verdict is MAYBE:
            maybe = True
    return EFFECT if effect else MAYBE if maybe else NEVER


def negate(verdict: Verdict) -> Verdict:
    """Not swaps the certain answers and keeps the uncertain ones."""
    if verdict is NEVER:
        return ALWAYS
    if verdict is ALWAYS:
        return NEVER
    return verdict


def reads_calls(obj: object) -> bool:
    """Whether a predicate or action may read ``event.calls`` (the one field that needs every call counted).

    Built-in predicates and actions say so through a ``_reads_calls`` method; built-in actions (defined in
    ``hunter.actions``) don't read it. Anything else is opaque and assumed to read it.
    """
    method = getattr(type(obj), "_reads_calls", None)
    if method is None:
        return True
    try:
        return bool(method(obj))
    except Exception as exc:  # an odd object: assume the worst, which is always correct
        let_through(exc)
        return True


def reads_depth(obj: object) -> bool:
    """Whether a predicate or action reads ``event.depth`` often enough that backends should count it as they go.

    Counting costs a little on every call (see ``_engine._depths``); without it, each read walks up the stack.
    Built-in predicates and actions say so through a ``_reads_depth`` method; anything else is opaque and assumed to
    read it.
    """
    method = getattr(type(obj), "_reads_depth", None)
    if method is None:
        return True
    try:
        return bool(method(obj))
    except Exception as exc:  # an odd object: assume it reads depth, which is always correct
        let_through(exc)
        return True
