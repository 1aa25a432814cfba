"""Depth ceilings (hunter._engine._ceilings): events a query must reject at their depth are dropped unbuilt, exactly."""

from __future__ import annotations

import io
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import hunter
from hunter import And, CallPrinter, From, Not, Or, Q, When
from hunter._engine._ceilings import depth_ceiling
from hunter._engine._pruning import CodeJudge
from hunter.event import Event


def _fixed(query: object) -> object:
    ceiling = depth_ceiling(query)
    return ceiling() if callable(ceiling) else ceiling


def _user_predicate(event: Event) -> bool:
    return True


class _Evil:
    """A query value of the user's own type: comparing with it runs user code."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (Q(depth_lt=3), 3),
        (Q(depth_lte=3, module="app"), 4),
        (Q(depth=2), 3),
        (Q(depth_in=[1, 4]), 5),
        (Q(depth_gt=3), None),
        (Q(module="app"), None),
        (Q(depth_lt=2.5), None),  # not an int: left to the query
        (Q(arg=_Evil(), depth_lt=3), None),  # the comparison runs the user's __eq__ on every event
        (And(Q(depth_lt=3), Q(depth_lt=5)), 3),
        (And(Q(depth_lt=3), _user_predicate), 3),  # the user's predicate runs only after the depth test passed
        (And(_user_predicate, Q(depth_lt=3)), None),  # it runs first, on every event
        (Or(Q(depth_lt=3), Q(depth_lt=5)), 5),
        (Or(Q(depth_lt=3), Q(module="app")), None),
        (Not(Q(depth_gte=3)), None),
        (When(Q(depth_lt=2), CallPrinter), 2),
        (Q(depth_lt=2, action=CallPrinter), 2),
        (hunter.Backlog(Q(depth_lt=2)), None),  # it stores every event
        (From(Q(function="parse"), Q(depth_lt=2)), None),  # waiting: the condition may match at any depth
        (From(Q(function="parse", depth_lt=4), Q(depth_lt=2)), 4),  # waiting: what the condition rejects
    ],
)
def test_ceiling_of_each_query_kind(query: object, expected: object) -> None:
    assert _fixed(query) == expected


def test_a_started_from_has_a_ceiling_relative_to_its_start() -> None:
    query = From(Q(function="parse"), Q(depth_lt=2))
    ceiling = depth_ceiling(query)
    assert callable(ceiling)
    assert ceiling() is None
    query.origin_depth = 5
    assert ceiling() == 7
    marked = From(Q(function="parse"), Q(depth_lt=2), watermark=4)
    marked_ceiling = depth_ceiling(marked)
    marked.origin_depth = 5
    assert callable(marked_ceiling)
    assert marked_ceiling() == 9  # events between would stop it: they must reach it
    assert depth_ceiling(From(Q(function="parse"))) is None  # started, it passes everything


def test_a_waiting_from_rejects_the_code_its_condition_rules_out() -> None:
    """Per code object: a waiting From rejects everything of a function its condition can't match (ceiling 0)."""
    query = From(Q(function="parse"), Q(depth_lt=2))
    ceiling = CodeJudge(query, None).ceiling(sys._getframe())  # this test function's code: not "parse"
    assert callable(ceiling)
    assert ceiling() == 0
    query.origin_depth = 3
    assert ceiling() == 5  # started: what is deep enough below the start, whatever the code
    query.origin_depth = None
    assert callable(ceiling)
    assert ceiling() == 0
    assert CodeJudge(From(Q(function=sys._getframe().f_code.co_name)), None).ceiling(sys._getframe()) is None


class _Shallow:
    """A predicate stating a ceiling of 2, recording the depths it is asked about."""

    def __init__(self) -> None:
        self.depths: list[int] = []

    def __call__(self, event: Event) -> bool:
        self.depths.append(event.depth)
        return event.depth < 2

    def _depth_ceiling(self, facts: object) -> int:
        return 2


def _dive(level: int) -> int:
    if level == 0:
        return 0
    return _dive(level - 1) + 1


def _enter() -> int:
    return _dive(8)


def test_events_at_or_below_a_fixed_ceiling_are_not_built(backend: str) -> None:
    shallow = _Shallow()
    with hunter.trace(Q(module=__name__) & shallow, action=lambda event: None):
        _enter()
    assert shallow.depths  # the events above it still come
    assert max(shallow.depths) < 2


def test_events_below_a_started_froms_ceiling_are_not_built(backend: str) -> None:
    shallow = _Shallow()
    with hunter.trace(From(Q(function="_enter"), shallow), action=lambda event: None):
        _enter()
    assert shallow.depths
    assert max(shallow.depths) < 2  # relative to _enter's call


def _numbers(limit: int) -> Iterator[int]:
    for number in range(limit):  # noqa: UP028  # a line event at each resumption
        yield number


def _recurse(level: int, values: Iterator[int]) -> int:
    # The generator resumes under callers at other depths each time; an exception unwinds some levels.
    if level == 0:
        return next(values)
    if level == 3:
        try:  # noqa: SIM105  # (contextlib's frames would come between)
            _fail(level)
        except KeyError:
            pass
    return _recurse(level - 1, values) + next(values)


def _fail(level: int) -> None:
    if level:
        _fail(level - 1)
    raise KeyError(level)


def _work() -> int:
    values = _numbers(100)
    return sum(_recurse(level, values) for level in (5, 2, 6, 0))


QUERIES: dict[str, Callable[[], Any]] = {
    "From": lambda: From(Q(function="_recurse"), Q(depth_lt=2)),
    "From watermark": lambda: From(Q(function="_recurse"), Q(depth_lt=3), watermark=1),
    "From by a leaf": lambda: From(Q(function="_fail"), Q(depth_lt=2)),
    "nested From": lambda: From(Q(function="_work"), From(Q(function="_recurse"), Q(depth_lt=2))),
    "depth_lt": lambda: Q(module=__name__, depth_lt=4),
    "And depth_lte": lambda: Q(module=__name__) & Q(depth_lte=3),
    "Or": lambda: Q(depth_lt=3) | Q(function="_numbers", depth_lt=5),
}


def _printed(predicate: Any, program: Callable[[], object], threading_support: bool | None = None) -> str:
    stream = io.StringIO()
    with hunter.trace(predicate, action=CallPrinter(stream=stream), threading_support=threading_support):
        program()
    return re.sub(r"0x[0-9a-f]+", "0x?", stream.getvalue())  # the two runs' objects live at other addresses


@pytest.mark.parametrize("name", list(QUERIES))
def test_same_output_as_without_the_ceiling(name: str, backend: str) -> None:
    """The query against the same query behind a plain function (which has no ceiling): the same output."""
    made = QUERIES[name]
    # This thread only: another one (pytest-xdist's) would add its events at any moment, and stop a From.
    with_ceiling = _printed(made(), _work, threading_support=False)
    opaque = made()
    without = _printed(lambda event: opaque(event), _work, threading_support=False)
    assert with_ceiling == without
    assert with_ceiling.count("\n") > 10


# Two threads. The From starts in the main thread, which goes deep and waits; the other thread's events (only those
# of _stopper reach the From) are above the From's start and stop it; the main thread's deep frame then matches the
# condition again, on a line event, after the other thread has ended.
_waiting = threading.Event()


def _deep(level: int, other: threading.Thread) -> None:
    if level:
        _deep(level - 1, other)
        return
    _waiting.set()
    other.join()
    marker = "after the other thread stopped the From"  # the condition matches this line
    _leaf(marker)


def _leaf(text: str) -> str:
    return text


def _middle(other: threading.Thread) -> None:
    _deep(4, other)


def _descend(level: int, other: threading.Thread) -> None:
    # Deeper than the other thread's _stopper, so that its events are above the From's start.
    if level:
        _descend(level - 1, other)
    else:
        _middle(other)


def _stopper() -> None:
    _leaf("shallow")


def _other_thread() -> None:
    _waiting.wait()
    _stopper()


def _threads() -> None:
    _waiting.clear()
    other = threading.Thread(target=_other_thread, name="other")
    other.start()
    _descend(6, other)


def _restarted_from() -> Any:
    condition = Q(function="_middle") | Q(kind="line", source_contains="after the other thread")
    seen = Q(threadname="MainThread") | Q(function="_stopper")
    return seen & From(condition, Q(depth_lt=2)) & Q(module=__name__)


def test_a_from_stopped_by_another_thread_sees_the_deep_frames_lines_again(backend: str) -> None:
    with_ceiling = _printed(_restarted_from(), _threads)
    opaque = _restarted_from()
    without = _printed(lambda event: opaque(event), _threads)
    assert with_ceiling == without
    assert "marker = " in with_ceiling
    assert "_leaf" in with_ceiling.split("marker = ", 1)[1]
