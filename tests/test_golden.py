"""Golden tests: the output of every reference case, and the text of predicates, match the original hunter."""

from __future__ import annotations

import difflib
import io
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import REFERENCE, describe, normalize, run_python

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
GOLDEN = REFERENCE / "golden" / VERSION


@dataclass(frozen=True)
class Case:
    """One line of cases.tsv: a name, the sample program it runs and the PYTHONHUNTER value."""

    name: str
    sample: str
    value: str


@dataclass(frozen=True)
class TextCase:
    """One entry of predicate-text.txt: an expression and the expected str() and repr() of its value."""

    expression: str
    str: str
    repr: str


def read_cases() -> list[Case]:
    """Parse cases.tsv (tab-separated; ``#`` starts a comment line)."""
    cases = []
    for line in (REFERENCE / "cases.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sample, value = line.split("\t")
        cases.append(Case(name, sample, value))
    return cases


def read_text_cases() -> list[TextCase]:
    """Parse predicate-text.txt: an unindented expression, then indented ``str :`` and ``repr:`` lines."""
    lines = [
        line
        for line in (REFERENCE / "predicate-text.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    cases = []
    for expression, str_line, repr_line in zip(lines[0::3], lines[1::3], lines[2::3], strict=True):
        # The file's format is fixed; fail loudly rather than silently compare the wrong lines.
        assert not expression.startswith(" "), expression
        assert str_line.startswith("  str : "), str_line
        assert repr_line.startswith("  repr: "), repr_line
        cases.append(TextCase(expression, str_line[len("  str : ") :], repr_line[len("  repr: ") :]))
    return cases


def unified_diff(expected: str, actual: str, expected_name: str) -> str:
    """Return a unified diff from the golden text to the actual output, with line endings made visible."""
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True), expected_name, "actual output"
        )
    )


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """Return a fresh copy of the sample programs in a folder named ``samples``.

    StackPrinter shows the last two parts of a path, so the folder's own name is part of the expected output;
    a copy keeps runs from writing __pycache__ into the reference and from seeing each other.
    """
    return Path(shutil.copytree(REFERENCE / "samples", tmp_path / "samples"))


#: Cases whose sample runs two threads, with how many runs may be tried for the golden's interleaving.
RACY_CASES = {"threads": 10}
#: Cases where hunter 3.9 has a bug that README's "Where hunter differs" lists as fixed: the output must differ
#: from the golden, in the way the reason says, and only there.
FIXED_BUGS = {
    # From hides the first deposit's return; hunter 3.9 then nests the second deposit in the first.
    "from-watermark": "indentation",
}


def without_indentation(text: str) -> list[str]:
    """The lines with every run of spaces made one: what is left when only the indentation differs."""
    return [" ".join(line.split()) for line in text.splitlines()]


def per_thread(output: str) -> dict[str, list[str]]:
    """The lines of a thread-column output grouped by thread name, each thread's order kept."""
    threads: dict[str, list[str]] = {}
    for line in output.splitlines():
        threads.setdefault(line[:12].strip(), []).append(line)
    return threads


@pytest.mark.parametrize("case", read_cases(), ids=lambda case: case.name)
def test_reference_case(case: Case, samples: Path) -> None:
    """Running the case's sample with its PYTHONHUNTER value prints exactly the golden stderr."""
    golden = GOLDEN / f"{case.name}.txt"
    if not golden.exists():
        pytest.skip(f"no reference output for Python {VERSION}")
    expected = golden.read_bytes().decode("utf-8")
    # Two threads' lines interleave as the OS schedules them: the golden holds one legal order (the worker
    # finishes before the main thread's next line). Each thread's own lines must always match exactly; the
    # whole output gets a few runs to show the golden's interleaving.
    if case.name in FIXED_BUGS:
        result = run_python(["run.py", case.sample], cwd=samples, env={"PYTHONHUNTER": case.value})
        actual = normalize(result.stderr)
        assert actual != expected, f"{case.name}: hunter 3.9's bug is back"
        assert without_indentation(actual) == without_indentation(expected), unified_diff(expected, actual, case.name)
        return
    attempts = RACY_CASES.get(case.name, 1)
    for _ in range(attempts):
        result = run_python(["run.py", case.sample], cwd=samples, env={"PYTHONHUNTER": case.value})
        actual = normalize(result.stderr)
        if attempts > 1:
            assert per_thread(actual) == per_thread(expected), unified_diff(expected, actual, case.name)
        if actual == expected:
            break
    if actual != expected:
        pytest.fail(
            f"PYTHONHUNTER={case.value!r} python run.py {case.sample}: stderr differs from "
            f"golden/{VERSION}/{case.name}.txt (exit code {result.returncode})\n"
            + unified_diff(expected, actual, f"golden/{VERSION}/{case.name}.txt"),
            pytrace=False,
        )
    # The sample programs all finish normally; a tracer must never change that.
    assert result.returncode == 0, describe(result)


@pytest.mark.parametrize("case", read_text_cases(), ids=lambda case: case.expression)
def test_predicate_text(case: TextCase) -> None:
    """str() and repr() of predicates and actions built from the public names match the reference."""
    namespace: dict[str, object] = {}
    exec("from hunter import *", namespace)  # - the reference builds each value with the star import
    stream = io.StringIO()
    namespace["s"] = stream
    value = eval(case.expression, namespace)

    def text(rendered: str) -> str:
        # The reference writes <StringIO> for the stream (its repr holds an address that changes every run).
        return normalize(rendered.replace(repr(stream), "<StringIO>"))

    assert (text(str(value)), text(repr(value))) == (case.str, case.repr)
