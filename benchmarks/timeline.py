"""Benchmark: record every call of a workload to a timeline file; print the slowdown against the untraced run.

Usage: python benchmarks/timeline.py [--repeat N] [--backend settrace|monitoring]... [--workload NAME]...

Each (workload, mode, backend) runs in a fresh interpreter, ``--repeat`` times; the best time counts. Modes:
``untraced``; ``tracer`` (tracing with an action that does nothing: the cost of the tracer alone);
``chrome`` (ChromeTrace with arguments and return values, what ``hunter --format chrome`` records);
``chrome-noargs`` (ChromeTrace(args=False)); ``jsonl`` (JSONLines). The query is the one ``--format chrome``
uses: calls, returns and exceptions of all code, standard library included, lines left out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

MODES = ("untraced", "tracer", "chrome", "chrome-noargs", "jsonl")


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
    """Best wall time of ``repeat`` runs of the workload in this interpreter, under ``mode``."""
    run = WORKLOADS[workload]()
    run()  # warm up: imports, caches, specialisation
    best = float("inf")
    directory = tempfile.mkdtemp(prefix="hunter-bench-")
    for index in range(repeat):
        if mode == "untraced":
            start = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - start)
            continue
        import hunter
        from hunter import ChromeTrace, JSONLines

        if mode == "tracer":
            action: Any = lambda event: None
        elif mode == "jsonl":
            action = JSONLines(os.path.join(directory, f"{index}.jsonl"))
        else:
            action = ChromeTrace(os.path.join(directory, f"{index}.json"), args=mode == "chrome")
        start = time.perf_counter()
        with hunter.trace(kind_in=("call", "return", "exception"), action=action):
            run()
        if mode != "tracer":
            action.close()  # the last batch is written: part of the cost
        best = min(best, time.perf_counter() - start)
    return best


# -- driver ----------------------------------------------------------------------------------------------------


def backends() -> list[str]:
    """The backends this interpreter has."""
    return ["monitoring", "settrace"] if hasattr(sys, "monitoring") else ["settrace"]


def child(workload: str, mode: str, backend: str, repeat: int) -> float:
    env = dict(os.environ)
    for name in ("PYTHONHUNTER", "PYTHONHUNTERCONFIG"):
        env.pop(name, None)
    env["PYTHONHUNTERCONFIG"] = f'backend="{backend}"'
    argv = [sys.executable, __file__, "--child", workload, mode, str(repeat)]
    output = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    return float(json.loads(output.strip().splitlines()[-1])["seconds"])


def main() -> None:
    """Print, per workload and backend, the best time of each mode and its ratio to the untraced run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the best counts (default 5)")
    parser.add_argument("--backend", action="append", choices=("settrace", "monitoring"), help="default: all")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS), help="default: all")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        workload, mode, repeat = options.child
        print(json.dumps({"seconds": measure(workload, mode, int(repeat))}))
        return
    print(f"Python {sys.version.split()[0]}, best of {options.repeat}")
    print(f"{'workload':<12} {'backend':<11} {'mode':<14} {'seconds':>9} {'ratio':>7}")
    for workload in options.workload or list(WORKLOADS):
        for backend in options.backend or backends():
            base = child(workload, "untraced", backend, options.repeat)
            print(f"{workload:<12} {backend:<11} {'untraced':<14} {base:>9.4f} {1:>6.1f}x", flush=True)
            for mode in MODES[1:]:
                seconds = child(workload, mode, backend, options.repeat)
                print(f"{workload:<12} {backend:<11} {mode:<14} {seconds:>9.4f} {seconds / base:>6.1f}x", flush=True)


if __name__ == "__main__":
    main()
