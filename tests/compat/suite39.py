"""hunter 3.9's own test suite, run unmodified against our package: fetched, installed and run in a child pytest.

The suite comes from the ``hunter==3.9.0`` sdist on PyPI (``pip download``, cached under ``.venvs/``; never copied
into this repository). Its tests and their dependencies (the ones its tox.ini lists: pytest plugins, ``ipdb``,
``process-tests``, ``manhole``...) get a virtualenv of their own per Python, with our package installed editable
into it, so the suite imports ``hunter`` as a user's test run would: ours. suite39_exclusions.py lists what is not
run, and why; the child run forces the backend under test through suite39_plugin.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import venvs
from helpers import REPO, child_env, run_in_group

HERE = Path(__file__).resolve().parent
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
REQUIREMENT = "hunter==3.9.0"
SDIST_DIR = REPO / ".venvs" / "hunter39-sdist"
SDIST = SDIST_DIR / "hunter-3.9.0.tar.gz"
#: The suite's tests (and its pytest.ini), unpacked from the sdist: nothing of its ``src/`` comes along.
SUITE = SDIST_DIR / "hunter-3.9.0"
VENV = REPO / ".venvs" / f"hunter39-suite-py{VERSION}"
#: What 3.9's tox.ini installs for its test runs (less coverage and Cython, which build its own extensions).
DEPENDENCIES = ("pytest", "pytest-benchmark", "manhole", "process-tests", "aspectlib", "six", "py", "tzdata", "ipdb")
#: A run of the whole suite may take this long (it takes well under a minute).
TIMEOUT = 600


def fetch_suite() -> Path:
    """The unpacked tests of the 3.9.0 sdist, downloaded from PyPI the first time."""
    if (SUITE / "tests" / "conftest.py").exists():
        return SUITE
    SDIST_DIR.mkdir(parents=True, exist_ok=True)
    if not SDIST.exists():
        pip = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps"]
        subprocess.run([*pip, "--no-binary", ":all:", "-d", os.fspath(SDIST_DIR), REQUIREMENT], check=True)
    with tarfile.open(SDIST) as archive:
        wanted = [
            member
            for member in archive.getmembers()
            if member.name.startswith("hunter-3.9.0/tests/") or member.name == "hunter-3.9.0/pytest.ini"
        ]
        # The "data" filter (no links out, no odd modes) exists from 3.10.12/3.11.4 on; older ones extract as is.
        options = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(SDIST_DIR, members=wanted, **options)
    return SUITE


def suite_python() -> Path:
    """The interpreter of the suite's virtualenv (its dependencies and our package), created when missing."""
    return venvs.ensure_venv(VENV, [*DEPENDENCIES, "-e", os.fspath(REPO)])


@dataclass
class Outcome:
    """What the child run reported: each test's node id and result (passed, failed, skipped, xfailed...)."""

    results: dict[str, str] = field(default_factory=dict)
    excluded: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""

    def functions(self) -> dict[str, set[str]]:
        """The results seen per test function (parameters stripped)."""
        found: dict[str, set[str]] = {}
        for node, result in self.results.items():
            found.setdefault(function_of(node), set()).add(result)
        return found


def function_of(node: str) -> str:
    """``tests/test_x.py::test_f`` of ``tests/test_x.py::test_f[param]``."""
    return node.split("[", 1)[0]


def run(backend: str | None, exclude: list[str]) -> Outcome:
    """Run the suite with our package on ``backend`` (None: the default), without the ``exclude`` tests."""
    suite = fetch_suite()
    python = suite_python()
    label = f"{VERSION}-{backend or 'default'}"
    report, deselected = suite / f"report-{label}.xml", suite / f"deselected-{label}.json"
    env = child_env(
        {
            # As 3.9's tox.ini sets them: its tests import their helpers from tests/, and start unconfigured.
            "PYTHONPATH": os.pathsep.join([os.fspath(suite / "tests"), os.fspath(HERE)]),
            "PYTHONHUNTERCONFIG": "",
            "PYTHONUNBUFFERED": "yes",
            # 3.9's tox "pure" environments: its tests then expect the pure-Python build, which ours is.
            "PUREPYTHONHUNTER": "yes",
            "HUNTER_SUITE39_BACKEND": backend or "",
            "HUNTER_SUITE39_EXCLUDE": "\n".join(exclude),
            "HUNTER_SUITE39_DESELECTED": os.fspath(deselected),
        },
        backend=False,
    )
    command = [
        os.fspath(python),
        *("-m", "pytest", "-p", "no:cacheprovider", "-p", "suite39_plugin", "-q", "--tb=short", "-rfE"),
        # faulthandler's watchdog is a thread of its own, which 3.15 counts when it warns that fork() in a
        # multi-threaded process may deadlock: the suite's fork tests would fail on the warning, so not there.
        *(("-o", "faulthandler_timeout=120") if sys.version_info < (3, 15) else ()),
        *(f"--junitxml={report}", "tests"),
    ]
    started = time.monotonic()
    result = run_in_group(command, cwd=suite, env=env, text=True, timeout=TIMEOUT)
    outcome = Outcome(output=result.stdout + result.stderr, seconds=time.monotonic() - started)
    if not report.exists() or not deselected.exists():
        raise RuntimeError(f"hunter 3.9's suite did not run (exit {result.returncode}):\n{outcome.output}")
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        outcome.results[_node_id(case)] = _result(case)
    outcome.excluded = json.loads(deselected.read_text(encoding="utf-8"))
    report.unlink()
    deselected.unlink()
    return outcome


def _node_id(case: ElementTree.Element) -> str:
    # junit names a test "tests.test_x" (module) + "test_f[param]"; the node id is "tests/test_x.py::test_f[param]".
    module = (case.get("classname") or "").replace(".", "/")
    return f"{module}.py::{case.get('name')}"


def _result(case: ElementTree.Element) -> str:
    for child in case:
        if child.tag in ("failure", "error"):
            return "failed"
        if child.tag == "skipped":
            return "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
    return "passed"


SUMMARIES: list[str] = []


def summarise(backend: str, outcome: Outcome, internal: list[str]) -> str:
    """The numbers of a run: tests and test functions passed, of all the suite's (excluded ones count as failing),
    and of those with a counterpart here (less the ``internal`` exclusions: node ids of 3.9 internals)."""
    functions = outcome.functions()
    for node in outcome.excluded:
        functions.setdefault(function_of(node), set()).add("excluded")
    internal_nodes = [node for node in outcome.excluded if any(_names(node, entry) for entry in internal)]
    internal_functions = {function_of(node) for node in internal_nodes}
    passing = {"passed", "xfailed", "skipped"}
    passed = sum(result in passing for result in outcome.results.values())
    total = len(outcome.results) + len(outcome.excluded)
    passed_functions = sum(results <= passing for results in functions.values())
    skipped = sum(result == "skipped" for result in outcome.results.values())

    def share(count: int, of: int) -> str:
        return f"{count} of {of} ({100 * count / max(of, 1):.1f}%)"

    comparable_tests = total - len(internal_nodes)
    comparable_functions = len(functions) - len(internal_functions)
    line = (
        f"hunter 3.9's own test suite (Python {VERSION}, {backend}, {outcome.seconds:.0f}s): tests passed "
        f"{share(passed, total)}, test functions {share(passed_functions, len(functions))}; without the "
        f"{len(internal_functions)} functions testing 3.9 internals: tests {share(passed, comparable_tests)}, "
        f"functions {share(passed_functions, comparable_functions)}; {len(outcome.excluded)} tests excluded, "
        f"{skipped} skipped by the suite itself"
    )
    SUMMARIES.append(line)
    return line


def _names(node: str, entry: str) -> bool:
    """Whether an exclusion entry (a test function's node id) names this node id (itself or one of its parameters)."""
    return node == entry or node.startswith(f"{entry}[")
