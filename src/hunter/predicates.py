"""The query language: Query, And, Or, Not, When, From and Backlog, with value equality and static verdicts."""

from __future__ import annotations

import functools
import operator as _operator
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ._setup._keywords import STRING_SEQUENCES, compile_pattern, matches, parse_query_key, value_problem
from ._engine._ceilings import Ceiling, ceiling_now, depth_ceiling, highest, is_pure, lowest
from ._engine._program_signals import let_through
from ._engine._verdict import (
    ALWAYS,
    EFFECT,
    MAYBE,
    NEVER,
    STATIC_FIELDS,
    Verdict,
    combine_and,
    combine_or,
    fields_of_all,
    negate,
    reads_calls,
    reads_depth,
    verdict_fields,
    verdict_of,
)
from .actions import Action, CallPrinter, CodePrinter, ColorStreamAction
from ._engine._recorded import RecordedEvent
from .event import Event

_new_event = object.__new__

#: Query operators that are plain comparisons: their tests are the operator module's (no Python frame).
_ORDERING: dict[str, Callable[[Any, Any], Any]] = {
    "lt": _operator.lt,
    "lte": _operator.le,
    "gt": _operator.gt,
    "gte": _operator.ge,
}

__all__ = ["And", "Backlog", "From", "Not", "Or", "Q", "Query", "When", "check", "parts", "walk"]

Predicate = Callable[[Event], Any]

# Display order of the operator groups in str()/repr() (hunter 3.9's format).
_OPERATOR_ORDER = ("eq", "in", "contains", "startswith", "endswith", "regex", "lt", "lte", "gt", "gte")
_ATTRIBUTES = {operator: f"query_{operator}" for operator in _OPERATOR_ORDER}
_NO_TESTS: dict[str, tuple[()]] = dict.fromkeys(_ATTRIBUTES.values(), ())


def _not_static(check: tuple[str, str, Any]) -> bool:
    """A Query's sort key of a check: static fields first."""
    return check[0] not in STATIC_FIELDS


def _construction_value(key: str, operator: str, value: Any) -> Any:
    """Normalise one query value, rejecting only what hunter 3.9 rejects when a Query is built.

    Everything else (a value of the wrong type, one that can never match) is reported when tracing starts,
    by :func:`check`: 3.9 code builds such queries without tracing them, and must keep working.
    """
    if operator in ("startswith", "endswith") and not isinstance(value, str):
        if not isinstance(value, STRING_SEQUENCES):
            raise ValueError(f"Value {value!r} for {key!r} is invalid. Must be a string, list, tuple or set.")
        return tuple(value)
    if operator == "regex":
        return compile_pattern(key, value)
    return value


#: What a verdict reads of a field the facts don't hold (see ``Query._verdict``).
_UNKNOWN = object()


class _Composable:
    """The &, | and ~ operators shared by every built-in predicate (and reflected for plain callables)."""

    def __call__(self, event: Event) -> Any:
        raise NotImplementedError

    def __and__(self, other: Predicate) -> Predicate:
        return _make_and(self, other)

    def __rand__(self, other: Predicate) -> Predicate:
        return _make_and(other, self)

    def __or__(self, other: Predicate) -> Predicate:
        return _make_or(self, other)

    def __ror__(self, other: Predicate) -> Predicate:
        return _make_or(other, self)

    def __invert__(self) -> Predicate:
        return Not(self)

    def _verdict(self, facts: Event) -> Verdict:
        return EFFECT

    def _verdict_fields(self) -> frozenset[str] | None:
        # (EFFECT whatever the facts; a subclass with a _verdict of its own that doesn't say can't tell)
        return frozenset() if type(self)._verdict is _Composable._verdict else None

    def _reads_calls(self) -> bool:
        # Unknown subclasses may read anything.
        return True

    def _reads_depth(self) -> bool:
        return True

    def _parts(self) -> Iterable[tuple[str, Any]]:
        """The predicates and actions directly inside this one, each with its role (see :func:`walk`)."""
        return ()


class Query(_Composable):
    """A conjunction of field tests: ``Query(module="app", function_startswith="test_", depth_lt=3)``."""

    def __init__(self, **query: Any) -> None:
        groups: dict[str, dict[str, Any]] = {}
        for key, value in query.items():
            field, operator = parse_query_key(key)
            groups.setdefault(operator, {})[field] = _construction_value(key, operator, value)
        # One attribute per operator, as in hunter 3.9 (``query_eq``...): empty where it tests nothing.
        attributes = vars(self)
        attributes.update(_NO_TESTS)
        checks = []
        for operator in _OPERATOR_ORDER:
            tests = groups.get(operator)
            if tests:
                attributes[_ATTRIBUTES[operator]] = tuple(sorted(tests.items()))
                checks.extend([(field, operator, value) for field, value in tests.items()])
        # Flat list for the hot path; static fields first, they are the cheapest to compute.
        checks.sort(key=_not_static)
        self._checks: tuple[tuple[str, str, Any], ...] = tuple(checks)
        # What __call__ runs: each check's test as a function of (actual, expected), None for equality (compared
        # inline); the ordering operators straight from the operator module, the rest through matches().
        self._tests: tuple[tuple[str, Callable[[Any, Any], Any] | None, Any], ...] = tuple(
            (field, _test_of(operator), value) for field, operator, value in checks
        )

    def __call__(self, event: Event) -> bool:
        for field, test, expected in self._tests:
            actual = getattr(event, field)
            if test is None:
                if actual != expected:
                    return False
            elif not test(actual, expected):
                return False
        return True

    def _verdict(self, facts: Event) -> Verdict:
        static = True
        for field, operator, expected in self._checks:
            if field in STATIC_FIELDS:
                try:
                    actual = getattr(facts, field, _UNKNOWN)
                    if actual is _UNKNOWN:  # (facts without it: a code's facts before the kind is set)
                        static = False
                    elif not matches(operator, actual, expected):
                        return NEVER
                except Exception as exc:  # let the real event raise, where the user sees it
                    let_through(exc)
                    static = False
            else:
                static = False
        return ALWAYS if static else MAYBE

    def _verdict_fields(self) -> frozenset[str] | None:
        if type(self)._verdict is not Query._verdict or not self._pure():
            return None  # (a comparison with a user's object runs its code: asked per code object, as before)
        return frozenset(field for field, _, _ in self._checks if field in STATIC_FIELDS)

    def _reads_calls(self) -> bool:
        return any(field == "calls" for field, _, _ in self._checks)

    def _pure(self) -> bool:
        # A comparison with a value of the user's own type would run its __eq__ (or __lt__...).
        return all(_plain(value) for _, _, value in self._checks)

    def _depth_ceiling(self, facts: object) -> Ceiling | None:
        if not self._pure():
            return None
        if facts is not None and self._verdict(facts) is NEVER:  # type: ignore[arg-type]
            return 0
        bounds = [_depth_bound(operator, value) for field, operator, value in self._checks if field == "depth"]
        found = [bound for bound in bounds if bound is not None]
        return min(found) if found else None

    def _reads_depth(self) -> bool:
        return any(field == "depth" for field, _, _ in self._checks)

    def _check_values(self) -> None:
        """Raise ValueError for a value that can never match or has the wrong type for its field."""
        for operator, field, value in self._items():
            problem = value_problem(field, operator, value)
            if problem:
                key = field if operator == "eq" else f"{field}_{operator}"
                raise ValueError(f"Value {value!r} for {key!r} {problem}")

    def _items(self) -> list[tuple[str, str, Any]]:
        return [
            (operator, field, value)
            for operator in _OPERATOR_ORDER
            for field, value in getattr(self, f"query_{operator}")
        ]

    def __str__(self) -> str:
        parts = [
            f"{field}{'' if operator == 'eq' else '_' + operator}={value!r}" for operator, field, value in self._items()
        ]
        return f"Query({', '.join(parts)})"

    def __repr__(self) -> str:
        groups = " ".join(
            f"query_{operator}={getattr(self, f'query_{operator}')!r}"
            for operator in _OPERATOR_ORDER
            if getattr(self, f"query_{operator}")
        )
        return f"<hunter.predicates.Query: {groups}>"

    def _key(self) -> tuple[Any, ...]:
        return tuple((operator, field, _hashable(value)) for operator, field, value in self._items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Query) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(("Query", self._key()))


_PLAIN_TYPES = (str, bytes, int, float, bool, type(None), re.Pattern)


def _plain(value: Any) -> bool:
    """Whether comparing an event's field with ``value`` runs only the interpreter's own comparisons."""
    if type(value) in (tuple, list, set, frozenset):
        return all(_plain(item) for item in value)
    return type(value) in _PLAIN_TYPES


def _depth_bound(operator: str, value: Any) -> int | None:
    """The depth from which a depth test with ``operator`` and ``value`` fails on every event, if there is one."""
    if operator == "in" and type(value) in (tuple, list, set, frozenset) and all(type(v) is int for v in value):
        return max(value, default=-1) + 1
    if type(value) is not int:
        return None
    return {"lt": value, "lte": value + 1, "eq": value + 1}.get(operator)


def _test_of(operator: str) -> Callable[[Any, Any], Any] | None:
    """How Query.__call__ tests a field with ``operator``: None for equality (compared inline)."""
    if operator == "eq":
        return None
    return _ORDERING.get(operator) or functools.partial(matches, operator)


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, set)):
        return ("list" if isinstance(value, list) else "set", tuple(_hashable(item) for item in value))
    if isinstance(value, dict):
        return tuple(sorted((key, _hashable(item)) for key, item in value.items()))
    return value


class And(_Composable):
    """True when every predicate is true (evaluated left to right, stopping at the first false)."""

    def __init__(self, *predicates: Predicate) -> None:
        self.predicates = predicates

    def __call__(self, event: Event) -> bool:
        # A plain loop, not all(): a generator would cost a frame on every event.
        for predicate in self.predicates:  # noqa: SIM110
            if not predicate(event):
                return False
        return True

    def _verdict(self, facts: Event) -> Verdict:
        return combine_and([verdict_of(predicate, facts) for predicate in self.predicates])

    def _verdict_fields(self) -> frozenset[str] | None:
        return fields_of_all(self.predicates) if type(self)._verdict is And._verdict else None

    def _pure(self) -> bool:
        return all(is_pure(predicate) for predicate in self.predicates)

    def _depth_ceiling(self, facts: object) -> Ceiling | None:
        # Left to right: a child's ceiling counts as long as every child before it is pure (they still run).
        found = []
        for predicate in self.predicates:
            ceiling = depth_ceiling(predicate, facts)
            if ceiling is not None:
                found.append(ceiling)
            if not is_pure(predicate):
                break
        return lowest(found)

    def _reads_calls(self) -> bool:
        return any(reads_calls(predicate) for predicate in self.predicates)

    def _reads_depth(self) -> bool:
        return any(reads_depth(predicate) for predicate in self.predicates)

    def _parts(self) -> Iterable[tuple[str, Any]]:
        return [("Predicate", predicate) for predicate in self.predicates]

    def __and__(self, other: Predicate) -> Predicate:
        return _make_and(self, other)

    def __str__(self) -> str:
        return f"And({', '.join(str(p) for p in self.predicates)})"

    def __repr__(self) -> str:
        return f"<hunter.predicates.And: predicates={self.predicates!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, And) and self.predicates == other.predicates

    def __hash__(self) -> int:
        return hash(("And", self.predicates))


class Or(_Composable):
    """True when any predicate is true (evaluated left to right, stopping at the first true)."""

    def __init__(self, *predicates: Predicate) -> None:
        self.predicates = predicates

    def __call__(self, event: Event) -> bool:
        # A plain loop, not any(): a generator would cost a frame on every event.
        for predicate in self.predicates:  # noqa: SIM110
            if predicate(event):
                return True
        return False

    def _verdict(self, facts: Event) -> Verdict:
        return combine_or([verdict_of(predicate, facts) for predicate in self.predicates])

    def _verdict_fields(self) -> frozenset[str] | None:
        return fields_of_all(self.predicates) if type(self)._verdict is Or._verdict else None

    def _pure(self) -> bool:
        return all(is_pure(predicate) for predicate in self.predicates)

    def _depth_ceiling(self, facts: object) -> Ceiling | None:
        return highest(depth_ceiling(predicate, facts) for predicate in self.predicates)

    def _reads_calls(self) -> bool:
        return any(reads_calls(predicate) for predicate in self.predicates)

    def _reads_depth(self) -> bool:
        return any(reads_depth(predicate) for predicate in self.predicates)

    def _parts(self) -> Iterable[tuple[str, Any]]:
        return [("Predicate", predicate) for predicate in self.predicates]

    def __str__(self) -> str:
        return f"Or({', '.join(str(p) for p in self.predicates)})"

    def __repr__(self) -> str:
        return f"<hunter.predicates.Or: predicates={self.predicates!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Or) and self.predicates == other.predicates

    def __hash__(self) -> int:
        return hash(("Or", self.predicates))


class Not(_Composable):
    """Negates a predicate."""

    def __init__(self, predicate: Predicate) -> None:
        self.predicate = predicate

    def __call__(self, event: Event) -> bool:
        return not self.predicate(event)

    def _verdict(self, facts: Event) -> Verdict:
        return negate(verdict_of(self.predicate, facts))

    def _verdict_fields(self) -> frozenset[str] | None:
        return verdict_fields(self.predicate) if type(self)._verdict is Not._verdict else None

    def _pure(self) -> bool:
        return is_pure(self.predicate)

    def _reads_calls(self) -> bool:
        return reads_calls(self.predicate)

    def _reads_depth(self) -> bool:
        return reads_depth(self.predicate)

    def _parts(self) -> Iterable[tuple[str, Any]]:
        return [("Predicate", self.predicate)]

    def __invert__(self) -> Predicate:
        return self.predicate

    def __or__(self, other: Predicate) -> Predicate:
        if isinstance(other, Not):  # De Morgan: keeps a chain of negations flat
            return Not(_make_and(self.predicate, other.predicate))
        return _make_or(self, other)

    def __and__(self, other: Predicate) -> Predicate:
        if isinstance(other, Not):
            return Not(_make_or(self.predicate, other.predicate))
        return _make_and(self, other)

    def __str__(self) -> str:
        return f"Not({self.predicate})"

    def __repr__(self) -> str:
        return f"<hunter.predicates.Not: predicate={self.predicate!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Not) and self.predicate == other.predicate

    def __hash__(self) -> int:
        return hash(("Not", self.predicate))


def _instantiate(action: Any) -> Any:
    """Action classes are accepted where instances are expected."""
    if isinstance(action, type) and issubclass(action, Action):
        return action()
    return action


class When(_Composable):
    """Runs the actions when the condition is true; returns the condition's value."""

    def __init__(self, condition: Predicate, *actions: Callable[[Event], Any]) -> None:
        if not actions:
            raise TypeError("Must give at least one action.")
        self.condition = condition
        self.actions = tuple(_instantiate(action) for action in actions)
        self._runner: Callable[[Event], Any] | None = None

    def __call__(self, event: Event) -> Any:
        if self.condition(event):
            for action in self.actions:
                action(event)
            return True
        return False

    def _verdict(self, facts: Event) -> Verdict:
        verdict = verdict_of(self.condition, facts)
        return NEVER if verdict is NEVER else EFFECT

    def _verdict_fields(self) -> frozenset[str] | None:
        # (the actions' verdicts don't count: the When acts whenever its condition may be true)
        return verdict_fields(self.condition) if type(self)._verdict is When._verdict else None

    def _depth_ceiling(self, facts: object) -> Ceiling | None:
        return depth_ceiling(self.condition, facts)  # the actions run only on what the condition passes

    def _certain_runner(self, facts: object) -> Callable[[Event], Any] | None:
        """What calling this When comes to for events like ``facts`` when its condition is certainly true there:
        running the actions (one: the action itself). None when the condition must be asked."""
        if verdict_of(self.condition, facts) is not ALWAYS:
            return None
        actions = self.actions
        if len(actions) == 1:
            only: Callable[[Event], Any] = actions[0]
            return only
        if self._runner is None:  # one for every code object: the backends share its event path

            def run_actions(event: Event) -> None:
                for action in actions:
                    action(event)

            self._runner = run_actions
        return self._runner

    def _reads_calls(self) -> bool:
        return reads_calls(self.condition) or any(reads_calls(action) for action in self.actions)

    def _reads_depth(self) -> bool:
        return reads_depth(self.condition) or any(reads_depth(action) for action in self.actions)

    def _parts(self) -> Iterable[tuple[str, Any]]:
        return [("Predicate", self.condition), *(("Action", action) for action in self.actions)]

    def __str__(self) -> str:
        # Actions by repr (as hunter 3.9): a string given as an action shows quoted.
        return f"When({self.condition}, {', '.join(repr(action) for action in self.actions)})"

    def __repr__(self) -> str:
        return f"<hunter.predicates.When: condition={self.condition!r}, actions={self.actions!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, When) and (self.condition, self.actions) == (other.condition, other.actions)

    def __hash__(self) -> int:
        return hash(("When", self.condition, self.actions))


class From(_Composable):
    """Passes nothing until ``condition`` matches, then events at or below that call (through ``predicate``)."""

    def __init__(self, condition: Predicate, predicate: Predicate | None = None, watermark: int = 0) -> None:
        self.condition = condition
        self.predicate = predicate
        self.watermark = watermark
        self.origin_depth: int | None = None
        self.origin_calls: int | None = None

    def __call__(self, event: Event) -> Any:
        origin_depth = self.origin_depth
        if origin_depth is None:
            if not self.condition(event):
                return False
            self.origin_depth = event.depth
            self.origin_calls = event.calls
            delta_depth = delta_calls = 0
        else:
            delta_depth = event.depth - origin_depth
            if delta_depth < self.watermark:
                # Back above the starting call: wait for the condition again.
                self.origin_depth = self.origin_calls = None
                return False
            delta_calls = event.calls - self.origin_calls
        predicate = self.predicate
        if predicate is None:
            return True
        if type(event) is Event:
            # What clone() does, without its call: this runs for every event below the starting call.
            relative = _new_event(Event)
            relative.__dict__ = {**event.__dict__, "depth": delta_depth, "calls": delta_calls}
        else:
            relative = event.clone()  # (a recorded event's keeps its type)
            relative.depth = delta_depth
            relative.calls = delta_calls
        return predicate(relative)  # as it is (an action's None too), as in hunter 3.9

    def _reads_calls(self) -> bool:
        return True  # it records the call count where the condition matched and passes counts relative to it

    def _depth_ceiling(self, facts: object) -> Ceiling | None:
        # Waiting: what the condition rejects, From rejects without starting. Started: events so far below the
        # starting depth that the predicate rejects them (relative), and not above the watermark (they'd stop it).
        waiting = depth_ceiling(self.condition, facts)
        relative = depth_ceiling(self.predicate, facts) if self.predicate is not None else None
        if waiting is None and relative is None:
            return None
        waiting_now = ceiling_now(waiting) if waiting is not None else None
        relative_now = ceiling_now(relative) if relative is not None else None
        watermark = self.watermark

        def now() -> int | None:
            origin = self.origin_depth
            if origin is None:
                return waiting_now() if waiting_now is not None else None
            below = relative_now() if relative_now is not None else None
            return None if below is None else origin + max(below, watermark)

        return now

    def _reads_depth(self) -> bool:
        return True  # the same with the depth, on every event once the condition matched

    def _parts(self) -> Iterable[tuple[str, Any]]:
        return [("Predicate", self.condition), *([("Predicate", self.predicate)] if self.predicate is not None else [])]

    def __str__(self) -> str:
        return f"From({self.condition}, {self.predicate}, watermark={self.watermark})"

    def __repr__(self) -> str:
        return (
            f"<hunter.predicates.From: condition={self.condition!r}, predicate={self.predicate!r}, "
            f"watermark={self.watermark}>"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, From) and (self.condition, self.predicate, self.watermark) == (
            other.condition,
            other.predicate,
            other.watermark,
        )

    def __hash__(self) -> int:
        return hash(("From", self.condition, self.predicate, self.watermark))


class Backlog(_Composable):
    """Keeps the last ``size`` events and replays them through ``action`` when the condition matches.

    The replay starts with made-up ``call`` events for up to ``stack`` callers of the first stored event that are
    missing from the backlog, found by walking up its frame chain; unless ``vars`` is set they are detached and
    show their arguments as ``?``.
    """

    def __init__(
        self,
        condition: Predicate,
        size: int = 100,
        stack: int = 10,
        vars: bool = False,
        strip: bool = True,
        action: Any = None,
        filter: Predicate | None = None,
    ) -> None:
        self.action = _instantiate(action)
        if not isinstance(self.action, ColorStreamAction):
            raise TypeError(f"Action {self.action!r} must be a ColorStreamAction.")
        self.condition = condition
        self.size = size
        self.stack = stack
        self.vars = vars
        self.strip = strip
        self._filter = filter
        self.queue: deque[Event] = deque(maxlen=size)

    def __call__(self, event: Event) -> Any:
        result = self.condition(event)
        if result:
            if self.queue:
                self._replay(event)
        else:
            if self.strip and event.depth < 1:
                # Back at the top: what piled up is most likely a stream of uninteresting returns.
                self.queue.clear()
            if self._filter is None or self._filter(event):
                self.queue.append(_stored(event, self.action.try_repr if self.vars else None))
        return result

    def _reads_calls(self) -> bool:
        return True  # stored events are detached copies, calls included, and replayed to the action

    def _parts(self) -> Iterable[tuple[str, Any]]:
        filtering = [("Predicate", self._filter)] if self._filter is not None else []
        return [("Predicate", self.condition), *filtering, ("Action", self.action)]

    def _replay(self, event: Event) -> None:
        if isinstance(self.action, CallPrinter):
            self.action._join_run(event)  # the replay restarts the trace's call tree, which the trace goes on with
        self.action.cleanup()
        for queued in [*self._missing_calls(event), *self.queue]:
            if self._filter is None or self._filter(queued):
                self.action(queued)
        self.queue.clear()

    def _missing_calls(self, event: Event) -> list[Event]:
        """Made-up call events for the callers of the first stored event that the backlog doesn't hold.

        As many as the first event is deep, but no more than ``stack`` minus the depth the backlog spans up to
        ``event`` (a first event that is a call brings its own call, so one more).
        """
        first = self.queue[0]
        first_depth = first.depth
        first_is_call = first.kind == "call"
        missing = min(first_depth, max(0, self.stack - (event.depth - first_depth) + first_is_call))
        if missing < 1:
            return []
        frame = first.frame
        if frame is None:
            # A replayed recording's event: the recorded calls around it stand for the frames (hunter.record.callers).
            made_up_calls = first.__dict__.get("made_up_calls")
            return list(made_up_calls(missing, first, event, self.vars)) if made_up_calls is not None else []
        if first_is_call:
            frame = frame.f_back
        made_up: list[Event] = []
        while frame is not None and len(made_up) < missing:
            depth = first_depth - len(made_up) - 1
            call = Event(frame, "call", None, depth, -1, event.threading_support, tracer=event.tracer)
            if not self.vars:
                # Without vars a made-up call has no variables at all: its arguments show as ``?``, and (as in
                # hunter 3.9, where the module name comes from the globals) its module is ''.
                call.locals = {}
                call.globals = {}
                call.module = ""
                call.detached = True
            made_up.append(call)
            frame = frame.f_back
        made_up.reverse()
        return made_up

    def filter(self, *predicates: Predicate, **query: Any) -> Backlog:
        """A Backlog like this one that stores only the events matching the given predicates."""
        new_filter = Q(*predicates, **query)
        if self._filter is not None:
            new_filter = _make_and(self._filter, new_filter)
        return Backlog(self.condition, self.size, self.stack, self.vars, self.strip, self.action, new_filter)

    def __invert__(self) -> Backlog:
        """The same Backlog with the condition negated (``Backlog(Not(condition), ...)``)."""
        return Backlog(Not(self.condition), self.size, self.stack, self.vars, self.strip, self.action, self._filter)

    def __str__(self) -> str:
        return (
            f"Backlog({self.condition}, size={self.size}, stack={self.stack}, vars={self.vars}, "
            f"action={self.action}, filter={self._filter})"
        )

    def __repr__(self) -> str:
        return (
            f"<hunter.predicates.Backlog: condition={self.condition!r}, size={self.size}, stack={self.stack}, "
            f"vars={self.vars}, action={self.action!r}, filter={self._filter!r}>"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Backlog) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(("Backlog", self._key()))

    def _key(self) -> tuple[Any, ...]:
        return (self.condition, self.size, self.stack, self.vars, self.strip, self.action, self._filter)


def _stored(event: Event, value_filter: Callable[[Any], Any] | None) -> Event:
    """A Backlog's copy of an event: a RecordedEvent, as ``detach()`` makes, but keeping the frame and tracer.

    The frame is kept (as hunter 3.9 does) so a replay can make up the calls above the first event, and the
    tracer so that the replay continues this trace's call tree. Most events are stored only to be dropped, so
    only what changes after the event is copied now (see RecordedEvent.of).
    """
    return RecordedEvent.of(event, value_filter, keep_frame=True)


def _flatten(kind: type[And | Or], predicates: Iterable[Predicate]) -> tuple[Predicate, ...]:
    flat: list[Predicate] = []
    for predicate in predicates:
        # Exactly the kind: a subclass of And/Or keeps its own behaviour, so it stays one child.
        if type(predicate) is kind and isinstance(predicate, (And, Or)):
            flat.extend(predicate.predicates)
        else:
            flat.append(predicate)
    return tuple(flat)


def _make_and(*predicates: Predicate) -> Predicate:
    flat = _flatten(And, predicates)
    return flat[0] if len(flat) == 1 else And(*flat)


def _make_or(*predicates: Predicate) -> Predicate:
    flat = _flatten(Or, predicates)
    return flat[0] if len(flat) == 1 else Or(*flat)


def _positional_and_keywords(predicates: tuple[Any, ...], query: dict[str, Any]) -> list[Predicate]:
    # Any value is accepted here, as in hunter 3.9 (``And(1, 2) & 3``): check() rejects non-callables when
    # tracing starts.
    return [*predicates, *(Query(**{key: value}) for key, value in query.items())]


def Q(*predicates: Predicate, **query: Any) -> Predicate:
    """Build a predicate: keywords make a Query, positionals are ANDed, ``action(s)=`` wraps it in When."""
    actions = list(query.pop("actions", []))
    if "action" in query:
        actions.append(query.pop("action"))
    for action in actions:
        if not callable(action):
            raise TypeError(f"Action {action!r} is not callable.")
    for predicate in predicates:
        if not callable(predicate):
            raise TypeError(f"Predicate {predicate!r} is not callable.")
    if predicates:
        parts = [_instantiate(predicate) for predicate in predicates]
        if any(isinstance(part, (CallPrinter, CodePrinter)) for part in parts):
            # A printer given as a filter already prints everything that reaches it: don't print twice.
            actions = [
                action
                for action in actions
                if not (action in (CallPrinter, CodePrinter) or isinstance(action, (CallPrinter, CodePrinter)))
            ]
        if query:
            parts.append(Query(**query))
        result: Predicate = _make_and(*parts)
    else:
        result = Query(**query)
    if actions:
        result = When(result, *actions)
    return result


def make_and(*predicates: Predicate, **query: Any) -> Predicate:
    """``And`` helper: each keyword becomes its own Query; nested Ands flatten; one argument comes back as is."""
    return _make_and(*_positional_and_keywords(predicates, query))


def make_or(*predicates: Predicate, **query: Any) -> Predicate:
    """``Or`` helper: each keyword becomes its own Query; nested Ors flatten; one argument comes back as is."""
    return _make_or(*_positional_and_keywords(predicates, query))


def make_not(*predicates: Predicate, **query: Any) -> Predicate:
    """``Not`` helper: several arguments become ``Not(And(...))``."""
    parts = _positional_and_keywords(predicates, query)
    return Not(_make_and(*parts))


def parts(node: Any) -> Iterable[tuple[str, Any]]:
    """The predicates and actions directly inside ``node``, each with its role (``"Predicate"`` or ``"Action"``).

    Only hunter's predicates have parts (each says which, in ``_parts``); anything else (an action, a plain
    callable, a user's object) is a leaf: its attributes are never looked into.
    """
    return node._parts() if isinstance(node, _Composable) else ()


def walk(root: Any, role: str = "Predicate") -> Iterator[tuple[str, Any]]:
    """Every node of a predicate tree with its role, root first, then each node's parts in order; each once.

    The one walk of a tree (checking it, flushing its actions, pointing its printers elsewhere, recognising a
    recording, replaying): a node met again (a shared action, a cycle made by hand) is not walked twice.
    """
    seen: set[int] = set()
    pending = [(role, root)]
    while pending:  # (a stack rather than recursion: a tree built in a loop may be deeper than the recursion limit)
        role, node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield role, node
        pending.extend(reversed(list(parts(node))))


def check(predicate: Any, role: str = "Predicate") -> None:
    """Raise a one-line TypeError/ValueError for a predicate tree that can't work; called when tracing starts.

    Catches what construction lets through (as hunter 3.9 does): parts that aren't callable, and query values
    that can never match or have the wrong type for their field (``kind="calls"``, ``depth_lt="3"``).
    """
    for part_role, part in walk(predicate, role):
        if not callable(part):
            raise TypeError(f"{part_role} {part!r} is not callable.")
        if isinstance(part, Query):
            part._check_values()
