"""The cases of the compat suite known to print differently from hunter 3.9, and why.

``README``: a hunter 3.9 bug we fix, listed in the README's "Where hunter differs from hunter 3.9" (with a test of
our side in test_known_differences.py). ``README (pending <who>)``: a difference the README lists until a fix that
another piece of work brings lands; then the entry and the README's item go. Every entry is a strict expected
failure: a case that passes makes its entry fail, so stale ones can't linger.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from dataclasses import dataclass

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
BACKEND = os.environ.get("HUNTER_TEST_BACKEND") or ("monitoring" if sys.version_info >= (3, 12) else "settrace")


@dataclass(frozen=True)
class Difference:
    """Cases (glob patterns over program and query names) that differ, where, and why."""

    reason: str
    programs: tuple[str, ...] = ("*",)
    queries: tuple[str, ...] = ("*",)
    versions: tuple[str, ...] = ("*",)
    backends: tuple[str, ...] = ("*",)

    def covers(self, program: str, query: str) -> bool:
        """Whether this entry applies to the case here (this Python version and backend)."""
        return all(
            any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)
            for value, patterns in (
                (program, self.programs),
                (query, self.queries),
                (VERSION, self.versions),
                (BACKEND, self.backends),
            )
        )


MONITORING = ("monitoring",)

DIFFERENCES: tuple[Difference, ...] = (
    # -- README: hunter 3.9 bugs we fix ------------------------------------------------------------------------
    Difference(
        "README: CallPrinter's indentation never goes deeper than the real call depth (From hides the returns "
        "here; hunter 3.9 then indents each call further)",
        programs=("aio", "basics", "bigreprs", "errors", "gens", "libstyle", "values"),
        queries=("from-watermark",),
    ),
    Difference(
        "README: frozen standard library modules (<frozen os>, <frozen abc>...) are stdlib and show their source",
        programs=("aio",),
        queries=(
            "stdlib-off",
            "stdlib-off-code",
            "error-snooper-nostdlib",
            "error-snooper-stdlib",
            "profile-code",
            "profile-nostdlib",
            "colors-profile",
        ),
        versions=("3.11", "3.12", "3.13"),
    ),
    Difference(
        "README: event.depth counts the frames on the stack: a coroutine an exception is thrown through counts "
        "(hunter 3.9 counts call events, and misses it), so a Backlog makes up one more call",
        programs=("aio",),
        queries=("backlog-unfiltered",),
        versions=("3.12", "3.13"),
    ),
    Difference(
        "README: on Python 3.13 with the monitoring backend, a Debugger action at a return doesn't stop in the "
        "caller before the tracer stops (3.13 reports pdb no line events there until the caller's code is "
        "instrumented afresh; hunter 3.9 stops on the caller's line)",
        programs=(
            *("aio", "basics", "bigreprs", "coros", "errors", "gens", "libstyle", "recursion", "stdlibs", "threads"),
            "values",
        ),
        queries=("debugger-return",),
        versions=("3.13",),
        backends=MONITORING,
    ),
)

#: Cases whose output is not the same from one run to the next, under either version: not compared.
NOT_COMPARED: tuple[Difference, ...] = (
    Difference(
        "two threads run threading's own code at the same time: their events interleave differently each run",
        programs=("threads",),
        queries=("stdlib-on", "stdlib-only", "profile-stdlib", "error-snooper-stdlib", "backlog-unfiltered"),
    ),
    Difference(
        "asyncio's event loop reads the clock: its values and how often it loops change from run to run",
        programs=("aio",),
        queries=("stdlib-on",),
    ),
)


def expected_difference(program: str, query: str) -> str | None:
    """The reason a case is known to differ, or None when it must print exactly what hunter 3.9 prints."""
    reasons = [difference.reason for difference in DIFFERENCES if difference.covers(program, query)]
    return "; ".join(reasons) or None


def not_compared(program: str, query: str) -> str | None:
    """Why a case can't be compared (its output changes from run to run), or None."""
    reasons = [difference.reason for difference in NOT_COMPARED if difference.covers(program, query)]
    return "; ".join(reasons) or None
