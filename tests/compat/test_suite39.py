"""hunter 3.9's own test suite, from its sdist on PyPI, passes against our package (see suite39.py).

One child pytest run per Python and backend; its numbers (tests and test functions passed, of all the suite's) are
printed at the end of the run. A failing test that suite39_exclusions.py doesn't list fails this test, and so does an
exclusion that matches no test of the suite (a stale entry).
"""

from __future__ import annotations

import os
import sys

import suite39
from suite39_exclusions import excluded

BACKEND = os.environ.get("HUNTER_TEST_BACKEND") or ("monitoring" if sys.version_info >= (3, 12) else "settrace")


def test_hunter39_suite_passes() -> None:
    """Every test of 3.9's suite but the excluded ones passes, on the backend under test."""
    exclusions = excluded(BACKEND)
    entries = [exclusion.node for exclusion in exclusions]
    outcome = suite39.run(BACKEND, entries)
    internal = [exclusion.node for exclusion in exclusions if exclusion.kind == "internal"]
    summary = suite39.summarise(BACKEND, outcome, internal)
    assert outcome.results, outcome.output
    failed = sorted(node for node, result in outcome.results.items() if result == "failed")
    assert not failed, f"{summary}\n{len(failed)} tests fail:\n" + "\n".join(failed) + "\n\n" + outcome.output
    stale = [entry for entry in entries if suite39.function_of(entry) not in map(suite39.function_of, outcome.excluded)]
    assert not stale, f"exclusions that match no test of the suite: {stale}"
