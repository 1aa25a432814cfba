#!/usr/bin/env python3
"""Tracing overhead: a call- and line-heavy workload untraced and under typical queries, on every backend.

Usage: python benchmarks/tracing.py [--runs N] [--rounds N]

The workload (two small modules written to a temporary folder and imported, as a user's code would be) runs
fib, a tight loop and many small calls; ``target()`` is a small part of the work and the ``helper`` module
a somewhat larger one. Modes:

- nothing:       a filter that matches nothing (``module="nothing.matches"``)
- one function:  one function's calls printed (``function="target", kind="call"``)
- one module:    one module's events printed (``module="bench_helper"``)
- stdlib=False:  every event of the workload printed
- delivery only: every event delivered and tested, none printed (``stdlib=False, lineno_lt=0``), to split
                 the per-event cost into what the backend and predicate cost and what printing adds

Printers write to ``os.devnull``. Times are the process's CPU time (other processes on a busy machine disturb
it less than wall time). All (mode, backend) runs of one repetition are interleaved with an untraced run in
the same process, in an order that rotates between repetitions, so that drift in machine load hits them
alike; the table shows the median over repetitions of each run's time per round divided by the untraced
time per round of the same repetition. Modes that print everything run fewer rounds (the ratio is
per round). Python 3.10/3.11 have the settrace backend only.
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

APP = """
import bench_helper


def target(x):
    return x + 1


def leaf(x):
    return x * 2


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def loop(n):
    total = 0
    for i in range(n):
        total += i % 7
        if total > 1000:
            total -= 1000
    return total


def work(rounds):
    acc = 0
    for r in range(rounds):
        acc += fib(12)
        acc += loop(400)
        for i in range(40):
            acc += leaf(i)
        acc += bench_helper.tally(r)
        if r % 10 == 0:
            acc += target(r)
    return acc
"""

HELPER = """
def tally(n):
    total = 0
    for i in range(8):
        total += i * n
    return total
"""

BACKENDS = ("settrace", "monitoring") if hasattr(sys, "monitoring") else ("settrace",)

#: name -> (trace() keywords, whether it prints/delivers (nearly) every event, so fewer rounds will do)
MODES: dict[str, tuple[dict[str, Any], bool]] = {
    "nothing": ({"module": "nothing.matches"}, False),
    "one function": ({"function": "target", "kind": "call"}, False),
    "one module": ({"module": "bench_helper"}, False),
    "stdlib=False": ({"stdlib": False}, True),
    "delivery only": ({"stdlib": False, "lineno_lt": 0}, True),
}


def load_workload(folder: Path) -> Any:
    """Write the workload modules to ``folder`` and import them."""
    (folder / "bench_app.py").write_text(textwrap.dedent(APP))
    (folder / "bench_helper.py").write_text(textwrap.dedent(HELPER))
    sys.path.insert(0, str(folder))
    return importlib.import_module("bench_app")


def time_run(work: Callable[[int], Any], rounds: int, start: Callable[[], Any] | None) -> float:
    """Seconds per round of one run, tracer start and stop included."""
    gc.collect()
    started = time.process_time()
    tracer = start() if start is not None else None
    work(rounds)
    if tracer is not None:
        tracer.stop()
    return (time.process_time() - started) / rounds


def starter(options: dict[str, Any], backend: str, stream: Any) -> Callable[[], Any]:
    def start() -> Any:
        return hunter.trace(backend=backend, action=hunter.CallPrinter(stream=stream), **options)

    return start


def count_events(work: Callable[[int], Any], rounds: int) -> int:
    """How many events one round of the workload produces (settrace, the reference, counts them)."""
    counted = [0]

    def count(event: Any) -> None:
        counted[0] += 1

    tracer = hunter.trace(stdlib=False, backend="settrace", action=count)
    work(rounds)
    tracer.stop()
    return counted[0] // rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="repetitions (default 9)")
    parser.add_argument("--rounds", type=int, default=1000, help="workload rounds for the light modes (default 1000)")
    args = parser.parse_args()
    heavy_rounds = max(args.rounds // 40, 2)

    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as null:
        work = load_workload(Path(folder)).work
        for _ in range(3):  # warm up: imports, caches, specialisation
            time_run(work, args.rounds, None)
        runs = [(mode, backend) for mode in MODES for backend in BACKENDS]
        ratios: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
        untraced: list[float] = []
        for repetition in range(args.runs):
            base = time_run(work, args.rounds, None)
            untraced.append(base)
            shift = repetition % len(runs)
            for mode, backend in runs[shift:] + runs[:shift]:
                options, heavy = MODES[mode]
                seconds = time_run(work, heavy_rounds if heavy else args.rounds, starter(options, backend, null))
                ratios[mode, backend].append(seconds / base)
        events = count_events(work, heavy_rounds)

    base = statistics.median(untraced)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    print(f"Python {version} ({sys.implementation.name}), {args.runs} runs, untraced {base * 1e6:.0f} us per round")
    print(f"{'ratio to untraced':<20}" + "".join(f"{backend:>14}" for backend in BACKENDS))
    for mode in MODES:
        cells = "".join(f"{statistics.median(ratios[mode, backend]):>13.2f}x" for backend in BACKENDS)
        print(f"{mode:<20}{cells}")
    print(f"\nper event ({events} events per round of the workload):")
    for backend in BACKENDS:
        printed = (statistics.median(ratios["stdlib=False", backend]) - 1) * base / events
        delivered = (statistics.median(ratios["delivery only", backend]) - 1) * base / events
        print(
            f"  {backend:<11} printed {printed * 1e6:.2f} us = delivered and tested {delivered * 1e6:.2f} us"
            f" + printing {(printed - delivered) * 1e6:.2f} us"
        )


if __name__ == "__main__":
    main()
