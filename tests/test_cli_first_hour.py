"""What a new user of the command line hits first (issue 19): launcher frames, Ctrl-C, --action, hints."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import describe, run_python

BANK = Path(__file__).resolve().parent.parent / "examples" / "bank.py"
COMMAND = Path(sys.executable).with_name("hunter.exe" if os.name == "nt" else "hunter")


def hunter(*args: Any, cwd: Path, env: dict[str, str | None] | None = None) -> Any:
    """``python -m hunter`` on the arguments."""
    return run_python(["-m", "hunter", *(str(arg) for arg in args)], cwd=cwd, env=env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "bank.py").write_text(BANK.read_text())
    (tmp_path / "demo.py").write_text("import bank\nada = bank.Account('ada', 100)\nada.deposit(5)\n")
    (tmp_path / "rep.py").write_text(
        "def f():\n    return 1\n\ndef main():\n    for _ in range(5):\n        f()\n\nmain()\n"
    )
    (tmp_path / "prog.py").write_text("def f(a):\n    b = a + 1\n    return b\n\nf(1)\n")
    return tmp_path


# -- the console script's own frame ----------------------------------------------------------------------------


@pytest.mark.skipif(not COMMAND.exists(), reason="the hunter command is not installed next to this python")
def test_console_script_frame_is_not_traced(project: Path) -> None:
    command = run_python([COMMAND, "-o", project / "a.txt", "prog.py"], cwd=project)
    module = hunter("-o", project / "b.txt", "prog.py", cwd=project)
    assert command.returncode == module.returncode == 0, describe(command)
    traced = (project / "a.txt").read_text()
    assert traced == (project / "b.txt").read_text()
    # Every line is the program's: the launcher's SystemExit and its <module> return are gone.
    assert [line.split(":", 1)[0].split()[-1][-7:] for line in traced.splitlines()] == ["prog.py"] * 8, traced
    assert traced.splitlines()[-1].split()[-3:] == ["return", "<=", "<module>:", "None"][-3:]

    timeline = run_python([COMMAND, "--format", "chrome", "-o", project / "t.json", "prog.py"], cwd=project)
    assert timeline.returncode == 0, describe(timeline)
    events = json.loads((project / "t.json").read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    assert [event for event in events if event.get("ph") == "i"] == []  # no stray SystemExit instant
    assert "SystemExit" not in (project / "t.json").read_text()


# -- Ctrl-C ----------------------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX signals")
@pytest.mark.parametrize("fmt", ["chrome", "jsonl", "text"])
@pytest.mark.parametrize(
    "code", ["raise KeyboardInterrupt", "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time"]
)
def test_ctrl_c_exits_as_python_does(project: Path, fmt: str, code: str) -> None:
    (project / "k.py").write_text(code + "\n")
    plain = run_python(["k.py"], cwd=project)
    traced = hunter("--format", fmt, "-o", project / "k.out", "k.py", cwd=project)
    # Python ends by SIGINT after printing the traceback: the shell sees 130.
    assert plain.returncode == -signal.SIGINT
    assert traced.returncode == plain.returncode, describe(traced)
    assert traced.stderr.startswith(plain.stderr), describe(traced)


TRIP = """\
import _thread


class Trip:
    '''An action that interrupts the main thread at f's call, as Ctrl-C does while the tracer runs.'''

    def __call__(self, event):
        if event.kind == "call" and event.function == "f":
            _thread.interrupt_main()
"""


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX signals")
@pytest.mark.parametrize("how", ["PYTHONHUNTER", "cli"])
def test_keyboard_interrupt_traceback_shows_the_program_only(project: Path, how: str) -> None:
    (project / "trip.py").write_text(TRIP)
    query = 'module="__main__", actions=[CallPrinter(stream="t.txt"), __import__("trip").Trip()]'
    if how == "cli":
        result = hunter("-q", query, "prog.py", cwd=project, env={"PYTHONPATH": str(project)})
    else:
        result = run_python(["prog.py"], cwd=project, env={"PYTHONHUNTER": query, "PYTHONPATH": str(project)})
    assert result.returncode == -signal.SIGINT, describe(result)
    files = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', result.stderr)
    prog = str(project / "prog.py")
    assert files == [(prog, "5", "<module>"), (prog, "1", "f")], describe(result)
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.endswith("\nKeyboardInterrupt\n")


# -- kind="call" when tracing starts below depth 0 -------------------------------------------------------------


def calls_tree(text: str) -> list[str]:
    """What follows the kind column of each call line: the indentation and the call."""
    return [line.split(" call ", 1)[1] for line in text.splitlines() if " call " in line]


SIBLINGS = ["     => <module>()", "        => main()", *["           => f()"] * 5]


def test_kind_call_siblings_under_dash_m(project: Path) -> None:
    result = hunter("--kind", "call", "--module", "__main__", "-o", project / "t.txt", "-m", "rep", cwd=project)
    assert result.returncode == 0, describe(result)
    assert calls_tree((project / "t.txt").read_text()) == SIBLINGS


def test_kind_call_siblings_under_an_import(project: Path) -> None:
    result = run_python(["-c", "import rep"], cwd=project, env={"PYTHONHUNTER": 'module="rep", kind="call"'})
    assert result.returncode == 0, describe(result)
    assert calls_tree(result.stderr) == SIBLINGS


# -- --action takes what its help says ---------------------------------------------------------------------------


@pytest.mark.parametrize("tail", [["--", "prog.py"], ["prog.py"]])
def test_action_takes_several_printers(project: Path, tail: list[str]) -> None:
    result = hunter("--action", "call", "snoop", "-o", project / "t.txt", *tail, cwd=project)
    assert result.returncode == 0, describe(result)
    text = (project / "t.txt").read_text()
    assert "=> f(a=1)" in text  # CallPrinter
    assert "[b := 2]" in text  # VarsSnooper
    result = hunter("--action", "vars", "a", "b", "-o", project / "v.txt", "--", "prog.py", cwd=project)
    assert result.returncode == 0, describe(result)
    assert "[a => 1]" in (project / "v.txt").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--action", "call", "call", "prog.py"], "python -m hunter: error: --action call given twice"),
        (
            ["--action", "calll", "prog.py"],
            "invalid choice: 'calll' (choose from call, code, vars, snoop, errors, stack)",
        ),
        (["--action", "vars", "--", "prog.py"], "--action vars needs at least one NAME"),
    ],
)
def test_bad_actions(project: Path, args: list[str], message: str) -> None:
    result = hunter(*args, cwd=project)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1, describe(result)


# -- JSON Lines -------------------------------------------------------------------------------------------------


def test_jsonl_module_start_has_no_source(project: Path) -> None:
    result = hunter("--format", "jsonl", "-o", project / "e.jsonl", "demo.py", cwd=project)
    assert result.returncode == 0, describe(result)
    events = [json.loads(line) for line in (project / "e.jsonl").read_text().splitlines()]
    # (A module's call event is at line 0 from 3.11 on; 3.10 gives it its first line.)
    starts = [event for event in events if event["lineno"] == 0]
    assert bool(starts) == (sys.version_info >= (3, 11))
    assert all(event["source"] is None for event in starts)
    assert not [event for event in events if "NO SOURCE" in str(event.get("source"))]
    assert events[1]["source"] == "import bank\n"


# -- hints -------------------------------------------------------------------------------------------------------


def test_query_option_typo_names_the_closest(project: Path) -> None:
    result = hunter("-q", "action=CallPrinter(repr_limt=3)", "demo.py", cwd=project)
    assert result.returncode == 2, describe(result)
    assert result.stderr.startswith("python -m hunter: error: bad --query 'action=CallPrinter(repr_limt=3)': ")
    assert "unexpected keyword argument 'repr_limt'" in result.stderr
    # Once (python 3.13 says it itself).
    assert result.stderr.count("Did you mean 'repr_limit'?") == 1, describe(result)


def test_query_value_without_quotes_says_they_are_needed(project: Path) -> None:
    result = hunter("-q", "module=bank", "demo.py", cwd=project)
    assert result.returncode == 2, describe(result)
    assert result.stderr == (
        "python -m hunter: error: bad --query 'module=bank': NameError: name 'bank' is not defined (at column 8). "
        """A text value needs quotes: module='bank'; in a shell, quote the whole query: -q 'module="bank"' """
        "(see python -m hunter --help)\n"
    ), describe(result)


@pytest.mark.parametrize(
    ("args", "last_line"),
    [
        (
            ["--module", "demo"],
            "hunter: nothing was traced: no event matched; demo.py runs as __main__, not as demo: use --module "
            "__main__",
        ),
        (
            ["--module", "bnak"],
            "hunter: nothing was traced: no event matched; no module 'bnak' ran (modules that did, with close "
            "names: bank)",
        ),
        (
            ["-q", 'module="bnak"', "--format", "jsonl"],
            "hunter: nothing was traced: no event matched; no module 'bnak' ran (modules that did, with close "
            "names: bank)",
        ),
        (
            ["--module", "bank", "--function", "nothing"],
            "hunter: nothing was traced: no event matched (every filter given must match: loosen one)",
        ),
    ],
)
def test_an_empty_trace_says_so(project: Path, args: list[str], last_line: str) -> None:
    result = hunter(*args, "-o", project / "out", "demo.py", cwd=project)
    assert result.returncode == 0, describe(result)
    assert result.stderr.splitlines()[-1] == last_line, describe(result)
    assert "nothing was traced" not in hunter("--module", "bank", "-o", project / "out", "demo.py", cwd=project).stderr
