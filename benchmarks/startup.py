#!/usr/bin/env python3
"""Start-up cost of the hunter.pth hook: ``python -c pass`` with hunter installed vs the same Python without it.

Usage: python benchmarks/startup.py [--runs N] [--python PATH] [--keep DIR]

Two virtualenvs are made from the same base interpreter, identical except that one has hunter installed
(a regular install, so that the only difference is the hook and the package files, not an editable path
hook). Runs are interleaved in pairs, alternating which goes first, so that drift in machine load hits both
sides alike; medians of wall and CPU time are reported, with their ratios. The target is a ratio within 1.05
with PYTHONHUNTER unset; a control row (the bare venv against itself) shows how much of a ratio is noise.
With PYTHONHUNTER set to a filter that matches nothing, the cost of importing and starting hunter is shown too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Environment variables that would change start-up of either side.
SCRUBBED = ("PYTHONHUNTER", "PYTHONHUNTERCONFIG", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")


def venv_python(venv: Path) -> Path:
    """Return the interpreter of a virtualenv."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def make_venvs(base: str, where: Path) -> tuple[Path, Path]:
    """Create the bare and the hunter virtualenvs under ``where`` (reusing them if present); return both pythons."""
    bare, hunter = where / "bare", where / "hunter"
    for venv in (bare, hunter):
        if not venv_python(venv).exists():
            subprocess.run([base, "-m", "venv", str(venv)], check=True)
    # Both keep pip (and what ensurepip brings), so their site-packages differ by hunter alone.
    purelib = subprocess.run(
        [str(venv_python(hunter)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(purelib, "hunter.pth").exists():
        subprocess.run(
            [str(venv_python(hunter)), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)],
            check=True,
        )
    return venv_python(bare), venv_python(hunter)


def time_once(python: Path, env: dict[str, str]) -> tuple[float, float]:
    """Return the wall time and the CPU time (user + system) in seconds of one ``python -c pass``."""
    started = time.perf_counter()
    process = subprocess.Popen([str(python), "-c", "pass"], env=env)
    if not hasattr(os, "wait4"):  # Windows: no per-child CPU time, report wall time for both
        returncode = process.wait()
        cpu = wall = time.perf_counter() - started
    else:
        # wait4 gives this child's own CPU time, which scheduling noise from other processes disturbs less.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
    if returncode:
        raise SystemExit(f"{python} -c pass exited with {returncode}")
    return wall, cpu


def measure(first: Path, second: Path, runs: int, env: dict[str, str]) -> tuple[list[tuple[float, float]], ...]:
    """Time ``runs`` interleaved pairs, alternating the order within each pair; return both lists of times."""
    first_times, second_times = [], []
    for _ in range(3):  # warm the file-system cache for both sides before counting
        time_once(first, env)
        time_once(second, env)
    for index in range(runs):
        if index % 2:
            second_times.append(time_once(second, env))
            first_times.append(time_once(first, env))
        else:
            first_times.append(time_once(first, env))
            second_times.append(time_once(second, env))
    return first_times, second_times


def main() -> int:
    """Build the two virtualenvs, time both sides and print a table of medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="pairs of runs per scenario (default 300)")
    parser.add_argument("--python", default=sys.executable, help="base interpreter (default: this one)")
    parser.add_argument("--keep", type=Path, help="folder to create (or reuse) the two virtualenvs in")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hunter-startup-") as scratch:
        where = options.keep or Path(scratch)
        bare, hunter = make_venvs(options.python, where)
        base_env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
        scenarios = [
            # The same interpreter against itself: the ratio that noise alone produces on this machine.
            ("control: bare/bare", bare, base_env),
            ("PYTHONHUNTER unset", hunter, base_env),
            # A filter that matches nothing: what a user pays for hunter being active but quiet.
            ("PYTHONHUNTER set", hunter, {**base_env, "PYTHONHUNTER": 'module="no_such_module_anywhere"'}),
        ]
        version = subprocess.run(
            [str(bare), "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True, check=True
        ).stdout.strip()
        print(f"python -c pass, Python {version}, {options.runs} interleaved pairs per scenario, medians")
        print(f"{'scenario':<20} {'bare ms':>9} {'hunter ms':>10} {'wall ratio':>11} {'cpu ratio':>10}")
        for name, other, env in scenarios:
            bare_times, other_times = measure(bare, other, options.runs, env)
            wall = [statistics.median(times[0] for times in side) for side in (bare_times, other_times)]
            cpu = [statistics.median(times[1] for times in side) for side in (bare_times, other_times)]
            print(
                f"{name:<20} {wall[0] * 1000:>9.2f} {wall[1] * 1000:>10.2f} {wall[1] / wall[0]:>11.3f}"
                f" {cpu[1] / cpu[0]:>10.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
