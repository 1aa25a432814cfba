"""``python -m hunter``: runs programs exactly as ``python`` does (checked against python itself), traced."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import textwrap
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from helpers import describe, run_python
from test_exporters import EXPECTED_MAIN, PROGRAM, check_timeline, find, load_strict, main_trees

HAS_FORK = hasattr(os, "fork")

# Everything a program can see of how it was started.
SHOW = """\
import json, sys
main = sys.modules["__main__"]
loader = getattr(main, "__loader__", None)
spec = getattr(main, "__spec__", None)
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "name": __name__,
    "main_is_globals": vars(main) is globals(),
    "keys": sorted(vars(main)),
    "file": getattr(main, "__file__", None),
    "cached": getattr(main, "__cached__", None),
    "package": getattr(main, "__package__", None),
    "spec": spec and [spec.name, spec.origin, spec.parent],
    "loader": loader and [type(loader).__name__, getattr(loader, "name", None), getattr(loader, "path", None)],
    "builtins": type(__builtins__).__name__,
    "code": sys._getframe().f_code.co_filename,
    "stdin": sys.stdin.read(),
}))
if len(sys.argv) > 1 and sys.argv[1].isdigit():
    sys.exit(int(sys.argv[1]))
"""


def python(*args: Any, cwd: Path, input: str | None = None) -> Any:
    """Plain python on the arguments."""
    return run_python([str(arg) for arg in args], cwd=cwd, input=input)


def hunter(*args: Any, cwd: Path, input: str | None = None, env: dict[str, str | None] | None = None) -> Any:
    """``python -m hunter`` on the arguments."""
    return run_python(["-m", "hunter", *(str(arg) for arg in args)], cwd=cwd, input=input, env=env)


def same(plain: Any, traced: Any) -> None:
    """The two runs look the same from outside: exit status, stdout and stderr (less the summary line of ``-o``)."""
    summary = re.search(r"hunter: trace written to [^\n]*: [0-9,]+ lines, [^\n]*\n\Z", traced.stderr)
    stderr = traced.stderr[: summary.start()] if summary else traced.stderr
    assert (traced.returncode, traced.stdout, stderr) == (plain.returncode, plain.stdout, plain.stderr), (
        f"plain python:\n{describe(plain)}\n\nhunter:\n{describe(traced)}"
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a script, a package with modules, and a runnable directory."""
    (tmp_path / "show.py").write_text(SHOW)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "show.py").write_text(SHOW)
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("def hello():\n    return 'hello'\n\nGREETING = hello()\n")
    (package / "show.py").write_text(SHOW)
    (package / "__main__.py").write_text(SHOW)
    (package / "fail.py").write_text(
        "def inner():\n    raise ValueError('boom')\n\ndef outer():\n    inner()\n\nouter()\n"
    )
    (package / "broken.py").write_text("x = (\n")
    (tmp_path / "runnable").mkdir()
    (tmp_path / "runnable" / "__main__.py").write_text(SHOW)
    (tmp_path / "app.py").write_text(PROGRAM + "\nmain()\n")
    return tmp_path


# -- behaving exactly like python ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["show.py"],
        ["show.py", "a", "--b", "-m", "c"],
        ["sub/show.py", "x"],
        ["show.py", "7"],
        ["-m", "pkg.show", "arg"],
        ["-m", "pkg", "x"],
        ["-m", "pkg.show", "5"],
        ["runnable", "y"],
        ["pkg"],
    ],
    ids=lambda args: " ".join(args),
)
def test_program_sees_what_python_shows_it(project: Path, args: list[str]) -> None:
    plain = python(*args, cwd=project, input="some input\n")
    traced = hunter("-o", project / "trace.txt", *args, cwd=project, input="some input\n")
    same(plain, traced)
    assert (project / "trace.txt").read_text()  # it was traced


def test_double_dash_and_options_after_the_script_belong_to_the_program(project: Path) -> None:
    plain = python("show.py", "--help", "-q", "x", cwd=project)
    traced = hunter("--no-stdlib", "-o", project / "t.txt", "--", "show.py", "--help", "-q", "x", cwd=project)
    same(plain, traced)
    traced = hunter("--no-stdlib", "-o", project / "t.txt", "show.py", "--help", "-q", "x", cwd=project)
    same(plain, traced)


def test_script_from_stdin(project: Path) -> None:
    code = "import sys\nprint(sys.argv, repr(sys.path[0]), __name__, __file__)\nraise SystemExit(4)\n"
    same(python("-", "a", cwd=project, input=code), hunter("-o", project / "t.txt", "-", "a", cwd=project, input=code))


@pytest.mark.parametrize(
    "code",
    [
        "import sys\nsys.exit(3)\n",
        "import sys\nsys.exit('a message')\n",
        "def f():\n    raise SystemExit(9)\nf()\n",
        "import os, sys\nsys.stdout.write('unflushed')\nos._exit(5)\n",
        (
            "def f():\n    raise KeyError('k')\n\ndef g():\n    try:\n        f()\n    except KeyError as e:\n"
            "        raise RuntimeError('wrapped') from e\ng()\n"
        ),
        "import sys\ndef hook(*a):\n    print('custom hook', a[0].__name__)\nsys.excepthook = hook\n1/0\n",
        "x = (\n",
        "import atexit\natexit.register(print, 'at exit')\nprint('body')\n",
        (
            "import threading\ngo = threading.Event()\n"
            "t = threading.Thread(target=lambda: go.wait() and print('thread done'))\nt.start()\n"
            "print('main done', flush=True)\ngo.set()\n"
        ),
    ],
    ids=["exit-3", "exit-message", "exit-nested", "os-exit", "chained", "excepthook", "syntax", "atexit", "thread"],
)
def test_exit_status_and_errors_are_python_s(project: Path, code: str) -> None:
    (project / "prog.py").write_text(code)
    same(python("prog.py", cwd=project), hunter("-o", project / "t.txt", "prog.py", cwd=project))


@pytest.mark.parametrize("module", ["pkg.fail", "pkg.broken", "pkg.missing", "missing"])
def test_module_errors_are_python_s(project: Path, module: str) -> None:
    same(python("-m", module, cwd=project), hunter("-o", project / "t.txt", "-m", module, cwd=project))


@pytest.mark.skipif(not hasattr(signal, "SIGINT"), reason="needs SIGINT")
def test_keyboard_interrupt_exits_like_python(project: Path) -> None:
    (project / "prog.py").write_text("def f():\n    raise KeyboardInterrupt\nf()\n")
    plain = python("prog.py", cwd=project)
    same(plain, hunter("-o", project / "t.txt", "prog.py", cwd=project))
    assert plain.returncode in (-signal.SIGINT, 128 + signal.SIGINT, 1)


@pytest.mark.parametrize("name", ["nope.py", "sub/nope.py", "sub"])
def test_missing_script_is_python_s_message(project: Path, name: str) -> None:
    same(python(name, cwd=project), hunter("-o", project / "t.txt", name, cwd=project))


def test_installed_command_runs_programs_too(project: Path) -> None:
    command = Path(sys.executable).with_name("hunter.exe" if os.name == "nt" else "hunter")
    if not command.exists():
        pytest.skip("the hunter command is not installed next to this python")
    plain = python("show.py", "z", cwd=project)
    traced = run_python([command, "-o", project / "t.txt", "show.py", "z"], cwd=project)
    same(plain, traced)


# -- refusing bad command lines --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus", "prog.py"], "unrecognized arguments: --bogus"),
        (["--modul", "app", "prog.py"], "unrecognized arguments: --modul. Did you mean '--module'?"),
        (["-q", 'kind="calls"', "prog.py"], "Value 'calls' for 'kind' can never match"),
        (["-q", "module=1", "prog.py"], "Value 1 for 'module' can never match: module is a string."),
        (["-q", 'depth_lt="3"', "prog.py"], "Value '3' for 'depth_lt' must be a number to compare with depth."),
        (["-q", "Q(module='a') & 1", "prog.py"], "Predicate 1 is not callable."),
        (["-q", "clear_env=True", "prog.py"], "Unexpected argument 'clear_env'. Did you mean 'clear_env_var'?"),
        (["--kind", "calls", "prog.py"], "invalid choice: 'calls' (choose from call, line, return, exception). Did"),
        (["--format", "chrom", "prog.py"], "Did you mean 'chrome'?"),
        (["-q", "module=", "prog.py"], "bad --query 'module=': invalid syntax"),
        (["-q", "modul='x'", "prog.py"], "modul"),
        (["-q", "module_in=1", "prog.py"], "bad --query"),
        (["-q", "undefined_name", "prog.py"], "NameError"),
        (["-q", "backend='nope'", "prog.py"], "nope"),
        (["-q", "action=CallPrinter", "--action", "code", "prog.py"], "can't be combined"),
        (["--kind", "cal", "prog.py"], "invalid choice: 'cal'"),
        (["--depth-lt", "x", "prog.py"], "invalid int value"),
        (["--format", "xml", "prog.py"], "invalid choice: 'xml'"),
        (["--action", "shout", "prog.py"], "invalid choice: 'shout'"),
        (["--action", "vars", "prog.py"], "put -- before the script"),
        (["--action", "vars", "1+", "--", "prog.py"], "not a Python expression"),
        (["--format", "chrome", "--action", "code", "prog.py"], "--action applies to --format text"),
        (["--module", "a b", "prog.py"], "not a module name"),
        (["--threads", "-q", "threads=False", "prog.py"], "--threads given both"),
        (["-q", "threads=True", "-q", "threads=False", "prog.py"], "given in more than one --query"),
        (["--stdlib", "--no-stdlib", "prog.py"], "not allowed with argument"),
        (["-o", "/nonexistent-dir/x/out.txt", "prog.py"], "out.txt"),
        ([], "no script, -m module or -c code given"),
        (["-m"], "expected a module name"),
    ],
)
def test_bad_command_lines_run_nothing(project: Path, args: list[str], message: str) -> None:
    (project / "prog.py").write_text("open('ran', 'w').close()\n")
    result = hunter(*args, cwd=project)
    assert result.returncode == 2, describe(result)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, describe(result)
    assert message in lines[0], describe(result)
    assert lines[0].startswith("python -m hunter: error: ")
    assert not (project / "ran").exists()


def test_monitoring_backend_needs_its_python(project: Path) -> None:
    (project / "prog.py").write_text("open('ran', 'w').close()\n")
    result = hunter("--backend", "monitoring", "-o", project / "t.txt", "prog.py", cwd=project)
    if sys.version_info >= (3, 12):
        assert result.returncode == 0, describe(result)
    else:
        assert result.returncode == 2 and "3.12" in result.stderr, describe(result)
        assert not (project / "ran").exists()


def test_help_and_version(project: Path) -> None:
    result = hunter("--help", cwd=project)
    assert result.returncode == 0, describe(result)
    assert "[OPTIONS] -m module [args...]" in result.stdout
    assert "examples:" in result.stdout
    assert "--format chrome -o timeline.json app.py" in result.stdout
    result = hunter("--version", cwd=project)
    assert (result.returncode, result.stdout) == (0, f"hunter {version('hunter')}\n")


# -- what gets traced ------------------------------------------------------------------------------------------


def trace_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_trace_starts_at_the_program_and_shows_no_launcher(project: Path) -> None:
    result = hunter("--no-stdlib", "-o", project / "t.txt", "app.py", cwd=project)
    assert result.returncode == 0, describe(result)
    lines = trace_lines(project / "t.txt")
    assert "app.py" in lines[0] and "call" in lines[0] and "=> <module>()" in lines[0], lines[0]
    assert "<= <module>: None" in lines[-1], lines[-1]
    assert not [line for line in lines if "hunter" in line.split(":")[0] or "runpy" in line]


def test_module_trace_starts_at_its_package(project: Path) -> None:
    result = hunter("--module", "pkg", "-o", project / "t.txt", "-m", "pkg.show", cwd=project)
    assert result.returncode == 0, describe(result)
    lines = trace_lines(project / "t.txt")
    assert "pkg/__init__.py" in lines[0].replace(os.sep, "/") and "=> <module>()" in lines[0], lines[0]
    # --module pkg covers pkg.show although it runs as __main__.
    assert any("=> hello()" in line for line in lines)
    assert any("pkg/show.py" in line.replace(os.sep, "/") for line in lines)
    assert not [line for line in lines if "runpy" in line or "hunter/" in line.replace(os.sep, "/")]


def test_default_output_is_stderr_and_stdout_is_the_program_s(project: Path) -> None:
    (project / "prog.py").write_text("def f(x):\n    return x + 1\nprint(f(1))\n")
    result = hunter("--no-stdlib", "prog.py", cwd=project)
    assert result.returncode == 0, describe(result)
    assert result.stdout == "2\n"
    assert "=> f(x=1)" in result.stderr
    assert "<= f: 2" in result.stderr


def test_filter_flags(project: Path) -> None:
    out = project / "t.txt"
    result = hunter("--function", "leaf", "--kind", "call", "-o", out, "app.py", cwd=project)
    assert result.returncode == 0, describe(result)
    lines = trace_lines(out)
    assert len(lines) == 4 and all("=> leaf(x=" in line for line in lines), lines
    # With -m, runpy's two frames that start the module count in the depth (as with PYTHONHUNTER): the module
    # is at depth 2, main() at 3, middle() at 4.
    result = hunter("--module", "app", "--kind", "call,return", "--depth-lt", "4", "-o", out, "-m", "app", cwd=project)
    assert result.returncode == 0, describe(result)
    lines = trace_lines(out)
    assert [line.split("    ")[-1].strip() for line in lines] == [
        "=> <module>()",
        "=> main()",
        "<= main: 'caught'",
        "<= <module>: None",
    ]


def test_query_with_positional_predicates_and_double_star(project: Path) -> None:
    out = project / "t.txt"
    result = hunter("-q", "Q(function='leaf') | Q(function='fails'), **{'kind': 'call'}", "-o", out, "app.py",
                    cwd=project)  # fmt: skip
    assert result.returncode == 0, describe(result)
    functions = [line.split("=> ")[1].split("(")[0] for line in trace_lines(out)]
    assert functions == ["leaf", "leaf", "leaf", "leaf", "fails"]


def test_several_queries_must_all_match(project: Path) -> None:
    out = project / "t.txt"
    result = hunter("-q", "module='__main__'", "-q", "kind='call'", "-q", "function_in=['leaf', 'gen']", "-o", out,
                    "app.py", cwd=project)  # fmt: skip
    assert result.returncode == 0, describe(result)
    functions = [line.split("=> ")[1].split("(")[0] for line in trace_lines(out)]
    assert sorted(set(functions)) == ["gen", "leaf"]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (["code"], "return leaf(a) + leaf(b)"),
        (["vars", "x"], "[x => 1]"),
        (["vars", "a", "b"], "[b => 3]"),
        (["snoop"], ":= "),
        (["errors"], "fails"),
        (["stack"], "app.py:7:middle <= "),
        (["call"], "=> middle(a=1, b=3)"),
    ],
)
def test_actions(project: Path, action: list[str], expected: str) -> None:
    out = project / "t.txt"
    result = hunter("--module", "__main__", "--action", *action, "-o", out, "--", "app.py", cwd=project)
    assert result.returncode == 0, describe(result)
    assert expected in out.read_text(), out.read_text()


def test_threads_flag_always_shows_thread_names(project: Path) -> None:
    (project / "prog.py").write_text("def f():\n    return 1\nf()\n")
    out = project / "t.txt"
    assert hunter("--threads", "--no-stdlib", "-o", out, "prog.py", cwd=project).returncode == 0
    assert all("MainThread" in line for line in trace_lines(out))


CHILDREN = """\
import multiprocessing, os, subprocess, sys, threading

def child_work():
    return "child"

if __name__ == "__main__":
    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    for method in METHODS:
        process = multiprocessing.get_context(method).Process(target=main)
        process.start()
        process.join()
    subprocess.run([sys.executable, "-c", "import app_child; app_child.child_work()"], check=True)
    main()
"""


def write_children_program(project: Path) -> Path:
    methods = ("fork", "spawn") if HAS_FORK else ("spawn",)
    (project / "family.py").write_text(PROGRAM + CHILDREN.replace("METHODS", repr(methods)))
    (project / "app_child.py").write_text("def child_work():\n    return 'child'\n")
    return project / "family.py"


def test_children_are_traced_with_their_pid(project: Path) -> None:
    write_children_program(project)
    out = project / "t.txt"
    result = hunter("--no-stdlib", "--kind", "call", "--function", "main", "--function", "child_work", "-o", out,
                    "family.py", cwd=project)  # fmt: skip
    assert result.returncode == 0, describe(result)
    lines = trace_lines(out)
    # The main process's lines have no pid column; each child's lines name its process.
    main_lines = [line for line in lines if not re.match(r"\[\d+\]", line)]
    child_lines = [line for line in lines if re.match(r"\[\d+\]", line)]
    assert len([line for line in main_lines if "=> main()" in line]) == 2, lines  # the main thread and the thread
    pids = {line.split("]")[0] for line in child_lines}
    assert len(pids) == (3 if HAS_FORK else 2), lines  # fork, spawn, subprocess
    assert len([line for line in child_lines if "=> child_work()" in line]) == 1
    assert "PYTHONHUNTER" not in result.stdout


def test_no_children(project: Path) -> None:
    write_children_program(project)
    out = project / "t.txt"
    result = hunter("--no-children", "--kind", "call", "--function", "main", "--function", "child_work", "-o", out,
                    "family.py", cwd=project)  # fmt: skip
    assert result.returncode == 0, describe(result)
    lines = trace_lines(out)
    assert len(lines) == (3 if HAS_FORK else 2), lines  # main thread, thread, and the fork child (same process)
    assert not [line for line in lines if "child_work" in line]


def test_chrome_format_makes_one_timeline_of_all_processes(project: Path) -> None:
    write_children_program(project)
    out = project / "timeline.json"
    result = hunter("--format", "chrome", "-o", out, "--module", "__main__", "--module", "__mp_main__",
                    "--module", "app_child", "family.py", cwd=project)  # fmt: skip
    assert result.returncode == 0, describe(result)
    assert f"hunter: timeline written to {out}" in result.stderr
    events = load_strict(out)
    roots = check_timeline(events)
    expected_processes = 4 if HAS_FORK else 3
    assert len({pid for pid, _tid in roots}) == expected_processes
    assert main_trees(roots) == [EXPECTED_MAIN] * (expected_processes + 0)
    assert len(find(roots, "child_work")) == 1
    assert not list(project.glob("timeline.*.json"))  # all merged


@pytest.mark.skipif(not HAS_FORK, reason="needs os.fork")
def test_chrome_format_with_a_forked_child_that_exits_normally(project: Path) -> None:
    # The child runs the exit handlers it inherited: it must not merge (nor announce) the run's timeline.
    (project / "prog.py").write_text(
        PROGRAM
        + textwrap.dedent(
            """
            import os
            pid = os.fork()
            if pid == 0:
                main()
                sys.exit(0)
            os.waitpid(pid, 0)
            main()
            """
        )
    )
    out = project / "timeline.json"
    result = hunter("--format", "chrome", "--module", "__main__", "-o", out, "prog.py", cwd=project)
    assert result.returncode == 0, describe(result)
    events = load_strict(out)
    count = len([event for event in events if event["ph"] != "M"])
    size = out.stat().st_size
    # One summary line, with what the file holds and how to open it.
    assert result.stderr == (
        f"hunter: timeline written to {out}: {count} events, 2 threads, 2 processes, {size / 1000:.1f} kB; "
        f"view it with: python -m hunter view {out} (or open it in https://ui.perfetto.dev)\n"
    )
    roots = check_timeline(events)
    assert len({pid for pid, _tid in roots}) == 2
    assert main_trees(roots) == [EXPECTED_MAIN, EXPECTED_MAIN]
    assert not list(project.glob("timeline.*.json"))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user that file modes apply to")
def test_unreadable_script_is_python_s_message(project: Path) -> None:
    (project / "secret.py").write_text("print(1)\n")
    (project / "secret.py").chmod(0)
    same(python("secret.py", cwd=project), hunter("secret.py", cwd=project))


def test_chrome_format_default_file_and_uncaught_exception(project: Path) -> None:
    (project / "prog.py").write_text("def f():\n    raise ValueError('x')\n\ndef g():\n    f()\n\ng()\n")
    result = hunter("--format", "chrome", "prog.py", cwd=project)
    assert result.returncode == 1, describe(result)
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert "hunter: timeline written to" in result.stderr.splitlines()[-1]
    events = load_strict(project / "hunter-trace.json")
    roots = check_timeline(events)
    [g] = find(roots, "g")
    assert g[1].shape() == ("g", [("f", [])])
    assert g[1].end["args"] == {"exception": "ValueError('x')"}


def test_jsonl_format(project: Path) -> None:
    out = project / "events.jsonl"
    result = hunter("--format", "jsonl", "-o", out, "--module", "__main__", "app.py", cwd=project)
    assert result.returncode == 0, describe(result)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert result.stderr.endswith(
        f"hunter: events written to {out}: {len(records):,} events, 1 thread, 1 process, "
        f"{out.stat().st_size / 1000:.1f} kB; view it with: python -m hunter view {out}\n"
    )
    assert records[0]["kind"] == "call" and records[0]["function"] == "<module>"
    assert {record["kind"] for record in records} == {"call", "line", "return", "exception"}


def test_output_file_holds_this_run_only(project: Path) -> None:
    out = project / "t.txt"
    out.write_text("old content\n")
    assert hunter("--no-stdlib", "-o", out, "app.py", cwd=project).returncode == 0
    assert "old content" not in out.read_text()


def test_pythonhunter_of_the_caller_is_replaced(project: Path) -> None:
    (project / "prog.py").write_text("import os\nprint(os.environ.get('PYTHONHUNTER'))\n")
    out = project / "t.txt"
    result = hunter("--no-children", "--no-stdlib", "-o", out, "prog.py", cwd=project,
                    env={"PYTHONHUNTER": "module='nothing'"})  # fmt: skip
    assert result.returncode == 0, describe(result)
    assert result.stdout == "None\n"
    assert "=> <module>()" in out.read_text()
    result = hunter("--no-stdlib", "-o", out, "prog.py", cwd=project)
    assert "CallPrinter(" in result.stdout and "force_pid=True" in result.stdout


def test_split_of_the_command_line() -> None:
    from hunter.cli import Target, split_argv

    assert split_argv(["-q", "x", "--no-stdlib", "a.py", "-q", "y"]) == (
        ["-q", "x", "--no-stdlib"],
        Target("script", "a.py", ["-q", "y"]),
    )
    assert split_argv(["--query=x", "-mpkg.mod", "a"]) == (["--query=x"], Target("module", "pkg.mod", ["a"]))
    assert split_argv(["-ofile", "--", "-weird.py"]) == (["-ofile"], Target("script", "-weird.py", []))
    assert split_argv(["--action", "vars", "a", "b", "--", "s.py"]) == (
        ["--action", "vars", "a", "b"],
        Target("script", "s.py", []),
    )
    assert split_argv(["--action", "code", "s.py"]) == (["--action", "code"], Target("script", "s.py", []))
    assert split_argv(["-", "x"]) == ([], Target("script", "-", ["x"]))
    assert split_argv(["--threads"]) == (["--threads"], None)


def test_main_module_dunder_main_and_console_entry_point() -> None:
    import hunter.__main__  # noqa: F401 - importing it must not run anything
    from hunter.cli import main

    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert 'hunter = "hunter.cli:main"' in text
    assert callable(main)


def test_trace_module_does_not_change_program_output(project: Path) -> None:
    code = textwrap.dedent(
        """
        import collections, json
        def tally(words):
            return collections.Counter(words).most_common(3)
        print(json.dumps(tally("a b a c b a d".split())))
        """
    )
    (project / "prog.py").write_text(code)
    same(python("prog.py", cwd=project), hunter("-o", project / "t.txt", "prog.py", cwd=project))


# -- hunter's own code, called by the traced program ----------------------------------------------------------

SELF_TRACING = """\
import io, os, hunter

def f(x):
    return os.path.join("a", x)

printer = hunter.CallPrinter(stream=io.StringIO())
tracer = hunter.trace(module="__main__", action=printer)
f("b")
tracer.stop()
print(f("c"))
"""


@pytest.mark.parametrize("profile", [False, True])
def test_what_hunters_code_calls_is_never_traced(tmp_path: Path, profile: bool) -> None:
    # The program calls hunter (a printer made, a tracer started and stopped): hunter's code calls os.environ,
    # signal, threading... none of which is the program's doing. The program's own os.path.join call is.
    (tmp_path / "prog.py").write_text(SELF_TRACING)
    result = run_python(["-m", "hunter", *(["-q", "profile=True"] if profile else []), "prog.py"], cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "a/c\n"), describe(result)
    files = set(re.findall(r"([\w.<>-]+):\d+ +(?:call|line|return|exception)\b", result.stderr))
    if profile:
        files.discard("threading.py")  # C calls of threading._shutdown at exit (the interpreter calls it)
    assert files == {"prog.py", "posixpath.py"}, describe(result)
