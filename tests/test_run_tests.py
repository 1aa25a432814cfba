"""tools/run_tests.py: the arguments it passes on to pytest, and its lint step."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from helpers import REPO


def load_runner() -> ModuleType:
    """tools/run_tests.py as a module (tools/ is no package)."""
    spec = importlib.util.spec_from_file_location("run_tests", REPO / "tools" / "run_tests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("run_tests", module)
    spec.loader.exec_module(module)
    return module


def test_a_quiet_option_is_not_passed_twice() -> None:
    """The runs are already quiet: a user's -q would make pytest drop the summary line the counts come from."""
    runner = load_runner()
    _, pytest_args = runner.parse_args(["--python", "3.12", "--", "-q", "-x", "--quiet", "-qq", "tests/test_x.py"])
    assert pytest_args == ["-x", "tests/test_x.py"]


def test_the_counts_come_from_the_summary_line() -> None:
    """pytest's closing line gives the counts; without it there are none."""
    runner = load_runner()
    assert runner.summary_counts(["....\n", "4 passed, 1 skipped, 2 errors in 1.20s\n"]) == {
        "passed": 4,
        "skipped": 1,
        "errors": 2,
    }
    assert runner.summary_counts(["....    [100%]\n"]) == {}


def test_a_full_run_lints_first_a_narrowed_one_when_asked() -> None:
    runner = load_runner()

    def lints(*argv: str) -> bool:
        options, _ = runner.parse_args(list(argv))
        return bool(runner.wants_lint(options))

    assert lints()
    assert not lints("--no-lint")
    assert not lints("--python", "3.12")
    assert not lints("--backend", "monitoring")
    assert lints("--python", "3.12", "--lint")
    assert lints("--lint-only")


def test_a_failed_lint_check_fails_the_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Every check runs and shows what it found; one failure makes the exit status 1 and counts as a failure."""
    runner = load_runner()
    monkeypatch.setattr(runner, "prepare_venv", lambda *args, **kwargs: Path(sys.executable))
    monkeypatch.setattr(
        runner,
        "LINT_CHECKS",
        (
            ("fine", ("-c", "print('nothing to say')")),
            ("picky", ("-c", "import sys; print('x.py:1:1: E999 found one'); sys.exit(1)")),
        ),
    )
    assert runner.main(["--lint-only"]) == 1
    out = capsys.readouterr().out
    assert "[lint] fine: passed in " in out
    assert "nothing to say" not in out  # a clean check's output stays short
    assert "[lint] picky: failed (exit 1) in " in out
    assert "x.py:1:1: E999 found one" in out
    assert out.rstrip().endswith("0 passed, 1 failed")

    monkeypatch.setattr(runner, "LINT_CHECKS", (("fine", ("-c", "pass")),))
    assert runner.main(["--lint-only"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("0 passed, 0 failed")
