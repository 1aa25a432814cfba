"""Benchmark: recording only the program's own code (``stdlib=False``) of a workload that mostly runs the stdlib.

Usage: python benchmarks/recording.py [--rounds N] [--backend settrace|monitoring]... [--repeat N] [--paired N]

The workload's own functions are few and call into the standard library (json, re, textwrap, fractions,
dataclasses' generated code aside); the recording is ``record=PATH, stdlib=False`` (what ``hunter record
--no-stdlib`` does), with values. Each measurement runs in a fresh interpreter (a warm-up run under the same mode,
then the median of 5 runs); modes are interleaved over ``--rounds`` rounds and the median is printed as a ratio to the
untraced run. ``record-none`` records a module the workload never runs (the floor: a recording's start and stop,
and judging each code object once); ``record-own-novalues`` is ``record-own`` without values (``--no-values``);
``record-all`` records the standard library's calls too, for scale. CPU time of the measuring process.
``--repeat N`` runs the workload N times in each measurement (traced: in one recording), for the cost of a longer
run, where a recording's start and stop and judging each code object weigh less. ``--paired N`` times, in each
round's process for a mode, N recordings each against an untraced run just before it, and prints the median of all
those ratios: less noisy (a change of a few hundredths shows), and a process's later recordings.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

MODES = ("untraced", "record-none", "record-own", "record-own-novalues", "record-all")


def workload() -> Callable[[], Any]:
    """A report builder: own code is a thin layer over json, re, textwrap and fractions."""
    import fractions
    import re
    import textwrap

    words = re.compile(r"[a-z]+")
    documents = [
        json.dumps({"id": index, "text": " ".join(f"word{index % 17} item{index % 5}" for _ in range(20))})
        for index in range(300)
    ]

    def load(blob: str) -> dict[str, Any]:
        return json.loads(blob)

    def summarize(document: dict[str, Any]) -> str:
        counts: dict[str, int] = {}
        for word in words.findall(document["text"]):
            counts[word] = counts.get(word, 0) + 1
        share = fractions.Fraction(len(counts), 1 + len(document["text"]))
        return textwrap.shorten(f"{document['id']}: {sorted(counts)} {share}", width=60)

    def report() -> list[str]:
        return [summarize(load(blob)) for blob in documents]

    return report


def _query(mode: str) -> dict[str, Any]:
    """The recording's keywords in ``mode`` (a record-* mode)."""
    query: dict[str, Any] = {"stdlib": False} if mode.startswith("record-own") else {}
    if mode.endswith("-novalues"):
        query["record_values"] = False
    if mode == "record-none":
        query["module"] = "no_such_module"
    return query


def _timed(mode: str, run: Callable[[], None], path: str) -> float:
    """The CPU time of one run under ``mode``: untraced, or in one recording to ``path``."""
    if mode == "untraced":
        start = time.process_time()
        run()
        return time.process_time() - start
    import hunter

    query = _query(mode)
    start = time.process_time()
    with hunter.trace(record=path, **query):
        run()
    hunter.stop()
    return time.process_time() - start


def _repeated(repeat: int) -> Callable[[], None]:
    """One measured run: the workload ``repeat`` times."""
    once = workload()

    def run() -> None:
        for _ in range(repeat):
            once()

    return run


def measure(mode: str, output: str, repeat: int) -> float:
    """The median of 5 timed runs under ``mode`` (after a warm-up run under the same mode)."""
    run = _repeated(repeat)
    # (index -1 is the warm-up: the workload's first run imports and compiles its own modules, and a process's
    # first recording imports hunter's recording modules; both are once per process, like ``import hunter``; a new
    # file each time: truncating the last round's file would be timed too, and costs what it held)
    times = [_timed(mode, run, f"{output}.{os.getpid()}.{index}.hunt") for index in range(-1, 5)]
    return statistics.median(times[1:])


def measure_pairs(mode: str, output: str, repeat: int, pairs: int) -> list[float]:
    """``--paired``: in one process, each recording's time over the untraced run's just before it, ``pairs`` times
    (after a warm-up pair): a ratio of two runs a moment apart, where the machine's drift from one process to the
    next is gone (its noise is a few hundredths, against the process-per-mode rounds' ~0.05)."""
    run = _repeated(repeat)
    ratios = []
    for index in range(-1, pairs):
        untraced = _timed("untraced", run, "")
        ratio = _timed(mode, run, f"{output}.{os.getpid()}.{index}.hunt") / untraced
        if index >= 0:
            ratios.append(ratio)
    return ratios


def main() -> None:
    """Print per backend the median time of each mode and its ratio to the untraced run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", action="append", choices=("settrace", "monitoring"))
    parser.add_argument("--repeat", type=int, default=1, help="workload runs per measurement (default 1)")
    parser.add_argument(
        "--paired",
        type=int,
        default=0,
        metavar="N",
        help="instead: per round and mode, one process times N recordings each against an untraced run just before",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        mode, output = options.child
        if options.paired:
            print(json.dumps(measure_pairs(mode, output, options.repeat, options.paired)))
        else:
            print(json.dumps(measure(mode, output, options.repeat)))
        return
    backends = options.backend or (["monitoring", "settrace"] if hasattr(sys, "monitoring") else ["settrace"])
    directory = tempfile.mkdtemp(prefix="hunter-bench-record-")
    atexit.register(shutil.rmtree, directory, True)  # (the recordings of every round)
    how = f"rounds of {options.paired} paired runs" if options.paired else "interleaved rounds"
    print(
        f"Python {sys.version.split()[0]}, cpu time, median of {options.rounds} {how},"
        f" {options.repeat} workload run(s) per measurement"
    )
    for backend in backends:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHONHUNTER")}
        env["PYTHONHUNTERCONFIG"] = f'backend="{backend}"'
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        modes = MODES[1:] if options.paired else MODES
        for _ in range(options.rounds):
            for mode in modes:
                argv = [sys.executable, __file__, "--repeat", str(options.repeat), "--paired", str(options.paired)]
                argv += ["--child", mode, os.path.join(directory, mode)]
                output = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
                measured = json.loads(output.strip().splitlines()[-1])
                times[mode] += measured if options.paired else [measured]
        if options.paired:
            for mode in modes:
                ratios = sorted(times[mode])
                quarter = len(ratios) // 4
                print(
                    f"{backend:<11} {mode:<19} {statistics.median(ratios):>6.2f}x"
                    f"  (middle half {ratios[quarter]:.2f}-{ratios[-quarter - 1]:.2f}x, {len(ratios)} pairs)"
                )
            continue
        base = statistics.median(times["untraced"])
        for mode in MODES:
            median = statistics.median(times[mode])
            print(f"{backend:<11} {mode:<19} {median:>8.4f}s {median / base:>6.2f}x")


if __name__ == "__main__":
    main()
