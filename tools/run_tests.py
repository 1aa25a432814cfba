#!/usr/bin/env python3
"""Run the test suite on every supported CPython (3.10-3.15) and every backend each of them has.

Usage: python tools/run_tests.py [--python 3.X]... [--backend settrace|monitoring]... [--reinstall]
                                 [--lint | --no-lint | --lint-only] [-- PYTEST ARGS]

Each interpreter gets its own virtualenv in .venvs/py3.X with the project installed editable plus the [test]
extra. Interpreters come from pyenv or PATH; 3.14 and 3.15, which pyenv lacks on these machines, are unpacked from
Debian's archive by tools/provision_python.py when missing (cached in ~/.cache/hunter-pythons). Without --python
every supported version must be present, or the run fails: a green run must mean the suite passed everywhere.
Each run spreads its test modules over pytest-xdist workers (--workers), a module to one worker. A full
run (no --python, no --backend) first lints: ruff check, ruff format --check and mypy --strict (settings in
pyproject.toml), with the versions pinned in the [lint] extra, from .venvs/lint.
Exit status is 0 only when every lint check passed and every run passed and ran at least one test.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# The provisioning helper sits beside this file; the tests load this file by path, so say where to look.
sys.path.insert(0, os.fspath(Path(__file__).resolve().parent))
import provision_python

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".venvs"
VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
#: Versions that pyenv doesn't offer on these machines: provisioned from Debian's archive when missing.
PROVISIONED = ("3.14", "3.15")
# sys.monitoring exists from 3.12 on; older interpreters only have the settrace backend.
BACKENDS = {
    "3.10": ("settrace",),
    "3.11": ("settrace",),
    "3.12": ("settrace", "monitoring"),
    "3.13": ("settrace", "monitoring"),
    "3.14": ("settrace", "monitoring"),
    "3.15": ("settrace", "monitoring"),
}
# faulthandler_timeout: a test stuck for minutes dumps every thread's stack, so a hang explains itself.
PYTEST_ARGS = ("-q", "-rfE", "-o", "faulthandler_timeout=300")
#: A run is killed when no test has started or finished for this long: the slowest test takes about a minute on a
#: loaded machine, so this means a hang, however many tests the run has (a cap on the whole run would have to
#: guess the machine's load and the suite's size).
STALL_TIMEOUT = 8 * 60
#: pytest-xdist workers per run. --dist loadfile keeps a test module on one worker: a module's expensive shared
#: results (tests/compat runs every program once for all its cases) are computed once, and tests that must not
#: overlap go in one module. (xdist_group would be finer, but pytest 9.2 ignores the node ids xdist rewrites for it.)
#: Most tests wait on child processes, so a little more than the cores pays.
DEFAULT_WORKERS = max(2, min(4, (os.cpu_count() or 1) + 1))
# Files whose change means the installed metadata (entry points, the .pth hook, extras) may be stale, or the
# compiled hot paths (built at install). Python source files don't count: the install is editable.
INSTALL_INPUTS = ("pyproject.toml", "MANIFEST.in", "_build/hunter_build.py", "src/hunter.pth")
#: The C extension's sources and headers (all of them: a new one counts as soon as it is there).
C_SOURCES = ("src/hunter/*.c", "src/hunter/*.h")
# Settings of the developer's shell that would change what the suite traces or imports.
SCRUBBED_ENV = (
    "PYTHONHUNTER",
    "PYTHONHUNTERCONFIG",
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "HUNTER_TEST_BACKEND",
    "PYTEST_ADDOPTS",
)
#: What the lint step checks (the arguments of .venvs/lint's python): ruff on all of our Python, mypy on the
#: package (it ships py.typed); pyproject.toml says why mypy checks 3.12 and 3.13.
LINT_PATHS = ("src", "tests", "tools", "benchmarks")
LINT_CHECKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ruff check", ("-m", "ruff", "check", "--no-cache", "--output-format=concise", *LINT_PATHS)),
    ("ruff format", ("-m", "ruff", "format", "--check", "--no-cache", *LINT_PATHS)),
    *(
        (f"mypy {version}", ("-m", "mypy", "--strict", "--python-version", version, "--cache-dir", ".venvs/lint/mypy"))
        for version in ("3.12", "3.13")
    ),
)
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")


@dataclass
class Run:
    """One pytest run: an interpreter version and a backend, and what came of it."""

    version: str
    backend: str
    result: str = "not run"
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the run passed and ran at least one test."""
        return self.result == "passed"


def version_of(python: str) -> str | None:
    """Return the "major.minor" of an interpreter, or None if it does not run (e.g. a pyenv shim to nothing)."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def pyenv_roots() -> list[Path]:
    """Return the places pyenv may keep its versions: $PYENV_ROOT, `pyenv root` and ~/.pyenv."""
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(Path(os.environ["PYENV_ROOT"]))
    if shutil.which("pyenv"):
        try:
            out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=30, check=False)
            if out.returncode == 0 and out.stdout.strip():
                roots.append(Path(out.stdout.strip()))
        except (OSError, subprocess.TimeoutExpired):
            pass
    roots.append(Path.home() / ".pyenv")
    return list(dict.fromkeys(roots))


def find_interpreter(version: str) -> str | None:
    """Find a CPython of ``version``: the newest pyenv patch release first, then python3.X on PATH, then one that
    tools/provision_python.py unpacked."""
    candidates: list[str] = []
    for root in pyenv_roots():
        found = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", "python"))
        # Only plain releases like 3.12.1 (not 3.13.0t free-threaded builds or 3.12-dev), newest patch first.
        releases = [
            path for path in found if re.fullmatch(rf"{re.escape(version)}\.\d+", Path(path).parent.parent.name)
        ]
        releases.sort(key=lambda path: int(Path(path).parent.parent.name.rsplit(".", 1)[1]), reverse=True)
        candidates += releases
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(on_path)
    candidates.append(os.fspath(provision_python.interpreter_path(version)))
    # A candidate must actually run and be the version asked for: pyenv shims exist for versions not enabled.
    return next((python for python in candidates if version_of(python) == version), None)


def obtain_interpreter(version: str) -> tuple[str | None, str]:
    """Find a CPython of ``version`` or, for the versions pyenv lacks, provision it; return it or why not."""
    python = find_interpreter(version)
    if python is not None and version in PROVISIONED and is_provisioned(python):
        try:
            provision_python.add_headers(version)  # (unpacked by an older runner: hunter._speedups needs them)
        except (RuntimeError, OSError) as error:
            print(f"[{version}] no C headers ({error}): hunter._speedups won't be built there", flush=True)
    if python is not None or version not in PROVISIONED:
        return python, f"looked in pyenv's versions and for python{version} on PATH"
    print(f"[{version}] not installed: unpacking it from Debian's archive (tools/provision_python.py)", flush=True)
    try:
        return os.fspath(provision_python.provision(version)), ""
    except (RuntimeError, OSError) as error:
        return None, f"could not be provisioned: {error}"


def is_provisioned(python: str) -> bool:
    """Whether an interpreter is one that tools/provision_python.py unpacked (its venvs need pip bootstrapped)."""
    return Path(os.path.realpath(python)).is_relative_to(os.path.realpath(provision_python.CACHE))


def venv_python(venv: Path) -> Path:
    """Return the interpreter inside a virtualenv."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install_stamp(python: str) -> str:
    """Return a fingerprint of what the install depends on: the base interpreter and the packaging files."""
    digest = hashlib.sha256(os.path.realpath(python).encode())
    sources = sorted(str(path.relative_to(ROOT)) for pattern in C_SOURCES for path in ROOT.glob(pattern))
    for name in (*INSTALL_INPUTS, *sources):
        path = ROOT / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    return digest.hexdigest()


def prepare_venv(version: str, python: str, reinstall: bool, name: str = "", extra: str = "test") -> Path | None:
    """Create or refresh .venvs/py3.X (or .venvs/NAME) with the project installed editable plus ``extra``; return
    its python or None on failure."""
    venv = VENVS / (name or f"py{version}")
    label = name or version
    target = venv_python(venv)
    stamp_file = venv / ".hunter-install-stamp"
    stamp = install_stamp(python)
    # A venv whose interpreter no longer runs (its base was removed or upgraded) is rebuilt from scratch.
    if not target.exists() or version_of(str(target)) != version:
        print(f"[{label}] creating {venv.relative_to(ROOT)}", flush=True)
        # Debian's ensurepip would install the host's older pip wheel: an unpacked Python gets its own.
        bare = is_provisioned(python)
        command = [python, "-m", "venv", "--clear", *(["--without-pip"] if bare else []), str(venv)]
        if subprocess.run(command, check=False).returncode != 0:
            return None
        if bare:
            try:
                provision_python.bootstrap_pip(target, version)
            except RuntimeError as error:
                print(f"[{label}] {error}", flush=True)
                return None
    elif not reinstall and stamp_file.exists() and stamp_file.read_text() == stamp:
        return target
    print(f"[{label}] installing the project (pip install -e .[{extra}])", flush=True)
    stamp_file.unlink(missing_ok=True)
    command = [str(target), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", f"{ROOT}[{extra}]"]
    if subprocess.run(command, cwd=ROOT, env=clean_env(), check=False).returncode != 0:
        return None
    stamp_file.write_text(stamp)
    return target


def clean_env(**extra: str) -> dict[str, str]:
    """Return our environment without settings that would leak into the suite, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED_ENV}
    env.update(extra)
    return env


def run_lint(reinstall: bool) -> list[Run]:
    """Run every lint check with the pinned linters from .venvs/lint; one Run per check (backend: the check)."""
    print("\n===== lint =====", flush=True)
    version = version_of(sys.executable) or "?"
    target = prepare_venv(version, sys.executable, reinstall, name="lint", extra="lint")
    if target is None:
        print("[lint] could not create .venvs/lint or install the linters", flush=True)
        return [Run("lint", name, "install failed") for name, _ in LINT_CHECKS]
    runs = []
    for name, command in LINT_CHECKS:
        run = Run("lint", name)
        started = time.monotonic()
        result = subprocess.run(
            [str(target), *command],
            cwd=ROOT,
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="backslashreplace",
            check=False,
        )
        run.seconds = time.monotonic() - started
        run.result = "passed" if result.returncode == 0 else f"failed (exit {result.returncode})"
        # Clean checks say so in a line; a failing one shows everything it found.
        output = result.stdout.strip()
        print(f"[lint] {name}: {run.result} in {run.seconds:.1f} s", flush=True)
        if output and not run.ok:
            print(output, flush=True)
        runs.append(run)
    return runs


def run_pytest(run: Run, python: Path, pytest_args: list[str], workers: int) -> None:
    """Run pytest for one (version, backend) pair, echoing its output and recording its counts."""
    print(f"\n===== Python {run.version}, backend {run.backend} =====", flush=True)
    label = f"py{run.version}-{run.backend}"
    # Each pair keeps its own pytest cache, so that `--lf` after a run re-runs that pair's failures.
    cache = ("-o", f"cache_dir={VENVS / '.pytest_cache' / label}")
    parallel = ("-n", str(workers), "--dist", "loadfile") if workers > 1 else ("-p", "no:xdist")
    command = [str(python), "-m", "pytest", *PYTEST_ARGS, *cache, *parallel, *pytest_args]
    progress = VENVS / ".progress" / label
    shutil.rmtree(progress, ignore_errors=True)
    progress.mkdir(parents=True)
    started = time.monotonic()
    lines: list[str] = []
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=clean_env(HUNTER_TEST_BACKEND=run.backend, HUNTER_TEST_PROGRESS=str(progress)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="backslashreplace",
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        watchdog = StallWatchdog(process, progress)
        # Echo as it comes (a long run should show progress) and keep the text to find pytest's summary.
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
        returncode = process.wait()
        watchdog.stop()
    sys.stdout.flush()
    run.seconds = time.monotonic() - started
    run.counts = summary_counts(lines)
    ran = run.counts.get("passed", 0) + run.counts.get("failed", 0) + run.counts.get("errors", 0)
    if watchdog.fired:
        run.result = "hung (killed)"
    elif returncode == 0 and ran:
        run.result = "passed"
    elif returncode == 5 or (returncode == 0 and not ran):
        run.result = "no tests ran"
    else:
        run.result = f"failed (exit {returncode})"


class StallWatchdog:
    """Kills a pytest run in which no test has started or finished for STALL_TIMEOUT, naming the tests it was in.

    tests/conftest.py writes each worker's current test into the ``progress`` folder (HUNTER_TEST_PROGRESS); the
    files' modification times are the run's heartbeat.
    """

    def __init__(self, process: subprocess.Popen[str], progress: Path) -> None:
        self.process = process
        self.progress = progress
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)
        self._last = time.monotonic()
        self._thread.start()

    def _latest(self) -> float:
        """The last moment any worker started or finished a test (as time.monotonic() would have said)."""
        stamps = [path.stat().st_mtime for path in self.progress.glob("*") if path.is_file()]
        if stamps:
            self._last = max(self._last, time.monotonic() - (time.time() - max(stamps)))
        return self._last

    def _watch(self) -> None:
        while not self._done.wait(15):
            if time.monotonic() - self._latest() < STALL_TIMEOUT:
                continue
            self.fired = True
            running = sorted(path.read_text(errors="replace").strip() for path in self.progress.glob("*"))
            print(
                f"\n!!!!! no test started or finished for {STALL_TIMEOUT} s: killing the run. Running then: "
                + (", ".join(name for name in running if name) or "(none recorded)"),
                flush=True,
            )
            self.process.kill()
            return

    def stop(self) -> None:
        """Stop watching (the run ended)."""
        self._done.set()
        self._thread.join()


def summary_counts(lines: list[str]) -> dict[str, int]:
    """Parse pytest's closing summary line ("3 passed, 1 failed, 2 errors in 1.2s") into counts."""
    for line in reversed(lines):
        found = COUNT.findall(line)
        if found and re.search(r"\bin [\d.]+s\b", line):
            counts: dict[str, int] = {}
            for number, word in found:
                key = "errors" if word.startswith("error") else word
                counts[key] = counts.get(key, 0) + int(number)
            return counts
    return {}


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Split our options from the pytest arguments that follow ``--``."""
    pytest_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", choices=VERSIONS, help="run only this version (repeatable)")
    parser.add_argument(
        "--backend", action="append", choices=("settrace", "monitoring"), help="run only this backend (repeatable)"
    )
    parser.add_argument("--reinstall", action="store_true", help="reinstall the project in every virtualenv")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"pytest-xdist workers per run (default {DEFAULT_WORKERS}; 1 runs the tests in this order, one at a time)",
    )
    lint = parser.add_mutually_exclusive_group()
    lint.add_argument("--lint", action="store_true", help="lint first even on a run narrowed with --python/--backend")
    lint.add_argument("--no-lint", action="store_true", help="skip the lint step of a full run")
    lint.add_argument("--lint-only", action="store_true", help="only lint: run no tests")
    return parser.parse_args(argv), without_quiet(pytest_args)


def without_quiet(pytest_args: list[str]) -> list[str]:
    """The pytest arguments minus ``-q``: the runs are already quiet, and a second -q makes pytest drop the closing
    summary line the counts come from (every run would then read "no tests ran")."""
    return [arg for arg in pytest_args if arg not in ("--quiet",) and not re.fullmatch(r"-q+", arg)]


def wants_lint(options: argparse.Namespace) -> bool:
    """Whether to lint: on a full run (unless --no-lint), or when asked to."""
    full = not options.python and not options.backend
    return bool(options.lint or options.lint_only or (full and not options.no_lint))


def main(argv: list[str] | None = None) -> int:
    """Run the selected (version, backend) pairs and print a summary; return the exit status."""
    options, pytest_args = parse_args(sys.argv[1:] if argv is None else argv)
    versions = [version for version in VERSIONS if not options.python or version in options.python]
    # A full run insists on every interpreter, and so does an explicit --python; a run narrowed with --backend
    # alone may go on without an interpreter that is absent from a development machine.
    full = not options.python and not options.backend
    began = time.monotonic()
    runs: list[Run] = []
    problems: list[str] = []
    if wants_lint(options):
        runs += run_lint(options.reinstall)
    for version in versions if not options.lint_only else ():
        backends = [backend for backend in BACKENDS[version] if not options.backend or backend in options.backend]
        if not backends:
            continue
        python, why = obtain_interpreter(version)
        if python is None:
            others = " ".join(f"--python {other}" for other in VERSIONS if other != version)
            message = f"Python {version} not found ({why}); to run the others: tools/run_tests.py {others}"
            print(f"[{version}] {message}", flush=True)
            if full or options.python:
                problems.append(message)
                runs += [Run(version, backend, "missing interpreter") for backend in backends]
            continue
        print(f"[{version}] using {python}", flush=True)
        target = prepare_venv(version, python, options.reinstall)
        if target is None:
            problems.append(f"Python {version}: could not create the virtualenv or install the project")
            runs += [Run(version, backend, "install failed") for backend in backends]
            continue
        for backend in backends:
            run = Run(version, backend)
            run_pytest(run, target, pytest_args, options.workers)
            runs.append(run)

    print(f"\n===== summary ({(time.monotonic() - began) / 60:.1f} minutes in all) =====")
    print(f"{'python':<8} {'backend':<11} {'result':<22} {'seconds':>8}  counts")
    for run in runs:
        counts = ", ".join(f"{number} {word}" for word, number in run.counts.items())
        print(f"{run.version:<8} {run.backend:<11} {run.result:<22} {run.seconds:>8.1f}  {counts}")
    for problem in problems:
        print(f"error: {problem}")
    if not runs:
        print("error: nothing was run (check --python and --backend)")
    passed = sum(run.counts.get("passed", 0) for run in runs)
    # A run that went wrong without pytest counting a failure (a missing interpreter, a failed install, no test
    # collected, a crash) still counts as one failure, so that the closing line never says "0 failed" for a red run.
    failed = sum(max(run.counts.get("failed", 0) + run.counts.get("errors", 0), 0 if run.ok else 1) for run in runs)
    skipped = sum(run.counts.get("skipped", 0) for run in runs)
    # The closing line sums pytest's own counts over all runs; CI reads it as the verdict of the whole suite.
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 0 if runs and all(run.ok for run in runs) and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
