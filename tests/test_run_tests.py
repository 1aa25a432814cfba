"""tools/run_tests.py: the arguments it passes on to pytest."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

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
