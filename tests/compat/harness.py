"""The differential harness: runs the compat programs under hunter 3.9 and under ours, and normalises the output.

hunter 3.9.0 is installed from PyPI (the compiled wheel, which is what its users run) into a virtualenv of its
own per Python version, under ``.venvs/``. Its outputs don't depend on our code or backend, so they are computed
once and kept next to that virtualenv, keyed by a hash of everything that goes into them.
"""

from __future__ import annotations

import concurrent.futures
import difflib
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import venvs
from helpers import REPO, child_env, default_signals, normalize, run_in_group

HERE = Path(__file__).resolve().parent
PROGRAMS_DIR = HERE / "programs"
QUERIES_FILE = HERE / "queries.tsv"
DRIVER = HERE / "driver.py"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
HUNTER39_VENV = REPO / ".venvs" / f"hunter39-py{VERSION}"
HUNTER39_REQUIREMENT = "hunter==3.9.0"
#: The inputs of a run: a change to any of them computes hunter 3.9's outputs anew.
INPUTS = (DRIVER, QUERIES_FILE, *sorted(PROGRAMS_DIR.glob("*.py")))
#: How many programs run at once.
WORKERS = min(4, os.cpu_count() or 1)
# Same hash seed for both: sets of strings must print in the same order.
RUN_ENV = {"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Query:
    """One line of queries.tsv: a name and what goes inside ``hunter.trace(...)``."""

    name: str
    value: str


def programs() -> list[str]:
    """The module names of the compat programs."""
    return sorted(path.stem for path in PROGRAMS_DIR.glob("*.py"))


def queries(file: Path = QUERIES_FILE) -> list[Query]:
    """The queries of a queries file (by default queries.tsv), in file order."""
    found = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("\t")
            found.append(Query(name, value))
    return found


@dataclass(frozen=True)
class Run:
    """What one program printed under each query (raw), and the str()/repr() of each query's predicate."""

    outputs: dict[str, str]
    texts: dict[str, str]


def run_as_from_terminal(argv: list[str], *, timeout: float, **options: Any) -> subprocess.CompletedProcess[Any]:
    """Run a driver of the compat programs (``run_in_group``) with the signal dispositions of a terminal's program.

    A test run started in a background job ignores SIGINT, and asyncio's Runner then leaves the SIGINT handler
    alone, which changes what a program prints: the outputs must not depend on how the test run was started.
    """
    return run_in_group(argv, timeout=timeout, preexec_fn=default_signals if os.name == "posix" else None, **options)


def run_driver(
    python: str | os.PathLike[str],
    program: str,
    env: dict[str, str],
    *,
    programs_dir: Path = PROGRAMS_DIR,
    queries_file: Path = QUERIES_FILE,
    options: tuple[str, ...] = (),
    timeout: float = 600,
) -> Run:
    """Run every query of ``queries_file`` over one program of ``programs_dir`` with the given interpreter (and
    interpreter ``options``)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.json"
        result = run_as_from_terminal(
            [os.fspath(python), *options, os.fspath(DRIVER), program, os.fspath(queries_file), os.fspath(out)],
            cwd=programs_dir,
            env=env,
            timeout=timeout,
        )
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"the compat driver failed on {program} with {python} (exit {result.returncode}):\n"
                + result.stderr.decode("utf-8", "backslashreplace")
            )
        found = json.loads(out.read_text(encoding="utf-8"))
        return Run(found["outputs"], found["texts"])


def ours(program: str) -> Run:
    """Every query's output for ``program`` under our hunter, on the backend under test."""
    return _all_ours()[program]


@functools.cache
def _all_ours() -> dict[str, Run]:
    # Every program at once, a few at a time: each is a process of its own, and CI machines have cores to spare.
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        runs = pool.map(lambda program: run_driver(sys.executable, program, child_env(RUN_ENV)), programs())
        return dict(zip(programs(), runs, strict=True))


#: hunter 3.9.0 ships compiled wheels up to Python 3.14; on newer Pythons pip builds its sdist, as it does for its
#: users there: compiled when the interpreter's headers and a compiler are there, its pure-Python build otherwise.
COMPILED_WHEELS = sys.version_info < (3, 15)


def hunter39_python() -> Path:
    """The interpreter of the hunter 3.9 virtualenv, created (from this test run's base Python) when missing."""
    # Only the compiled wheel where one exists: it is what `pip install hunter` gives 3.9's users on these Pythons.
    binary = ["--only-binary=:all:"] if COMPILED_WHEELS else []
    check = "import hunter, sys; sys.exit(hunter.__version__ != '3.9.0')"
    if COMPILED_WHEELS:
        check = "import hunter._tracer; " + check
    return venvs.ensure_venv(HUNTER39_VENV, [*binary, HUNTER39_REQUIREMENT], check)


@functools.cache
def hunter39_build() -> str:
    """Which build of hunter 3.9 the comparison runs: "compiled" or "pure" (its pure-Python build, see
    expectations.py); the virtualenv is made first when missing."""
    python = hunter39_python()
    compiled = subprocess.run([os.fspath(python), "-c", "import hunter._tracer"], capture_output=True, check=False)
    return "compiled" if compiled.returncode == 0 else "pure"


def inputs_digest(python: Path) -> str:
    """A hash of the driver, queries, programs and the exact interpreter build."""
    digest = hashlib.sha256(sys.version.encode())
    digest.update(os.path.realpath(python).encode())
    for path in INPUTS:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def hunter39(program: str) -> Run:
    """Every query's output for ``program`` under hunter 3.9, computed once per set of inputs."""
    return _all_hunter39()[program]


@functools.cache
def _all_hunter39() -> dict[str, Run]:
    hunter39_python()  # once, before the workers need it
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        return dict(zip(programs(), pool.map(_hunter39, programs()), strict=True))


def _hunter39(program: str) -> Run:
    python = hunter39_python()
    cache = HUNTER39_VENV / "outputs" / inputs_digest(python) / f"{program}.json"
    if cache.exists():
        cached = json.loads(cache.read_text(encoding="utf-8"))
        return Run(cached["outputs"], cached["texts"])
    run = run_driver(python, program, child_env(RUN_ENV, backend=False))
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")  # xdist workers may write the same file at once
    partial.write_text(json.dumps({"outputs": run.outputs, "texts": run.texts}, sort_keys=True), encoding="utf-8")
    partial.replace(cache)  # whole or nothing: an interrupted run never leaves half a file
    return run


# -- normalisation -----------------------------------------------------------------------------------------------

# The pid column: ``[pid]`` padded to the default pid_alignment of 9.
_PID = re.compile(r"^\[\d+\]", re.MULTILINE)
# The first line of an event: optional pid and thread columns, then "file:lineno kind".
_HEAD = re.compile(r"^(?:\[\S+\] *)?.*?(?P<file>\S+):(?P<lineno>\d+) +(?:call|line|return|exception) ")
# Lines of these files are no part of the program: the driver's own frame, and hunter 3.9's own frames (its
# trace() returning; in profile mode, its Cython methods; on 3.15, where it runs as pure Python, its tracer's
# __enter__/__exit__), which 3.9 reports and which never appear in ours.
_NOT_THE_PROGRAM = re.compile(r"(driver\.py|hunter/\w+\.pyx?)$")
# The two ends of an address that repr_limit cut in the middle.
_CUT_ADDRESS_HEAD = re.compile(r"\b0x[0-9a-f]{0,5}(?= (?:\x1b\[[0-9;]*m)*\[\.\.\.\])")
_CUT_ADDRESS_TAIL = re.compile(r"(\[\.\.\.\](?:\x1b\[[0-9;]*m)* )(?:0?x)?[0-9a-f]{2,}(?=[>:])")
# What repr_limit kept of " object at " before a whole address: one character more or less when the two runs'
# addresses differ in length (a heap address against an mmap one).
_CUT_BEFORE_ADDRESS = re.compile(r"(\[\.\.\.\](?:\x1b\[[0-9;]*m)*) \w* ?at 0x\?")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def event_groups(text: str) -> list[list[str]]:
    """Split printed output into groups: an event's first line with its continuation lines (or a lone line)."""
    groups: list[list[str]] = []
    for line in text.splitlines(keepends=True):
        plain = _ANSI.sub("", line)
        continuation = plain.startswith(" ") and plain.lstrip().startswith(("...", "|", "*"))
        if groups and continuation:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def is_program_group(group: list[str]) -> bool:
    """False for an event of the driver or of hunter itself."""
    head = _HEAD.match(_ANSI.sub("", group[0]))
    return head is None or not _NOT_THE_PROGRAM.search(head.group("file"))


def normalise(text: str) -> str:
    """Addresses and pids replaced, events of the driver and of hunter's own code removed."""
    text = _PID.sub(lambda match: "[PID]".ljust(len(match.group())), normalize(text))
    text = _CUT_ADDRESS_TAIL.sub(r"\1?", _CUT_ADDRESS_HEAD.sub("0x?", text))
    text = _CUT_BEFORE_ADDRESS.sub(r"\1 at 0x?", text)
    return "".join(line for group in event_groups(text) if is_program_group(group) for line in group)


# hunter 3.9's compiled build names its Cython predicates' module hunter._predicates in repr(); the reference
# (tests/reference/predicate-text.txt, from its pure-Python build) and we say hunter.predicates.
_CYTHON_MODULE = re.compile(r"<hunter\._predicates\.")
# With colours on, hunter 3.9 wraps a printer's stream in its vendored colorama's AnsiToWin32 (README).
_COLORAMA_STREAM = re.compile(r"<hunter\.vendor\.colorama\.ansitowin32\.AnsiToWin32 object at 0x\?>")


def normalise_text(text: str) -> str:
    """A predicate's str()/repr() with addresses replaced and the module of predicate classes as the reference's."""
    text = _CYTHON_MODULE.sub("<hunter.predicates.", normalize(text))
    return _COLORAMA_STREAM.sub("<_io.StringIO object at 0x?>", text)


def difference(expected: str, actual: str, label: str) -> str:
    """A unified diff from hunter 3.9's output to ours, with colour codes made visible."""

    def lines(text: str) -> list[str]:
        return [line.replace("\x1b", "\\e") for line in text.splitlines(keepends=True)]

    return "".join(difflib.unified_diff(lines(expected), lines(actual), f"hunter 3.9: {label}", f"ours: {label}"))


# -- known differences that a comparison can see past ------------------------------------------------------------

#: The thread column of the compat programs' threads, as we show it (names padded to the default 12 characters),
#: after the pid column if there is one.
_THREAD_COLUMN = re.compile(r"^(\[PID\] {4})?(?:MainThread {2}|worker {6})", re.MULTILINE)


#: hunter's own classes, as safe_repr names them: hunter 3.9's Tracer lives in its module hunter._tracer.
_OWN_CLASSES = re.compile(r"<hunter\.tracer\.Tracer object at ")


def adjusted(ours_text: str, program: str, query: Query) -> str:
    """Our output with the README-listed differences that can be undone textually undone, so that the rest of
    the output is still compared.

    The thread column: with the default ``threading_support=None`` we show it once a second thread has printed;
    hunter 3.9's compiled build never does (its events hold the option as a C boolean, so None reads as False).
    And a Tracer shown as a value is a hunter.tracer.Tracer (hunter 3.9's is in hunter._tracer).
    tests/compat/test_known_differences.py asserts our side of each of these.
    """
    if "thread" not in query.value:
        ours_text = _THREAD_COLUMN.sub(r"\1", ours_text)
    return _OWN_CLASSES.sub("<hunter._tracer.Tracer object at ", ours_text)


# -- the numbers, for the report at the end of the run ------------------------------------------------------------

RESULTS: dict[tuple[str, str], bool] = {}


def record(program: str, query: Query, identical: bool) -> None:
    """Remember whether a case printed the same as hunter 3.9."""
    RESULTS[program, query.name] = identical


def summary() -> str | None:
    """One line: how many program x query cases were compared and how many printed identically."""
    if not RESULTS:
        return None
    same = sum(RESULTS.values())
    return (
        f"hunter 3.9 side by side (Python {VERSION}): {len(RESULTS)} program x query cases compared, "
        f"{same} identical, {len(RESULTS) - same} different"
    )
