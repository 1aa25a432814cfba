"""safe_repr cut to repr_limit without rendering the part cut out, and exceptions shown from their Python-level args."""

from __future__ import annotations

import collections
import io
import sys
import tracemalloc
import types
from collections.abc import Callable
from typing import Any

import pytest
from programs import load

import hunter
from hunter._output._reprs import cut_repr, stored_exception_repr
from hunter.actions import CallPrinter, ErrorSnooper, VarsPrinter, VarsSnooper
from hunter.util import safe_repr, shorten


def whole_then_cut(value: Any, limit: int) -> str:
    """What a printer showed before: the whole text, newlines escaped, then cut."""
    return shorten(safe_repr(value).replace("\n", "\\n"), limit)


class ClassArgs(Exception):
    args = ["from the class"]  # type: ignore[assignment]  # noqa: RUF012 (attrs writes a list)


class SlotArgs(Exception):
    __slots__ = ("args",)

    def __init__(self, text: str, extra: str) -> None:
        self.args = (text,)


QUOTES = 'it\'s "both"\n\t\u00e9\x7f\U0001f600\\ '
VALUES: list[Any] = [
    list(range(2000)),
    tuple(range(900)),
    (list(range(900)),),
    QUOTES * 200,
    "only ' single " * 200,  # repr() picks double quotes for the whole, a piece may have none
    "x" * 100 + "'" + "y" * 900,  # the head has no quote, the whole has one
    "'" + "z" * 900 + '"',
    QUOTES.encode() * 200,
    b"'" * 50 + b"a" * 2000,
    bytearray(b'"' * 1000),
    bytearray(b"'" * 1000),
    {f"k{index}": [index, {index: QUOTES}] for index in range(400)},
    {index: None for index in range(3000)},
    set(range(3000)),
    frozenset(str(index) for index in range(1000)),
    collections.deque(range(3000)),
    collections.OrderedDict((index, str(index)) for index in range(600)),
    collections.Counter(range(600)),
    collections.defaultdict(list, {index: [index] for index in range(600)}),
    {index: index for index in range(600)}.items(),
    types.MappingProxyType({index: "v" * 30 for index in range(100)}),
    [[[[[[list(range(100))]]]]]] * 50,
    ValueError(QUOTES * 100, list(range(500))),
    ClassArgs(),
    slice("a" * 2000, None, "b" * 2000),
    ["line\nbreak" * 100, "é" * 1000],
    [],
    "short",
    "",
    b"",
]


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 7, 8, 9, 40, 101, 256, 1024, 5000])
@pytest.mark.parametrize("index", range(len(VALUES)))
def test_cut_repr_is_the_whole_text_cut(index: int, limit: int) -> None:
    value = VALUES[index]
    assert cut_repr(value, limit) == whole_then_cut(value, limit)


def peak_allocated(render: Callable[[], object]) -> int:
    """The most memory allocated at once (beyond what was there) while ``render`` runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        render()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "make",
    [
        lambda: list(range(100_000)),
        lambda: {index: [index] for index in range(30_000)},
        lambda: set(range(50_000)),
        lambda: "x" * 20_000_000,
        lambda: b"'" * 20_000_000,
        lambda: [list(range(30_000)), "y" * 5_000_000],
        lambda: ValueError(list(range(100_000))),
    ],
    ids=["list", "dict", "set", "str", "bytes", "nested", "exception"],
)
def test_a_huge_value_is_not_rendered_whole(make: Callable[[], Any]) -> None:
    value = make()
    printer = CallPrinter(stream=io.StringIO(), repr_limit=1024)
    # Rendering it whole would take megabytes (its text, and a piece per item on the way); the cut keeps 1 KB.
    assert peak_allocated(lambda: printer.try_repr(value)) < 200_000
    assert peak_allocated(lambda: safe_repr(value)) > 2_000_000  # (the measure does see a whole rendering)


def test_a_printer_shows_a_huge_value_as_the_cut_whole() -> None:
    value = [*range(100_000), "end"]
    for options in ({}, {"force_colors": True}, {"repr_limit": 50}):
        printer = CallPrinter(stream=io.StringIO(), **options)
        marker = f"{printer.tags['CONT']}[...]{printer.tags['RESET']}"
        assert printer.try_repr(value) == shorten(safe_repr(value), printer.repr_limit, marker)


def test_exception_args_from_the_class_and_slots() -> None:
    assert safe_repr(ClassArgs("a", "b")) == "ClassArgs('from the class')"
    assert safe_repr(SlotArgs("text", "extra")) == "SlotArgs('text')"
    unset = SlotArgs.__new__(SlotArgs, "text", "extra")
    # Python's own message for the unset slot (3.13 names the class with its module).
    message = f"'{'test_reprs.' if sys.version_info >= (3, 13) else ''}SlotArgs' object has no attribute 'args'"
    with pytest.raises(AttributeError) as raised:
        safe_repr([unset])  # as in hunter 3.9: the whole value fails
    assert str(raised.value) == message
    printer = CallPrinter(stream=io.StringIO())
    failed = f"!!! FAILED REPR: AttributeError({message!r})"
    assert printer.try_repr(unset) == failed
    assert printer.try_repr([*range(10_000), unset]) == failed  # the failing item is in the tail kept


def test_a_failing_item_in_the_part_cut_out_is_not_rendered() -> None:
    # README: hunter 3.9 renders the whole value first, so the item makes the whole value fail there.
    unset = SlotArgs.__new__(SlotArgs, "text", "extra")
    value = [*range(10_000), unset, *range(10_000)]
    printer = CallPrinter(stream=io.StringIO(), repr_limit=40)
    assert printer.try_repr(value) == "[0, 1, 2, 3, 4, 5, 6 [...] 6, 9997, 9998, 9999]"


def test_exception_args_that_would_run_the_programs_code_are_the_stored_ones() -> None:
    calls: list[str] = []

    class Property(Exception):
        @property
        def args(self) -> Any:  # type: ignore[override]
            calls.append("property")
            return ("from the property",)

    class Lookup(Exception):
        def __getattribute__(self, name: str) -> Any:
            calls.append("__getattribute__")
            return super().__getattribute__(name)

    class Fallback(Exception):
        __slots__ = ("args",)

        def __init__(self) -> None:
            pass

        def __getattr__(self, name: str) -> Any:
            calls.append("__getattr__")
            return ("from __getattr__",)

    class Iterable:
        def __iter__(self) -> Any:
            calls.append("__iter__")
            return iter(["from __iter__"])

    class OddArgs(Exception):
        args = Iterable()  # type: ignore[assignment]

    values = [Property("stored"), Lookup("stored"), Fallback.__new__(Fallback, "stored"), OddArgs("stored")]
    calls.clear()
    assert [safe_repr(value).split("(")[1] for value in values] == ["'stored')"] * 4
    assert calls == []


def test_a_failing_repr_function_is_reported_from_the_stored_args() -> None:
    def failing(value: object) -> str:
        raise SlotArgs.__new__(SlotArgs, "stored", "too")

    printer = CallPrinter(stream=io.StringIO(), repr_func=failing)
    # As hunter 3.9's repr(exc), and without failing again on the unset slot.
    assert printer.try_repr(1) == "!!! FAILED REPR: SlotArgs('stored', 'too')"
    assert stored_exception_repr(ClassArgs("given")) == "ClassArgs('given')"


EXCEPTIONS = """
class ClassArgs(Exception):
    args = ["from the class"]


def take(error, size):
    return error


def throw(error):
    raise error


def swallow(error):
    try:
        throw(error)
    except Exception:
        pass


def main():
    take(ClassArgs("a", "b"), list(range(100000)))
    swallow(ClassArgs("raised"))
"""


@pytest.mark.parametrize("make", [CallPrinter, lambda **options: VarsPrinter("error", **options), VarsSnooper])
def test_every_printer_shows_exceptions_from_their_args(make: Callable[..., Any]) -> None:
    module = load("exception_args", EXCEPTIONS)
    stream = io.StringIO()
    with hunter.trace(module="exception_args", action=make(stream=stream, repr_limit=60)):
        module.main()
    output = stream.getvalue()
    assert "ClassArgs('from the class')" in output
    assert "ClassArgs('a', 'b')" not in output
    assert "ClassArgs('raised')" not in output


def test_error_snooper_shows_exceptions_from_their_args() -> None:
    module = load("exception_args", EXCEPTIONS)
    stream = io.StringIO()
    with hunter.trace(module="exception_args", action=ErrorSnooper(stream=stream)):
        module.main()
    assert "on (<class 'exception_args.ClassArgs'>, ClassArgs('from the class'), <traceback" in stream.getvalue()
