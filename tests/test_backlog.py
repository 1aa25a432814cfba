"""Backlog: the events before a match, replayed with the missing calls made up from the frame chain (as hunter 3.9)."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import normalize
from programs import block, lines, load

import hunter
from hunter import Backlog, Not, Q
from hunter import predicates as hp
from hunter.actions import CallPrinter, CodePrinter

PROGRAM = """
def fail():
    raise ValueError("x")

def work(n):
    total = n
    total += 1
    try:
        fail()
    except ValueError:
        pass
    return total

def main():
    work(1)
"""


def traced(backlog: Any, **options: Any) -> None:
    """Run the program's main() traced with the backlog (and the tracer's own action, a no-op by default)."""
    module = load("backlogsample", PROGRAM)
    options.setdefault("action", lambda event: None)
    with hunter.trace(backlog, module="backlogsample", **options):
        module.main()


def test_replay_makes_up_the_missing_calls() -> None:
    stream = io.StringIO()
    backlog = Backlog(Q(kind="exception", function="fail"), size=3, action=CallPrinter(stream=stream))
    traced(backlog, action=CallPrinter(stream=stream))
    # The three stored events start inside work(): work()'s call and main()'s are made up from the frame chain,
    # detached, with no values (``?``). Then the matching event, printed by the tracer's own action: the two
    # printers continue one call tree.
    assert lines(normalize(stream.getvalue())) == block(
        """
                                backlogsample.py:15    call      => main()
                                backlogsample.py:9     call         => work(n=?)
                                backlogsample.py:9     line            fail()
                                backlogsample.py:2     call            => fail()
                                backlogsample.py:3     line               raise ValueError("x")
                                backlogsample.py:3     exception        ! fail: (<class 'ValueError'>, ValueError('x'), <traceback object at 0x?>)
        """
    )


def test_made_up_calls_are_detached_calls_with_calls_minus_one() -> None:
    seen = []

    class Recorder(CallPrinter):
        def __call__(self, event: Any) -> None:
            seen.append((event.kind, event.function, event.calls, event.detached, event.module, event.depth))

    traced(Backlog(Q(kind="exception", function="fail"), size=3, action=Recorder(stream=io.StringIO())))
    # Without vars a made-up call has no variables at all, not even the globals the module name comes from.
    assert seen[:2] == [("call", "main", -1, True, "", 0), ("call", "work", -1, True, "", 1)]
    assert [kind for kind, *_ in seen[2:]] == ["line", "call", "line"]


def test_with_vars_made_up_calls_show_the_values() -> None:
    outputs = []
    for keep in (True, False):
        stream = io.StringIO()
        traced(Backlog(Q(kind="exception", function="fail"), size=3, vars=keep, action=CallPrinter(stream=stream)))
        outputs.append(lines(stream.getvalue()))
    assert outputs[0] == block(
        """
                                backlogsample.py:15    call      => main()
                                backlogsample.py:9     call         => work(n=1)
                                backlogsample.py:9     line            fail()
                                backlogsample.py:2     call            => fail()
                                backlogsample.py:3     line               raise ValueError("x")
        """
    )
    assert outputs[1][1] == "                        backlogsample.py:9     call         => work(n=?)"
    assert outputs[1][2:] == outputs[0][2:]


def test_a_filter_on_module_drops_made_up_calls_without_vars() -> None:
    # Made-up calls are filtered like stored events; without vars their module is '' (hunter 3.9 does the same).
    for keep, expected_first in ((False, "backlogsample.py:9     line      fail()"), (True, "=> main()")):
        stream = io.StringIO()
        backlog = Backlog(Q(kind="exception", function="fail"), size=3, vars=keep, action=CallPrinter(stream=stream))
        traced(backlog.filter(module="backlogsample"))
        assert expected_first in lines(stream.getvalue())[0]


def test_stack_limits_the_made_up_calls() -> None:
    # Up to ``stack`` levels are made up, less the depth the backlog itself spans to the match (a backlog that
    # starts with a call brings that call, so one more).
    stream = io.StringIO()
    traced(Backlog(Q(kind="exception", function="fail"), size=3, stack=2, action=CallPrinter(stream=stream)))
    assert lines(stream.getvalue())[0] == "                        backlogsample.py:9     call      => work(n=?)"
    stream = io.StringIO()
    traced(Backlog(Q(kind="exception", function="fail"), size=3, stack=1, action=CallPrinter(stream=stream)))
    assert lines(stream.getvalue())[0] == "                        backlogsample.py:9     line      fail()"
    stream = io.StringIO()
    traced(Backlog(Q(kind="exception", function="fail"), size=2, stack=1, action=CallPrinter(stream=stream)))
    assert lines(stream.getvalue())[0] == "                        backlogsample.py:9     call      => work(n=?)"


def test_a_backlog_starting_with_a_call_makes_up_its_callers() -> None:
    stream = io.StringIO()
    traced(Backlog(Q(kind="exception", function="fail"), size=2, action=CallPrinter(stream=stream)))
    assert lines(stream.getvalue()) == block(
        """
                                backlogsample.py:15    call      => main()
                                backlogsample.py:9     call         => work(n=?)
                                backlogsample.py:2     call            => fail()
                                backlogsample.py:3     line               raise ValueError("x")
        """
    )


def test_size_limits_what_is_kept() -> None:
    for size in (1, 4):
        stream = io.StringIO()
        traced(Backlog(Q(kind="exception", function="fail"), size=size, stack=0, action=CallPrinter(stream=stream)))
        assert len(lines(stream.getvalue())) == size


def test_filter_stores_only_matching_events() -> None:
    stream = io.StringIO()
    backlog = Backlog(Q(kind="exception", function="fail"), size=10, stack=0, action=CallPrinter(stream=stream))
    filtered = backlog.filter(kind="line")
    assert type(filtered) is hunter._Backlog
    assert filtered is not backlog
    traced(filtered)
    assert lines(stream.getvalue()) == block(
        """
                                backlogsample.py:15    line      work(1)
                                backlogsample.py:6     line      total = n
                                backlogsample.py:7     line      total += 1
                                backlogsample.py:8     line      try:
                                backlogsample.py:9     line      fail()
                                backlogsample.py:3     line      raise ValueError("x")
        """
    )
    # Filters chain: both must hold.
    chained = filtered.filter(lineno_gt=6)
    assert chained._filter == hp.And(Q(kind="line"), Q(lineno_gt=6))


def test_filter_keeps_the_other_options() -> None:
    # hunter 3.9's filter() forgets strip=False (README: a difference we fix).
    backlog = Backlog(
        Q(kind="exception"), size=3, stack=2, vars=True, strip=False, action=CodePrinter(stream=io.StringIO())
    )
    filtered = backlog.filter(module="x")
    assert (filtered.size, filtered.stack, filtered.vars, filtered.strip) == (3, 2, True, False)
    assert filtered.action is backlog.action


def test_is_reusable_across_repeated_calls() -> None:
    # A replay empties the backlog: the next match shows only what came after the previous one.
    module = load("backlogsample", PROGRAM)
    stream = io.StringIO()
    backlog = Backlog(Q(kind="exception", function="fail"), size=2, stack=0, action=CallPrinter(stream=stream))
    for _ in range(2):
        with hunter.trace(backlog, module="backlogsample", action=lambda event: None):
            module.main()
        module.main()  # untraced: nothing is stored
    assert lines(stream.getvalue()) == 2 * block(
        """
                                backlogsample.py:2     call      => fail()
                                backlogsample.py:3     line         raise ValueError("x")
        """
    )


def test_strip_clears_the_backlog_at_depth_zero() -> None:
    module = load("backlogsample", PROGRAM)
    shown = {}
    for strip in (True, False):
        failures = itertools.count()

        def second_failure(event: Any, failures: Iterator[int] = failures) -> bool:
            return event.kind == "exception" and event.function == "fail" and next(failures) == 1

        stream = io.StringIO()
        backlog = Backlog(second_failure, stack=0, strip=strip, action=CallPrinter(stream=stream))
        with hunter.trace(backlog, module="backlogsample", action=lambda event: None):
            module.main()
            module.main()
        shown[strip] = [line.strip() for line in lines(stream.getvalue()) if line.endswith("=> main()")]
    # The second main() call is at depth 0: with strip, what the first call left is dropped there.
    call = "backlogsample.py:14    call      => main()"
    assert shown == {True: [call], False: [call, call]}


def test_invert_negates_the_condition() -> None:
    action = CallPrinter(stream=io.StringIO())
    backlog = Backlog(Q(kind="exception"), size=5, stack=3, vars=True, action=action)
    inverted = ~backlog
    assert type(inverted) is hunter._Backlog
    assert inverted.condition == Not(Q(kind="exception"))
    assert (inverted.size, inverted.stack, inverted.vars, inverted.action) == (5, 3, True, action)


def test_needs_a_printer_action() -> None:
    with pytest.raises(TypeError, match="must be a ColorStreamAction"):
        hunter._Backlog(Q(kind="exception"), action=lambda event: None)
    # The class has no default action (the Backlog() helper's is CallPrinter), as in hunter 3.9.
    with pytest.raises(TypeError, match="Action None must be a ColorStreamAction"):
        hunter._Backlog(Q(kind="exception"))
    assert isinstance(Backlog(Q(kind="exception")).action, CallPrinter)


def test_helper_needs_a_condition() -> None:
    with pytest.raises(TypeError, match="Backlog needs at least 1 condition"):
        Backlog()
    with pytest.raises(TypeError, match="Backlog needs at least 1 condition"):
        Backlog(size=3)


def test_returns_the_condition() -> None:
    backlog = Backlog(Q(kind="exception"), size=2, action=CallPrinter(stream=io.StringIO()))
    assert backlog.condition == Q(kind="exception")
    assert backlog.size == 2 and backlog.stack == 10 and backlog.vars is False
