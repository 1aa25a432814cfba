"""Our side of each difference from hunter 3.9 that the README lists ("Where hunter differs from hunter 3.9").

Each test states what we do where hunter 3.9 has a bug. Differences tested elsewhere say where:

- CallPrinter's indentation stays within the real call depth: test_actions.py, test_indentation_*.
- The thread column with threading_support=None: test_actions.py, test_thread_column.
- A stream given as a path: test_actions.py, test_stream_given_as_a_path_is_appended_and_shared.
- Backlog.filter() keeps ``strip``: test_backlog.py, test_filter_keeps_the_other_options.
- Frozen modules and virtualenvs in stdlib detection: test_event.py.
"""

from __future__ import annotations

import functools
import io
import sys
import types
from typing import Any

import pytest
from helpers import normalize
from programs import lines, load

import hunter
from hunter.actions import CallPrinter
from hunter.util import safe_repr


def test_a_second_trace_starts_unindented() -> None:
    # hunter 3.9 keeps CallPrinter's open calls on the class: a trace stopped inside a call leaves them open, and
    # the next trace in the process starts indented under them (issue 8).
    module = load(
        "secondtrace",
        """
        import hunter

        def inner():
            hunter.stop()

        def outer():
            inner()

        def again():
            value = 1
            return value
        """,
    )
    first = io.StringIO()
    hunter.trace(module="secondtrace", action=CallPrinter(stream=first))
    module.outer()  # stops the tracer from inside inner(): outer's and inner's calls stay open
    second = io.StringIO()
    with hunter.trace(module="secondtrace", kind="line", action=CallPrinter(stream=second)):
        module.again()
    assert lines(first.getvalue())[-1].endswith("      hunter.stop()")
    assert lines(second.getvalue()) == [
        "                          secondtrace.py:11    line      value = 1",
        "                          secondtrace.py:12    line      return value",
    ]


class Evil:
    calls = 0

    def __repr__(self) -> str:
        Evil.calls += 1
        raise RuntimeError("repr must not run")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda evil: slice(evil, None), "slice(<test_known_differences.Evil object at 0x?>, None, None)"),
        (lambda evil: {evil: 1}.keys(), "dict_keys([<test_known_differences.Evil object at 0x?>])"),
        (lambda evil: classmethod(evil), "<classmethod(<test_known_differences.Evil object at 0x?>)>"),
        (
            lambda evil: types.MappingProxyType({"k": evil}),
            "mappingproxy({'k': <test_known_differences.Evil object at 0x?>})",
        ),
    ],
)
def test_safe_repr_never_runs_the_programs_repr(make: Any, expected: str) -> None:
    # hunter 3.9's safe_repr calls repr() on these builtin types, and so the __repr__ of what they hold.
    Evil.calls = 0
    assert normalize(safe_repr(make(Evil()))) == expected
    assert Evil.calls == 0


def test_safe_repr_of_a_method_of_a_nameless_callable() -> None:
    # hunter 3.9's safe_repr raises AttributeError (it reads __name__ when there is no __qualname__).
    method = types.MethodType(functools.partial(max, 1), 5)
    assert safe_repr(method) == repr(method) == "<bound method ? of 5>"


def test_dict_fields_test_their_keys() -> None:
    # ``locals_contains="x"`` / ``globals_has="x"``: the compiled hunter 3.9 accepts only strings there and stops
    # tracing with "TypeError: Expected str, got dict" at the first event.
    module = load(
        "dictfields",
        """
        def f(x):
            return x
        """,
    )
    stream = io.StringIO()
    with hunter.trace(module="dictfields", locals_contains="x", kind="call", action=CallPrinter(stream=stream)):
        module.f(1)
    with hunter.trace(module="dictfields", globals_has="f", kind="return", action=CallPrinter(stream=stream)):
        module.f(2)
    assert lines(stream.getvalue()) == [
        "                           dictfields.py:2     call      => f(x=1)",
        "                           dictfields.py:3     return    <= f: 2",
    ]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the interpreter links the frame from 3.12 on")
def test_depth_counts_a_coroutine_an_exception_is_thrown_through() -> None:
    # Throwing into a coroutine that awaits another runs the inner one with the outer frame on the stack but
    # without a call event for it: hunter 3.9 counts call events and misses a level; depth counts frames.
    module = load(
        "throwdepth",
        """
        import types

        @types.coroutine
        def suspend():
            yield

        async def inner():
            await suspend()

        async def outer():
            await inner()

        def main():
            coroutine = outer()
            coroutine.send(None)
            try:
                coroutine.throw(KeyError("k"))
            except KeyError:
                pass
        """,
    )
    seen = []
    with hunter.trace(
        module="throwdepth", kind="call", action=lambda event: seen.append((event.function, event.depth))
    ):
        module.main()
    # The throw reports suspend(), then inner() and outer() as the exception comes out: at their real depths
    # (hunter 3.9: 1, 1 and 1).
    assert seen == [("main", 0), ("outer", 1), ("inner", 2), ("suspend", 3), ("suspend", 3), ("inner", 2), ("outer", 1)]
