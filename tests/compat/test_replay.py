"""Record once, ask later, over the compat programs: every query that uses only recorded fields prints, replayed
from a recording of the program, exactly what it prints live (docs/recording.md, "the replay invariant").

replay_driver.py records each program once (every event, lines and values; once more in profile mode) where the
compat driver traces it, then runs each query live and as a replay. Queries that need what no recording holds are
refused by the replay (with one line) and not compared. A case listed in REPLAY_DIFFERENCES is a known difference,
with its reason; it is a strict expected failure, so an entry goes once the case passes.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import harness
import pytest
from expectations import Difference, not_compared
from helpers import child_env

REPLAY_DRIVER = harness.HERE / "replay_driver.py"

#: Known differences between a live trace and the replay of a recording, with why.
REPLAY_DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "Backlog makes up call events for the callers of its first stored event from live frames (with vars=True, "
        "or without a filter that drops them); a recording has no frames, so the replay has none of them",
        queries=("backlog-vars", "backlog-unfiltered"),
        programs=("aio", "bigreprs", "coros", "errors", "gens"),
    ),
    Difference(
        "a C function's return (profile mode) shows the function as its value live; recordings keep no value for "
        "C functions' events",
        queries=("profile-code",),
        programs=("aio", "basics", "bigreprs", "coros", "gens", "libstyle", "stdlibs", "threads", "values"),
    ),
    Difference(
        "a value whose repr fails is recorded as the failure's text: the replay shows it as a value (cut by "
        "repr_limit, not coloured as a failure)",
        queries=("colors", "colors-code", "colors-errors", "colors-profile", "repr-limit"),
        programs=("bigreprs",),
    ),
    Difference(
        "CallPrinter tells which printed calls still run by their frames live, by depth in a replay: a sibling "
        "call whose return was filtered out (a generator's yield) indents the next call one level more",
        queries=("lt",),
        programs=("gens",),
    ),
    Difference(
        "CallPrinter tells which printed calls still run by their frames live, by depth in a replay: a sibling "
        "call whose return was filtered out (a generator's yield) indents the next call one level more",
        queries=("from-watermark",),
        programs=("libstyle",),
    ),
    Difference(
        "asyncio's file descriptors differ from run to run (the recorded run's against the live one's)",
        queries=("error-snooper-stdlib",),
        programs=("aio",),
    ),
)


def replay_difference(program: str, query: str) -> str | None:
    """The reason a case is a known difference here (this Python and backend), else None."""
    for difference in REPLAY_DIFFERENCES:
        if difference.covers(program, query):
            return difference.reason
    return None


@functools.cache
def _all_replays() -> dict[str, dict[str, dict[str, str | None]]]:
    with concurrent.futures.ThreadPoolExecutor(harness.WORKERS) as pool:
        return dict(zip(harness.programs(), pool.map(_replays, harness.programs()), strict=True))


def _replays(program: str) -> dict[str, dict[str, str | None]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.json"
        result = subprocess.run(
            [sys.executable, os.fspath(REPLAY_DRIVER), program, os.fspath(harness.QUERIES_FILE), os.fspath(out)],
            cwd=harness.PROGRAMS_DIR,
            env=child_env(harness.RUN_ENV),
            capture_output=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"the replay driver failed on {program} (exit {result.returncode}):\n"
                + result.stderr.decode("utf-8", "backslashreplace")
            )
        found: dict[str, dict[str, str | None]] = json.loads(out.read_text(encoding="utf-8"))
        return found


def marks(program: str, query: str) -> list[pytest.MarkDecorator]:
    """A known difference is a strict expected failure; a case whose output changes from run to run is skipped."""
    if reason := not_compared(program, query):
        return [pytest.mark.skip(reason=f"not comparable: {reason}")]
    if reason := replay_difference(program, query):
        return [pytest.mark.xfail(strict=True, reason=reason)]
    return []


CASES = [
    pytest.param(program, query, id=f"{program}-{query.name}", marks=marks(program, query.name))
    for program in harness.programs()
    for query in harness.queries()
]


@pytest.mark.parametrize(("program", "query"), CASES)
def test_a_replay_prints_what_the_live_trace_prints(program: str, query: harness.Query) -> None:
    case = _all_replays()[program][query.name]
    if case.get("refused"):
        # The query needs what no recording holds: the replay refused it in one line (tests/test_record.py).
        pytest.skip(f"not answerable from a recording: {case['refused']}")
    live = harness.normalise(case["live"] or "")
    replayed = harness.normalise(case["replay"] or "")
    if live != replayed:
        pytest.fail(
            f"{program}.py traced live with {query.value.replace('$P', program)!r} and the replay of its recording "
            "print differently:\n" + harness.difference(live, replayed, f"{program} / {query.name}"),
            pytrace=False,
        )
