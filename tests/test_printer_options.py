"""Opt-in printer options beyond hunter 3.9's: the elapsed-time column (``elapsed=True``)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from helpers import describe
from programs import block, lines, load, output_of
from test_cli import hunter

from hunter import CallPrinter, CodePrinter

PROGRAM = """
def total(prices):
    result = (
        sum(prices)
    )
    return result


def main():
    return total([1, 2])
"""

#: The elapsed-time column: seconds with 6 decimals, right-aligned in 10 characters, then a space.
ELAPSED = re.compile(r"^ *(\d+\.\d{6}) (?=\S| )")


def split_elapsed(text: str) -> tuple[list[float], list[str]]:
    """The times of the lines that have one, and every line with its time column (or its blank) removed."""
    times = []
    rest = []
    for line in text.splitlines():
        match = ELAPSED.match(line)
        if match and len(match.group(0)) == 11:
            times.append(float(match.group(1)))
            rest.append(line[11:])
        else:
            assert line.startswith(" " * 11), f"continuation line without the blank column: {line!r}"
            rest.append(line[11:])
    return times, rest


@pytest.mark.parametrize("printer", [CallPrinter, CodePrinter])
def test_elapsed_column_comes_first_and_leaves_the_rest_as_it_was(printer: type) -> None:
    module = load("elapsed_program", PROGRAM)
    plain = output_of(module.main, module="elapsed_program", action=printer)
    timed = output_of(module.main, module="elapsed_program", action=lambda stream: printer(stream=stream, elapsed=True))
    times, rest = split_elapsed(timed)
    assert rest == plain.splitlines()
    events = len([line for line in plain.splitlines() if not line.lstrip().startswith(("...", "|", "*"))])
    assert len(times) == events >= 6
    assert times[0] == 0.0
    assert times == sorted(times)


def test_elapsed_continuation_lines_are_indented_as_the_column() -> None:
    module = load("elapsed_program", PROGRAM)
    timed = output_of(
        module.main,
        module="elapsed_program",
        function="total",
        kind="return",
        action=lambda stream: CodePrinter(stream=stream, elapsed=True),
    )
    assert [ELAPSED.sub("<time> ", line) for line in lines(timed)] == block(
        """
        <time>                       elapsed_program.py:6     return        return result
                                                                  ...       return value: 3
        """
    )


def test_elapsed_is_off_by_default_and_part_of_the_printer_s_identity() -> None:
    assert not CallPrinter().elapsed
    assert CallPrinter(elapsed=True) != CallPrinter()
    assert str(CallPrinter(elapsed=True)).endswith(", elapsed=True)")
    assert "elapsed" not in str(CallPrinter())


def test_elapsed_column_is_coloured_like_the_other_columns() -> None:
    stream = io.StringIO()
    printer = CallPrinter(stream=stream, force_colors=True, elapsed=True)
    module = load("elapsed_program", PROGRAM)
    output_of(module.main, module="elapsed_program", kind="call", action=lambda stream: printer)
    assert stream.getvalue().startswith("\x1b[1m\x1b[30m  0.000000\x1b[0m ")


def test_elapsed_flag_of_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text("def f():\n    return 1\nf()\n")
    result = hunter("--elapsed", "--no-stdlib", "--kind", "call", "prog.py", cwd=tmp_path)
    assert result.returncode == 0, describe(result)
    times, rest = split_elapsed(result.stderr)
    assert [line.split()[-1] for line in rest] == ["<module>()", "f()"]
    assert times[0] == 0.0
    for args in (["--action", "vars", "x", "--"], ["--format", "jsonl"], ["-q", "action=CodePrinter"]):
        result = hunter("--elapsed", *args, "prog.py", cwd=tmp_path)
        assert result.returncode == 2 and "--elapsed" in result.stderr, describe(result)
