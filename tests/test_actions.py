"""The actions: whole outputs of every printer, value formatting, safe_repr, colours, columns, streams and helpers."""

from __future__ import annotations

import collections
import contextlib
import datetime
import decimal
import enum
import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helpers import describe, normalize, run_python
from programs import block, lines, load, output_of

import hunter
from hunter import Q
from hunter.actions import (
    Action,
    CallPrinter,
    CodePrinter,
    ColorStreamAction,
    Debugger,
    ErrorSnooper,
    StackPrinter,
    Stop,
    VarsPrinter,
    VarsSnooper,
)
from hunter.util import safe_repr

BANK = """
class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        self.balance += amount
        return self.balance


def describe(*accounts, sep=", ", **extra):
    names = []
    for account in accounts:
        names.append(account.owner)
    return sep.join(names) + str(extra)


def main():
    a = Account("ada", 10)
    a.deposit(5)
    try:
        a.deposit(-1)
    except ValueError:
        pass
    return describe(a, Account("bob"), sep="; ", tag=1)
"""


@pytest.fixture(autouse=True)
def no_color_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's NO_COLOR/FORCE_COLOR/TERM must not change what these tests see."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)


@pytest.fixture
def bank() -> ModuleType:
    return load("bank", BANK)


def printer(action_class: type, **options: Any) -> Any:
    """A factory for output_of(): the action with the given options, writing to the stream output_of passes."""
    return lambda stream: action_class(stream=stream, **options)


# -- whole outputs of the printers ----------------------------------------------------------------------------


def test_call_printer(bank: ModuleType) -> None:
    assert lines(output_of(bank.main, module="bank")) == block(
        """
                                         bank.py:21    call      => main()
                                         bank.py:22    line         a = Account("ada", 10)
                                         bank.py:3     call         => __init__(self=<bank.Account object at 0x?>, owner='ada', balance=10)
                                         bank.py:4     line            self.owner = owner
                                         bank.py:5     line            self.balance = balance
                                         bank.py:5     return       <= __init__: None
                                         bank.py:23    line         a.deposit(5)
                                         bank.py:7     call         => deposit(self=<bank.Account object at 0x?>, amount=5)
                                         bank.py:8     line            if amount <= 0:
                                         bank.py:10    line            self.balance += amount
                                         bank.py:11    line            return self.balance
                                         bank.py:11    return       <= deposit: 15
                                         bank.py:24    line         try:
                                         bank.py:25    line         a.deposit(-1)
                                         bank.py:7     call         => deposit(self=<bank.Account object at 0x?>, amount=-1)
                                         bank.py:8     line            if amount <= 0:
                                         bank.py:9     line            raise ValueError("amount must be positive")
                                         bank.py:9     exception     ! deposit: (<class 'ValueError'>, ValueError('amount must be positive'), <traceback object at 0x?>)
                                         bank.py:9     return       <= deposit: None
                                         bank.py:25    exception  ! main: (<class 'ValueError'>, ValueError('amount must be positive'), <traceback object at 0x?>)
                                         bank.py:26    line         except ValueError:
                                         bank.py:27    line         pass
                                         bank.py:28    line         return describe(a, Account("bob"), sep="; ", tag=1)
                                         bank.py:3     call         => __init__(self=<bank.Account object at 0x?>, owner='bob', balance=0)
                                         bank.py:4     line            self.owner = owner
                                         bank.py:5     line            self.balance = balance
                                         bank.py:5     return       <= __init__: None
                                         bank.py:14    call         => describe(*accounts=(<bank.Account object at 0x?>, <bank.Account object at 0x?>), sep='; ', **extra={'tag': 1})
                                         bank.py:15    line            names = []
                                         bank.py:16    line            for account in accounts:
                                         bank.py:17    line            names.append(account.owner)
                                         bank.py:16    line            for account in accounts:
                                         bank.py:17    line            names.append(account.owner)
                                         bank.py:16    line            for account in accounts:
                                         bank.py:18    line            return sep.join(names) + str(extra)
                                         bank.py:18    return       <= describe: "ada; bob{'tag': 1}"
                                         bank.py:28    return    <= main: "ada; bob{'tag': 1}"
        """
    )


def test_call_printer_keyword_only_arguments() -> None:
    module = load(
        "kwonly",
        """
        def f(a, /, b, *rest, c, d=4, **more):
            return a

        def main():
            f(1, 2, 3, c=5, e=6)
        """,
    )
    output = output_of(module.main, module="kwonly", function="f", kind="call")
    assert lines(output) == block(
        """
                                       kwonly.py:2     call      => f(a=1, b=2, *rest=(3,), c=5, d=4, **more={'e': 6})
        """
    )


def test_vars_printer(bank: ModuleType) -> None:
    # Each expression shows at the events where all its names exist and it evaluates: self.balance also in
    # __init__ once it is set (its return), the others only in deposit.
    output = output_of(
        bank.main,
        module="bank",
        action=lambda stream: VarsPrinter("amount", "self.balance", "amount * 2", stream=stream),
    )
    assert lines(output) == block(
        """
                                         bank.py:5     return    [self.balance => 10]
                                         bank.py:7     call      [amount => 5]
                                                       ...       [self.balance => 10]
                                                       ...       [amount * 2 => 10]
                                         bank.py:8     line      [amount => 5]
                                                       ...       [self.balance => 10]
                                                       ...       [amount * 2 => 10]
                                         bank.py:10    line      [amount => 5]
                                                       ...       [self.balance => 10]
                                                       ...       [amount * 2 => 10]
                                         bank.py:11    line      [amount => 5]
                                                       ...       [self.balance => 15]
                                                       ...       [amount * 2 => 10]
                                         bank.py:11    return    [amount => 5]
                                                       ...       [self.balance => 15]
                                                       ...       [amount * 2 => 10]
                                         bank.py:7     call      [amount => -1]
                                                       ...       [self.balance => 15]
                                                       ...       [amount * 2 => -2]
                                         bank.py:8     line      [amount => -1]
                                                       ...       [self.balance => 15]
                                                       ...       [amount * 2 => -2]
                                         bank.py:9     line      [amount => -1]
                                                       ...       [self.balance => 15]
                                                       ...       [amount * 2 => -2]
                                         bank.py:9     exception [amount => -1]
                                                       ...       [self.balance => 15]
                                                       ...       [amount * 2 => -2]
                                         bank.py:9     return    [amount => -1]
                                                       ...       [self.balance => 15]
                                                       ...       [amount * 2 => -2]
                                         bank.py:5     return    [self.balance => 0]
        """
    )


def test_vars_printer_failing_expression() -> None:
    module = load(
        "varsfail",
        """
        def f(x):
            return x
        """,
    )
    output = output_of(
        lambda: module.f(None),
        module="varsfail",
        kind="call",
        action=lambda stream: VarsPrinter("x", "len(x)", stream=stream),
    )
    assert lines(output) == block(
        """
                                     varsfail.py:2     call      [x => None]
                                                       ...       [len(x) => FAILED EVAL: TypeError("object of type 'NoneType' has no len()")]
        """
    )


def test_vars_printer_needs_names() -> None:
    with pytest.raises(TypeError):
        VarsPrinter()


def test_vars_snooper(bank: ModuleType) -> None:
    assert lines(output_of(bank.main, module="bank", action=VarsSnooper)) == block(
        """
                                         bank.py:3     call      [balance := 10]
                                                       ...       [owner := 'ada']
                                                       ...       [self := <bank.Account object at 0x?>]
                                         bank.py:23    line      [a := <bank.Account object at 0x?>]
                                         bank.py:7     call      [amount := 5]
                                                       ...       [self := <bank.Account object at 0x?>]
                                         bank.py:7     call      [amount := -1]
                                                       ...       [self := <bank.Account object at 0x?>]
                                         bank.py:3     call      [balance := 0]
                                                       ...       [owner := 'bob']
                                                       ...       [self := <bank.Account object at 0x?>]
                                         bank.py:14    call      [accounts := (<bank.Account object at 0x?>, <bank.Account object at 0x?>)]
                                                       ...       [extra := {'tag': 1}]
                                                       ...       [sep := '; ']
                                         bank.py:16    line      [names := []]
                                         bank.py:17    line      [account := <bank.Account object at 0x?>]
                                         bank.py:16    line      [names : [] => ['ada']]
                                         bank.py:17    line      [account : <bank.Account object at 0x?> => <bank.Account object at 0x?>]
                                         bank.py:16    line      [names : ['ada'] => ['ada', 'bob']]
        """
    )


def test_vars_snooper_stored_reprs(bank: ModuleType) -> None:
    # stored_reprs (hunter 3.9's name, which extensions read) maps a code object to its variables' last reprs;
    # a return forgets the code's entry.
    snooper = VarsSnooper(stream=io.StringIO())
    seen: list[dict[str, str]] = []

    def record(event: Any) -> None:
        snooper(event)
        if event.function == "describe" and event.kind == "line":
            seen.append(dict(snooper.stored_reprs[event.code]))

    with hunter.trace(module="bank", action=record):
        bank.main()
    assert seen[-1]["names"] == "['ada', 'bob']"
    assert seen[-1]["sep"] == "'; '"
    assert not snooper.stored_reprs  # every traced function returned


def test_return_opcodes() -> None:
    # hunter.actions.RETURN_OPCODES: the instructions a function returns normally through (no yield, no await).
    import dis

    from hunter.actions import RETURN_OPCODES

    names = {dis.opname[code] for code in RETURN_OPCODES}
    assert "RETURN_VALUE" in names
    assert names <= {"RETURN_VALUE", "RETURN_CONST"}


CODE = """
def deco(func):
    return func

@deco
@deco
def area(
    width,
    height=2,
):
    return width * height

class Box:
    @staticmethod
    @deco
    def volume(w, h, d):
        return area(w, h) * d

def main():
    total = Box.volume(
        1,
        2,
        3,
    )
    return total
"""


def test_code_printer_multiline_statements_and_decorators() -> None:
    module = load("codesample", CODE)
    # A call shows the definition header from the first decorator to the def line (continued with | and *);
    # each line of a multi-line statement is its own event.
    assert lines(output_of(module.main, module="codesample", action=CodePrinter)) == block(
        """
                                   codesample.py:19    call      def main():
                                   codesample.py:20    line          total = Box.volume(
                                   codesample.py:21    line              1,
                                   codesample.py:22    line              2,
                                   codesample.py:23    line              3,
                                   codesample.py:20    line          total = Box.volume(
                                   codesample.py:14    call          @staticmethod
                                                          |          @deco
                                                          *          def volume(w, h, d):
                                   codesample.py:17    line              return area(w, h) * d
                                   codesample.py:5     call      @deco
                                                          |      @deco
                                                          *      def area(
                                   codesample.py:11    line          return width * height
                                   codesample.py:11    return        return width * height
                                                       ...       return value: 2
                                   codesample.py:17    return            return area(w, h) * d
                                                       ...       return value: 6
                                   codesample.py:25    line          return total
                                   codesample.py:25    return        return total
                                                       ...       return value: 6
        """
    )


def test_code_printer_exception_value(bank: ModuleType) -> None:
    output = output_of(bank.main, module="bank", function="deposit", kind="exception", action=CodePrinter)
    assert lines(output) == block(
        """
                                         bank.py:9     exception             raise ValueError("amount must be positive")
                                                       ...       exception value: (<class 'ValueError'>, ValueError('amount must be positive'), <traceback object at 0x?>)
        """
    )


def test_code_printer_without_source() -> None:
    code = compile("def f():\n    return 1\n", "<made up>", "exec")
    namespace: dict[str, Any] = {"__name__": "madeup"}
    exec(code, namespace)
    output = output_of(namespace["f"], module="madeup", kind="call", action=CodePrinter)
    assert lines(output) == block(
        """
                                       <made up>:1     call      ??? NO SOURCE: Source code string for '<made up>' is empty.
        """
    )


SNOOP = """
def fail(n):
    raise ValueError(n)

def swallow():
    try:
        fail(1)
    except ValueError:
        pass
    return "ok"

def reraise():
    try:
        fail(2)
    except ValueError:
        raise

def main():
    swallow()
    try:
        reraise()
    except ValueError:
        pass
"""


def test_error_snooper() -> None:
    module = load("snoopsample", SNOOP)
    # swallow() swallowed ValueError(1); reraise() re-raised ValueError(2), which main() then swallowed.
    output = output_of(module.main, module="snoopsample", action=printer(ErrorSnooper, max_backlog=3))
    assert lines(output) == block(
        """
        >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> tracing swallow on (<class 'ValueError'>, ValueError(1), <traceback object at 0x?>)
                                  snoopsample.py:3     exception     raise ValueError(n)
                                                       ...       exception value: (<class 'ValueError'>, ValueError(1), <traceback object at 0x?>)
                                  snoopsample.py:3     return        raise ValueError(n)
                                                       ...       return value: None
                                  snoopsample.py:7     exception         fail(1)
                                                       ...       exception value: (<class 'ValueError'>, ValueError(1), <traceback object at 0x?>)
                                  snoopsample.py:8     line          except ValueError:
                                  snoopsample.py:9     line              pass
                                  snoopsample.py:10    line          return "ok"
                                  snoopsample.py:10    return        return "ok"
                                                       ...       return value: 'ok'
        ---------------------------------------------- function exit
        >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> tracing main on (<class 'ValueError'>, ValueError(2), <traceback object at 0x?>)
                                  snoopsample.py:16    line              raise
                                  snoopsample.py:16    return            raise
                                                       ...       return value: None
                                  snoopsample.py:21    exception         reraise()
                                                       ...       exception value: (<class 'ValueError'>, ValueError(2), <traceback object at 0x?>)
                                  snoopsample.py:22    line          except ValueError:
                                  snoopsample.py:23    line              pass
                                  snoopsample.py:23    return            pass
                                                       ...       return value: None
        ---------------------------------------------- function exit
        """
    )


def test_error_snooper_limits_events() -> None:
    module = load("snoopsample", SNOOP)
    output = output_of(module.swallow, module="snoopsample", action=printer(ErrorSnooper, max_backlog=1, max_events=2))
    assert lines(output) == block(
        """
        >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> tracing swallow on (<class 'ValueError'>, ValueError(1), <traceback object at 0x?>)
                                  snoopsample.py:7     exception         fail(1)
                                                       ...       exception value: (<class 'ValueError'>, ValueError(1), <traceback object at 0x?>)
                                  snoopsample.py:8     line          except ValueError:
                                  snoopsample.py:9     line              pass
        ---------------------------------------------- too many lines
        """
    )


def test_error_snooper_max_depth_and_empty_backlog() -> None:
    module = load(
        "depthsnoop",
        """
        def leaf():
            return 1

        def helper():
            return leaf()

        def swallow():
            try:
                raise KeyError("k")
            except KeyError:
                helper()
            return 2
        """,
    )
    output = output_of(module.swallow, module="depthsnoop", action=printer(ErrorSnooper, max_depth=1, max_backlog=0))
    # One level below swallow()'s lines: helper()'s lines and leaf()'s call (a call counts at its caller's level),
    # and every return; not leaf()'s lines. With no backlog, the exception itself isn't shown either (hunter 3.9).
    assert lines(output) == block(
        """
        >>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>> tracing swallow on (<class 'KeyError'>, KeyError('k'), <traceback object at 0x?>)
                                   depthsnoop.py:11    line          except KeyError:
                                   depthsnoop.py:12    line              helper()
                                   depthsnoop.py:5     call      def helper():
                                   depthsnoop.py:6     line          return leaf()
                                   depthsnoop.py:2     call      def leaf():
                                   depthsnoop.py:3     return        return 1
                                                       ...       return value: 1
                                   depthsnoop.py:6     return        return leaf()
                                                       ...       return value: 1
                                   depthsnoop.py:13    line          return 2
                                   depthsnoop.py:13    return        return 2
                                                       ...       return value: 2
        ---------------------------------------------- function exit
        """
    )


def test_error_snooper_ignores_propagated_exceptions() -> None:
    module = load("snoopsample", SNOOP)

    def run() -> None:
        with contextlib.suppress(ValueError):
            module.reraise()

    assert output_of(run, module="snoopsample", action=ErrorSnooper) == ""


def test_stack_printer() -> None:
    module = load("snoopsample", SNOOP)
    output = output_of(
        module.main, module="snoopsample", kind="call", function="fail", action=printer(StackPrinter, depth=2)
    )
    assert lines(output) == block(
        """
                                  snoopsample.py:2:fail <= snoopsample.py:7:swallow <= snoopsample.py:19:main
                                  snoopsample.py:2:fail <= snoopsample.py:14:reraise <= snoopsample.py:21:main
        """
    )


def test_stack_printer_limit_keeps_path_tails(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "pkg"
    folder.mkdir(parents=True)
    source = "def f():\n    return 1\n\ndef g():\n    return f()\n"
    (folder / "stackmod.py").write_text(source)
    namespace: dict[str, Any] = {"__name__": "stackmod"}
    exec(compile(source, str(folder / "stackmod.py"), "exec"), namespace)
    one = output_of(
        namespace["g"], module="stackmod", function="f", kind="call", action=printer(StackPrinter, depth=1, limit=1)
    )
    two = output_of(namespace["g"], module="stackmod", function="f", kind="call", action=printer(StackPrinter, depth=1))
    # The event's own file is the filename column (whole path, cut to 40 characters); its callers' are shortened.
    path = str(folder / "stackmod.py")
    column = f"[...]{path[-35:]}" if len(path) > 40 else f"{path:>40}"
    assert lines(one) == [f"{column}:1:f <= stackmod.py:5:g"]
    assert lines(two) == [f"{column}:1:f <= pkg/stackmod.py:5:g"]


# -- value formatting ------------------------------------------------------------------------------------------

VALUES = """
class Loud:
    def __repr__(self):
        return "Loud!"

class Broken:
    def __repr__(self):
        raise RuntimeError("no repr")

def show(value):
    return value

def main():
    show("x" * 50)
    show(Loud())
    show(Broken())
"""


def test_repr_limit_keeps_both_ends() -> None:
    module = load("valuesample", VALUES)
    output = output_of(module.main, module="valuesample", function="show", action=printer(CallPrinter, repr_limit=20))
    assert lines(output)[:3] == block(
        """
                                  valuesample.py:10    call      => show(value='xxxxxxxxx [...] xxxxxxxxx')
                                  valuesample.py:11    line         return value
                                  valuesample.py:11    return    <= show: 'xxxxxxxxx [...] xxxxxxxxx'
        """
    )


def test_safe_repr_is_the_default_and_never_calls_user_repr() -> None:
    module = load("valuesample", VALUES)
    output = output_of(module.main, module="valuesample", function_in=["main", "show"], kind="call")
    assert lines(output) == block(
        """
                                  valuesample.py:13    call      => main()
                                  valuesample.py:10    call         => show(value='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')
                                  valuesample.py:10    call         => show(value=<valuesample.Loud object at 0x?>)
                                  valuesample.py:10    call         => show(value=<valuesample.Broken object at 0x?>)
        """
    )


def test_repr_func_repr_and_failed_repr() -> None:
    module = load("valuesample", VALUES)
    output = output_of(
        module.main, module="valuesample", function="show", action=printer(CallPrinter, repr_func="repr", repr_limit=30)
    )
    assert lines(output) == block(
        """
                                  valuesample.py:10    call      => show(value='xxxxxxxxxxxxxx [...] xxxxxxxxxxxxxx')
                                  valuesample.py:11    line         return value
                                  valuesample.py:11    return    <= show: 'xxxxxxxxxxxxxx [...] xxxxxxxxxxxxxx'
                                  valuesample.py:10    call      => show(value=Loud!)
                                  valuesample.py:11    line         return value
                                  valuesample.py:11    return    <= show: Loud!
                                  valuesample.py:10    call      => show(value=!!! FAILED REPR: RuntimeError('no repr'))
                                  valuesample.py:11    line         return value
                                  valuesample.py:11    return    <= show: !!! FAILED REPR: RuntimeError('no repr')
        """
    )


def test_repr_func_callable() -> None:
    module = load("valuesample", VALUES)
    output = output_of(
        module.main,
        module="valuesample",
        function="show",
        kind="call",
        action=printer(CodePrinter, repr_func=lambda value: f"<{type(value).__name__}>"),
    )
    returns = output_of(
        module.main,
        module="valuesample",
        function="show",
        kind="return",
        action=printer(CodePrinter, repr_func=lambda value: f"<{type(value).__name__}>"),
    )
    assert len(lines(output)) == 3
    assert [line for line in lines(returns) if "...       return value" in line] == [
        f"{'':47}...       return value: <str>",
        f"{'':47}...       return value: <Loud>",
        f"{'':47}...       return value: <Broken>",
    ]


def test_bad_repr_func_is_rejected() -> None:
    with pytest.raises(TypeError, match='Expected a callable or either "repr" or "safe_repr" strings'):
        CallPrinter(stream=io.StringIO(), repr_func="str")


def test_try_helpers() -> None:
    action = CodePrinter(stream=io.StringIO(), repr_limit=10)

    class NoStr:
        def __str__(self) -> str:
            raise KeyError("s")

    assert action.try_repr("a" * 30) == "'aaaa [...] aaaa'"
    assert action.try_str("b" * 30) == "bbbbb [...] bbbbb"
    assert action.try_str(NoStr()) == "!!! FAILED REPR: KeyError('s')"  # hunter 3.9's words for both
    assert CodePrinter(stream=io.StringIO(), repr_func="repr").try_repr(_BrokenRepr()) == (
        "!!! FAILED REPR: RuntimeError('broken')"
    )


class _BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("broken")


class _Plain:
    pass


class _Exc(Exception):
    pass


class _Color(enum.Enum):
    RED = 1


def _empty_cell() -> Any:
    late = None

    def inner() -> Any:
        return late  # noqa: F821 - deleted below: the cell stays empty

    del late
    return inner.__closure__[0]  # type: ignore[index]


def _generator() -> Iterator[int]:
    yield 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"),
        (1.5, "1.5"),
        (2j, "2j"),
        (True, "True"),
        (None, "None"),
        ("s", "'s'"),
        (b"b", "b'b'"),
        (bytearray(b"x"), "bytearray(b'x')"),
        (range(3), "range(0, 3)"),
        (slice(1, 2), "slice(1, 2, None)"),
        (..., "Ellipsis"),
        ([1, [2, (3,)]], "[1, [2, (3,)]]"),
        ((1,), "(1,)"),
        ((), "()"),
        ({"a": {1}}, "{'a': {1}}"),
        (set(), "{}"),  # hunter 3.9 shows an empty set so
        (frozenset({1}), "frozenset({1})"),
        (frozenset(), "frozenset({})"),
        (collections.OrderedDict(a=1), "OrderedDict({'a': 1})"),
        (collections.Counter("aa"), "Counter({'a': 2})"),
        (collections.defaultdict(list, a=[1]), "defaultdict({'a': [1]})"),
        (collections.deque([1, 2]), "deque([1, 2])"),
        (datetime.date(2020, 1, 2), "datetime.date(2020, 1, 2)"),
        (datetime.datetime(2020, 1, 2, 3, 4), "datetime(2020, 1, 2, 3, 4, 0, 0, tzinfo=None, fold=0)"),
        (datetime.time(1, 2), "time(1, 2, 0, 0, tzinfo=None, fold=0)"),
        (datetime.timedelta(days=1), "datetime.timedelta(days=1)"),
        (
            datetime.datetime(1979, 5, 27, 7, 32, tzinfo=datetime.timezone.utc, fold=1),
            "datetime(1979, 5, 27, 7, 32, 0, 0, tzinfo=<datetime.timezone object at 0x?>, fold=1)",
        ),
        (datetime.timezone.utc, "<datetime.timezone object at 0x?>"),
        (decimal.Decimal("1.5"), "Decimal('1.5')"),
        (re.compile("a+"), "re.compile('a+', flags=re.UNICODE)"),
        (re.compile("x.y", re.UNICODE | re.DOTALL), "re.compile('x.y', flags=re.UNICODE|re.DOTALL)"),
        (re.compile(b"raw"), "re.compile(b'raw')"),
        (re.compile("v").sub, "<built-in method sub of re.Pattern object at 0x?>"),
        (str.join, "<method 'join' of 'str' objects>"),
        (_Color, "<enum.EnumType object at 0x?>" if sys.version_info >= (3, 11) else "<enum.EnumMeta object at 0x?>"),
        (_Color.RED, "<test_actions._Color object at 0x?>"),
        (collections.deque([1], maxlen=3), "deque([1])"),
        (OSError(2, "missing"), "FileNotFoundError(2, 'missing')"),
        (_empty_cell(), "<cell at 0x?: empty>"),
        (_generator(), "<generator object _generator at 0x?>"),
        (_Exc("x", 1), "_Exc('x', 1)"),
        (ValueError(), "ValueError()"),
        (_Plain, "<class 'test_actions._Plain'>"),
        (int, "<class 'int'>"),
        (len, "<built-in function len>"),
        (sys, "<module 'sys' (built-in)>"),
        ({1: {2: {3: {4: {5: {6: 1}}}}}}, "{1: {2: {3: {4: {5: ...}}}}}"),  # keys count at their dict's level
        ([[[[[[1]]]]]], "[[[[[...]]]]]"),  # maxdepth=5
    ],
)
def test_safe_repr_kinds(value: object, expected: str) -> None:
    # What hunter 3.9's safe_repr prints (tests/compat/test_safe_repr.py checks many more against it directly).
    assert normalize(safe_repr(value)) == expected


def test_safe_repr_of_objects_functions_and_methods() -> None:
    plain = _Plain()
    assert safe_repr(plain) == f"<test_actions._Plain object at 0x{id(plain):x}>"
    assert safe_repr(object()).startswith("<object object at 0x")
    assert safe_repr(test_safe_repr_kinds) == repr(test_safe_repr_kinds)
    method = Stop().__call__
    assert re.fullmatch(
        r"<bound method Stop.__call__ of <hunter.actions.Stop object at 0x[0-9a-f]+>>", safe_repr(method)
    )
    assert safe_repr([plain], maxdepth=1) == "[...]"
    assert safe_repr({"k": [[1]]}, maxdepth=2) == "{'k': [...]}"
    assert safe_repr({"k": [1, 2]}, maxdepth=2) == "{'k': [..., ...]}"  # the depth limit counts scalars too


def test_safe_repr_never_runs_user_code() -> None:
    calls: list[object] = []

    class Meta(type):
        def __eq__(cls, other: object) -> bool:
            calls.append("metaclass __eq__")
            return False

        def __hash__(cls) -> int:
            calls.append("metaclass __hash__")
            return 1

        def __getattribute__(cls, name: str) -> Any:
            calls.append(("metaclass __getattribute__", name))
            return type.__getattribute__(cls, name)

        def __repr__(cls) -> str:
            calls.append("metaclass __repr__")
            return "Meta!"

    class Nosy(metaclass=Meta):
        def __repr__(self) -> str:
            calls.append("__repr__")
            return "Nosy!"

        def __eq__(self, other: object) -> bool:
            calls.append("__eq__")
            return False

        def __hash__(self) -> int:
            calls.append("__hash__")
            return 1

        def __getattribute__(self, name: str) -> Any:
            calls.append(("__getattribute__", name))
            return object.__getattribute__(self, name)

        def __getattr__(self, name: str) -> Any:
            calls.append(("__getattr__", name))
            raise AttributeError(name)

        def method(self) -> None:
            pass

    class Proxy:
        @property  # type: ignore[misc]
        def __class__(self) -> type:  # a proxy lying about its class, as wrapt's do
            calls.append("__class__")
            return int

    class ListSubclass(list):  # type: ignore[type-arg]
        def __repr__(self) -> str:
            calls.append("list subclass __repr__")
            return "L!"

    class Error(Exception):
        @property
        def args(self) -> Any:  # type: ignore[override]
            calls.append("args property")
            return ()

    nosy = object.__new__(Nosy)
    values = [nosy, Nosy, Proxy(), ListSubclass([1]), [nosy], {1: nosy}, (nosy,), Error("e"), nosy.method]
    calls.clear()  # building the values above ran some of it
    texts = [safe_repr(value) for value in values]
    assert calls == []
    assert texts[0].startswith("<test_actions.test_safe_repr_never_runs_user_code.<locals>.Nosy object at 0x")
    # A class with a metaclass of the program's is shown as an instance of that metaclass (as hunter 3.9 does).
    assert texts[1].startswith("<test_actions.test_safe_repr_never_runs_user_code.<locals>.Meta object at 0x")
    assert texts[2].startswith("<test_actions.test_safe_repr_never_runs_user_code.<locals>.Proxy object at 0x")
    assert texts[3].startswith("<test_actions.test_safe_repr_never_runs_user_code.<locals>.ListSubclass object")
    assert texts[7] == "Error('e')"  # an exception by its class's __name__, as hunter 3.9


# -- colours ---------------------------------------------------------------------------------------------------

COLOR_PROGRAM = """
def g(x):
    return x

def main():
    g(1)
"""

COLORED = (
    "                               colors.py\x1b[1m\x1b[30m:\x1b[0m2     \x1b[36mcall      \x1b[1m\x1b[34m=>\x1b[22m g("
    "\x1b[1m\x1b[35m\x1b[22m\x1b[35mx\x1b[1m\x1b[35m=\x1b[0m1\x1b[1m\x1b[34m\x1b[22m)\x1b[0m\n"
    "                               colors.py\x1b[1m\x1b[30m:\x1b[0m3     \x1b[36mline      \x1b[0m   return x\x1b[0m\n"
    "                               colors.py\x1b[1m\x1b[30m:\x1b[0m3     \x1b[36mreturn    \x1b[1m\x1b[32m<=\x1b[22m g: "
    "\x1b[0m1\n"
)
PLAIN = (
    "                               colors.py:2     call      => g(x=1)\n"
    "                               colors.py:3     line         return x\n"
    "                               colors.py:3     return    <= g: 1\n"
)


class TerminalStream(io.StringIO):
    """A StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def colored_output(stream: io.StringIO | None = None, **options: Any) -> str:
    module = load("colors", COLOR_PROGRAM)
    stream = stream if stream is not None else io.StringIO()
    with hunter.trace(module="colors", function="g", action=CallPrinter(stream=stream, **options)):
        module.main()
    return stream.getvalue()


def test_force_colors() -> None:
    assert colored_output(force_colors=True) == COLORED
    assert colored_output() == PLAIN


def test_terminal_gets_colors() -> None:
    assert colored_output(TerminalStream()) == COLORED


def test_no_color_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert colored_output(TerminalStream()) == PLAIN
    # An explicit option wins over the environment.
    assert colored_output(TerminalStream(), force_colors=True) == COLORED


def test_force_color_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert colored_output() == COLORED


def test_output_with_color_tags() -> None:
    colored = CallPrinter(stream=io.StringIO(), force_colors=True)
    plain = CallPrinter(stream=io.StringIO())
    template = "{BRIGHT}{fore(BLUE)}{0}{RESET} {back(RED)}{name}{RESET}\n"
    colored.output(template, "first", name="second")
    plain.output(template, "first", name="second")
    assert colored.stream.getvalue() == "\x1b[1m\x1b[34mfirst\x1b[0m \x1b[41msecond\x1b[0m\n"
    assert plain.stream.getvalue() == "first second\n"


# -- columns: filename, pid, threads ------------------------------------------------------------------------------


def test_filename_column_alignment_and_truncation() -> None:
    module = load("a_rather_long_module_name", COLOR_PROGRAM)
    output = output_of(
        module.main, module="a_rather_long_module_name", kind="call", action=printer(CallPrinter, filename_alignment=15)
    )
    assert lines(output) == block(
        """
        [...]le_name.py:5     call      => main()
        [...]le_name.py:2     call         => g(x=1)
        """
    )
    action = CallPrinter(stream=io.StringIO(), filename_alignment=15)
    assert action.filename_prefix() == " " * 22


def test_force_pid() -> None:
    module = load("colors", COLOR_PROGRAM)
    output = output_of(module.main, module="colors", function="g", action=printer(CallPrinter, force_pid=True))
    pid = f"[{os.getpid()}]"
    assert lines(output) == [
        f"{pid:9}{'colors.py':>40}:2     call      => g(x=1)",
        f"{pid:9}{'colors.py':>40}:3     line         return x",
        f"{pid:9}{'colors.py':>40}:3     return    <= g: 1",
    ]
    assert CallPrinter(stream=io.StringIO(), force_pid=True, pid_alignment=12).pid_prefix() == f"{pid:12}"
    assert CallPrinter(stream=io.StringIO()).pid_prefix() == ""


FORK_PROGRAM = """
import os, sys
import hunter

def g(x):
    return x

hunter.trace(module="__main__", function="g", kind="call", action=hunter.CallPrinter(stream=sys.stdout))
g(1)
sys.stdout.flush()
child = os.fork()
if child == 0:
    g(2)
    sys.stdout.write(f"child {os.getpid()}\\n")
    sys.stdout.flush()
    os._exit(0)
os.waitpid(child, 0)
g(3)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_pid_column_after_fork() -> None:
    result = run_python(FORK_PROGRAM)
    assert result.returncode == 0, describe(result)
    child_pid = re.search(r"^child (\d+)$", result.stdout, re.MULTILINE)
    assert child_pid, describe(result)
    pid = f"[{child_pid.group(1)}]"
    # Only the child's lines say which process wrote them: the parent's output is unchanged.
    assert lines(result.stdout) == [
        f"{'<string>':>40}:5     call      => g(x=1)",
        f"{pid:9}{'<string>':>40}:5     call      => g(x=2)",
        f"child {child_pid.group(1)}",
        f"{'<string>':>40}:5     call      => g(x=3)",
    ]


THREADS = """
import threading

def g(x):
    return x

def main():
    g(1)
    worker = threading.Thread(target=g, args=(2,), name="worker")
    worker.start()
    worker.join()
    g(3)
"""


FILE_G = f"{'threads.py':>40}:4     call      "


@pytest.mark.parametrize(
    ("support", "expected"),
    [
        (
            None,  # the column shows once a second thread was seen
            [
                f"{FILE_G}=> g(x=1)",
                f"{'worker':12}{FILE_G}=> g(x=2)",
                f"{'MainThread':12}{FILE_G}=> g(x=3)",
            ],
        ),
        (
            True,
            [
                f"{'MainThread':12}{FILE_G}=> g(x=1)",
                f"{'worker':12}{FILE_G}=> g(x=2)",
                f"{'MainThread':12}{FILE_G}=> g(x=3)",
            ],
        ),
        (
            False,  # only the thread that started tracing is traced
            [
                f"{FILE_G}=> g(x=1)",
                f"{FILE_G}=> g(x=3)",
            ],
        ),
    ],
)
def test_thread_column(support: bool | None, expected: list[str]) -> None:
    module = load("threads", THREADS)
    output = output_of(module.main, module="threads", function="g", kind="call", threading_support=support)
    # Each thread has its own tree: the worker's call starts at the left. In the main thread g(1)'s return
    # was filtered out, but g(1) isn't running any more: g(3) is its sibling (hunter 3.9 indents it deeper).
    assert lines(output) == expected


def test_thread_alignment() -> None:
    module = load("threads", THREADS)
    output = output_of(
        module.main,
        module="threads",
        function="g",
        kind="call",
        threading_support=True,
        action=printer(CallPrinter, thread_alignment=4, filename_alignment=10),
    )
    # Names are padded to the alignment, never cut (as hunter 3.9 does).
    assert lines(output) == [
        "MainThreadthreads.py:4     call      => g(x=1)",
        "workerthreads.py:4     call      => g(x=2)",
        "MainThreadthreads.py:4     call      => g(x=3)",
    ]


# -- streams ---------------------------------------------------------------------------------------------------


def test_stream_given_as_a_path_is_appended_and_shared(tmp_path: Path) -> None:
    module = load("colors", COLOR_PROGRAM)
    path = tmp_path / "trace.txt"
    path.write_text("existing line\n")
    calls = CallPrinter(stream=str(path))
    code = CodePrinter(stream=str(path))
    assert calls.stream is code.stream
    with hunter.trace(module="colors", function="g", kind="call", actions=[calls, code]):
        module.main()
    assert lines(path.read_text()) == block(
        """
        existing line
                                       colors.py:2     call      => g(x=1)
                                       colors.py:2     call      def g(x):
        """
    )


def test_default_stream_is_hunter_default_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(hunter, "_default_stream", stream)
    assert CallPrinter().stream is stream


def test_stream_must_be_writable() -> None:
    with pytest.raises(TypeError):
        CallPrinter(stream=42)


# -- other actions -------------------------------------------------------------------------------------------


def test_debugger_uses_the_given_class() -> None:
    module = load("colors", COLOR_PROGRAM)
    made: list[tuple[str, Any]] = []

    class FakeDebugger:
        def __init__(self, **kwargs: Any) -> None:
            made.append(("init", kwargs))

        def set_trace(self, frame: Any) -> None:
            made.append(("set_trace", (frame.f_code.co_name, dict(frame.f_locals))))

    with hunter.trace(module="colors", function="g", kind="call", action=Debugger(klass=FakeDebugger, skip=["x*"])):
        module.main()
    assert made == [("init", {"skip": ["x*"]}), ("set_trace", ("g", {"x": 1}))]


def test_a_debugger_that_takes_no_thread_leaves_it_traced(backend: str) -> None:
    """A debugger class whose set_trace installs no trace function (the talk's recipe) stops at every match, and
    the thread's other events are still reported (the hand-over is for a debugger that took the thread)."""
    stops: list[int] = []

    class Recorder:
        def set_trace(self, frame: Any) -> None:
            stops.append(frame.f_locals["n"])

    seen: list[str] = []
    condition = Q(lambda event: event.function == "_debugged" and event.kind == "call")
    with hunter.trace(
        function="_debugged",
        actions=[lambda event: seen.append(event.kind), hunter.When(condition, Debugger(klass=Recorder))],
        backend=backend,
    ):
        _debugged(1)
        _debugged(2)
    assert stops == [1, 2]
    assert seen == ["call", "line", "return"] * 2


def _debugged(n: int) -> int:
    return n


DEBUGGED_PROGRAM = """\
import sys
import hunter
THREADS = {threads}


def f(n):
    return n


with hunter.trace(function="f", kind="call", action=hunter.Debugger, threading_support=THREADS):
    f(1)
    f(2)
print("after stop, trace function:", sys.gettrace())
"""


@pytest.mark.parametrize("threads", [None, False])
def test_debugger_takes_the_thread_from_hunter(tmp_path: Path, threads: bool | None) -> None:
    # pdb's sys.settrace replaces hunter 3.9's hook in the thread: the second matching call doesn't stop again
    # (the monitoring backend used to go on tracing beside pdb and stopped at every match), also when that
    # thread is the only one traced (threading_support=False); once the tracer stops, no trace function is left.
    program = tmp_path / "debugged.py"
    program.write_text(DEBUGGED_PROGRAM.format(threads=threads))
    result = run_python([program], input="p n\nc\n" * 3)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"> {program}(7)f()\n-> return n\n(Pdb) 1\n(Pdb) after stop, trace function: None\n")


MONITORING_PDB_PROGRAM = """\
import pdb
import sys
import hunter


class MonitoringPdb(pdb.Pdb):
    def __init__(self, **options):
        super().__init__(backend="monitoring", **options)


def f(n):
    return n


with hunter.trace(function="f", kind="call", action=hunter.Debugger(klass=MonitoringPdb)):
    f(1)
    f(2)
print("after stop, debugger tool:", sys.monitoring.get_tool(sys.monitoring.DEBUGGER_ID))
"""


@pytest.mark.skipif(sys.version_info < (3, 14), reason="pdb has a sys.monitoring backend from Python 3.14 on")
def test_a_pdb_on_sys_monitoring_takes_the_thread_too(tmp_path: Path) -> None:
    # 3.14's pdb can debug through sys.monitoring (its DEBUGGER_ID tool) instead of sys.settrace: it takes the
    # thread all the same, so hunter reports no more of it and the second call doesn't stop again.
    program = tmp_path / "debugged.py"
    program.write_text(MONITORING_PDB_PROGRAM)
    result = run_python([program], input="p n\nc\n" * 3)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"> {program}(12)f()\n-> return n\n(Pdb) 1\n(Pdb) after stop, debugger tool: None\n")


def test_debugger_defaults_to_pdb() -> None:
    import pdb

    assert Debugger().klass is pdb.Pdb


def test_stop_action_stops_the_tracer() -> None:
    module = load(
        "stopsample",
        """
        def f(i):
            return i

        def main():
            for i in range(10):
                f(i)
        """,
    )
    stream = io.StringIO()
    tracer = hunter.trace(
        ~Q(calls_gt=3, action=Stop), module="stopsample", kind="call", action=CallPrinter(stream=stream)
    )
    try:
        module.main()
    finally:
        hunter.stop()
    # main is call 0, f(0)..f(2) calls 1..3; the 5th call stops the tracer before it prints.
    assert lines(stream.getvalue()) == block(
        """
                                   stopsample.py:5     call      => main()
                                   stopsample.py:2     call         => f(i=0)
                                   stopsample.py:2     call         => f(i=1)
                                   stopsample.py:2     call         => f(i=2)
        """
    )
    assert tracer.handler is None


def test_custom_action_is_any_callable() -> None:
    module = load("colors", COLOR_PROGRAM)
    seen: list[str] = []

    class Counter(Action):
        def __call__(self, event: Any) -> None:
            seen.append(event.kind)

    with hunter.trace(module="colors", function="g", actions=[Counter(), lambda event: seen.append("lambda")]):
        module.main()
    assert seen == ["call", "lambda", "line", "lambda", "return", "lambda"]
    with pytest.raises(NotImplementedError):
        Action()(None)  # type: ignore[arg-type]


def test_printers_are_color_stream_actions() -> None:
    for klass in (CallPrinter, CodePrinter, VarsSnooper, ErrorSnooper, StackPrinter):
        assert issubclass(klass, ColorStreamAction)
    assert issubclass(VarsPrinter, ColorStreamAction)


# -- CallPrinter indentation -----------------------------------------------------------------------------------

LOOP = """
def f(i):
    return i

def main():
    for i in range(100):
        f(i)
"""


def test_indentation_does_not_grow_when_returns_are_filtered_out() -> None:
    module = load("loopsample", LOOP)
    output = lines(output_of(module.main, module="loopsample", kind="call"))
    assert output[0] == "                           loopsample.py:5     call      => main()"
    assert output[1:] == [
        f"                           loopsample.py:2     call         => f(i={i})" for i in range(100)
    ]


def test_indentation_stays_within_the_real_depth() -> None:
    module = load("loopsample", LOOP)
    output = lines(output_of(module.main, module="loopsample", function="f", kind="call"))
    # hunter 3.9 indents one more level at every call; the calls are siblings: all at one level.
    indents = {len(line.split("call", 1)[1]) - len(line.split("call", 1)[1].lstrip()) for line in output}
    assert len(output) == 100
    assert indents == {6}
    assert output[-1] == "                           loopsample.py:2     call      => f(i=99)"


def test_indentation_of_a_recursive_function() -> None:
    module = load(
        "recursion",
        """
        def f(n):
            if n:
                for i in range(5):
                    f(n - 1)

        def main():
            f(1)
        """,
    )
    assert lines(output_of(module.main, module="recursion", kind="call")) == block(
        """
                                    recursion.py:7     call      => main()
                                    recursion.py:2     call         => f(n=1)
                                    recursion.py:2     call            => f(n=0)
                                    recursion.py:2     call            => f(n=0)
                                    recursion.py:2     call            => f(n=0)
                                    recursion.py:2     call            => f(n=0)
                                    recursion.py:2     call            => f(n=0)
        """
    )


def test_a_trace_s_call_tree_is_its_own() -> None:
    module = load("loopsample", LOOP)
    events: list[hunter.Event] = []
    with hunter.trace(module="loopsample", kind="call", action=lambda event: events.append(event.detach(repr))):
        module.main()
    main_call, first_f, second_f = events[:3]
    # The calls the trace above left open (returns filtered out) are not inside any other trace or printer.
    output = output_of(lambda: module.f(1), module="loopsample", kind="call")
    assert lines(output) == ["                           loopsample.py:2     call      => f(i=1)"]
    # Events that name no trace (made by hand, replayed by a test's tracer) share one tree, as in hunter 3.9; the
    # class's cleanup() (hunter 3.9's tests call it between tests) forgets it, a printer's cleanup() its trace's.
    one, other = io.StringIO(), io.StringIO()
    printer = CallPrinter(stream=one)
    printer(main_call)
    printer(first_f)
    CallPrinter(stream=other)(second_f)
    CallPrinter.cleanup()
    printer(second_f)
    printer.cleanup()
    printer(second_f)
    assert lines(one.getvalue()) == [
        "                           loopsample.py:5     call      => main()",
        "                           loopsample.py:2     call         => f(i=0)",
        "                           loopsample.py:2     call      => f(i=1)",
        "                           loopsample.py:2     call      => f(i=1)",
    ]
    assert lines(other.getvalue()) == ["                           loopsample.py:2     call         => f(i=1)"]
    CallPrinter.cleanup()


def test_normalize_helper_masks_addresses() -> None:
    # The whole-output comparisons above rely on it.
    assert normalize("<x at 0x7f00deadbeef> 0x12") == "<x at 0x?> 0x12"


STOPS_INSIDE = """
def leaf():
    return 1

def inner(tracer, query):
    tracer.stop()  # inner's call was printed, its return won't be
    tracer.trace(query)
    leaf()
    tracer.stop()

def run(tracer, query):
    tracer.trace(query)
    inner(tracer, query)
"""


def test_each_start_of_a_tracer_begins_at_the_left_margin(backend: str) -> None:
    # CallPrinter's open calls are kept per thread across printers (a Backlog's printer continues the tree); a
    # tracer started again used to continue the tree its earlier run left open, one level in per open call.
    module = load("stopsinside", STOPS_INSIDE)
    stream = io.StringIO()
    tracer = hunter.Tracer(backend=backend)
    module.run(tracer, Q(module="stopsinside", kind="call", action=CallPrinter(stream=stream)))
    assert lines(normalize(stream.getvalue())) == block(
        """
                                  stopsinside.py:5     call      => inner(tracer=<hunter.tracer.Tracer object at 0x?>, query=<hunter.predicates.When object at 0x?>)
                                  stopsinside.py:2     call      => leaf()
        """
    )


class _SuffixPrinter(CallPrinter):
    """The hunter 3.9 recipe: a subclass decorating every line in ``output``."""

    def output(self, format_str: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append(format_str)
        super().output(format_str.replace("\n", " <<\n"), *args, **kwargs)


class _SuffixCodePrinter(CodePrinter):
    def output(self, format_str: str, *args: Any, **kwargs: Any) -> None:
        super().output(format_str.replace("\n", " <<\n"), *args, **kwargs)


def _output_probe(
    a: int,
) -> int:
    return a + 1


def test_an_overridden_output_sees_every_line_as_hunter39_writes_it(backend: str) -> None:
    plain, decorated = io.StringIO(), io.StringIO()
    suffixed = _SuffixPrinter(stream=decorated)
    suffixed.calls = []  # type: ignore[attr-defined]
    with hunter.trace(function="_output_probe", actions=[CallPrinter(stream=plain), suffixed], backend=backend):
        _output_probe(1)
    expected = "".join(f"{line} <<\n" for line in plain.getvalue().splitlines())
    assert decorated.getvalue() == expected
    # One call per line, with 3.9's format strings (its call and return lines).
    assert len(suffixed.calls) == len(plain.getvalue().splitlines())  # type: ignore[attr-defined]
    assert suffixed.calls[0] == "{}{}{}{KIND}{:9} {}{COLOR}=>{NORMAL} {}({}{COLOR}{NORMAL}){RESET}\n"  # type: ignore[attr-defined]
    assert suffixed.calls[-1] == "{}{}{}{KIND}{:9} {}{COLOR}<={NORMAL} {}{}{RESET}{}\n"  # type: ignore[attr-defined]


def test_an_overridden_output_sees_code_printer_continuation_lines(backend: str) -> None:
    plain, decorated = io.StringIO(), io.StringIO()
    actions = [CodePrinter(stream=plain), _SuffixCodePrinter(stream=decorated)]
    with hunter.trace(function="_output_probe", actions=actions, backend=backend):
        _output_probe(1)
    assert "return value: 2" in plain.getvalue()  # the continuation line with the value
    assert decorated.getvalue() == "".join(f"{line} <<\n" for line in plain.getvalue().splitlines())


def test_plain_printers_do_not_go_through_output() -> None:
    assert not CallPrinter._custom_output and not CodePrinter._custom_output
    assert _SuffixPrinter._custom_output and _SuffixCodePrinter._custom_output


def _vars_probe(a: int) -> int:
    b = a + 1
    b += 1
    return b


@pytest.mark.parametrize("printer", [VarsSnooper, lambda **options: VarsPrinter("a", "b", **options)])
def test_an_overridden_output_sees_every_vars_line(printer: Any, backend: str) -> None:
    seen: list[str] = []

    class Suffixed(type(printer(stream=io.StringIO()))):  # type: ignore[misc]
        def output(self, format_str: str, *args: Any, **kwargs: Any) -> None:
            seen.append(format_str)
            super().output(format_str.replace("\n", " <<\n"), *args, **kwargs)

    plain, decorated = io.StringIO(), io.StringIO()
    base = printer(stream=plain)
    suffixed = Suffixed(stream=decorated) if isinstance(base, VarsSnooper) else Suffixed("a", "b", stream=decorated)
    with hunter.trace(function="_vars_probe", actions=[base, suffixed], backend=backend):
        _vars_probe(1)
    assert plain.getvalue().count("\n") >= 3
    assert decorated.getvalue() == "".join(f"{line} <<\n" for line in plain.getvalue().splitlines())
    assert len(seen) == plain.getvalue().count("\n")  # one output() call per line, with 3.9's format strings
    assert all(
        line_format.startswith("{}{}{}{") and "{VARS}[{VARS-NAME}{} {VARS}" in line_format for line_format in seen
    )


def test_a_subclass_overriding_a_column_gets_it_on_every_line() -> None:
    class Numbered(CallPrinter):
        count = 0

        def thread_prefix(self, event: hunter.Event) -> str:
            self.count += 1
            return f"#{self.count} "

    module = load("loopsample", LOOP)
    output = output_of(lambda: module.f(1), module="loopsample", action=Numbered)
    assert [line.split(maxsplit=1)[0] for line in lines(output)] == ["#1", "#2", "#3"]


@pytest.mark.parametrize("name", ["bank", "codesample", "snoopsample", "loopsample"])
def test_the_per_event_path_prints_what_the_general_one_prints(name: str) -> None:
    class General(CallPrinter):
        # Overriding a method that a line is made of takes the general path, which the fast one must match.
        def _prefix(self, event: hunter.Event) -> str:
            return super()._prefix(event)

    module = load(name, {"bank": BANK, "codesample": CODE, "snoopsample": SNOOP, "loopsample": LOOP}[name])
    fast = output_of(module.main, module=name, action=CallPrinter)
    assert fast == output_of(module.main, module=name, action=General)
    assert len(fast.splitlines()) > 10
    assert {"call", "line", "return"} <= {line.split()[1] for line in fast.splitlines()}


def test_a_printer_reads_the_lines_of_a_module_loaded_again_from_a_changed_file() -> None:
    stream = io.StringIO()
    printer = CallPrinter(stream=stream)
    for value in ("first", "second"):
        module = load("reloaded", f"def f():\n    return {value!r}\n")
        with hunter.trace(module="reloaded", kind="line", action=printer):
            module.f()
    assert [line.split(maxsplit=2)[2] for line in lines(stream.getvalue())] == ["return 'first'", "return 'second'"]


#: The printer _twice_probe switches (a global: a printer's repr in the call line would differ between printers).
_switched_printer: list[CallPrinter] = []


def _twice_probe() -> int:
    first = _output_probe(1)
    _switched_printer[0].asyncio = True  # the task column from now on (blank: no task runs)
    return first + _output_probe(2)


def test_a_setting_changed_while_tracing_applies_from_the_next_event(backend: str) -> None:
    # function_in= is certain for those functions' code: the backends call the printer's fast path directly
    # (decided once per code object), which must still see the change.
    switched, plain = io.StringIO(), io.StringIO()
    printer = CallPrinter(stream=switched)
    assert printer._live_code_handler() is not None
    probes = ("_twice_probe", "_output_probe")
    with hunter.trace(function_in=probes, action=printer, threading_support=False, backend=backend):
        _switched_printer[:] = [printer]
        _twice_probe()
    assert printer._live_code_handler() is None  # (asyncio=True prints through __call__)
    with hunter.trace(function_in=probes, action=CallPrinter(stream=plain), threading_support=False, backend=backend):
        _switched_printer[:] = [CallPrinter(stream=io.StringIO())]
        _twice_probe()
    lines = plain.getvalue().splitlines()
    setting = next(index for index, line in enumerate(lines) if ".asyncio = True" in line)
    assert len(lines) > setting + 4  # (the second call of _output_probe, and returns)
    # Every line after the setting has the task column (blank: no task runs), and nothing else changed.
    task_column = " " * printer.thread_alignment
    expected = lines[: setting + 1] + [f"{task_column}{line}" for line in lines[setting + 1 :]]
    assert switched.getvalue().splitlines() == expected
