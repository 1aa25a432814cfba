#!/usr/bin/env python3
"""Ordinary data code with big values (lists, dicts, sets, strings of 10^5-10^6 items) traced with printers.

Usage: python benchmarks/bigvalues.py [--runs N] [--size N]...

The workload (a module written to a temporary folder and imported) builds a list of ``size`` numbers and passes
it and what is made from it (a dict with as many keys, a set, chunks, a long string and its bytes) from function
to function, doing the work in builtins as data code does. Every call, line and return of that module is traced
with CallPrinter (each call's arguments and each return value shown) and with VarsSnooper (every local variable
shown at every line); the printers write to ``os.devnull`` with the default ``repr_limit`` (1024). A value is
rendered only as far as that limit keeps, so the overhead must not grow with the size of the values.

Times are process CPU time; each traced run is paired with an untraced run in the same repetition (in rotating
order) and the table shows the median ratio traced/untraced per size, printer and backend.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hunter

WORKLOAD = """
def numbers(size):
    return list(range(size))


def index(values):
    return dict.fromkeys(values, 0)


def keys_of(table):
    return list(table)


def total(values):
    return sum(values)


def largest(values, count):
    return sorted(values, reverse=True)[:count]


def chunks(values, parts):
    step = max(len(values) // parts, 1)
    return [values[start : start + step] for start in range(0, len(values), step)]


def text_of(values):
    return ",".join(map(str, values))


def encoded(text):
    return text.encode()


def distinct(values):
    return set(values)


def work(size):
    values = numbers(size)
    table = index(values)
    keys = keys_of(table)
    summed = total(keys)
    top = largest(values, 10)
    parts = chunks(values, 10)
    text = text_of(parts[0])
    data = encoded(text)
    unique = distinct(values)
    return summed + len(top) + len(parts) + len(data) + len(unique)
"""

BACKENDS = ("settrace", "monitoring") if sys.version_info >= (3, 12) else ("settrace",)
PRINTERS: dict[str, Callable[[Any], Any]] = {
    "CallPrinter": lambda stream: hunter.CallPrinter(stream=stream),
    "VarsSnooper": lambda stream: hunter.VarsSnooper(stream=stream),
}


def load_workload(folder: Path) -> Any:
    """Write the workload module to ``folder`` and import it."""
    (folder / "bench_data.py").write_text(textwrap.dedent(WORKLOAD))
    sys.path.insert(0, str(folder))
    return importlib.import_module("bench_data")


def time_run(work: Callable[[int], Any], size: int, start: Callable[[], Any] | None) -> float:
    """Seconds of one run of the workload, tracer start and stop included."""
    gc.collect()
    started = time.process_time()
    tracer = start() if start is not None else None
    work(size)
    if tracer is not None:
        tracer.stop()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--size", type=int, action="append", help="items per value (default: 100000 and 1000000)")
    args = parser.parse_args()
    sizes = args.size or [100_000, 1_000_000]
    runs = [(printer, backend) for printer in PRINTERS for backend in BACKENDS]
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as null:
        work = load_workload(Path(folder)).work
        print(f"Python {sys.version_info.major}.{sys.version_info.minor}, {args.runs} runs, traced / untraced:")
        print(f"{'size':>10}  {'untraced':>9}" + "".join(f"{f'{p} {b}':>26}" for p, b in runs))
        for size in sizes:
            time_run(work, size, None)  # warm up
            ratios: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
            untraced: list[float] = []
            for repetition in range(args.runs):
                shift = repetition % len(runs)
                for printer, backend in runs[shift:] + runs[:shift]:
                    base = time_run(work, size, None)
                    untraced.append(base)

                    def start(printer: str = printer, backend: str = backend) -> Any:
                        action = PRINTERS[printer](null)
                        return hunter.trace(module="bench_data", backend=backend, action=action)

                    ratios[printer, backend].append(time_run(work, size, start) / base)
            cells = "".join(f"{statistics.median(ratios[run]):>25.2f}x" for run in runs)
            print(f"{size:>10}  {statistics.median(untraced):>8.3f}s{cells}")


if __name__ == "__main__":
    main()
