"""The command line's smaller options: -c, --repr-limit, the help text, a query's own action with -o, and the
noise it leaves out (the interpreter's shutdown, setuptools' import hook, a misspelt -m module's search)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from helpers import describe, run_python
from test_cli import SHOW, hunter, python, same

PROGRAM = """\
def shout(text):
    return text.upper()

print(shout("hello"))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "prog.py").write_text(PROGRAM)
    return tmp_path


def trace_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


# -- -c CODE -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        SHOW,
        "def f():\n    raise ValueError('boom')\n\nf()\n",
        "import sys\nsys.exit('a message')\n",
        "x = (\n",
    ],
    ids=["show", "uncaught", "exit-message", "syntax"],
)
def test_command_runs_as_python_c_does(project: Path, code: str) -> None:
    plain = python("-c", code, "arg", "--flag", cwd=project, input="some input\n")
    traced = hunter("-o", project / "t.txt", "-c", code, "arg", "--flag", cwd=project, input="some input\n")
    same(plain, traced)


def test_command_trace_shows_its_source(project: Path) -> None:
    code = "def double(x):\n    return x * 2\n\nprint(double(21))\n"
    result = hunter("--no-stdlib", "-c", code, cwd=project)
    assert (result.returncode, result.stdout) == (0, "42\n"), describe(result)
    lines = [line.split(":", 1)[1] for line in result.stderr.splitlines()]
    assert [re.sub(r"^\d+ +", "", line) for line in lines[1:]] == [
        "line         def double(x):",
        "line         print(double(21))",
        "call         => double(x=21)",
        "line            return x * 2",
        "return       <= double: 42",
        "return    <= <module>: None",
    ], result.stderr
    assert all(line.lstrip().startswith("<string>:") for line in result.stderr.splitlines())


def test_command_glued_to_its_flag_and_options_after_it_belong_to_the_program() -> None:
    from hunter.cli import Target, split_argv

    assert split_argv(["--no-stdlib", "-cprint(1)", "-q", "x"]) == (
        ["--no-stdlib"],
        Target("command", "print(1)", ["-q", "x"]),
    )
    assert split_argv(["-c", "pass", "-m", "x"]) == ([], Target("command", "pass", ["-m", "x"]))


def test_command_without_code_is_a_usage_error(project: Path) -> None:
    result = hunter("-c", cwd=project)
    assert result.returncode == 2
    assert "argument -c: expected the code to run" in result.stderr


# -- --repr-limit --------------------------------------------------------------------------------------------


def test_repr_limit_shortens_values_of_the_text_output(project: Path) -> None:
    code = "def f(text):\n    return text\nf('abcdefghijklmnopqrstuvwxyz')\n"
    out = project / "t.txt"
    result = hunter("--repr-limit", "10", "--kind", "call,return", "-o", out, "--no-stdlib", "-c", code, cwd=project)
    assert result.returncode == 0, describe(result)
    text = out.read_text()
    assert re.search(r"=> f\(text='abc[a-z]* \[\.\.\.\] [a-z]*xyz'\)", text), text
    assert re.search(r"<= f: 'abc[a-z]* \[\.\.\.\] [a-z]*xyz'\n", text), text
    assert "defghijklmnopqrstu" not in text


def test_repr_limit_shortens_values_of_the_timeline(project: Path) -> None:
    code = "def f(text):\n    return len(text)\nf('x' * 100)\n"
    out = project / "t.json"
    result = hunter("--repr-limit", "20", "--format", "chrome", "-o", out, "--module", "__main__", "-c", code,
                    cwd=project)  # fmt: skip
    assert result.returncode == 0, describe(result)
    from hunter.exporters import read_events

    [end] = [event for event in read_events(str(out)) if event.get("name") == "f" and event["ph"] == "E"]
    assert len(end["args"]["text"]) < 30, end


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repr-limit", "0"], "invalid whole number value: '0'"),
        (["--repr-limit", "x"], "invalid whole number value: 'x'"),
        (["--repr-limit", "5", "--format", "chrome"], "--repr-limit must be at least 8 for --format chrome"),
    ],
)
def test_bad_repr_limit(project: Path, args: list[str], message: str) -> None:
    result = hunter(*args, "prog.py", cwd=project)
    assert result.returncode == 2, describe(result)
    assert message in result.stderr, describe(result)
    assert result.stdout == ""


# -- help ----------------------------------------------------------------------------------------------------


def test_help_lists_the_environment_variables(project: Path) -> None:
    result = hunter("--help", cwd=project)
    assert result.returncode == 0, describe(result)
    section = result.stdout.split("environment variables:\n", 1)[1]
    named = re.findall(r"^  ([A-Z_]+) ", section, re.MULTILINE)
    assert named == ["PYTHONHUNTER", "PYTHONHUNTERCONFIG", "NO_COLOR", "FORCE_COLOR"], section
    assert "-c code [args...]" in result.stdout


# -- "put -- before the script" ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["--action", "vars", "x", "prog.py"], True),  # prog.py was taken for a name to show
        (["--action", "code"], False),
        (["--no-stdlib"], False),
        ([], False),
    ],
)
def test_double_dash_hint_only_after_action_vars(project: Path, args: list[str], hint: bool) -> None:
    result = hunter(*args, cwd=project)
    assert result.returncode == 2, describe(result)
    assert "no script, -m module or -c code given" in result.stderr
    assert ("put -- before the script" in result.stderr) == hint, result.stderr


# -- a query's own action with -o ----------------------------------------------------------------------------


def test_query_action_writes_to_the_output_file(project: Path) -> None:
    out = project / "t.txt"
    result = hunter("-q", "function='shout', action=CodePrinter", "-o", out, "prog.py", cwd=project)
    assert (result.returncode, result.stdout) == (0, "HELLO\n"), describe(result)
    assert re.fullmatch(rf"hunter: trace written to {re.escape(str(out))}: 4 lines, [0-9]+ bytes\n", result.stderr)
    lines = [re.sub(r"^.*prog\.py:\d+ +", "", line).strip() for line in trace_lines(out)]
    assert lines == [
        "call      def shout(text):",
        "line          return text.upper()",
        "return        return text.upper()",
        "...       return value: 'HELLO'",
    ], lines


def test_query_actions_with_output_and_repr_limit_reach_children_too(project: Path) -> None:
    (project / "parent.py").write_text(
        "import subprocess, sys\n"
        "def shout(text):\n    return text.upper()\n"
        "shout('parent says hello')\n"
        "subprocess.run([sys.executable, 'prog.py'], check=True)\n"
    )
    out = project / "t.txt"
    query = "function='shout', kind='call', actions=[CallPrinter, VarsPrinter('text', repr_limit=100)]"
    result = hunter("-q", query, "--repr-limit", "12", "-o", out, "parent.py", cwd=project)
    assert (result.returncode, result.stdout) == (0, "HELLO\n"), describe(result)
    assert result.stderr.startswith(f"hunter: trace written to {out}: "), describe(result)
    lines = trace_lines(out)
    parent = [line for line in lines if not re.match(r"\[\d+\]", line)]
    child = [line for line in lines if re.match(r"\[\d+\]", line)]
    # CallPrinter gets --repr-limit, VarsPrinter keeps its own; the child's lines carry its pid.
    assert [line.split("call")[-1].strip() for line in parent][1:] == ["[text => 'parent says hello']"], lines
    assert re.fullmatch(r"=> shout\(text='par[a-z]* \[\.\.\.\] [a-z]*llo'\)", parent[0].split("call")[-1].strip())
    assert [line.split("call")[-1].strip() for line in child] == ["=> shout(text='hello')", "[text => 'hello']"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("action=ChromeTrace('x.json')", "-o applies to the printers a --query names"),
        ("action=CodePrinter(stream='elsewhere.txt')", "both say where the output goes"),
        ("action=[CodePrinter][0]", "-o applies to the printers a --query names"),
    ],
)
def test_query_action_that_output_cannot_redirect(project: Path, query: str, message: str) -> None:
    result = hunter("-q", query, "-o", project / "t.txt", "prog.py", cwd=project)
    assert result.returncode == 2, describe(result)
    assert message in result.stderr, describe(result)
    assert result.stdout == ""


# -- noise left out ------------------------------------------------------------------------------------------


def test_missing_module_is_python_s_message_alone(project: Path) -> None:
    # Without -o the trace would go to stderr, and it used to hold the whole failed search for the module.
    plain = python("-m", "no_such_module_here", cwd=project)
    same(plain, hunter("-m", "no_such_module_here", cwd=project))
    assert "No module named no_such_module_here" in plain.stderr


THREADED = """\
import threading

def work():
    return 1

thread = threading.Thread(target=work)
thread.start()
"""


def test_interpreter_shutdown_is_not_traced(project: Path) -> None:
    (project / "threaded.py").write_text(THREADED)
    out = project / "t.txt"
    result = hunter("--kind", "call", "-o", out, "threaded.py", cwd=project)
    assert result.returncode == 0, describe(result)
    functions = [line.split("=> ")[1].split("(")[0] for line in trace_lines(out)]
    assert "work" in functions and "start" in functions, functions  # the program's own use of threading shows
    assert "_shutdown" not in functions, functions
    # Before the program's end, the main thread's last call is the program's; _shutdown's callees are gone too.
    assert not [line for line in trace_lines(out) if "_maintain_shutdown_locks" in line or "=> _stop(" in line]


def test_no_stdlib_leaves_out_setuptools_import_hook(project: Path) -> None:
    # setuptools installs _distutils_hack's finder with a .pth file; it runs at every import. A stand-in here:
    (project / "_distutils_hack").mkdir()
    (project / "_distutils_hack" / "__init__.py").write_text(
        textwrap.dedent(
            """
            import sys

            class Finder:
                def find_spec(self, fullname, path=None, target=None):
                    return None

            sys.meta_path.insert(0, Finder())
            """
        )
    )
    (project / "importer.py").write_text("import _distutils_hack\nimport colorsys\nimport prog\n")
    out = project / "t.txt"
    result = hunter("--no-stdlib", "-o", out, "importer.py", cwd=project)
    assert result.returncode == 0, describe(result)
    text = out.read_text()
    assert "_distutils_hack/" not in text, text
    assert "=> shout(text='hello')" in text, text
    # Without --no-stdlib, everything shows, the hook included.
    assert hunter("-o", out, "importer.py", cwd=project).returncode == 0
    assert "=> find_spec(" in out.read_text()


def test_pythonhunter_trace_does_not_start_with_hunter_s_own_lines(project: Path) -> None:
    result = run_python(
        ["prog.py"], cwd=project, env={"PYTHONHUNTER": "kind_in=['call', 'return']", "PYTHONHUNTER_REMOTE": None}
    )
    assert result.returncode == 0, describe(result)
    lines = result.stderr.splitlines()
    assert lines, describe(result)
    # The start-up hook looked up PYTHONHUNTER_REMOTE after tracing had started: the trace opened with that.
    assert not [line for line in lines if "key='PYTHONHUNTER" in line], lines[:5]
