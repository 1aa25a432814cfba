#!/usr/bin/env python3
"""Importing a large module under an exception query, on every backend: what a query about exceptions costs.

Usage: python benchmarks/importing.py [--runs N] [--query TEXT]

A query like ``kind="exception"`` can match in every code object, but only exceptions: the monitoring backend
should switch on no LINE events for it (one callback per executed line), only RAISE/STOP_ITERATION/PY_UNWIND.
The workload writes a large module (classes, functions, module-level loops building tables, a few caught
exceptions) to a temporary folder and imports it afresh each time (its ``.pyc`` is cached after the first
import, as for a real program), so the import machinery runs too.

Times are the process's CPU time; each repetition runs untraced and every backend, in an order that rotates
between repetitions. The table shows the median ratio to the untraced import of the same repetition, and
the median ratio of monitoring to settrace.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hunter

BACKENDS = ("settrace", "monitoring") if hasattr(sys, "monitoring") else ("settrace",)
NAME = "bench_large_module"


def large_module(classes: int = 300) -> str:
    """Source of a module whose body runs a lot of lines: definitions, and tables built in loops."""
    parts = ["import collections\n", "TABLE = {}\n"]
    for number in range(classes):
        parts.append(
            f"class Model{number}:\n"
            f"    kind = {number}\n"
            f"    fields = [(name, index) for index, name in enumerate('abcdefgh')]\n"
            f"    def __init__(self, value):\n        self.value = value\n"
            f"    def total(self):\n        return sum(index for _, index in self.fields) + self.value\n"
            f"    def describe(self):\n        return f'{{self.kind}}: {{self.value}}'\n\n"
            f"for i in range(8):\n"
            f"    TABLE[{number}, i] = Model{number}(i).total()\n"
            f"try:\n    TABLE[{number}, 'missing'] = TABLE[{number}, 99]\nexcept KeyError:\n"
            f"    TABLE[{number}, 'missing'] = None\n\n"
        )
    parts.append("COUNTS = collections.Counter(value for value in TABLE.values() if value is not None)\n")
    return "".join(parts)


def import_fresh() -> None:
    sys.modules.pop(NAME, None)
    importlib.import_module(NAME)


def time_run(start: Callable[[], Any] | None) -> float:
    """Seconds of CPU time for one fresh import, tracer start and stop included."""
    gc.collect()
    started = time.process_time()
    tracer = start() if start is not None else None
    import_fresh()
    if tracer is not None:
        tracer.stop()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="repetitions (default 15)")
    parser.add_argument("--query", default='kind="exception"', help='a PYTHONHUNTER-style query (kind="exception")')
    args = parser.parse_args()
    options = dict(hunter.config.parse_trace_arguments(args.query)[1])

    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as null:
        Path(folder, f"{NAME}.py").write_text(large_module())
        sys.path.insert(0, folder)
        for _ in range(3):  # warm up: the .pyc is written, caches filled
            time_run(None)

        def starter(backend: str) -> Callable[[], Any]:
            return lambda: hunter.trace(backend=backend, action=hunter.CallPrinter(stream=null), **options)

        runs: list[str | None] = [None, *BACKENDS]
        seconds: dict[str | None, list[float]] = {run: [] for run in runs}
        for repetition in range(args.runs):
            shift = repetition % len(runs)
            for run in runs[shift:] + runs[:shift]:
                seconds[run].append(time_run(None if run is None else starter(run)))

    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = statistics.median(seconds[None])
    print(f"Python {version}, query {args.query}, {args.runs} runs, untraced import {base * 1e3:.1f} ms")
    for backend in BACKENDS:
        ratios = [traced / untraced for traced, untraced in zip(seconds[backend], seconds[None], strict=True)]
        print(f"  {backend:<11} {statistics.median(ratios):6.2f}x untraced")
    if len(BACKENDS) == 2:
        paired = [mon / st for st, mon in zip(seconds["settrace"], seconds["monitoring"], strict=True)]
        print(f"  monitoring / settrace: {statistics.median(paired):.2f}")


if __name__ == "__main__":
    main()
