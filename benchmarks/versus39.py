#!/usr/bin/env python3
"""Query kinds timed against hunter 3.9.0 itself: Backlog and VarsSnooper (and CallPrinter for scale).

Usage: python benchmarks/versus39.py [--runs N] [--rounds N] [--query NAME]...

A library-like workload (a lexer, number parsing that often fails and swallows the exception, a small tree,
a table rendered to text) runs in a child process under each query, once with hunter 3.9.0 (from its
virtualenv ``.venvs/hunter39-py3.X``, made by the compat tests: ``tests/compat/harness.py``) and once per
backend with this hunter (the running interpreter, which must import it). Printers write to ``os.devnull``.

Each child alternates untraced and traced runs of the workload and reports the median ratio traced/untraced
(process CPU time), which takes out most of the drift of a busy machine; the table shows, per query and
backend, that ratio and ours divided by hunter 3.9's (below 1.00x: faster than 3.9). Children of one
repetition run one after the other in an order that rotates; the figures are medians over repetitions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
HUNTER39 = ROOT / ".venvs" / f"hunter39-py{VERSION}" / "bin" / "python"
BACKENDS = ("settrace", "monitoring") if sys.version_info >= (3, 12) else ("settrace",)

#: The queries, as written inside ``hunter.trace(...)`` with either hunter (``NULL`` is os.devnull, open).
QUERIES = {
    "Backlog": 'Backlog(Q(module="libwork", kind="exception"), size=5, action=CallPrinter(stream=NULL))'
    '.filter(module="libwork"), action=CallPrinter(stream=NULL)',
    "Backlog vars": 'Backlog(Q(module="libwork", kind="exception"), size=5, vars=True, '
    'action=CallPrinter(stream=NULL)).filter(module="libwork"), action=CallPrinter(stream=NULL)',
    "VarsSnooper": 'module="libwork", action=VarsSnooper(stream=NULL)',
    "CallPrinter": 'module="libwork", action=CallPrinter(stream=NULL)',
}

WORKLOAD = '''
import re

SAMPLE = """
total = price * 3 + tax(0.2) - discount("spring", 12.5)
rows = [row for row in table if row.amount > 100 and not row.void]
name = "n/a" if missing else user.name.title()  # comment 42
"""


class Token:
    def __init__(self, kind, text):
        self.kind = kind
        self.text = text


class Lexer:
    RULES = [
        ("number", re.compile(r"\\d+(\\.\\d+)?")),
        ("name", re.compile(r"[A-Za-z_]\\w*")),
        ("string", re.compile(r'"[^"]*"')),
        ("comment", re.compile(r"#[^\\n]*")),
        ("op", re.compile(r"[-+*/=<>()\\[\\].,]")),
        ("space", re.compile(r"\\s+")),
    ]

    def tokens(self, text):
        position = 0
        while position < len(text):
            for kind, pattern in self.RULES:
                match = pattern.match(text, position)
                if match:
                    if kind != "space":
                        yield Token(kind, match.group())
                    position = match.end()
                    break
            else:
                position += 1


def parse_number(text):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


class Node:
    def __init__(self, token, children=()):
        self.token = token
        self.children = list(children)

    def depth(self):
        return 1 + max((child.depth() for child in self.children), default=0)


def build(tokens):
    root = Node(None)
    stack = [root]
    for token in tokens:
        node = Node(token)
        if token.text in "([":
            stack[-1].children.append(node)
            stack.append(node)
        elif token.text in ")]" and len(stack) > 1:
            stack.pop()
        else:
            stack[-1].children.append(node)
    return root


def render(counts):
    width = max(len(kind) for kind in counts)
    lines = []
    for kind, count in sorted(counts.items()):
        lines.append(f"{kind:<{width}} {count:>5}")
    return "\\n".join(lines)


def work(rounds):
    lexer = Lexer()
    total = 0
    for _ in range(rounds):
        tokens = list(lexer.tokens(SAMPLE))
        counts = {}
        numbers = []
        for token in tokens:
            counts[token.kind] = counts.get(token.kind, 0) + 1
            value = parse_number(token.text)
            if value is not None:
                numbers.append(value)
        tree = build(tokens)
        total += len(render(counts)) + tree.depth() + int(sum(numbers))
    return total
'''

CHILD = """
import json, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import hunter
import libwork

query, backend, rounds, runs = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
NULL = open(os.devnull, "w")
names = {name: getattr(hunter, name) for name in ("Backlog", "CallPrinter", "Q", "VarsSnooper")}
names["NULL"] = NULL
names["arguments"] = lambda *predicates, **keywords: (predicates, keywords)
options = {} if backend == "-" else {"backend": backend}


predicates, keywords = eval(f"arguments({query})", names)


def timed(traced):
    started = time.process_time()
    tracer = hunter.trace(*predicates, **keywords, **options) if traced else None
    libwork.work(rounds)
    if tracer is not None:
        tracer.stop()
    return time.process_time() - started


timed(False)
timed(True)
ratios = []
for _ in range(runs):
    base = timed(False)
    ratios.append(timed(True) / base)
print(json.dumps(statistics.median(ratios)))
"""


def child_ratio(python: Path | str, folder: str, query: str, backend: str, rounds: int, runs: int) -> float:
    """The median traced/untraced ratio one child measures."""
    # PYTHONHUNTER* would trace the child; PYTHONPATH would put one hunter's package in front of the other.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHONHUNTER", "PYTHONPATH"))}
    result = subprocess.run(
        [os.fspath(python), os.path.join(folder, "child.py"), folder, query, backend, str(rounds), str(runs)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=900,
    )
    ratio: float = json.loads(result.stdout)
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="workload rounds per timed run (default 3)")
    parser.add_argument("--inner", type=int, default=3, help="traced/untraced pairs per child (default 3)")
    parser.add_argument("--query", action="append", choices=sorted(QUERIES), help="only these (default: all)")
    args = parser.parse_args()
    if not HUNTER39.exists():
        sys.exit(f"{HUNTER39} is missing: run the compat tests once (tests/compat/harness.py makes it).")
    names = args.query or list(QUERIES)
    runners = [("3.9", HUNTER39, "-"), *((backend, Path(sys.executable), backend) for backend in BACKENDS)]
    ratios: dict[tuple[str, str], list[float]] = {(name, label): [] for name in names for label, _, _ in runners}
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "libwork.py").write_text(textwrap.dedent(WORKLOAD))
        Path(folder, "child.py").write_text(CHILD)
        jobs = [(name, runner) for name in names for runner in runners]
        for repetition in range(args.runs):
            shift = repetition % len(jobs)
            for name, (label, python, backend) in jobs[shift:] + jobs[:shift]:
                ratio = child_ratio(python, folder, QUERIES[name], backend, args.rounds, args.inner)
                ratios[name, label].append(ratio)
    print(f"Python {VERSION}, {args.runs} runs of {args.inner} pairs, {args.rounds} rounds each")
    header = f"{'query':<14}{'3.9 / untraced':>16}"
    header += "".join(f"{backend + ' / untraced':>24}{backend + ' / 3.9':>20}" for backend in BACKENDS)
    print(header)
    for name in names:
        theirs = statistics.median(ratios[name, "3.9"])
        row = f"{name:<14}{theirs:>15.2f}x"
        for backend in BACKENDS:
            ours = statistics.median(ratios[name, backend])
            row += f"{ours:>23.2f}x{ours / theirs:>19.2f}x"
        print(row)


if __name__ == "__main__":
    main()
