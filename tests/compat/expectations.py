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
    #: hunter 3.9's build compared with: "compiled" (its wheels, or its sdist built with a compiler) or "pure".
    builds: tuple[str, ...] = ("*",)

    def covers(self, program: str, query: str, build: str = "compiled") -> bool:
        """Whether this entry applies to the case here (this Python version and backend, hunter 3.9's ``build``)."""
        return all(
            any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)
            for value, patterns in (
                (program, self.programs),
                (query, self.queries),
                (VERSION, self.versions),
                (BACKEND, self.backends),
                (build, self.builds),
            )
        )


MONITORING = ("monitoring",)

DIFFERENCES: tuple[Difference, ...] = (
    # -- README: hunter 3.9 bugs we fix ------------------------------------------------------------------------
    Difference(
        "README: CallPrinter indents a call under the printed calls still running only (From hides the returns "
        "here; hunter 3.9 then indents each call further)",
        programs=("aio", "basics", "bigreprs", "errors", "gens", "libstyle", "recursion", "stdlibs", "values"),
        queries=("from-watermark",),
    ),
    Difference(
        "README: CallPrinter indents a call under the printed calls still running only (lineno_lt hides the "
        "returns of coroutines and generators; hunter 3.9 then indents each call further)",
        programs=("bigreprs", "coros", "gens"),
        queries=("lt",),
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
        versions=("3.11", "3.12", "3.13", "3.14", "3.15"),
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
        versions=("3.13", "3.14", "3.15"),
        backends=MONITORING,
    ),
    # -- hunter 3.9's pure-Python build: where it has no compiled wheel (3.15), pip builds its sdist, compiled when
    # the interpreter's headers and a compiler are there and pure Python otherwise; the pure build behaves
    # differently from the compiled one its users get on every other version (and from us). Measured case by case
    # against 3.14's compiled comparison, where all of these print the same as hunter 3.9.
    Difference(
        "hunter 3.9's pure-Python build counts the calls of its own tracer's frames, so calls_gt/calls_lt "
        "and a Stop after N calls fire earlier than in its compiled build and ours",
        programs=("basics", "bigreprs", "coros", "errors", "gens", "libstyle", "recursion", "values"),
        queries=("gt", "calls-lt", "stop"),
        builds=("pure",),
    ),
    Difference(
        "hunter 3.9's pure-Python Backlog replays its backlog differently from the compiled one (see "
        "tests/reference/README.md)",
        programs=("aio", "bigreprs", "coros", "errors", "gens"),
        queries=("backlog", "backlog-code", "backlog-not"),
        builds=("pure",),
    ),
    Difference(
        "hunter 3.9's pure-Python Backlog replays its backlog differently from the compiled one (see "
        "tests/reference/README.md)",
        programs=("aio", "basics", "bigreprs", "coros", "errors", "gens", "libstyle", "recursion", "stdlibs", "values"),
        queries=("backlog-nostrip", "backlog-stack"),
        builds=("pure",),
    ),
    Difference(
        "hunter 3.9's pure-Python Debugger stops at the next call (pdb's --Call--) instead of the event's "
        "line, where its compiled build and we stop",
        programs=("basics", "bigreprs", "coros", "errors", "gens", "libstyle", "recursion", "stdlibs", "values"),
        queries=("debugger-call",),
        builds=("pure",),
    ),
    Difference(
        "hunter 3.9's pure-Python build doesn't trace the frame that called trace(): its compiled build and "
        "we report that frame's next lines",
        programs=("running",),
        queries=(
            *("backlog-nostrip", "calls", "calls-lt", "code", "colors-code", "colors-vars", "de-morgan", "depth"),
            *("eq", "ew", "from", "from-kwargs", "in", "lt", "lte", "narrow", "not-helper", "or-helper"),
            *("stdlib-off", "stdlib-off-code", "stop", "sw", "threads-on", "vars-printer", "vars-snooper"),
        ),
        builds=("pure",),
    ),
    Difference(
        "hunter 3.9's pure-Python build shows the thread column from the worker thread's first event; its "
        "compiled build and we show none here",
        programs=("threads",),
        queries=(
            *("and", "backlog-nostrip", "backlog-stack", "builtin", "calls", "code", "colors", "colors-code"),
            *("colors-profile", "colors-stack", "colors-vars", "de-morgan", "debugger-call", "dunder-operator"),
            *("endswith", "from-nothing", "from-watermark", "fullsource", "gt", "has", "in", "lt", "narrow"),
            *("not", "not-helper", "or", "pid", "profile", "profile-code", "profile-nostdlib", "repr-callable"),
            *("repr-func", "repr-limit", "rx", "stack", "stdlib-off", "stdlib-off-code", "vars-printer"),
            *("vars-snooper", "when", "when-actions"),
        ),
        builds=("pure",),
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


def expected_difference(program: str, query: str, build: str = "compiled") -> str | None:
    """The reason a case is known to differ from hunter 3.9's ``build``, or None when it must print exactly what
    hunter 3.9 prints."""
    reasons = [difference.reason for difference in DIFFERENCES if difference.covers(program, query, build)]
    return "; ".join(reasons) or None


def not_compared(program: str, query: str) -> str | None:
    """Why a case can't be compared (its output changes from run to run), or None."""
    reasons = [difference.reason for difference in NOT_COMPARED if difference.covers(program, query)]
    return "; ".join(reasons) or None
