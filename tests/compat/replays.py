"""Record once, ask later, over the compat programs: each program recorded once and replayed through every query.

replay_driver.py records each program once (every event, lines and values; once more in profile mode) where the
compat driver traces it, then replays the recording through each query. test_compat.py compares each replay with
the program's live output under that query (docs/recording.md, "the replay invariant"). Queries that need what no
recording holds are refused by the replay (with one line) and not compared. A case listed in REPLAY_DIFFERENCES is a
known difference, with its reason: a strict expected failure, so an entry goes once the case passes.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import harness
from expectations import Difference
from helpers import child_env

REPLAY_DRIVER = harness.HERE / "replay_driver.py"

#: Known differences between a live trace and the replay of a recording, with why.
REPLAY_DIFFERENCES: tuple[Difference, ...] = (
    Difference(
        "Backlog makes up calls for the callers of its first stored event by walking up its frame when it replays; "
        "a replay walks up the recorded calls instead, and can't tell which coroutine of the event loop a recorded "
        "call resumed (a live frame is the same object across resumptions)",
        queries=("backlog-unfiltered",),
        programs=("aio",),
    ),
    Difference(
        "Backlog makes up calls for the callers of its first stored event by walking up its frame when it replays: "
        "a suspended coroutine's frame has no f_back but on 3.12 and 3.13, so live it makes up none above one, where "
        "a replay walks up the recorded calls (a recording tells a suspension from an exception's end)",
        queries=("backlog-vars", "backlog-unfiltered"),
        programs=("aio", "coros"),
        versions=("3.10", "3.11", "3.14", "3.15"),
    ),
    Difference(
        "a generator that returned keeps its frame's f_back on 3.12 and 3.13 only: elsewhere a live Backlog makes "
        "up no callers above it, and a recording doesn't say which calls are a generator's",
        queries=("backlog-vars", "backlog-unfiltered"),
        programs=("gens",),
        versions=("3.10", "3.11", "3.14", "3.15"),
    ),
    Difference(
        "live, Backlog keeps its stored events' frames (as hunter 3.9 does), which keeps a finished generator alive "
        "until the trace is over; recorded without a Backlog, its close (GeneratorExit) comes while tracing",
        queries=("backlog", "backlog-vars", "backlog-code", "backlog-unfiltered"),
        programs=("values",),
        versions=("3.10", "3.11"),
    ),
)


#: Cases whose live output and recording differ from run to run: not compared (besides the compat suite's own).
REPLAY_NOT_COMPARED: tuple[Difference, ...] = (
    Difference(
        "asyncio's file descriptors differ from run to run (the recorded run's against the live one's)",
        queries=("error-snooper-stdlib",),
        programs=("aio",),
    ),
)


#: The lines of the weak-set callbacks that the garbage collector runs (standard library shown): the recorded run
#: and the live one allocate differently (a recorder, a printer), so the collector runs at other moments in each.
_COLLECTOR_CALLBACK = re.compile(r"^.*_weakrefset\.py:\d+ .*\n?", re.MULTILINE)


def without_collector_callbacks(output: str) -> str:
    """``output`` without the lines of code the garbage collector runs when it likes (see _COLLECTOR_CALLBACK)."""
    return _COLLECTOR_CALLBACK.sub("", output)


#: A caller that StackPrinter shows from the frames of the drivers above ``traced`` (the frame both run the program
#: from): the live run's are driver.py's, the recorded run's replay_driver.py's. Colours may come between its parts.
_COLOUR = r"(?:\x1b\[[0-9;]*m)*"
_DRIVER_CALLER = re.compile(rf"[\w/]*driver\.py{_COLOUR}:{_COLOUR}\d+{_COLOUR}:{_COLOUR}(?!traced\b)[\w<>]+")


def without_driver_callers(output: str) -> str:
    """``output`` with the callers that are the drivers' own frames (see _DRIVER_CALLER) shown as ``(driver)``."""
    return _DRIVER_CALLER.sub("(driver)", output)


def replay_difference(program: str, query: str) -> str | None:
    """The reason a case is a known difference here (this Python and backend), else None."""
    reasons = [difference.reason for difference in REPLAY_DIFFERENCES if difference.covers(program, query)]
    return "; ".join(reasons) or None


def replay_not_compared(program: str, query: str) -> str | None:
    """Why a case's replay can't be compared with its live output (it changes from run to run), or None."""
    reasons = [difference.reason for difference in REPLAY_NOT_COMPARED if difference.covers(program, query)]
    return "; ".join(reasons) or None


def replayed(program: str) -> dict[str, dict[str, str | None]]:
    """Per query of queries.tsv: what the replay of the program's recording printed (``replay``), or why the
    replay refused the query (``refused``)."""
    return _all_replays()[program]


@functools.cache
def _all_replays() -> dict[str, dict[str, dict[str, str | None]]]:
    with concurrent.futures.ThreadPoolExecutor(harness.WORKERS) as pool:
        return dict(zip(harness.programs(), pool.map(_replays, harness.programs()), strict=True))


def _replays(program: str) -> dict[str, dict[str, str | None]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.json"
        result = harness.run_as_from_terminal(
            [sys.executable, os.fspath(REPLAY_DRIVER), program, os.fspath(harness.QUERIES_FILE), os.fspath(out)],
            cwd=harness.PROGRAMS_DIR,
            env=child_env(harness.RUN_ENV),
            timeout=600,
        )
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"the replay driver failed on {program} (exit {result.returncode}):\n"
                + result.stderr.decode("utf-8", "backslashreplace")
            )
        found: dict[str, dict[str, str | None]] = json.loads(out.read_text(encoding="utf-8"))
        return found
