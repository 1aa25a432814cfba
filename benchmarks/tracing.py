#!/usr/bin/env python3
"""Tracing overhead: a call- and line-heavy workload untraced and under typical queries, on every backend.

Usage: python benchmarks/tracing.py [--runs N] [--rounds N] [--versus39]

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

``--versus39``: the printing modes against hunter 3.9.0 itself (its virtualenv ``.venvs/hunter39-py3.X``, made by
the compat tests: ``tests/compat/harness.py``). Each repetition runs one child process with hunter 3.9 and one with
ours (in an order that alternates), each measuring its ratios to its own untraced run; the table shows, per mode
and backend, the median over repetitions of ours / hunter 3.9's ratio in the same repetition (paired).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import statistics
import subprocess
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

#: hunter 3.9 (``--versus39`` runs this file under it) has one tracer and no backend option.
HUNTER39 = hunter.__version__ == "3.9.0"
BACKENDS = ("hunter39",) if HUNTER39 else ("settrace", "monitoring") if hasattr(sys, "monitoring") else ("settrace",)
#: The modes that print, compared with hunter 3.9 by ``--versus39``.
PRINTING = ("one function", "one module", "stdlib=False")
ROOT = Path(__file__).resolve().parent.parent

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
        chosen = {} if HUNTER39 else {"backend": backend}
        return hunter.trace(action=hunter.CallPrinter(stream=stream), **chosen, **options)

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


def measure(runs: int, rounds: int, modes: tuple[str, ...]) -> tuple[dict[tuple[str, str], list[float]], list[float]]:
    """Per (mode, backend), each repetition's time per round divided by the untraced one; the untraced times."""
    heavy_rounds = max(rounds // 40, 2)
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as null:
        work = load_workload(Path(folder)).work
        for _ in range(3):  # warm up: imports, caches, specialisation
            time_run(work, rounds, None)
        pairs = [(mode, backend) for mode in modes for backend in BACKENDS]
        ratios: dict[tuple[str, str], list[float]] = {pair: [] for pair in pairs}
        untraced: list[float] = []
        for repetition in range(runs):
            base = time_run(work, rounds, None)
            untraced.append(base)
            shift = repetition % len(pairs)
            for mode, backend in pairs[shift:] + pairs[:shift]:
                options, heavy = MODES[mode]
                seconds = time_run(work, heavy_rounds if heavy else rounds, starter(options, backend, null))
                ratios[mode, backend].append(seconds / base)
    return ratios, untraced


def versus39(runs: int, rounds: int) -> None:
    """Paired medians of ours / hunter 3.9's ratio to untraced, per printing mode and backend (child processes)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    python39 = ROOT / ".venvs" / f"hunter39-py{version}" / "bin" / "python"
    if not python39.exists():
        raise SystemExit(f"no {python39}: run the compat tests once (tests/compat/harness.py makes it)")
    child = [__file__, "--runs", "1", "--rounds", str(rounds), "--json"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHONHUNTER", "PYTHONPATH"))}

    def one(python: Path | str) -> dict[str, float]:
        output = subprocess.run([os.fspath(python), *child], env=env, capture_output=True, text=True, check=True)
        return dict(json.loads(output.stdout))

    backends = ("settrace", "monitoring") if hasattr(sys, "monitoring") else ("settrace",)
    relative: dict[tuple[str, str], list[float]] = {(mode, backend): [] for mode in PRINTING for backend in backends}
    for repetition in range(runs):
        ordered = [python39, sys.executable] if repetition % 2 == 0 else [sys.executable, python39]
        results = {os.fspath(python): one(python) for python in ordered}
        theirs, ours = results[os.fspath(python39)], results[sys.executable]
        for mode, backend in relative:
            relative[mode, backend].append(ours[f"{mode}/{backend}"] / theirs[f"{mode}/hunter39"])
    print(f"Python {version}, {runs} paired runs: ours / hunter 3.9.0 (ratios to untraced, median of pairs)")
    print(f"{'mode':<20}" + "".join(f"{backend:>14}" for backend in backends))
    for mode in PRINTING:
        cells = "".join(f"{statistics.median(relative[mode, backend]):>13.2f}x" for backend in backends)
        print(f"{mode:<20}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="repetitions (default 9)")
    parser.add_argument("--rounds", type=int, default=1000, help="workload rounds for the light modes (default 1000)")
    parser.add_argument("--versus39", action="store_true", help="the printing modes against hunter 3.9.0, paired")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a --versus39 child's answer
    args = parser.parse_args()
    if args.versus39:
        versus39(args.runs, args.rounds)
        return
    if args.json:
        ratios, _untraced = measure(args.runs, args.rounds, PRINTING)
        print(
            json.dumps({f"{mode}/{backend}": statistics.median(values) for (mode, backend), values in ratios.items()})
        )
        return
    ratios, untraced = measure(args.runs, args.rounds, tuple(MODES))
    with tempfile.TemporaryDirectory() as folder:
        events = count_events(load_workload(Path(folder)).work, max(args.rounds // 40, 2))

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
