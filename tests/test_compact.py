"""CallPrinter's compact style (``style="compact"``, ``hunter --compact``): whole outputs, on every backend."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

import pytest
from helpers import describe, normalize, run_python

import hunter
from hunter import CallPrinter
from hunter._output._compact import short_path

BANK = Path(__file__).resolve().parent.parent / "examples" / "bank.py"

APP = """\
import bank


def main():
    ada, bob = bank.Account("ada", 100), bank.Account("bob", 0)
    bank.transfer(bob, ada, 30)
    bank.transfer(ada, bob, 30)
    try:
        bob.deposit(-5)
    except ValueError:
        pass


main()
"""

#: Paths relative to the working directory, Class.method names without self, exceptions as type and message, and
#: calls left by an exception said so.
EXPECTED = """\
bank.py:30   => transfer(source=<bank.Account object at 0x?>, target=<bank.Account object at 0x?>, amount=30)
bank.py:32      try:
bank.py:33      source.withdraw(amount)
bank.py:23      => Account.withdraw(amount=30)
bank.py:24         if amount > self.balance:
bank.py:25         raise InsufficientFunds(f"{self.owner} has only {self.balance}")
bank.py:25       ! InsufficientFunds: bob has only 0
bank.py:25      <= Account.withdraw: raised InsufficientFunds
bank.py:33    ! InsufficientFunds: bob has only 0
bank.py:34      except InsufficientFunds:
bank.py:35      return False
bank.py:35   <= transfer: False
bank.py:30   => transfer(source=<bank.Account object at 0x?>, target=<bank.Account object at 0x?>, amount=30)
bank.py:32      try:
bank.py:33      source.withdraw(amount)
bank.py:23      => Account.withdraw(amount=30)
bank.py:24         if amount > self.balance:
bank.py:26         self.balance -= amount
bank.py:27         return self.balance
bank.py:27      <= Account.withdraw: 70
bank.py:36      target.deposit(amount)
bank.py:17      => Account.deposit(amount=30)
bank.py:18         if amount <= 0:
bank.py:20         self.balance += amount
bank.py:21         return self.balance
bank.py:21      <= Account.deposit: 30
bank.py:37      return True
bank.py:37   <= transfer: True
bank.py:17   => Account.deposit(amount=-5)
bank.py:18      if amount <= 0:
bank.py:19      raise ValueError("amount must be positive")
bank.py:19    ! ValueError: amount must be positive
bank.py:19   <= Account.deposit: raised ValueError
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bank.py").write_text(BANK.read_text())
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


def test_command_line_compact(project: Path) -> None:
    functions = ["--function", "transfer", "--function", "withdraw", "--function", "deposit"]
    result = run_python(["-m", "hunter", "--compact", "--module", "bank", *functions, "app.py"], cwd=project)
    assert result.returncode == 0, describe(result)
    assert normalize(result.stderr) == EXPECTED


def test_printer_option_compact(project: Path) -> None:
    code = (
        "import hunter, runpy\n"
        "with hunter.trace(module='bank', function_in=['transfer', 'withdraw', 'deposit'],\n"
        "                  action=hunter.CallPrinter(style='compact')):\n"
        "    runpy.run_path('app.py', run_name='__main__')\n"
    )
    result = run_python(["-c", code], cwd=project)
    assert result.returncode == 0, describe(result)
    assert normalize(result.stderr) == EXPECTED


def test_default_style_is_hunter_39s(project: Path) -> None:
    printer = CallPrinter()
    assert printer.style == "hunter"
    assert "style" not in repr(printer)
    compact = CallPrinter(style="compact")
    assert repr(compact).endswith(", style='compact')")
    assert compact != printer and compact == CallPrinter(style="compact")
    with pytest.raises(ValueError, match="style must be one of 'hunter', 'compact', not 'short'"):
        CallPrinter(style="short")


def test_compact_exceptions_never_run_the_program_s_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    calls = []

    class Evil(Exception):
        def __str__(self) -> str:
            calls.append("str")
            return "evil"

    def fail(kind: str) -> None:
        if kind == "evil":
            raise Evil("the message", 2)
        if kind == "key":
            raise KeyError("name")
        raise RuntimeError

    stream = io.StringIO()
    with hunter.trace(function="fail", kind="exception", action=CallPrinter(style="compact", stream=stream)):
        for kind in ("evil", "key", "bare"):
            with contextlib.suppress(Exception):
                fail(kind)
    messages = [line.split(" ! ", 1)[1] for line in stream.getvalue().splitlines()]
    assert messages == ["Evil: ('the message', 2)", "KeyError: 'name'", "RuntimeError"]
    assert calls == []


def test_paths_outside_the_working_directory() -> None:
    import json

    cwd = os.path.join(os.path.dirname(os.path.abspath(__file__)), "")
    assert short_path(__file__, cwd) == "test_compact.py"
    assert short_path(json.__file__, cwd) == os.path.join("json", "__init__.py")
    assert short_path("<string>", cwd) == "<string>"


def test_compact_is_for_call_printing_only(project: Path) -> None:
    for args in (["--compact", "--action", "code"], ["--compact", "--format", "jsonl"]):
        result = run_python(["-m", "hunter", *args, "app.py"], cwd=project)
        assert result.returncode == 2, describe(result)
        assert "--compact applies to the text output of --action call" in result.stderr


if sys.version_info >= (3, 11):

    def test_nested_functions_are_named_by_their_path() -> None:
        def outer() -> int:
            def inner() -> int:
                return 1

            return inner()

        stream = io.StringIO()
        with hunter.trace(function="inner", kind="call", action=CallPrinter(style="compact", stream=stream)):
            outer()
        assert "=> test_nested_functions_are_named_by_their_path.outer.inner()" in stream.getvalue()
