"""Benchmark: record every call of a workload to a timeline file; print the slowdown against the untraced run.

Usage: python benchmarks/timeline.py [--rounds N] [--backend settrace|monitoring]... [--workload NAME]...
                                     [--mode MODE]... [--clock cpu|wall] [--viztracer] [--against REF]

Each measurement runs in a fresh interpreter (warm-up, then the median of 3 runs). The modes of a workload and
backend are interleaved over ``--rounds`` rounds, and the median of the rounds is reported, as a ratio to the
untraced run (and to viztracer's). Time is the measuring process's CPU time by default (``--clock cpu``: what
other processes on a shared machine do changes it least; writing the file is counted too, as system time), or
elapsed time (``--clock wall``).

Fixed costs (starting and stopping a trace, opening and closing the file) are measured apart: each mode also runs
on an empty workload, and ``net`` is the time minus that, i.e. what the workload's events cost.

Modes: ``untraced``; ``tracer`` (an action that does nothing: the tracer alone, building events);
``chrome`` (ChromeTrace with arguments and return values, what ``hunter --format chrome`` records);
``chrome-noargs`` (ChromeTrace(args=False): the same events as viztracer's default); ``chrome-events`` (chrome,
but on the normal path: events through the predicate instead of raw records, see hunter/_recording.py);
``jsonl`` (JSONLines); ``chrome-filtered`` (ChromeTrace of one module the workload never calls: the cost of a
filter that prunes everything); ``record``, ``record-novalues``, ``record-filtered``: the same for a recording
(``record=PATH``, hunter.record's trace file, with and without values). The query of the others is the one
``--format chrome`` uses: calls, returns and exceptions of all code, standard library included.

``--viztracer`` adds ``viztracer``: VizTracer recording the same Python calls (C functions left out; by default it
records no arguments or return values, like ``chrome-noargs``) and saving its JSON; and ``viztracer-args``, with
``log_func_args`` and ``log_func_retval`` (like ``chrome``). The ``kB`` column is the size of the file a mode
wrote. viztracer runs in a virtualenv of its own (``.venvs/bench-timeline-3.X``, created on first use with
viztracer from PyPI and this project), and so do all the other modes then, so that both use one interpreter.

``--against REF`` (a git revision of this repository, e.g. ``main``) also runs each traced mode with that
revision's code (exported to a temporary directory and put first on ``PYTHONPATH``), shown as ``MODE@REF``: before
and after a change, measured in one run, interleaved.
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

MODES = (
    "untraced",
    "tracer",
    "chrome",
    "chrome-noargs",
    "chrome-events",
    "jsonl",
    "chrome-filtered",
    "record",
    "record-novalues",
    "record-filtered",
)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def _ignore(event: Any) -> None:
    """An action that does nothing: the cost of tracing alone."""


# -- workloads ---------------------------------------------------------------------------------------------


def tiny_calls() -> Callable[[], Any]:
    """Many tiny calls: naive recursive Fibonacci (92,735 calls of a two-line function)."""

    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    return lambda: fib(23)


def ordinary() -> Callable[[], Any]:
    """Ordinary code: parse CSV-like text into objects, aggregate, sort and format a report (calls do real work)."""

    class Order:
        def __init__(self, customer: str, item: str, quantity: int, price: float) -> None:
            self.customer = customer
            self.item = item
            self.quantity = quantity
            self.price = price

        def total(self) -> float:
            return self.quantity * self.price

    lines = [f"customer{i % 37},item{i % 11},{i % 7 + 1},{(i % 13) * 1.25 + 0.5}" for i in range(5000)]
    text = "\n".join(lines)

    def parse(blob: str) -> list[Order]:
        orders = []
        for line in blob.splitlines():
            customer, item, quantity, price = line.split(",")
            orders.append(Order(customer.strip(), item.strip(), int(quantity), float(price)))
        return orders

    def by_customer(orders: list[Order]) -> dict[str, float]:
        totals: dict[str, float] = {}
        for order in orders:
            totals[order.customer] = totals.get(order.customer, 0.0) + order.total()
        return totals

    def report(totals: dict[str, float]) -> str:
        rows = sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))
        return "\n".join(f"{name:<12} {amount:>10.2f}" for name, amount in rows)

    return lambda: report(by_customer(parse(text)))


WORKLOADS: dict[str, Callable[[], Callable[[], Any]]] = {"tiny-calls": tiny_calls, "ordinary": ordinary}


# -- one measurement (in a child interpreter) ----------------------------------------------------------------


def measure(workload: str, mode: str, repeat: int, clock: Callable[[], float]) -> tuple[float, float, int]:
    """Median times of ``repeat`` runs of the workload in this interpreter, under ``mode``, and of an empty one; and
    the size of the file the last run wrote."""
    run = WORKLOADS[workload]()
    run()  # warm up: imports, caches, specialisation
    # (removed after: a round writes tens of MB, and the benchmark is run again and again)
    with tempfile.TemporaryDirectory(prefix="hunter-bench-") as directory:
        times = [_timed(run, mode, os.path.join(directory, f"{index}.json"), clock) for index in range(repeat)]
        empty = [os.path.join(directory, f"empty{index}.json") for index in range(repeat)]
        fixed = [_timed(_nothing, mode, output, clock) for output in empty]
        size = 0
        for name in (f"{repeat - 1}.json", f"{repeat - 1}.jsonl", f"{repeat - 1}.json.hunt"):
            if os.path.exists(os.path.join(directory, name)):
                size = os.path.getsize(os.path.join(directory, name))
    return statistics.median(times), statistics.median(fixed), size


def _nothing() -> None:
    """The empty workload: what remains is the fixed cost of a mode."""


def _timed(run: Callable[[], Any], mode: str, output: str, clock: Callable[[], float]) -> float:
    """The time of one run of ``run`` under ``mode``, writing ``output``."""
    if mode == "untraced":
        start = clock()
        run()
        return clock() - start
    if mode in ("viztracer", "viztracer-args"):
        from viztracer import VizTracer

        values = mode == "viztracer-args"
        tracer = VizTracer(
            output_file=output,
            ignore_c_function=True,
            verbose=0,
            tracer_entries=5_000_000,
            log_func_args=values,
            log_func_retval=values,
        )
        start = clock()
        tracer.start()
        run()
        tracer.stop()
        tracer.save()  # writing the file is part of the cost, as it is for ours
        return clock() - start
    import hunter
    from hunter import ChromeTrace, JSONLines

    try:
        import hunter._engine._recording
    except ImportError:  # (a revision from before it, see --against)
        pass
    else:
        hunter._engine._recording.enabled = mode != "chrome-events"
    query: dict[str, Any] = {"kind_in": ("call", "return", "exception")}
    if mode == "tracer":
        action: Any = _ignore
    elif mode == "jsonl":
        action = JSONLines(output + "l")
    elif mode == "chrome-filtered":
        action = ChromeTrace(output)
        query["module"] = "fractions"
    elif mode.startswith("record"):
        from hunter.record import Recorder

        action = Recorder(output + ".hunt", values=mode != "record-novalues")
        if mode == "record-filtered":
            query["module"] = "fractions"
    else:
        action = ChromeTrace(output, args=mode != "chrome-noargs")
    start = clock()
    with hunter.trace(action=action, **query):
        run()
    if mode != "tracer":
        action.close()  # the last batch is written: part of the cost
    return clock() - start


# -- driver ----------------------------------------------------------------------------------------------------


def backends() -> list[str]:
    """The backends this interpreter has."""
    return ["monitoring", "settrace"] if hasattr(sys, "monitoring") else ["settrace"]


def viztracer_python() -> str:
    """The interpreter of the benchmark's own virtualenv with viztracer and this project (made on first use)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = os.path.join(ROOT, ".venvs", f"bench-timeline-{version}")
    python = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        # Editable: the benchmark always measures the working tree's code.
        subprocess.run([python, "-m", "pip", "install", "-q", "viztracer", "-e", ROOT], check=True)
    return python


def source_tree(ref: str) -> str:
    """The ``src`` directory of a git revision of this repository, exported to a temporary directory."""
    directory = tempfile.mkdtemp(prefix="hunter-bench-src-")
    atexit.register(shutil.rmtree, directory, True)
    archive = subprocess.run(["git", "-C", ROOT, "archive", ref, "src"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", directory], input=archive, check=True)
    return os.path.join(directory, "src")


def child(
    python: str, workload: str, mode: str, backend: str, repeat: int, clock: str, tree: str | None = None
) -> tuple[float, float, int]:
    """Run one measurement in a fresh interpreter (with hunter from ``tree`` if given): (seconds, fixed seconds,
    file size)."""
    env = dict(os.environ)
    for name in ("PYTHONHUNTER", "PYTHONHUNTERCONFIG", "PYTHONPATH"):
        env.pop(name, None)
    env["PYTHONHUNTERCONFIG"] = f'backend="{backend}"'
    if tree is not None:
        env["PYTHONPATH"] = tree
    argv = [python, __file__, "--child", workload, mode, str(repeat), clock]
    output = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return float(result["seconds"]), float(result["fixed"]), int(result["size"])


def main() -> None:
    """Print, per workload and backend, the median time of each mode, its ratio to untraced and to viztracer."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the median counts (default 5)")
    parser.add_argument("--backend", action="append", choices=("settrace", "monitoring"), help="default: all")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS), help="default: all")
    parser.add_argument("--mode", action="append", choices=MODES[1:], help="default: all (untraced always runs)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu", help="what is timed (default: cpu)")
    parser.add_argument("--viztracer", action="store_true", help="compare with viztracer (its own virtualenv)")
    parser.add_argument("--against", metavar="REF", help="also run the traced modes with this git revision's code")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        workload, mode, repeat, clock = options.child
        seconds, fixed, size = measure(workload, mode, int(repeat), CLOCKS[clock])
        print(json.dumps({"seconds": seconds, "fixed": fixed, "size": size}))
        return
    python = viztracer_python() if options.viztracer else sys.executable
    traced = list(options.mode or MODES[1:])
    modes = ["untraced", *traced] + (["viztracer", "viztracer-args"] if options.viztracer else [])
    trees: dict[str, str | None] = dict.fromkeys(modes)
    if options.against:
        tree = source_tree(options.against)
        # (chrome-events is the normal path of this tree: the same as chrome on a revision without the raw path.)
        before = [f"{mode}@{options.against}" for mode in traced if mode != "chrome-events"]
        trees.update(dict.fromkeys(before, tree))
        modes += before
    print(
        f"Python {sys.version.split()[0]}, {options.clock} time, median of {options.rounds} interleaved rounds "
        "(each a median of 3 runs); net = minus the fixed cost (the mode on an empty workload)"
    )
    width = max(16, *map(len, modes))
    header = f"{'workload':<12} {'backend':<11} {'mode':<{width}} {'seconds':>8} {'fixed ms':>8}"
    header += f" {'kB':>7} {'untraced':>9} {'net':>8}"
    print(header + (f" {'viztracer':>9} {'net':>7}" if options.viztracer else ""))
    for workload in options.workload or list(WORKLOADS):
        for backend in options.backend or backends():
            times: dict[str, list[tuple[float, float, int]]] = {mode: [] for mode in modes}
            for _ in range(options.rounds):
                for mode in modes:
                    name = mode.split("@")[0]
                    times[mode].append(child(python, workload, name, backend, 3, options.clock, trees[mode]))
            total = {mode: statistics.median(t for t, _, _ in values) for mode, values in times.items()}
            fixed = {mode: statistics.median(f for _, f, _ in values) for mode, values in times.items()}
            sizes = {mode: values[-1][2] for mode, values in times.items()}
            net = {mode: total[mode] - fixed[mode] for mode in modes}
            for mode in modes:
                line = (
                    f"{workload:<12} {backend:<11} {mode:<{width}} {total[mode]:>8.4f} {fixed[mode] * 1000:>8.2f} "
                    f"{sizes[mode] / 1000:>7.0f} "
                    f"{total[mode] / total['untraced']:>8.2f}x {net[mode] / net['untraced']:>7.2f}x"
                )
                if options.viztracer:
                    line += f" {total[mode] / total['viztracer']:>8.2f}x {net[mode] / net['viztracer']:>6.2f}x"
                print(line, flush=True)


if __name__ == "__main__":
    main()
