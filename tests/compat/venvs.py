"""Virtualenvs the compatibility tests install once per Python: hunter 3.9's, and the one its own suite runs in."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from helpers import child_env


def python_of(venv: Path) -> Path:
    """The interpreter inside ``venv``."""
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def ensure_venv(venv: Path, pip_args: Sequence[str], check: str | None = None) -> Path:
    """``venv``'s interpreter, after (re)creating it with ``pip install *pip_args`` when it is missing or stale.

    Stale means made for other arguments or from another base interpreter (a stamp file records both). xdist
    workers and the runs of other backends may all get here at once: one creates, the others wait for it.
    ``check`` is Python code run in the new virtualenv that must exit 0.
    """
    python = python_of(venv)
    stamp = venv / ".installed"
    base = getattr(sys, "_base_executable", sys.executable)
    wanted = f"{' '.join(pip_args)} {os.path.realpath(base)}"

    def current() -> bool:
        return python.exists() and stamp.exists() and stamp.read_text() == wanted

    if current():
        return python
    with _exclusive(venv.with_name(venv.name + ".lock")):
        if current():
            return python
        env = child_env(backend=False)
        # No pip inside: the test run's own pip installs into it (pip --python). An interpreter's ensurepip may not
        # be usable (Debian's, for the 3.14/3.15 that tools/provision_python.py unpacks, takes the host's older
        # wheels), and this is quicker anyway.
        subprocess.run([base, "-m", "venv", "--clear", "--without-pip", os.fspath(venv)], check=True, env=env)
        pip = [sys.executable, "-m", "pip", "--python", os.fspath(python), "install", "-q"]
        subprocess.run([*pip, "--disable-pip-version-check", *pip_args], check=True, env=env)
        if check is not None:
            subprocess.run([os.fspath(python), "-c", check], check=True, env=env)
        stamp.write_text(wanted)
    return python


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) across processes."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
