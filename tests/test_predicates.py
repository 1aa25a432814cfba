"""The query language: Query operators, And/Or/Not algebra, Q(), When, From, Backlog and static verdicts."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from unittest import mock

import pytest
from programs import block, lines, load, output_of

import hunter
from hunter import And, Backlog, From, Not, Or, Q, Query, When
from hunter import predicates as hp
from hunter._engine._pruning import CodeJudge
from hunter._engine._verdict import (
    ALWAYS,
    EFFECT,
    MAYBE,
    NEVER,
    combine_and,
    combine_or,
    negate,
    verdict_fields,
    verdict_of,
)
from hunter.actions import CallPrinter, CodePrinter, ColorStreamAction, Debugger, VarsPrinter
from hunter.event import Event


def fake(**fields: object) -> SimpleNamespace:
    """A stand-in event: a Query only reads attributes, so operator tests need no live frame."""
    return SimpleNamespace(**fields)


# -- Query operators -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "matching", "not_matching"),
    [
        ({"module": "app"}, "app", "app.sub"),
        ({"module_in": ["a", "app"]}, "app", "ap"),
        ({"module_in": ("a", "app")}, "app", "b"),
        ({"module_in": {"a", "app"}}, "app", "b"),
        ({"module_in": "my.app.core"}, "app", "web"),  # substring of a string container
        ({"module_contains": "pp"}, "app", "apx"),
        ({"module_has": "pp"}, "app", "apx"),
        ({"module_contains": ["importlib"]}, "x.importlib._bootstrap", "xml.dom"),
        ({"module_contains": ("zz", "lib")}, "importlib", "json"),
        ({"module_has": {"zz", "lib"}}, "importlib", "json"),
        ({"module_startswith": "ap"}, "app", "xapp"),
        ({"module_sw": "ap"}, "app", "xapp"),
        ({"module_startswith": ("x", "ap")}, "app", "bpp"),
        ({"module_sw": ["x", "ap"]}, "app", "bpp"),
        ({"module_endswith": "pp"}, "app", "ppa"),
        ({"module_ew": "pp"}, "app", "ppa"),
        ({"module_endswith": ("x", "pp")}, "app", "apq"),
        ({"module_ew": ["x", "pp"]}, "app", "apq"),
        ({"module_regex": "a.p"}, "app.core", "xapp"),  # anchored at the start like re.match...
        ({"module_rx": "a.p"}, "app.core", "xapp"),
        ({"module_rx": re.compile(r"\w+\.core")}, "app.core", "app"),
        ({"module_regex": "app$"}, "app", "apple"),
    ],
)
def test_string_operators(query: dict[str, object], matching: str, not_matching: str) -> None:
    predicate = Query(**query)
    assert predicate(fake(module=matching)) is True
    assert predicate(fake(module=not_matching)) is False


def test_regex_is_match_not_fullmatch() -> None:
    # ...but not at the end: re.match semantics, a prefix is enough.
    assert Q(function_regex="test_")(fake(function="test_things")) is True
    assert Q(function_regex="test_")(fake(function="my_test_things")) is False


@pytest.mark.parametrize(
    ("key", "value", "true_for", "false_for"),
    [
        ("lineno_lt", 10, 9, 10),
        ("lineno_lte", 10, 10, 11),
        ("lineno_gt", 10, 11, 10),
        ("lineno_gte", 10, 10, 9),
        ("depth_lt", 2, 1, 2),
        ("calls_gte", 3, 3, 2),
        ("lineno", 10, 10, 11),
        ("function_lt", "m", "f", "x"),  # strings compare too
    ],
)
def test_comparison_operators(key: str, value: object, true_for: object, false_for: object) -> None:
    field = key.partition("_")[0]
    predicate = Query(**{key: value})
    assert predicate(fake(**{field: true_for})) is True
    assert predicate(fake(**{field: false_for})) is False


def test_contains_on_a_container_field() -> None:
    # On a dict field, contains is a membership test of the key.
    predicate = Q(locals_contains="token")
    assert predicate(fake(locals={"token": 1})) is True
    assert predicate(fake(locals={"other": 1})) is False


def test_all_conditions_must_hold() -> None:
    predicate = Q(module="app", function_sw="get_", lineno_gt=10)
    assert predicate(fake(module="app", function="get_user", lineno=11)) is True
    assert predicate(fake(module="app", function="get_user", lineno=10)) is False
    assert predicate(fake(module="app", function="set_user", lineno=11)) is False
    assert predicate(fake(module="web", function="get_user", lineno=11)) is False


def test_negated_list_contains_is_the_talks_query() -> None:
    # The talk's walkthrough query; hunter 3.9 crashes on it with a TypeError.
    predicate = ~Q(module_contains=["importlib"])
    assert predicate(fake(module="importlib._bootstrap")) is False
    assert predicate(fake(module="app")) is True


def test_query_on_real_events() -> None:
    module = load(
        "qsample",
        """
        def target(a):
            return a * 2

        def main():
            return target(21)
        """,
    )
    seen: list[tuple[str, str, int]] = []
    predicate = Q(module="qsample", function_in=("target",), kind_in=["call", "return"])
    with hunter.trace(predicate, action=lambda event: seen.append((event.kind, event.function, event.lineno))):
        module.main()
    assert seen == [("call", "target", 2), ("return", "target", 3)]


@pytest.mark.parametrize(
    ("key", "name"),
    [("modul", "modul"), ("fnction_in", "fnction_in"), ("module_contain", "contain"), ("depth_less", "less")],
)
def test_unknown_field_or_operator_is_a_type_error_naming_it(key: str, name: str) -> None:
    with pytest.raises(TypeError, match=re.escape(repr(name))):
        Query(**{key: "x"})
    with pytest.raises(TypeError, match=re.escape(repr(name))):
        Q(**{key: "x"})


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("modul", "'module'"), ("fnction_in", "'function_in'"), ("module_startwith", "'startswith'"), ("qqqqqqq", None)],
)
def test_unknown_keyword_suggests_the_closest(key: str, suggestion: str | None) -> None:
    with pytest.raises(TypeError) as raised:
        Query(**{key: "x"})
    message = str(raised.value)
    if suggestion is None:
        assert "Did you mean" not in message
    else:
        assert f"Did you mean {suggestion}?" in message
    assert "\n" not in message


def test_double_underscores_are_one() -> None:
    # hunter 3.9 splits keywords on any run of underscores.
    assert Q(module__startswith="a") == Q(module_startswith="a")
    assert str(Q(module__startswith="a", function__in=["f"])) == "Query(function_in=['f'], module_startswith='a')"
    assert Q(_module_sw_="a")(fake(module="abc"))
    with pytest.raises(TypeError):
        Q(module_sw_in="a")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("module_startswith", 1, "Value 1 for 'module_startswith' is invalid. Must be a string, list, tuple or set."),
        ("module_endswith", None, "Value None for 'module_endswith' is invalid. Must be a string, list, tuple or set."),
        ("module_ew", {"a": 1}, "Value {'a': 1} for 'module_ew' is invalid. Must be a string, list, tuple or set."),
        ("module_regex", 5, "Value 5 for 'module_regex' is not a valid regular expression"),
        ("module_rx", "(unclosed", "Value '(unclosed' for 'module_rx' is not a valid regular expression"),
    ],
)
def test_values_rejected_at_construction(key: str, value: object, message: str) -> None:
    # Only what hunter 3.9 rejects when a Query is built; the rest waits for tracing to start.
    with pytest.raises(ValueError, match=re.escape(message)):
        Query(**{key: value})


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"kind": "calls"},
            (
                "Value 'calls' for 'kind' can never match: kind is one of 'call', 'line', 'return', 'exception'. "
                "Did you mean 'call'?"
            ),
        ),
        ({"kind_in": ["call", "retrun"]}, "Value ['call', 'retrun'] for 'kind_in' holds 'retrun', which can never"),
        ({"kind_sw": "x"}, "Value 'x' for 'kind_startswith' can never match: kind is one of"),
        ({"module": 1}, "Value 1 for 'module' can never match: module is a string."),
        ({"function_in": ["f", None]}, "Value ['f', None] for 'function_in' holds None, which can never match"),
        ({"depth_lt": "3"}, "Value '3' for 'depth_lt' must be a number to compare with depth."),
        ({"lineno": "3"}, "Value '3' for 'lineno' can never match: lineno is a number."),
        ({"depth_gte": None}, "Value None for 'depth_gte' must be a number to compare with depth."),
        ({"depth_in": "123"}, "Value '123' for 'depth_in' can never match: depth is not a string"),
        ({"module_in": 3}, "Value 3 for 'module_in' must be a container"),
        ({"depth_contains": 1}, "Value 1 for 'depth_contains' can't be used with contains: depth is a number."),
        ({"lineno_sw": "1"}, "Value '1' for 'lineno_startswith' can't be used with startswith: lineno is a number."),
        ({"module_sw": ["a", 2]}, "Value ('a', 2) for 'module_startswith' must be a string or a list/tuple/set of"),
        ({"module_contains": ["a", 1]}, "Value ['a', 1] for 'module_contains' must be a string or a list/tuple/set"),
        (
            {"module_rx": re.compile(b"x")},
            "Value re.compile(b'x') for 'module_regex' must be a str pattern, not bytes.",
        ),
        ({"globals_sw": "x"}, "Value 'x' for 'globals_startswith' can't be used with startswith: globals is a dict."),
        ({"stdlib": "False"}, "Value 'False' for 'stdlib' can never match: stdlib is one of True, False."),
        ({"threadname_gt": 1}, "Value 1 for 'threadname_gt' must be a string to compare with threadname."),
    ],
)
def test_values_that_can_never_match_are_rejected_when_tracing_starts(
    query: dict[str, object], message: str, backend: str
) -> None:
    predicate = Query(**query)  # built without complaint, as in hunter 3.9
    before = sys.gettrace()
    for start in (
        lambda: hunter.trace(predicate, action=lambda event: None),
        lambda: hunter.trace(action=lambda event: None, **query),
        lambda: hunter.Tracer(backend=backend).trace(predicate),
        lambda: hunter.Tracer(backend=backend).trace(Q(module="x") | Not(predicate)),
    ):
        with pytest.raises(ValueError) as raised:
            start()
        assert str(raised.value).startswith(message), raised.value
        assert "\n" not in str(raised.value)
        assert hunter._last_tracer is None
        assert sys.gettrace() is before


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "call"},
        {"kind_in": ("call", "return")},
        {"kind_in": "call,line"},
        {"kind_sw": "ret"},
        {"stdlib": 0},
        {"module": "x"},
        {"module_in": "my.app.core"},
        {"module_in": {"a": 1}},
        {"module_contains": ("a", "b")},
        {"module_rx": "a.*"},
        {"module_lt": "m"},
        {"depth_lt": 3.5},
        {"depth_in": range(3)},
        {"lineno": True},
        {"threadid": None},
        {"instruction_in": [None, 1]},
        {"arg": "anything"},
        {"arg_sw": "x"},
        {"arg_lt": [1]},
        {"globals_contains": "x"},
        {"module": mock.ANY},
        {"depth": mock.ANY},
    ],
)
def test_values_that_can_match_start(query: dict[str, object], backend: str) -> None:
    hunter.predicates.check(Query(**query))
    tracer = hunter.Tracer(backend=backend).trace(Query(**query))
    tracer.stop()


def test_construction_accepts_any_value_as_hunter_39() -> None:
    # hunter 3.9's own tests build predicates out of plain values.
    assert And(1, 2) & 3 == hp.And(1, 2, 3)  # type: ignore[arg-type, operator]
    assert Or(1, 2) | 3 == hp.Or(1, 2, 3)  # type: ignore[arg-type, operator]
    assert Or(1) == 1  # type: ignore[arg-type]
    assert str(Not(1, 2)) == "Not(And(1, 2))"  # type: ignore[arg-type]
    assert str(When(Q(module="a"), "foo")) == "When(Query(module='a'), 'foo')"  # type: ignore[arg-type]
    assert str(And(Q(module="a"), "foo")) == "And(Query(module='a'), foo)"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("predicate", "message"),
    [
        (lambda: And(Q(module="a"), 1), "Predicate 1 is not callable."),
        (lambda: Not(Or("x", Q(module="a"))), "Predicate 'x' is not callable."),
        (lambda: When(Q(module="a"), "foo"), "Action 'foo' is not callable."),
        (lambda: hp.From(Q(module="a"), 3), "Predicate 3 is not callable."),
        (lambda: From(predicate=Q(depth_lt=2)), "Predicate None is not callable."),
        (lambda: Backlog(Q(module="a")).filter(Q(kind=5)), "Value 5 for 'kind' can never match"),
    ],
)
def test_non_callables_are_rejected_when_tracing_starts(
    predicate: Callable[[], object], message: str, backend: str
) -> None:
    built = predicate()
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        hunter.trace(built, action=lambda event: None)
    with pytest.raises((TypeError, ValueError), match=re.escape(message)):
        hunter.Tracer(backend=backend).trace(built)  # type: ignore[arg-type]
    assert hunter._last_tracer is None


# -- And / Or / Not -------------------------------------------------------------------------------------------

A = Q(module="a")
B = Q(function="b")
C = Q(kind="call")


def test_not_of_not_is_the_original() -> None:
    assert ~Not(A) is A
    assert ~~A is A


def test_de_morgan_flattening() -> None:
    assert Not(A) | Not(B) == Not(And(A, B))
    assert Not(A) & Not(B) == Not(Or(A, B))
    assert type(Not(A) | Not(B)) is hp.Not
    assert type((Not(A) | Not(B)).predicate) is hp.And


def test_and_or_flatten() -> None:
    assert hp.And(A, B, C) == (A & B) & C
    assert hp.And(A, B, C) == A & (B & C)
    assert hp.Or(A, B, C) == (A | B) | C
    assert And(And(A, B), C) == hp.And(A, B, C)
    assert Or(A, Or(B, C)) == hp.Or(A, B, C)
    # Different operators don't merge.
    assert hp.Or(hp.And(A, B), C) == (A & B) | C
    assert hp.And(hp.Or(A, B), C) == (A | B) & C


def test_helpers_with_keywords_make_one_query_each() -> None:
    assert And(module="a", function="b") == hp.And(Q(module="a"), Q(function="b"))
    assert Or(module="a", function="b") == hp.Or(Q(module="a"), Q(function="b"))
    assert Not(module="a") == hp.Not(Q(module="a"))
    assert Not(A, function="b") == hp.Not(hp.And(A, Q(function="b")))
    assert Not(A, B) == hp.Not(hp.And(A, B))


def test_helpers_unwrap_a_single_argument() -> None:
    assert And(A) is A
    assert Or(A) is A
    assert Or(And(A)) is A
    assert And(module="a") == A


def test_reflected_operators_with_plain_callables() -> None:
    def plain(event: object) -> bool:
        return getattr(event, "lineno", 0) > 5

    combined_and = plain & Q(module="a")
    combined_or = plain | Q(module="a")
    assert combined_and == hp.And(plain, Q(module="a"))
    assert combined_or == hp.Or(plain, Q(module="a"))
    assert (Q(module="a") & plain) == hp.And(Q(module="a"), plain)
    assert (Q(module="a") | plain) == hp.Or(Q(module="a"), plain)
    assert combined_and(fake(module="a", lineno=6)) is True
    assert combined_and(fake(module="a", lineno=5)) is False
    assert combined_or(fake(module="b", lineno=6)) is True
    assert combined_or(fake(module="b", lineno=1)) is False
    # A lambda on the left of a chain joins the flat And.
    assert ((lambda e: True) & A & B).predicates[1:] == (A, B)  # type: ignore[union-attr]


def test_and_or_not_evaluate_short_circuit() -> None:
    calls: list[str] = []

    def record(name: str, result: bool) -> Callable[[object], bool]:
        def predicate(event: object) -> bool:
            calls.append(name)
            return result

        return predicate

    assert And(record("a", False), record("b", True))(fake()) is False
    assert calls == ["a"]
    calls.clear()
    assert Or(record("a", True), record("b", False))(fake()) is True
    assert calls == ["a"]
    calls.clear()
    assert Not(record("a", True))(fake()) is False
    assert calls == ["a"]


def test_equality_and_hashing_by_value() -> None:
    assert Q(module="a", function="b") == Q(function="b", module="a")
    assert hash(Q(module="a", function="b")) == hash(Q(function="b", module="a"))
    assert Q(module="a") != Q(module="b")
    assert Q(module="a") != Q(module_sw="a")
    assert Q(module_in=["a", "b"]) == Q(module_in=["a", "b"])
    assert hash(Q(module_in=["a", "b"])) == hash(Q(module_in=["a", "b"]))
    assert And(A, B) == And(A, B) and hash(And(A, B)) == hash(And(A, B))
    assert And(A, B) != And(B, A)
    assert And(A, B) != Or(A, B)
    assert Not(A) == Not(Q(module="a")) and hash(Not(A)) == hash(Not(Q(module="a")))
    assert When(A, CallPrinter) == When(A, CallPrinter)
    assert From(A, B) == From(A, B) and hash(From(A, B)) == hash(From(A, B))
    assert From(A, B) != From(A, B, watermark=1)
    # Usable as set members and dict keys.
    assert len({Q(module="a"), Q(module="a"), Not(A), Not(A), A & B, A & B}) == 3


# -- Q() ------------------------------------------------------------------------------------------------------


def test_q_keywords_make_a_query() -> None:
    assert Q(module="a", function="b") == Query(module="a", function="b")
    assert type(Q(module="a")) is Query


def test_q_positionals_are_anded_with_the_keywords() -> None:
    assert Q(A, B) == hp.And(A, B)
    assert Q(A) is A
    assert Q(A, function="x") == hp.And(A, Query(function="x"))


def test_q_action_wraps_in_when() -> None:
    printer = CallPrinter(stream=io.StringIO())
    result = Q(module="a", action=printer)
    assert type(result) is hp.When
    assert result.condition == Q(module="a")  # type: ignore[union-attr]
    assert result.actions == (printer,)  # type: ignore[union-attr]
    several = Q(module="a", actions=[printer, CodePrinter(stream=io.StringIO())])
    assert type(several) is hp.When
    assert [type(action) for action in several.actions] == [CallPrinter, CodePrinter]  # type: ignore[union-attr]


def test_q_instantiates_action_classes() -> None:
    result = Q(module="a", action=CodePrinter)
    assert type(result.actions[0]) is CodePrinter  # type: ignore[union-attr]
    result = Q(module="a", actions=[CallPrinter, VarsPrinter("x")])
    assert [type(action) for action in result.actions] == [CallPrinter, VarsPrinter]  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", ["module", 1, None, ("a",)])
def test_q_positional_non_callable_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        Q(bad)  # type: ignore[arg-type]


def test_q_non_callable_action_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Q(module="a", action="print")


def test_q_drops_a_duplicate_printer_when_one_is_given_positionally() -> None:
    positional = CallPrinter(stream=io.StringIO())
    result = Q(A, positional, action=CallPrinter)
    # The printer given as a predicate already prints everything that reaches it.
    assert result == hp.And(A, positional)
    result = Q(A, positional, actions=[CodePrinter, Debugger])
    assert type(result) is hp.When
    assert [type(action) for action in result.actions] == [Debugger]  # type: ignore[union-attr]


def test_q_with_positional_printer_prints_once() -> None:
    module = load(
        "dupsample",
        """
        def main():
            return 1
        """,
    )
    stream = io.StringIO()
    # The positional printer is a filter step: it prints every event reaching it (kind="call" comes after
    # it), and the action=CallPrinter class is dropped, so each event shows once.
    with hunter.trace(Q(module="dupsample"), CallPrinter(stream=stream), kind="call", action=CallPrinter):
        module.main()
    assert lines(stream.getvalue()) == block(
        """
                                    dupsample.py:2     call      => main()
                                    dupsample.py:3     line         return 1
                                    dupsample.py:3     return    <= main: 1
        """
    )


# -- When -----------------------------------------------------------------------------------------------------


def test_when_runs_actions_only_when_true_and_returns_the_condition() -> None:
    ran: list[str] = []
    when = When(Q(module="a"), lambda event: ran.append("first"), lambda event: ran.append("second"))
    assert when(fake(module="b")) is False
    assert ran == []
    assert when(fake(module="a")) is True
    assert ran == ["first", "second"]


def test_when_instantiates_action_classes() -> None:
    when = When(A, CallPrinter)
    assert type(when.actions[0]) is CallPrinter


# -- From -----------------------------------------------------------------------------------------------------

FROM_PROGRAM = """
def leaf(x):
    return x * 2

def mid(x):
    a = leaf(x)
    return leaf(a)

def top():
    mid(1)
    return 0

def main():
    leaf(0)
    top()
    leaf(5)
"""


@pytest.fixture
def from_program() -> ModuleType:
    return load("fromsample", FROM_PROGRAM)


def test_from_passes_nothing_before_the_condition(from_program: ModuleType) -> None:
    output = output_of(from_program.main, From(Q(function="mid")), module="fromsample")
    # leaf(0) before mid is not shown; from mid on everything at or below mid's level is.
    assert lines(output) == block(
        """
                                   fromsample.py:5     call      => mid(x=1)
                                   fromsample.py:6     line         a = leaf(x)
                                   fromsample.py:2     call         => leaf(x=1)
                                   fromsample.py:3     line            return x * 2
                                   fromsample.py:3     return       <= leaf: 2
                                   fromsample.py:7     line         return leaf(a)
                                   fromsample.py:2     call         => leaf(x=2)
                                   fromsample.py:3     line            return x * 2
                                   fromsample.py:3     return       <= leaf: 4
                                   fromsample.py:7     return    <= mid: 4
                                   fromsample.py:11    line      return 0
        """
    )


def test_from_with_relative_predicate(from_program: ModuleType) -> None:
    # depth and calls are relative to the starting call: depth_lt=1 keeps mid's own call and return.
    output = output_of(from_program.main, From(Q(function="mid"), Q(depth_lt=1)), module="fromsample")
    assert lines(output) == block(
        """
                                   fromsample.py:5     call      => mid(x=1)
                                   fromsample.py:7     return    <= mid: 4
                                   fromsample.py:11    line      return 0
        """
    )
    calls = output_of(from_program.main, From(Q(function="mid"), Q(calls_lt=2)), module="fromsample")
    assert [line.split()[-1] for line in lines(calls) if "=>" in line] == ["mid(x=1)", "leaf(x=1)"]


def test_from_keywords_split_between_condition_and_predicate(from_program: ModuleType) -> None:
    predicate = From(function="mid", depth_lt=1)
    assert predicate == hp.From(Q(function="mid"), Q(depth_lt=1))
    assert From(Q(function="mid"), calls_gt=2, watermark=1) == hp.From(Q(function="mid"), Q(calls_gt=2), 1)
    output = output_of(from_program.main, predicate, module="fromsample")
    assert output == output_of(from_program.main, From(Q(function="mid"), Q(depth_lt=1)), module="fromsample")


def test_from_without_a_condition_is_hunter_39s() -> None:
    # Neither condition nor predicate: both are queries of the keywords, even empty ones.
    assert From() == hp.From(Query(), Query())
    assert str(From()) == "From(Query(), Query(), watermark=0)"
    assert str(From(depth_lt=2, module="m")) == "From(Query(module='m'), Query(depth_lt=2), watermark=0)"
    assert From()(fake(depth=0, calls=0, clone=lambda: fake(depth=0, calls=0)))


def test_from_with_watermark(from_program: ModuleType) -> None:
    # watermark=1: the events of the starting call's own level (its return, its caller's lines) end it.
    output = output_of(from_program.main, From(Q(function="mid"), watermark=1), module="fromsample")
    assert lines(output) == block(
        """
                                   fromsample.py:5     call      => mid(x=1)
                                   fromsample.py:6     line         a = leaf(x)
                                   fromsample.py:2     call         => leaf(x=1)
                                   fromsample.py:3     line            return x * 2
                                   fromsample.py:3     return       <= leaf: 2
                                   fromsample.py:7     line         return leaf(a)
                                   fromsample.py:2     call         => leaf(x=2)
                                   fromsample.py:3     line            return x * 2
                                   fromsample.py:3     return       <= leaf: 4
        """
    )


def test_from_starts_again_after_leaving() -> None:
    module = load(
        "fromagain",
        """
        def inner():
            return 1

        def target():
            return inner()

        def via():
            return target()

        def main():
            via()
            inner()
            via()
        """,
    )
    output = output_of(module.main, From(Q(function="target"), Q(depth_lt=1)), module="fromagain")
    # inner() inside target is one level below (depth_lt=1 hides it); via's return goes above the start and
    # ends it, so main's own inner() is not shown; the second target() starts it again.
    assert lines(output) == block(
        """
                                    fromagain.py:5     call      => target()
                                    fromagain.py:6     return    <= target: 1
                                    fromagain.py:5     call      => target()
                                    fromagain.py:6     return    <= target: 1
        """
    )


# -- static verdicts ------------------------------------------------------------------------------------------


@pytest.fixture
def facts() -> Event:
    """An event of a known code object (module 'verdictsample', function 'target') to ask verdicts about."""
    module = load(
        "verdictsample",
        """
        import sys

        def target():
            return sys._getframe()
        """,
    )
    return Event(module.target(), "call", None, 0, 0, None)


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (Q(module="verdictsample"), ALWAYS),
        (Q(module="other"), NEVER),
        (Q(module_sw="verdict", function="target"), ALWAYS),
        (Q(module="verdictsample", function="other"), NEVER),
        (Q(filename_endswith="verdictsample.py"), ALWAYS),
        (Q(stdlib=True), NEVER),
        (Q(stdlib=False), ALWAYS),
        (Q(kind="call"), ALWAYS),
        (Q(kind="line"), NEVER),
        (Q(builtin=True), NEVER),
        (Q(module="verdictsample", lineno_gt=3), MAYBE),  # lineno varies: can't be decided early
        (Q(module="other", lineno_gt=3), NEVER),  # ...unless a static field rules it out
        (Q(depth_lt=2), MAYBE),
        (Q(arg=None), MAYBE),
    ],
)
def test_query_verdicts(facts: Event, predicate: object, expected: object) -> None:
    assert verdict_of(predicate, facts) is expected


def test_verdict_depends_on_the_kind(facts: Event) -> None:
    predicate = Q(module="verdictsample", kind_in=["call", "return"])
    assert verdict_of(predicate, facts) is ALWAYS
    facts.kind = "line"
    assert verdict_of(predicate, facts) is NEVER


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (Not(Q(module="other")), ALWAYS),
        (Not(Q(module="verdictsample")), NEVER),
        (Not(Q(depth_lt=2)), MAYBE),
        (Q(module="verdictsample") & Q(depth_lt=2), MAYBE),
        (Q(module="other") & Q(depth_lt=2), NEVER),
        (Q(module="verdictsample") & Q(function="target"), ALWAYS),
        (Q(module="other") | Q(depth_lt=2), MAYBE),
        (Q(module="other") | Q(function="other"), NEVER),
        (Q(module="verdictsample") | Q(depth_lt=2), ALWAYS),
        (~Q(module_contains=["verdict"]), NEVER),
        (When(Q(module="other"), CallPrinter), NEVER),  # actions never run when the condition can't hold
        (When(Q(module="verdictsample"), CallPrinter), EFFECT),
    ],
)
def test_combined_verdicts(facts: Event, predicate: object, expected: object) -> None:
    assert verdict_of(predicate, facts) is expected


def test_stateful_predicates_are_never_never(facts: Event) -> None:
    def plain(event: object) -> bool:
        return False

    stateful = [
        plain,
        From(Q(module="other")),
        Backlog(Q(module="other"), action=CallPrinter(stream=io.StringIO())),
        CallPrinter(stream=io.StringIO()),
    ]
    for predicate in stateful:
        assert verdict_of(predicate, facts) is EFFECT, predicate
        # A stateful child that runs before a NEVER child must still run: the whole And has an effect.
        assert verdict_of(And(predicate, Q(module="other")), facts) is EFFECT, predicate
        assert verdict_of(Or(predicate, Q(module="verdictsample")), facts) is EFFECT, predicate
        assert verdict_of(Not(predicate), facts) is EFFECT, predicate
    # After a NEVER child an And stops: the stateful child never runs, so nothing happens at all.
    assert verdict_of(And(Q(module="other"), plain), facts) is NEVER
    # After an ALWAYS child an Or stops.
    assert verdict_of(Or(Q(module="verdictsample"), plain), facts) is ALWAYS


def test_verdict_combination_rules() -> None:
    assert combine_and([ALWAYS, ALWAYS]) is ALWAYS
    assert combine_and([ALWAYS, MAYBE]) is MAYBE
    assert combine_and([MAYBE, NEVER]) is NEVER
    assert combine_and([EFFECT, NEVER]) is EFFECT
    assert combine_and([NEVER, EFFECT]) is NEVER
    assert combine_and([MAYBE, EFFECT]) is EFFECT
    assert combine_or([NEVER, NEVER]) is NEVER
    assert combine_or([NEVER, MAYBE]) is MAYBE
    assert combine_or([MAYBE, ALWAYS]) is ALWAYS
    assert combine_or([EFFECT, ALWAYS]) is EFFECT
    assert combine_or([ALWAYS, EFFECT]) is ALWAYS
    assert combine_or([NEVER, EFFECT]) is EFFECT
    assert [negate(verdict) for verdict in (NEVER, ALWAYS, MAYBE, EFFECT)] == [ALWAYS, NEVER, MAYBE, EFFECT]


def test_verdict_fields_name_what_a_verdict_reads() -> None:
    def plain(event: Event) -> bool:
        return True

    class Odd(Query):
        def _verdict(self, facts: Event) -> hp.Verdict:  # (reads what it likes)
            return MAYBE if facts.lineno else NEVER

    assert verdict_fields(Q(stdlib=False)) == {"stdlib"}
    assert verdict_fields(Q(module_startswith="app", kind="call", depth_lt=3)) == {"module", "kind"}
    assert verdict_fields(Q(module="app") & ~Q(filename_endswith=".py") | Q(function="f")) == {
        "module",
        "filename",
        "function",
    }
    assert verdict_fields(Q(Q(stdlib=False), action=CallPrinter)) == {"stdlib"}  # (a When: its condition's)
    assert verdict_fields(plain) == frozenset()  # (always EFFECT)
    assert verdict_fields(And(Q(module="app"), plain)) == {"module"}
    assert verdict_fields(Odd(module="app")) is None
    assert verdict_fields(And(Q(stdlib=False), Odd(module="app"))) is None
    assert verdict_fields(Q(module=SimpleNamespace())) is None  # (comparing runs a user's object's code)


def test_verdicts_kept_by_the_fields_read_are_each_code_objects_own() -> None:
    """The judge keeps verdicts by the values of the fields the predicate reads: two code objects that differ in
    one of them get verdicts of their own, and every code gets what asking the predicate for it gives."""
    first, second = (
        load(
            name,
            """
            import sys

            def target():
                return sys._getframe()

            def other():
                return sys._getframe()
            """,
        )
        for name in ("judgedfirst", "judgedsecond")
    )
    frames = [module.target() for module in (first, second)] + [first.other(), second.other()]
    frames.append(sys._getframe())  # (another file: pytest's own module's)
    predicates = [
        Q(module="judgedsecond", action=CallPrinter),
        Q(Q(module_startswith="judged", function="other") | Q(stdlib=True), kind="call"),
        ~Q(filename_contains="test_"),
        Q(stdlib=False, kind_in=("call", "return")),
    ]
    for predicate in predicates:
        kept = CodeJudge(predicate, None)
        asked = CodeJudge(predicate, None)
        asked._key_fields = None  # (asks the predicate for every code object)
        assert kept._key_fields is not None, predicate
        for frame in frames * 2:
            assert kept.judge(frame) == asked.judge(frame), (predicate, frame)
        assert len(kept._known) <= len(frames), predicate
    # (the five code objects are none of them the standard library's: one set of verdicts serves them all)
    assert len(kept._known) == 1


def test_pruned_code_is_still_right_for_stateful_predicates() -> None:
    module = load(
        "prunesample",
        """
        def helper():
            return 1

        def main():
            helper()
            helper()
        """,
    )
    seen: list[str] = []

    def record(event: Event) -> bool:
        seen.append(event.kind)
        return False

    # The plain callable runs first: it must see every event, even of code the Query rules out.
    with hunter.trace(And(record, Q(module="nothing-matches")), action=CallPrinter(stream=io.StringIO())):
        module.main()
    assert seen.count("call") >= 3
    assert seen.count("line") >= 3


def test_module_attribute_spelling() -> None:
    # Helpers exported at the top level behave like the classes of hunter.predicates.
    assert hunter.Query is Query
    assert hunter.When is When
    assert isinstance(hunter.From(A), hp.From)
    assert isinstance(hunter.Backlog(A), hp.Backlog)
    assert sys.modules["hunter.predicates"] is hp


def test_from_returns_the_predicate_result_as_is() -> None:
    """As in hunter 3.9: an action used as From's predicate makes the From return None (its result), not False."""
    seen: list[Event] = []
    frame = sys._getframe()
    event = Event(frame, "line", None, 0, 0, None)
    assert From(Q(module=__name__), seen.append)(event) is None
    assert len(seen) == 1
    assert From(Q(module="elsewhere"), seen.append)(event) is False
    assert From(Q(module=__name__), lambda ev: 0)(event) == 0


FROM_LINES_PROGRAM = """\
def one():
    for i in range(1):  # one
        two()


def two():
    in_two = 1
    for i in range(1):  # two
        return i


def outer():
    one()
    one()
"""


def test_from_over_line_events_prints_what_hunter39_prints(backend: str) -> None:
    """A From whose condition matches a line (hunter 3.9's test_from_predicate_line*): the matched line's frame
    from there on, until an event above it; the same output as hunter 3.9.0's (compiled build, both calls)."""
    module = load("fromlines", FROM_LINES_PROGRAM)
    stream = io.StringIO()
    condition = Q(fullsource_has="in_" + "two")  # not in this test's own source line
    with hunter.trace(From(condition, CallPrinter(stream=stream)), backend=backend):
        module.outer()
    assert lines(stream.getvalue()) == block(
        """
                                    fromlines.py:7     line      in_two = 1
                                    fromlines.py:8     line      for i in range(1):  # two
                                    fromlines.py:9     line      return i
                                    fromlines.py:7     line      in_two = 1
                                    fromlines.py:8     line      for i in range(1):  # two
                                    fromlines.py:9     line      return i
        """
    )


# -- walk: the one walk of a tree ----------------------------------------------------------------------------


class _Marked(ColorStreamAction):
    """A printer-kind action (a Backlog takes it) that matches everything and counts its flushes."""

    def __init__(self) -> None:
        super().__init__(stream=io.StringIO())
        self.flushes = 0

    def __call__(self, event: object) -> bool:
        return True

    def flush(self) -> None:
        self.flushes += 1


def _printer() -> CallPrinter:
    return CallPrinter(stream=io.StringIO())


#: Every place a node can sit in a tree: (how to put ``node`` there, the role it has there).
PLACES: dict[str, tuple[Callable[[object], object], str]] = {
    "And": (lambda node: And(Q(kind="call"), node), "Predicate"),
    "Or": (lambda node: Or(Q(kind="call"), node), "Predicate"),
    "Not": (lambda node: Not(node), "Predicate"),
    "When's condition": (lambda node: When(node, _printer()), "Predicate"),
    "When's action": (lambda node: When(Q(kind="call"), _printer(), node), "Action"),
    "From's condition": (lambda node: From(node), "Predicate"),
    "From's predicate": (lambda node: From(Q(kind="call"), node), "Predicate"),
    "Backlog's condition": (lambda node: Backlog(node, action=_printer()), "Predicate"),
    "Backlog's filter": (lambda node: Backlog(Q(kind="call"), action=_printer(), filter=node), "Predicate"),
    "Backlog's action": (lambda node: Backlog(Q(kind="call"), action=node), "Action"),
    "deep": (
        lambda node: When(
            Q(kind="call"), Or(Q(), And(Q(), Not(From(Q(), Backlog(Q(), action=_printer(), filter=When(Q(), node))))))
        ),
        "Action",
    ),
}


@pytest.mark.parametrize("place", PLACES)
def test_walk_yields_a_node_wherever_it_sits(place: str) -> None:
    build, role = PLACES[place]
    node = _Marked()
    tree = build(node)
    walked = list(hp.walk(tree))
    assert walked[0] == ("Predicate", tree)
    assert [found_role for found_role, found in walked if found is node] == [role]


def test_walk_yields_a_shared_node_once_and_every_node_in_order() -> None:
    shared = _Marked()
    first, second = Q(module="a"), Q(module="b")
    tree = When(And(first, shared), shared, Not(second))
    assert [node for _role, node in hp.walk(tree)] == [tree, tree.condition, first, shared, tree.actions[1], second]


@pytest.mark.parametrize("place", PLACES)
def test_stopping_flushes_an_action_wherever_it_sits(place: str) -> None:
    node = _Marked()
    tracer = hunter.Tracer()
    tracer.trace(PLACES[place][0](node))
    tracer.stop()
    assert node.flushes == 1


@pytest.mark.parametrize("place", [place for place in PLACES if place != "Backlog's action"])  # (refused when made)
def test_check_finds_a_part_that_is_not_callable_wherever_it_sits(place: str) -> None:
    build, role = PLACES[place]
    with pytest.raises(TypeError, match=f"^{role} 'not callable' is not callable.$"):
        hp.check(build("not callable"))


@pytest.mark.parametrize("place", PLACES)
def test_remote_sessions_redirect_a_printer_wherever_it_sits(place: str) -> None:
    from hunter.remote.agent import _redirect_printers

    node = _Marked()
    stream = io.StringIO()
    _redirect_printers(PLACES[place][0](node), stream, colors=True)  # type: ignore[arg-type]
    assert node.force_colors
    node.write("redirected\n")
    assert stream.getvalue() == "redirected\n"


def test_a_recording_is_recognised_by_the_tree_s_parts() -> None:
    from hunter._engine._recording import recording_for
    from hunter.exporters import ChromeTrace

    with ChromeTrace(io.StringIO()) as exporter:
        condition = Q(module="app")
        recording = recording_for(When(condition, exporter), profiling=False)
        assert recording is not None and (recording.condition, recording.recorder) == (condition, exporter)
        assert recording_for(When(condition, exporter, _printer()), profiling=False) is None
        assert recording_for(And(condition, exporter), profiling=False) is None
