"""Shared helpers for tests that run Python in a subprocess and compare its output."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
REFERENCE = TESTS / "reference"

# Variables that would change what a child interpreter traces or imports: a test states them explicitly.
_INHERITED_NOISE = ("PYTHONHUNTER", "PYTHONHUNTERCONFIG", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")

_ADDRESS = re.compile(r"0x[0-9a-f]{6,}")


def normalize(text: str) -> str:
    """Replace memory addresses (``0x`` and 6+ hex digits) with ``0x?``, as reference/README.md prescribes."""
    return _ADDRESS.sub("0x?", text)


def backend_under_test() -> str | None:
    """Return the backend the suite runs under (``HUNTER_TEST_BACKEND``), or None when the default is used."""
    return os.environ.get("HUNTER_TEST_BACKEND") or None


def child_env(env: Mapping[str, str | None] | None = None, *, backend: bool = True) -> dict[str, str]:
    """Return an environment for a child interpreter: ours minus tracing noise, plus ``env``.

    A value of None in ``env`` removes that variable. With ``backend`` (the default) and no explicit
    ``PYTHONHUNTERCONFIG``, the child is configured to use the backend under test, so that subprocess
    tests exercise the same backend as in-process ones.
    """
    result = {key: value for key, value in os.environ.items() if key not in _INHERITED_NOISE}
    # Output is compared as text: make the child's encoding independent of the machine's locale.
    result["PYTHONIOENCODING"] = "utf-8"
    chosen = backend_under_test()
    if backend and chosen and (env is None or "PYTHONHUNTERCONFIG" not in env):
        result["PYTHONHUNTERCONFIG"] = f'backend="{chosen}"'
    for key, value in (env or {}).items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


#: Signals whose default action the tests rely on (a kill, or KeyboardInterrupt for SIGINT).
_SIGNALS_WITH_DEFAULTS = tuple(
    getattr(signal, name) for name in ("SIGHUP", "SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, name)
)


def default_signals() -> None:
    """Give a child the signal dispositions of a program started from a terminal (a ``preexec_fn``).

    Children inherit ignored signals: under ``nohup`` SIGHUP is ignored, in a background job of a script SIGINT
    and SIGQUIT are, and a test that sends one would then wait for a death that never comes. Python installs its
    KeyboardInterrupt handler only when SIGINT starts out at its default.
    """
    for signum in _SIGNALS_WITH_DEFAULTS:
        signal.signal(signum, signal.SIG_DFL)


def run_python(
    code_or_args: str | Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str | None] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    python: str | os.PathLike[str] = sys.executable,
    backend: bool = True,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -c CODE`` (a string) or ``python *ARGS`` (a sequence) and return its decoded output.

    ``env`` is applied on top of :func:`child_env`. Output is decoded here rather than by subprocess so that
    line endings arrive exactly as written (text mode would translate them) and odd bytes never raise.
    """
    if isinstance(code_or_args, str):
        argv = [os.fspath(python), "-c", code_or_args]
    else:
        argv = [os.fspath(python), *(os.fspath(arg) for arg in code_or_args)]
    completed = run_in_group(
        argv,
        cwd=cwd,
        env=child_env(env, backend=backend),
        input=None if input is None else input.encode("utf-8"),
        timeout=timeout,
        preexec_fn=default_signals if os.name == "posix" else None,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8", "backslashreplace"),
        completed.stderr.decode("utf-8", "backslashreplace"),
    )


# -- children in process groups of their own ---------------------------------------------------------------------
# A test's child may start children of its own (multiprocessing workers, a forked process, gdb, a browser's helpers).
# Killing only the child when it hangs left those running, as orphans that disturbed later tests: each child starts
# a session (and process group) of its own, and the whole group is killed when the test is done with it.

#: id -> group leader, for the children started by start_in_group and not killed yet.
_leaders: dict[int, subprocess.Popen[Any]] = {}


def start_in_group(argv: Sequence[str | os.PathLike[str]], **options: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(argv, **options)`` leading a session of its own: :func:`kill_group` ends it and all it
    started (what didn't leave its group). A test kills the group when done with it (at the latest, the conftest's
    teardown does, see :func:`kill_groups_started_since`)."""
    process: subprocess.Popen[Any] = subprocess.Popen(argv, start_new_session=os.name == "posix", **options)
    _leaders[id(process)] = process
    return process


def kill_group(process: subprocess.Popen[Any]) -> None:
    """Kill ``process`` and the rest of its group (all of it, if it was started by :func:`start_in_group`), and
    reap it; its pipes stay open for what is left to read."""
    if _leaders.pop(id(process), None) is not None and os.name == "posix":
        # (Before the leader is reaped its id can't be reused; after, the group keeps it while anyone is in it.)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.kill()
    process.wait()


def kill_groups_started_since(known: set[int]) -> None:
    """Kill the groups started by :func:`start_in_group` since ``known`` (a snapshot of :func:`live_groups`)."""
    for key, process in list(_leaders.items()):
        if key not in known:
            kill_group(process)


def live_groups() -> set[int]:
    """The groups started by :func:`start_in_group` and not killed yet (a snapshot, for a teardown)."""
    return set(_leaders)


def run_in_group(
    argv: Sequence[str | os.PathLike[str]],
    *,
    timeout: float,
    input: bytes | str | None = None,
    **options: Any,
) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run(argv, capture_output=True, timeout=timeout, **options)`` in a group of its own, killed whole
    when the run ends: on a timeout (TimeoutExpired, as subprocess.run raises it) or an interruption, what the child
    started dies with it; after a normal end, so do any children it left running."""
    if input is not None:
        options["stdin"] = subprocess.PIPE
    options.setdefault("stdout", subprocess.PIPE)
    options.setdefault("stderr", subprocess.PIPE)
    process = start_in_group(argv, **options)
    try:
        stdout, stderr = process.communicate(input, timeout=timeout)
    finally:
        kill_group(process)
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def describe(result: subprocess.CompletedProcess[str]) -> str:
    """Return a readable account of a finished subprocess, for assertion messages."""
    return f"exit code {result.returncode}\n--- stdout ---\n{result.stdout}--- stderr ---\n{result.stderr}"


@contextlib.contextmanager
def imported_program(directory: Path, name: str, source: str) -> Iterator[ModuleType]:
    """``source`` written to ``directory/name.py`` and imported as the module ``name`` (in sys.modules while used):
    a program whose code objects have a real file, so traces show its lines."""
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
