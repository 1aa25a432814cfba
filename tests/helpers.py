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
    completed = subprocess.run(
        argv,
        cwd=cwd,
        env=child_env(env, backend=backend),
        input=None if input is None else input.encode("utf-8"),
        capture_output=True,
        timeout=timeout,
        check=False,
        preexec_fn=default_signals if os.name == "posix" else None,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8", "backslashreplace"),
        completed.stderr.decode("utf-8", "backslashreplace"),
    )


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
