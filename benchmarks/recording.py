"""Benchmark: recording only the program's own code (``stdlib=False``) of a workload that mostly runs the stdlib.

Usage: python benchmarks/recording.py [--rounds N] [--backend settrace|monitoring]... [--repeat N]

The workload's own functions are few and call into the standard library (json, re, textwrap, fractions,
dataclasses' generated code aside); the recording is ``record=PATH, stdlib=False`` (what ``hunter record
--no-stdlib`` does), with values. Each measurement runs in a fresh interpreter (a warm-up run under the same mode,
then the median of 5 runs); modes are interleaved over ``--rounds`` rounds and the median is printed as a ratio to the
untraced run. ``record-none`` records a module the workload never runs (the floor: a recording's start and stop,
and judging each code object once); ``record-own-novalues`` is ``record-own`` without values (``--no-values``);
``record-all`` records the standard library's calls too, for scale. CPU time of the measuring process.
``--repeat N`` runs the workload N times in each measurement (traced: in one recording), for the cost of a longer
run, where a recording's start and stop and judging each code object weigh less.
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


def measure(mode: str, output: str, repeat: int) -> float:
    """The median of 5 timed runs under ``mode`` (after a warm-up run under the same mode)."""
    once = workload()

    def run() -> None:
        for _ in range(repeat):
            once()

    times = []
    # (index -1 is the warm-up: the workload's first run imports and compiles its own modules, and a process's
    # first recording imports hunter's recording modules; both are once per process, like ``import hunter``)
    for index in range(-1, 5):
        if mode == "untraced":
            start = time.process_time()
            run()
            times.append(time.process_time() - start)
            continue
        import hunter

        query: dict[str, Any] = {"stdlib": False} if mode.startswith("record-own") else {}
        if mode.endswith("-novalues"):
            query["record_values"] = False
        if mode == "record-none":
            query["module"] = "no_such_module"
        start = time.process_time()
        # (a new file each time: truncating the last round's file would be timed too, and costs what it held)
        with hunter.trace(record=f"{output}.{os.getpid()}.{index}.hunt", **query):
            run()
        hunter.stop()
        times.append(time.process_time() - start)
    return statistics.median(times[1:])


def main() -> None:
    """Print per backend the median time of each mode and its ratio to the untraced run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", action="append", choices=("settrace", "monitoring"))
    parser.add_argument("--repeat", type=int, default=1, help="workload runs per measurement (default 1)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(measure(options.child[0], options.child[1], options.repeat)))
        return
    backends = options.backend or (["monitoring", "settrace"] if hasattr(sys, "monitoring") else ["settrace"])
    directory = tempfile.mkdtemp(prefix="hunter-bench-record-")
    atexit.register(shutil.rmtree, directory, True)  # (the recordings of every round)
    print(
        f"Python {sys.version.split()[0]}, cpu time, median of {options.rounds} interleaved rounds,"
        f" {options.repeat} workload run(s) per measurement"
    )
    for backend in backends:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHONHUNTER")}
        env["PYTHONHUNTERCONFIG"] = f'backend="{backend}"'
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(options.rounds):
            for mode in MODES:
                argv = [sys.executable, __file__, "--repeat", str(options.repeat), "--child", mode]
                argv.append(os.path.join(directory, mode))
                output = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
                times[mode].append(float(output.strip().splitlines()[-1]))
        base = statistics.median(times["untraced"])
        for mode in MODES:
            median = statistics.median(times[mode])
            print(f"{backend:<11} {mode:<19} {median:>8.4f}s {median / base:>6.2f}x")


if __name__ == "__main__":
    main()
