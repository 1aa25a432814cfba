"""The tests of hunter 3.9's own suite that are not run against our package, each with its one-line reason.

Only two kinds belong here: tests of 3.9 internals that have no counterpart in ours (its Cython modules and their
pure/compiled split, its manhole/gdb remote protocol), and tests of a behaviour the README lists under "Where
hunter differs from hunter 3.9" (the reason names that entry). Reviewed like code: every other test must pass.
"""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Exclusion:
    """Tests (a node id, or its prefix: every parameter of a test function) left out, where, and why."""

    node: str
    reason: str
    #: "internal": a 3.9 internal with no counterpart here; "README": a listed difference.
    kind: str = "README"
    backends: tuple[str, ...] = ("*",)
    versions: tuple[str, ...] = ("*",)

    def applies(self, backend: str) -> bool:
        """Whether the exclusion holds on this Python version and backend."""
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return any(fnmatch.fnmatchcase(backend, pattern) for pattern in self.backends) and any(
            fnmatch.fnmatchcase(version, pattern) for pattern in self.versions
        )


_REMOTE = "3.9's remote protocol: hunter-trace attaching through manhole or gdb (ours has its own, docs/remote.md)"
_EVIL_TRACER = (
    "pure/compiled split: the suite swaps in its pure-Python EvilTracer (our Tracer lives in hunter.tracer, as 3.9's "
    "pure one), which assumes the pure tracer's blindness to the test's running frame; ours traces it, as 3.9's "
    "compiled tracer does (docs/backends.md), so the with statement's exit line restarts the From"
)

EXCLUSIONS = (
    Exclusion("tests/test_remote.py::test_manhole", _REMOTE, "internal"),
    Exclusion("tests/test_remote.py::test_manhole_clean_exit", _REMOTE, "internal"),
    Exclusion("tests/test_remote.py::test_manhole_reattach", _REMOTE, "internal"),
    Exclusion("tests/test_remote.py::test_gdb", _REMOTE, "internal"),
    Exclusion("tests/test_remote.py::test_gdb_clean_exit", _REMOTE, "internal"),
    Exclusion("tests/test_tracer.py::test_from_predicate_line", _EVIL_TRACER, "internal"),
    Exclusion("tests/test_tracer.py::test_from_predicate_line_no_predicate", _EVIL_TRACER, "internal"),
    Exclusion(
        "tests/test_tracer.py::test_perf_filter",
        "README: a query value that can never match (module=['does', 'not', 'exist']) is refused at start",
    ),
    Exclusion(
        "tests/test_tracer.py::test_trace_merge",
        "README: with the monitoring backend sys.gettrace() stands in for no Tracer (no trace function is set)",
        backends=("monitoring",),
    ),
)


def excluded(backend: str) -> list[Exclusion]:
    """The exclusions that hold for a run on this Python and ``backend``."""
    return [exclusion for exclusion in EXCLUSIONS if exclusion.applies(backend)]
