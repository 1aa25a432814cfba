#!/usr/bin/env python3
"""``From`` (and other depth) queries against hunter 3.9: the same workload and query, under ours and 3.9.

Usage: python benchmarks/from_query.py [--runs N] [--hunter39 PYTHON]

The workload is a recursive-descent parser (a module written to a temporary folder and imported, as a user's
library would be) that evaluates nested arithmetic: deep recursion and many small calls, as pyparsing makes. The
query is issue 23's ``From(Q(module_startswith="bench_parser", function=F), Q(depth_lt=2))`` with a CallPrinter
writing to ``os.devnull``: once F is called, its own events and its direct callees' are printed, until it returns;
and a plain query on depth, ``Q(module="bench_parser", depth_lt=4)``, for scale. Each (hunter, backend) run is a
fresh process; the time is its CPU time for the traced part. Runs are paired: each repetition runs 3.9 and each
backend once, one after the other, so that the machine's drift hits all alike; the table shows each one's median
time and the median of its per-repetition ratios to hunter 3.9. hunter 3.9 comes from ``.venvs/hunter39-py3.X``
(the compat suite makes it), or the interpreter given with --hunter39.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

PARSER = """
class Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, char):
        if self.peek() == char:
            self.pos += 1
            return True
        return False

    def parse_expr(self):
        value = self.parse_term()
        while self.peek() in ("+", "-"):
            if self.take("+"):
                value += self.parse_term()
            elif self.take("-"):
                value -= self.parse_term()
        return value

    def parse_term(self):
        value = self.parse_factor()
        while self.peek() == "*":
            self.take("*")
            value *= self.parse_factor()
        return value

    def parse_factor(self):
        if self.take("("):
            value = self.parse_expr()
            self.take(")")
            return value
        return self.parse_number()

    def parse_number(self):
        start = self.pos
        while self.peek().isdigit():
            self.pos += 1
        return int(self.text[start:self.pos])


def expression(depth):
    if depth == 0:
        return "1+2*3"
    inner = expression(depth - 1)
    return f"({inner})*2-({inner}+1)"


def run(rounds):
    text = expression(6)
    total = 0
    for _ in range(rounds):
        total += Parser(text).parse_expr()
    return total
"""

CHILD = """
import os, sys, time
sys.path.insert(0, {folder!r})
import hunter
from hunter import From, Q, CallPrinter
import bench_parser
bench_parser.run(2)  # warm up
backend = {backend!r}
options = dict(backend=backend) if backend else {{}}
with open(os.devnull, "w") as null:
    query = {query}
    started = time.process_time()
    tracer = hunter.trace(query, action=CallPrinter(stream=null), **options)
    bench_parser.run({rounds})
    tracer.stop()
    print(time.process_time() - started)
"""

#: The queries (as written in the child), by name: From started by a mid-level function (called often, with
#: callees below it) and by a leaf, and a plain depth query.
QUERIES = {
    "From(Q(function='parse_term'), Q(depth_lt=2))": (
        'From(Q(module_startswith="bench_parser", function="parse_term"), Q(depth_lt=2))'
    ),
    "From(Q(function='parse_number'), Q(depth_lt=2))": (
        'From(Q(module_startswith="bench_parser", function="parse_number"), Q(depth_lt=2))'
    ),
    "Q(module='bench_parser', depth_lt=4)": 'Q(module="bench_parser", depth_lt=4)',
}


def hunter39_python(given: str | None) -> Path | None:
    """hunter 3.9's interpreter: the one given, or the compat suite's virtualenv for this Python."""
    if given:
        return Path(given)
    python = ROOT / ".venvs" / f"hunter39-py{VERSION}" / "bin" / "python"
    return python if python.exists() else None


def time_child(python: Path | str, folder: str, backend: str | None, query: str, rounds: int) -> float:
    """CPU seconds of one traced run in a fresh process."""
    code = CHILD.format(folder=folder, backend=backend, query=query, rounds=rounds)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHONHUNTER")}
    if backend is not None:  # ours: the package of this checkout, whatever the interpreter has installed
        env["PYTHONPATH"] = str(ROOT / "src")
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per (hunter, backend) (default 5)")
    parser.add_argument("--rounds", type=int, default=30, help="parses per process (default 30)")
    parser.add_argument("--hunter39", help="an interpreter with hunter 3.9.0 installed")
    args = parser.parse_args()
    reference = hunter39_python(args.hunter39)
    backends = ["settrace", "monitoring"] if sys.version_info >= (3, 12) else ["settrace"]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "bench_parser.py").write_text(PARSER)
        print(f"Python {VERSION}, {args.runs} paired runs of {args.rounds} parses; CPU seconds (median), ratio to 3.9")
        for name, query in QUERIES.items():
            runners: list[tuple[str, Path | str, str | None]] = []
            if reference is not None:
                runners.append(("hunter 3.9", reference, None))
            runners += [(f"ours {backend}", sys.executable, backend) for backend in backends]
            times: dict[str, list[float]] = {label: [] for label, _, _ in runners}
            for repetition in range(args.runs):
                turn = repetition % len(runners)
                for label, python, backend in runners[turn:] + runners[:turn]:  # the order rotates
                    times[label].append(time_child(python, folder, backend, query, args.rounds))
            cells = []
            for label, seconds in times.items():
                cell = f"{label} {statistics.median(seconds):.3f}s"
                if reference is not None:
                    ratios = [mine / base for mine, base in zip(seconds, times["hunter 3.9"], strict=True)]
                    cell += f" ({statistics.median(ratios):.2f}x)"
                cells.append(cell)
            print(f"{name}: {', '.join(cells)}")
        if reference is None:
            print("(no hunter 3.9 to compare with: run the compat suite once, or pass --hunter39)")


if __name__ == "__main__":
    main()
