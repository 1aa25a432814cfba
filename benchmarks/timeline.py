"""Benchmark: record every call of a workload to a timeline file; print the slowdown against the untraced run.

Usage: python benchmarks/timeline.py [--rounds N] [--backend settrace|monitoring]... [--workload NAME]...
                                     [--viztracer]

Each measurement runs in a fresh interpreter (warm-up, then the median of 3 runs). The modes of a workload and
backend are interleaved over ``--rounds`` rounds, and the median of the rounds is reported, as a ratio to the
untraced run (and to viztracer's). Modes: ``untraced``; ``tracer`` (an action that does nothing: the tracer
alone); ``chrome`` (ChromeTrace with arguments and return values, what ``hunter --format chrome`` records);
``chrome-noargs`` (ChromeTrace(args=False)); ``jsonl`` (JSONLines); ``chrome-filtered`` (ChromeTrace of one
module the workload never calls: the cost of a filter that prunes everything). The query of the others is the
one ``--format chrome`` uses: calls, returns and exceptions of all code, standard library included.

``--viztracer`` adds ``viztracer``: VizTracer recording the same Python calls (C functions left out) and saving
its JSON. It runs in a virtualenv of its own (``.venvs/bench-timeline-3.X``, created on first use with
viztracer from PyPI and this project), and so do all the other modes then, so that both use one interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

MODES = ("untraced", "tracer", "chrome", "chrome-noargs", "jsonl", "chrome-filtered")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ignore(event: Any) -> None:
    """An action that does nothing: the cost of tracing alone."""


# -- workloads ---------------------------------------------------------------------------------------------


def tiny_calls() -> Callable[[], Any]:
    """Many tiny calls: naive recursive Fibonacci (about 75,000 calls of a two-line function)."""

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


def measure(workload: str, mode: str, repeat: int) -> float:
    """Median wall time of ``repeat`` runs of the workload in this interpreter, under ``mode``."""
    run = WORKLOADS[workload]()
    run()  # warm up: imports, caches, specialisation
    times = []
    directory = tempfile.mkdtemp(prefix="hunter-bench-")
    for index in range(repeat):
        output = os.path.join(directory, f"{index}.json")
        if mode == "untraced":
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
            continue
        if mode == "viztracer":
            from viztracer import VizTracer

            tracer = VizTracer(output_file=output, ignore_c_function=True, verbose=0, tracer_entries=5_000_000)
            start = time.perf_counter()
            tracer.start()
            run()
            tracer.stop()
            tracer.save()  # writing the file is part of the cost, as it is for ours
            times.append(time.perf_counter() - start)
            continue
        import hunter
        from hunter import ChromeTrace, JSONLines

        query: dict[str, Any] = {"kind_in": ("call", "return", "exception")}
        if mode == "tracer":
            action: Any = _ignore
        elif mode == "jsonl":
            action = JSONLines(output + "l")
        elif mode == "chrome-filtered":
            action = ChromeTrace(output)
            query["module"] = "fractions"
        else:
            action = ChromeTrace(output, args=mode == "chrome")
        start = time.perf_counter()
        with hunter.trace(action=action, **query):
            run()
        if mode != "tracer":
            action.close()  # the last batch is written: part of the cost
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
        subprocess.run([python, "-m", "pip", "install", "-q", "viztracer", ROOT], check=True)
    return python


def child(python: str, workload: str, mode: str, backend: str, repeat: int) -> float:
    env = dict(os.environ)
    for name in ("PYTHONHUNTER", "PYTHONHUNTERCONFIG"):
        env.pop(name, None)
    env["PYTHONHUNTERCONFIG"] = f'backend="{backend}"'
    argv = [python, __file__, "--child", workload, mode, str(repeat)]
    output = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return float(json.loads(output.strip().splitlines()[-1])["seconds"])


def main() -> None:
    """Print, per workload and backend, the median time of each mode, its ratio to untraced and to viztracer."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the median counts (default 5)")
    parser.add_argument("--backend", action="append", choices=("settrace", "monitoring"), help="default: all")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS), help="default: all")
    parser.add_argument("--viztracer", action="store_true", help="compare with viztracer (its own virtualenv)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        workload, mode, repeat = options.child
        print(json.dumps({"seconds": measure(workload, mode, int(repeat))}))
        return
    python = viztracer_python() if options.viztracer else sys.executable
    modes = [*MODES, "viztracer"] if options.viztracer else list(MODES)
    print(f"Python {sys.version.split()[0]}, median of {options.rounds} interleaved rounds (each a median of 3 runs)")
    print(f"{'workload':<12} {'backend':<11} {'mode':<16} {'seconds':>9} {'untraced':>9} {'viztracer':>10}")
    for workload in options.workload or list(WORKLOADS):
        for backend in options.backend or backends():
            times: dict[str, list[float]] = {mode: [] for mode in modes}
            for _ in range(options.rounds):
                for mode in modes:
                    times[mode].append(child(python, workload, mode, backend, 3))
            medians = {mode: statistics.median(values) for mode, values in times.items()}
            for mode in modes:
                seconds = medians[mode]
                versus = f"{seconds / medians['viztracer']:>9.2f}x" if "viztracer" in medians else ""
                print(
                    f"{workload:<12} {backend:<11} {mode:<16} {seconds:>9.4f} {seconds / medians['untraced']:>8.2f}x "
                    f"{versus}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
