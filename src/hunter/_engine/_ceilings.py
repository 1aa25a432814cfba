"""Depth ceilings: from which depth a query rejects every event, at no cost to anything it would have done.

A query like ``From(Q(function="parse"), Q(depth_lt=2))`` rejects almost every event of a deep program once its
condition matched: those more than one level below the matching call. hunter 3.9 builds each of those events and
runs the query on it. A backend that knows the query's *ceiling* (events at or below that depth are rejected)
can drop them before building them: it compares the frame's depth, which it counts anyway, with the ceiling.

Dropping an event is exact only when running the query on it would change nothing: no action runs, no state
moves (a ``From`` that would start or stop, a ``Backlog`` that would store it), no user code runs (a plain
callable, an object's ``__eq__`` in a comparison). So each built-in predicate states its ceiling only under those
conditions (``_depth_ceiling``), and whether evaluating it is free of side effects (``_pure``); anything else
(callables, subclasses that don't state their own) has no ceiling and is treated as impure.

A ceiling is an ``int`` when it is fixed for the run, or a function returning the current one (``None``: no
ceiling now), for queries with state: a started ``From`` has one relative to where its condition matched, and a
waiting one has its condition's. Backends ask once per code object, so a ceiling also carries the static verdicts:
a waiting ``From(Q(function="parse"), ...)`` rejects every event of any other function (ceiling 0) until it starts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

__all__ = ["Ceiling", "ceiling_now", "depth_ceiling", "highest", "is_pure", "lowest", "static_ceiling"]

#: A depth at and below which every event is rejected: fixed, or asked for each time (None: none now).
Ceiling = int | Callable[[], int | None]


def depth_ceiling(obj: object, facts: object = None) -> Ceiling | None:
    """The query's ceiling, or None when it has none (or it can't be known: anything not built in).

    ``facts``: an event standing for one code object's events (see ``_pruning``), or None for any code. A query
    that rules out the code's events outright (a NEVER verdict) has the ceiling 0 there: nothing passes.
    """
    method = vars(type(obj)).get("_depth_ceiling")  # a subclass states its own, or has none
    if method is None:
        return None
    ceiling: Ceiling | None = method(obj, facts)
    return ceiling


def is_pure(obj: object) -> bool:
    """Whether running the query on an event can't change anything (no state, actions or user code)."""
    method = vars(type(obj)).get("_pure")
    return bool(method is not None and method(obj))


def lowest(ceilings: Iterable[Ceiling]) -> Ceiling | None:
    """The ceiling of a query that rejects an event when any of these does (And)."""
    found = list(ceilings)
    if not found:
        return None
    if all(isinstance(ceiling, int) for ceiling in found):
        return min(found)  # type: ignore[type-var]
    nows = [ceiling_now(ceiling) for ceiling in found]

    def now() -> int | None:
        current = [value for value in (each() for each in nows) if value is not None]
        return min(current) if current else None

    return now


def highest(ceilings: Iterable[Ceiling | None]) -> Ceiling | None:
    """The ceiling of a query that rejects an event only when every one of these does (Or)."""
    found = list(ceilings)
    if not found or any(ceiling is None for ceiling in found):
        return None
    if all(isinstance(ceiling, int) for ceiling in found):
        return max(found)  # type: ignore[type-var]
    nows = [ceiling_now(ceiling) for ceiling in found if ceiling is not None]

    def now() -> int | None:
        current = [each() for each in nows]
        return None if None in current else max(current)  # type: ignore[type-var]

    return now


def ceiling_now(ceiling: Ceiling) -> Callable[[], int | None]:
    """The ceiling as a function to call per event (a fixed one costs no Python frame)."""
    if isinstance(ceiling, int):
        return itertools.repeat(ceiling).__next__
    return ceiling


def static_ceiling(ceiling: Ceiling | None) -> int | None:
    """The ceiling when it is fixed for the whole run (a frame above it can have its line events switched off)."""
    return ceiling if isinstance(ceiling, int) else None
