"""Measure how often hunter prints what hunter 3.9.0 prints when tracing real third-party code.

Not part of the test suite: it installs jinja2, docutils, rich and click (pinned, below) into
``.venvs/realworld-libs-py3.X`` with pip, which needs the package index. The programs in ``realworld/`` use them
and the standard library (asyncio, json, email, argparse); every query of ``realworld/queries.tsv`` runs over
every program under hunter 3.9 (the compat suite's virtualenv) and under ours (``.venvs/py3.X``, on each backend
the Python has), and the outputs are compared as the compat suite compares them.

Usage: python tests/compat/realworld.py [--python 3.12 ...] [--diffs FOLDER] [--program rw_jinja ...]

Differences distilled from these runs become stdlib-only programs in ``programs/``, which CI compares.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [os.fspath(HERE.parent), os.fspath(HERE)]

# These three come from the folders just put on sys.path.
import harness  # noqa: E402
from expectations import Difference  # noqa: E402
from helpers import REPO, child_env  # noqa: E402

PROGRAMS_DIR = HERE / "realworld"
QUERIES_FILE = PROGRAMS_DIR / "queries.tsv"
LIBRARIES = ("jinja2==3.1.6", "markupsafe==3.0.2", "docutils==0.21.2", "rich==14.0.0", "click==8.2.1")
LIBRARIES += ("pygments==2.19.1", "markdown-it-py==3.0.0", "mdurl==0.1.2")
VERSIONS = ("3.10", "3.11", "3.12", "3.13")
#: Standard library modules load from their files, not frozen: hunter 3.9 counts frozen modules as user code
#: without source (README, "Where hunter differs"), which would hide every other difference in stdlib queries.
INTERPRETER_OPTIONS = ("-X", "frozen_modules=off")
#: id() values the libraries print (json's markers) and hashes of objects (rich's styles): addresses in decimal.
_IDS = re.compile(r"-?\b\d{14,20}\b")
#: Clock readings (asyncio's loop.time()): they change from run to run.
_CLOCK = re.compile(r"\b\d{3,}\.\d{5,}\b")
#: The tail of an address that repr_limit cut, before the rest of a code object's repr.
_CUT_CODE_ADDRESS = re.compile(r"(\[\.\.\.\] )[0-9a-f]+(?=, file )")
#: A set of objects shown by address: its order follows the addresses.
_OBJECT_SET = re.compile(r"\{(<[^{}<>]*at 0x\?>(?:, <[^{}<>]*at 0x\?>)+)\}")


def normalised(text: str) -> str:
    """Output with what changes from run to run replaced: ids, clock readings, the order of sets of objects."""
    text = _CUT_CODE_ADDRESS.sub(r"\1?", _CLOCK.sub("<clock>", _IDS.sub("<id>", text)))
    return _OBJECT_SET.sub(lambda found: "{" + ", ".join(sorted(found.group(1).split(", "))) + "}", text)


RUN_ENV = {**harness.RUN_ENV, "PYTHONHUNTER": None, "PYTHONHUNTERCONFIG": None}

#: Cases whose output changes from one run of hunter 3.9 to the next: not compared.
UNSTABLE: tuple[Difference, ...] = (
    Difference("asyncio's event loop reads the clock", programs=("rw_asyncio",), queries=("stdlib-on",)),
)


def libraries(version: str) -> Path:
    """The folder holding the third-party libraries for this Python version, installed when missing."""
    folder = REPO / ".venvs" / f"realworld-libs-py{version}"
    stamp = folder / ".installed"
    if stamp.exists() and stamp.read_text() == " ".join(LIBRARIES):
        return folder
    python = harness.HUNTER39_VENV.with_name(f"hunter39-py{version}") / "bin" / "python"
    command = [os.fspath(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade"]
    subprocess.run([*command, "--target", os.fspath(folder), *LIBRARIES], check=True)
    stamp.write_text(" ".join(LIBRARIES))
    return folder


def program_library(program: str) -> str:
    """The LIBRARY a program names: the module prefix of the library it exercises."""
    text = (PROGRAMS_DIR / f"{program}.py").read_text(encoding="utf-8")
    found = re.search(r'^LIBRARY = "([\w.]+)"$', text, re.MULTILINE)
    if found is None:
        raise SystemExit(f"{program}.py names no LIBRARY")
    return found.group(1)


def run(python: Path, program: str, env: dict[str, str | None], queries: list[str]) -> harness.Run:
    """The given lines of the queries file over one program, with $L replaced by the program's library."""
    with tempfile.TemporaryDirectory() as folder:
        queries_file = Path(folder) / "queries.tsv"
        queries_file.write_text("\n".join(queries).replace("$L", program_library(program)) + "\n", encoding="utf-8")
        return harness.run_driver(
            python,
            program,
            child_env(env, backend=False),
            programs_dir=PROGRAMS_DIR,
            queries_file=queries_file,
            options=INTERPRETER_OPTIONS,
            timeout=3600,
        )


def cached(python: Path, program: str, env: dict[str, str | None], folder: Path) -> harness.Run:
    """hunter 3.9's outputs for a program, each query's computed once (hunter 3.9's output never changes)."""
    digest = hashlib.sha256(os.fspath(python.resolve()).encode())
    for path in (harness.DRIVER, PROGRAMS_DIR / f"{program}.py"):
        digest.update(path.read_bytes() + b"\0")
    cache = folder / digest.hexdigest()[:16] / f"{program}.json"
    known: dict[str, list[str]] = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    # One query at a time, kept as soon as it is done: on a busy machine a whole program can take an hour.
    for line in [line for line in query_lines() if line not in known]:
        result = run(python, program, env, [line])
        name = line.split("\t")[0]
        known[line] = [result.outputs[name], result.texts[name]]
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known), encoding="utf-8")
    lines = query_lines()
    names = [line.split("\t")[0] for line in lines]
    return harness.Run(
        {name: known[line][0] for name, line in zip(names, lines, strict=True)},
        {name: known[line][1] for name, line in zip(names, lines, strict=True)},
    )


def query_lines() -> list[str]:
    """The lines of the queries file that hold a query."""
    lines = QUERIES_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def compare(version: str, programs: list[str], diffs: Path | None) -> dict[tuple[str, str], bool]:
    """(program, "query/backend") -> identical, for one Python version."""
    libs = os.fspath(libraries(version))
    hunter39 = REPO / ".venvs" / f"hunter39-py{version}" / "bin" / "python"
    ours = REPO / ".venvs" / f"py{version}" / "bin" / "python"
    backends = ("settrace", "monitoring") if version >= "3.12" else ("settrace",)
    queries = harness.queries(QUERIES_FILE)
    results: dict[tuple[str, str], bool] = {}
    for program in programs:
        env = {**RUN_ENV, "PYTHONPATH": libs}
        expected = cached(hunter39, program, env, Path(libs) / "outputs")
        for backend in backends:
            actual = run(ours, program, {**env, "PYTHONHUNTERCONFIG": f'backend="{backend}"'}, query_lines())
            for query in queries:
                if any(entry.covers(program, query.name) for entry in UNSTABLE if _versionless(entry)):
                    continue
                left = normalised(harness.normalise(expected.outputs[query.name]))
                right = normalised(harness.adjusted(harness.normalise(actual.outputs[query.name]), program, query))
                same = left == right
                results[program, f"{query.name}/{backend}"] = same
                if not same and diffs is not None:
                    target = diffs / version / backend / f"{program}-{query.name}.diff"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(harness.difference(left, right, f"{program} / {query.name}"), encoding="utf-8")
    return results


def _versionless(entry: Difference) -> bool:
    return entry.versions == ("*",)


def report(version: str, results: dict[tuple[str, str], bool]) -> None:
    """Per library: cases identical / compared; then the different cases."""
    per_program: dict[str, list[bool]] = collections.defaultdict(list)
    for (program, _case), same in results.items():
        per_program[program].append(same)
    total = sum(results.values())
    print(f"Python {version}: {total}/{len(results)} identical ({100 * total / max(len(results), 1):.0f}%)")
    for program, outcomes in sorted(per_program.items()):
        print(f"  {program:14} {sum(outcomes):3}/{len(outcomes):3} identical")
    for (program, case), same in sorted(results.items()):
        if not same:
            print(f"    different: {program} {case}")


def main() -> None:
    """Run the comparison for the chosen Python versions and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", choices=VERSIONS, help="a Python version (default: all)")
    parser.add_argument("--program", action="append", help="a program of realworld/ (default: all)")
    parser.add_argument("--diffs", type=Path, help="write each difference's diff under this folder")
    options = parser.parse_args()
    programs = options.program or sorted(path.stem for path in PROGRAMS_DIR.glob("rw_*.py"))
    for version in options.python or VERSIONS:
        report(version, compare(version, programs, options.diffs))


if __name__ == "__main__":
    main()
