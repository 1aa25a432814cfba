"""Activation from PYTHONHUNTER, defaults from PYTHONHUNTERCONFIG and load_config(), and the module-level helpers."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import backend_under_test, describe, normalize, run_python
from programs import lines

import hunter
from hunter import Q, config
from hunter import predicates as hp
from hunter.actions import CallPrinter, CodePrinter, Debugger

PROGRAM = """
def f(x):
    return x

f(1)
print("done")
"""


def with_backend(value: str) -> str:
    """A PYTHONHUNTERCONFIG value that also selects the backend under test (an explicit config replaces it)."""
    chosen = backend_under_test()
    return f'{value}, backend="{chosen}"' if chosen else value


def call_line(function: str, lineno: int, arguments: str, filename: str = "<string>") -> str:
    return f"{filename:>40}:{lineno:<5} call      => {function}({arguments})"


# -- PYTHONHUNTER ---------------------------------------------------------------------------------------------


def test_valid_value_traces_the_program(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(PROGRAM)
    # Run as __main__ under the relative name prog.py (python prog.py would make it absolute).
    run = "exec(compile(open('prog.py').read(), 'prog.py', 'exec'))"
    result = run_python(run, cwd=tmp_path, env={"PYTHONHUNTER": 'module="__main__", function="f"'})
    assert result.returncode == 0, describe(result)
    assert result.stdout == "done\n"
    assert lines(result.stderr) == [
        call_line("f", 2, "x=1", "prog.py"),
        f"{'prog.py':>40}:3     line         return x",
        f"{'prog.py':>40}:3     return    <= f: 1",
    ]


def test_value_with_positional_predicates_and_actions() -> None:
    value = 'Q(module="__main__"), ~Q(kind="line"), function_in=["f"], action=CallPrinter(repr_limit=3)'
    result = run_python(PROGRAM.replace("f(1)", "f(12345)"), env={"PYTHONHUNTER": value})
    assert result.returncode == 0, describe(result)
    assert lines(result.stderr) == [
        call_line("f", 2, "x=1 [...] 5"),
        f"{'<string>':>40}:3     return    <= f: 1 [...] 5",
    ]


def test_unset_or_blank_value_does_nothing() -> None:
    code = "import sys; print('hunter' in sys.modules, sys.gettrace())"
    # Unset or empty: the start-up hook doesn't even import hunter.
    for env in ({"PYTHONHUNTER": None}, {"PYTHONHUNTER": ""}):
        result = run_python(code, env=env)
        assert (result.returncode, result.stdout, result.stderr) == (0, "False None\n", ""), describe(result)
    result = run_python(code, env={"PYTHONHUNTER": "   "})
    assert (result.returncode, result.stdout, result.stderr) == (0, "True None\n", ""), describe(result)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (
            'module="__main__" function="f"',
            "invalid syntax at column 8: invalid syntax. Perhaps you forgot a comma?",
        ),
        (
            'module="__main__",\n   bad bad',
            "invalid syntax at line 2, column 4: invalid syntax. Perhaps you forgot a comma?",
        ),
        # 3.12+ points at the keyword that lacks its value, as Python itself does.
        ("module=", r"invalid syntax at (the end of the value: invalid syntax|column 1: expected argument value)"),
        ("x=1)+(2", "expected a list of arguments, as inside trace(...)"),
        ("action=Nope", "NameError: name 'Nope' is not defined (at column 8)"),
        ("modul='x'", "TypeError: Unexpected argument 'modul'. Did you mean 'module'? trace() takes the options"),
        ("clear_env=True", "TypeError: Unexpected argument 'clear_env'. Did you mean 'clear_env_var'? trace() takes"),
        ("repr_limit=3", "TypeError: Unexpected argument 'repr_limit'. It is an option of the actions"),
        ("1,", "TypeError: Predicate 1 is not callable."),
        ('module="a", module="b"', "keyword argument 'module' given twice"),
        ("module_sw=1", "ValueError: Value 1 for 'module_sw' is invalid. Must be a string, list, tuple or set."),
        # Accepted by Query() as in 3.9, but they can never match: rejected as tracing starts.
        ('kind="calls"', "ValueError: Value 'calls' for 'kind' can never match: kind is one of 'call', 'line', "),
        ("module=1", "ValueError: Value 1 for 'module' can never match: module is a string."),
        ('depth_lt="3"', "ValueError: Value '3' for 'depth_lt' must be a number to compare with depth."),
        ("Q(module='a') & 1", "TypeError: Predicate 1 is not callable."),
    ],
)
def test_bad_value_prints_one_line(value: str, error: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    # What the start-up hook runs, in-process (the subprocess test below covers the hook itself).
    monkeypatch.setenv("PYTHONHUNTER", value)
    monkeypatch.setattr(hunter, "_activated", False)  # it runs once per process
    hunter._embed_via_environment()
    assert hunter._last_tracer is None
    err = capsys.readouterr().err
    prefix = f"Failed to load hunter from PYTHONHUNTER environ variable {value!r}: "
    assert err.startswith(prefix), err
    assert re.match(error if error.startswith("invalid syntax at (") else re.escape(error), err[len(prefix) :]), err
    assert err.count("\n") == 1, err


def test_bad_value_and_the_program_runs_untraced() -> None:
    result = run_python(PROGRAM, env={"PYTHONHUNTER": 'module="__main__" function="f"'})
    assert result.returncode == 0, describe(result)
    assert result.stdout == "done\n"
    assert result.stderr == (
        'Failed to load hunter from PYTHONHUNTER environ variable \'module="__main__" function="f"\': '
        "invalid syntax at column 8: invalid syntax. Perhaps you forgot a comma?\n"
    )


def test_value_that_can_never_match_is_one_line_and_the_program_runs_untraced() -> None:
    # It used to be silence (kind="calls"), or a traceback per event and "Disabling tracer" (depth_lt="3").
    for value, problem in [
        ('module="__main__", kind="calls"', "Value 'calls' for 'kind' can never match"),
        ('module="__main__", depth_lt="3"', "Value '3' for 'depth_lt' must be a number to compare with depth."),
    ]:
        result = run_python(PROGRAM, env={"PYTHONHUNTER": value})
        assert (result.returncode, result.stdout) == (0, "done\n"), describe(result)
        prefix = f"Failed to load hunter from PYTHONHUNTER environ variable {value!r}: ValueError: {problem}"
        assert result.stderr.startswith(prefix), describe(result)
        assert result.stderr.count("\n") == 1, describe(result)


def test_only_public_names_are_in_scope() -> None:
    # hunter's own modules and private names are not: the value is what goes inside trace(...).
    for name in ("config", "_prepare_predicate", "hunter"):
        result = run_python(PROGRAM, env={"PYTHONHUNTER": f"{name}"})
        assert result.stderr.startswith(
            f"Failed to load hunter from PYTHONHUNTER environ variable {name!r}: "
            f"NameError: name {name!r} is not defined"
        ), describe(result)
        assert result.stdout == "done\n"


def test_child_processes_are_traced_too() -> None:
    code = (
        "import subprocess, sys\n"
        "child = subprocess.run(\n"
        "    [sys.executable, '-c', 'def g():\\n    pass\\ng()\\n'], capture_output=True, text=True\n"
        ")\n"
        "print(repr(child.stderr))\n"
    )
    value = 'module="__main__", function="g", kind="call"'
    inherited = run_python(code, env={"PYTHONHUNTER": value})
    assert inherited.returncode == 0, describe(inherited)
    assert inherited.stdout == repr(call_line("g", 1, "") + "\n") + "\n"
    cleared = run_python(code, env={"PYTHONHUNTER": value + ", clear_env_var=True"})
    assert cleared.returncode == 0, describe(cleared)
    assert cleared.stdout == "''\n"


# -- parse_trace_arguments ------------------------------------------------------------------------------------


def test_parse_trace_arguments() -> None:
    args, kwargs = config.parse_trace_arguments('Q(module="a"), ~Q(kind="line"), function_in=["f", "g"], depth_lt=3')
    assert args == (Q(module="a"), hp.Not(Q(kind="line")))
    assert kwargs == {"function_in": ["f", "g"], "depth_lt": 3}


def test_parse_trace_arguments_unpacking_and_comments() -> None:
    args, kwargs = config.parse_trace_arguments('*[Q(module="a")], **{"kind": "call"}  # a trailing comment')
    assert args == (Q(module="a"),)
    assert kwargs == {"kind": "call"}
    assert config.parse_trace_arguments("") == ((), {})


def test_parse_trace_arguments_with_a_namespace() -> None:
    args, kwargs = config.parse_trace_arguments("thing, size=big", {"thing": len, "big": 99})
    assert (args, kwargs) == ((len,), {"size": 99})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b", r"invalid syntax at column 1"),
        ("x=", r"invalid syntax at (the end of the value|column 1)"),
        ("undefined_name", r"NameError: name 'undefined_name' is not defined \(at column 1\)"),
        ("module=1/0", r"ZeroDivisionError: division by zero \(at column 8\)"),
        # Unclosed brackets are the user's, not the parenthesis the value is wrapped in to be parsed.
        ("foo(", r"invalid syntax at column 4: '\(' was never closed$"),
        ("module=[1, 2", r"invalid syntax at column 8: '\[' was never closed$"),
        ('module="x",\n  function_in=["a", "b"', r"invalid syntax at line 2, column 15: '\[' was never closed$"),
        ('x=")"(', r"invalid syntax at column 6: '\(' was never closed$"),
    ],
)
def test_parse_trace_arguments_errors(text: str, message: str) -> None:
    with pytest.raises(config.ConfigError, match=message):
        config.parse_trace_arguments(text)


# -- PYTHONHUNTERCONFIG --------------------------------------------------------------------------------------

REPORT = """
import sys
import hunter
print(repr(hunter._default_trace_args), repr(hunter._default_config), sys.gettrace())
"""


def run_with_config(value: str, code: str = REPORT, **env: str) -> Any:
    return run_python(code, env={"PYTHONHUNTERCONFIG": value, **env})


def test_config_never_starts_tracing_by_itself() -> None:
    result = run_with_config('module="__main__", threading_support=False, repr_limit=7')
    assert result.returncode == 0, describe(result)
    assert result.stdout == "([], {'module': '__main__', 'threading_support': False}) {'repr_limit': 7} None\n"
    assert result.stderr == ""


def test_config_is_not_even_read_without_pythonhunter() -> None:
    # Without PYTHONHUNTER the start-up hook does nothing at all, however bad the config.
    result = run_with_config("this is not valid", code="import sys; print('hunter' in sys.modules)")
    assert (result.returncode, result.stdout, result.stderr) == (0, "False\n", ""), describe(result)


def test_config_defaults_apply_to_environment_activation() -> None:
    result = run_with_config(
        with_backend('module="__main__", kind="call", repr_limit=5'), code=PROGRAM, PYTHONHUNTER='function="f"'
    )
    assert result.returncode == 0, describe(result)
    assert lines(result.stderr) == [call_line("f", 2, "x=1")]
    result = run_with_config(
        with_backend('module="__main__", kind="call", repr_limit=5'),
        code=PROGRAM.replace("f(1)", "f('abcdefghij')"),
        PYTHONHUNTER='function="f"',
    )
    assert lines(result.stderr) == [call_line("f", 2, "x='a [...] j'")]


def test_explicit_options_win_over_config() -> None:
    result = run_with_config(
        with_backend('module="__main__", kind="call", repr_limit=5'),
        code=PROGRAM,
        PYTHONHUNTER='function="f", kind="return", action=CallPrinter(repr_limit=50)',
    )
    assert lines(result.stderr) == [f"{'<string>':>40}:3     return    <= f: 1"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("foo=1", "Discarded config from PYTHONHUNTERCONFIG foo=1: Unknown option"),
        ("foo='x'", "Discarded config from PYTHONHUNTERCONFIG foo='x': Unknown option"),
        ("1", "Discarded config from PYTHONHUNTERCONFIG 1 (position 0): Not a callable"),
        ("Q(module='a'), 'text'", "Discarded config from PYTHONHUNTERCONFIG text (position 1): Not a callable"),
        ('repr_limit="x"', "Discarded config from PYTHONHUNTERCONFIG repr_limit='x': "),
        ("force_colors='no'", "Discarded config from PYTHONHUNTERCONFIG force_colors='no': "),
        ("modul='x'", "Discarded config from PYTHONHUNTERCONFIG modul='x': Unknown option. Did you mean 'module'?"),
        (
            "Repr_Limt=3",
            "Discarded config from PYTHONHUNTERCONFIG repr_limt=3: Unknown option. Did you mean 'repr_limit'?",
        ),
        ("kind='calls'", "Discarded config from PYTHONHUNTERCONFIG kind='calls': can never match: kind is one of "),
        (
            "depth_lt='3'",
            "Discarded config from PYTHONHUNTERCONFIG depth_lt='3': must be a number to compare with depth.",
        ),
        ("~Q(kind='calls')", "Discarded config from PYTHONHUNTERCONFIG Not(Query(kind='calls')) (position 0): Value "),
        ("action='x'", "Discarded config from PYTHONHUNTERCONFIG action='x': Not a callable: 'x'"),
        ("repr_func='str'", "Discarded config from PYTHONHUNTERCONFIG repr_func='str': "),
        ("filename_alignment=-1", "Discarded config from PYTHONHUNTERCONFIG filename_alignment=-1: "),
    ],
)
def test_discarded_config(value: str, message: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("PYTHONHUNTERCONFIG", value)
    hunter.load_config()
    err = capsys.readouterr().err
    assert err.startswith(message), err
    assert err.count("\n") == 1, err


def test_discarded_values_leave_the_rest() -> None:
    result = run_with_config('repr_limit="x", module="__main__", force_pid=True, bogus=2')
    assert result.returncode == 0, describe(result)
    # The unusable printer value stays in _default_config as given (as in 3.9); printers pass over it.
    assert result.stdout == "([], {'module': '__main__'}) {'repr_limit': 'x', 'force_pid': True} None\n"
    assert [line.split(":")[0] for line in lines(result.stderr)] == [
        "Discarded config from PYTHONHUNTERCONFIG repr_limit='x'",
        "Discarded config from PYTHONHUNTERCONFIG bogus=2",
    ]


@pytest.mark.parametrize(
    ("value", "exception"),
    [
        # As hunter 3.9 words it: the exception the value raised, not a wrapper of ours.
        ("foobar", "NameError(\"name 'foobar' is not defined\")"),
        ("x=nope", "NameError(\"name 'nope' is not defined\")"),
        ("x=1/0", "ZeroDivisionError('division by zero')"),
        ("a b", "SyntaxError('invalid syntax at column 1: invalid syntax. Perhaps you forgot a comma?')"),
    ],
)
def test_config_that_fails_to_load(value: str, exception: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    hunter.load_config(repr_limit=5)
    monkeypatch.setenv("PYTHONHUNTERCONFIG", value)
    hunter.load_config()
    err = capsys.readouterr().err
    assert err == f"Failed to load hunter config from PYTHONHUNTERCONFIG {value!r}: {exception}\n"
    # What 3.9 leaves: no trace() defaults, the action defaults untouched.
    assert (hunter._default_trace_args, hunter._default_config) == (((), ()), {"repr_limit": 5})


def test_printer_defaults_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "trace.txt"
    code = PROGRAM + "import hunter\nprint(hunter.CallPrinter().stream.name)\n"
    result = run_with_config(
        with_backend(f"stream={str(out)!r}, force_pid=True, filename_alignment=12"),
        code=code,
        PYTHONHUNTER='module="__main__", function="f", kind="call"',
    )
    assert result.returncode == 0, describe(result)
    assert result.stdout == f"done\n{out}\n"
    assert result.stderr == ""
    assert re.fullmatch(r"\[\d+\] *    <string>:2     call      => f\(x=1\)\n", out.read_text())


# -- load_config() and the module-level helpers -----------------------------------------------------------------


def configure(*args: Any, **kwargs: Any) -> None:
    """load_config(), keeping the backend under test selected as tests/conftest.py does."""
    chosen = backend_under_test()
    hunter.load_config(*args, **kwargs, **({"backend": chosen} if chosen else {}))


def configured_options() -> dict[str, Any]:
    """The configured trace() options, without the backend choice tests/conftest.py adds."""
    assert hunter._default_trace_args is not None
    return {key: value for key, value in hunter._default_trace_args[1].items() if key != "backend"}


def test_load_config_programmatic() -> None:
    configure(Q(module="a"), threading_support=False, kind="call", repr_limit=9, force_colors=True)
    assert hunter._default_trace_args[0] == [Q(module="a")]
    assert configured_options() == {"threading_support": False, "kind": "call"}
    assert hunter._default_config == {"repr_limit": 9, "force_colors": True}
    action = CodePrinter(stream=io.StringIO())
    assert (action.repr_limit, action.force_colors) == (9, True)
    # Explicit action options win.
    assert CodePrinter(stream=io.StringIO(), repr_limit=3).repr_limit == 3
    # Loading again replaces everything.
    hunter.load_config(filename_alignment=20)
    assert hunter._default_trace_args == ([], {})
    assert hunter._default_config == {"filename_alignment": 20}
    assert CallPrinter(stream=io.StringIO()).repr_limit == 1024


def test_load_config_discards_with_messages(capsys: pytest.CaptureFixture[str]) -> None:
    hunter.load_config(1, nope=2, repr_limit="x")
    err = capsys.readouterr().err
    assert "1 (position 0): Not a callable" in err
    assert "nope=2: Unknown option" in err
    assert "repr_limit='x'" in err
    assert hunter._default_trace_args == ([], {})
    # Kept as given, as hunter 3.9 keeps it; actions pass over it.
    assert hunter._default_config == {"repr_limit": "x"}
    assert CallPrinter(stream=io.StringIO()).repr_limit == 1024


def test_no_configuration_is_none_as_in_hunter39(backend: str) -> None:
    """``hunter._default_trace_args = None`` (3.9's "nothing loaded") leaves trace() working, adding nothing."""
    hunter.load_config(module="nothing-matches-this")
    hunter._default_trace_args = None
    assert hunter._apply_config(("x",), {"y": 1}) == (("x",), {"y": 1})
    stream = io.StringIO()
    with hunter.trace(
        function="configured_none_probe", kind="call", action=CallPrinter(stream=stream), backend=backend
    ):
        configured_none_probe()
    assert "=> configured_none_probe()" in stream.getvalue()


def configured_none_probe() -> None:
    pass


@pytest.mark.parametrize("setting", ["klass=123", "stream=123"])
def test_unusable_action_defaults_are_kept_as_given_and_passed_over(
    setting: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTHONHUNTERCONFIG", setting)
    hunter.load_config()
    key = setting.split("=")[0]
    assert hunter._default_config == {key: 123}
    assert f"{key}=123" in capsys.readouterr().err  # reported once, at load
    assert Debugger().klass.__name__ == "Pdb"
    assert CallPrinter().stream is hunter._default_stream


def test_load_config_debugger_class() -> None:
    class FakeDebugger:
        pass

    hunter.load_config(klass=FakeDebugger)
    assert Debugger().klass is FakeDebugger
    assert hunter._default_config == {"klass": FakeDebugger}


def test_configured_query_is_added_to_every_trace() -> None:
    module_code = "def f():\n    return 1\n\ndef g():\n    return 2\n"
    namespace: dict[str, Any] = {"__name__": "configsample"}
    exec(compile(module_code, "configsample.py", "exec"), namespace)
    configure(module="configsample", kind="call")
    stream = io.StringIO()
    with hunter.trace(action=CallPrinter(stream=stream)):
        namespace["f"]()
        namespace["g"]()
    assert lines(normalize(stream.getvalue())) == [
        f"{'configsample.py':>40}:1     call      => f()",
        f"{'configsample.py':>40}:4     call      => g()",
    ]


def test_configured_tracer_options() -> None:
    configure(threads=False, profile=True)
    with hunter.trace(action=lambda event: None) as tracer:
        assert tracer.threading_support is False
        assert tracer.profiling_mode is True
    with hunter.trace(action=lambda event: None, threading_support=True) as tracer:
        assert tracer.threading_support is True


def test_apply_config() -> None:
    hunter.load_config(repr_limit=100)  # nothing for trace()
    assert hunter._apply_config((), {"module": "x"}) == ((), {"module": "x"})
    hunter.load_config(Q(function="f"), module="a", kind="call", threads=False)
    predicates, options = hunter._apply_config((Q(lineno=1),), {"module": "b", "threading_support": True})
    assert predicates == (Q(lineno=1), Q(function="f"))  # the configured ones after, as in 3.9
    # Explicit options win, and any spelling of threading_support replaces the configured one.
    assert options == {"module": "b", "kind": "call", "threading_support": True}


def test_prepare_predicate() -> None:
    prepared = hunter._prepare_predicate(module="a")
    assert type(prepared) is hp.When
    assert prepared.condition == Q(module="a")
    assert [type(action) for action in prepared.actions] == [CallPrinter]
    printer = CodePrinter(stream=io.StringIO())
    assert hunter._prepare_predicate(Q(module="a"), function="f", action=printer) == hp.When(
        hp.And(Q(module="a"), Q(function="f")), printer
    )


def test_default_stream_is_stderr() -> None:
    assert hunter._default_stream is sys.stderr


def test_default_state_is_hunter_39s() -> None:
    # Views of hunter.config: setting them on the package reaches the actions, as in 3.9.
    stream = io.StringIO()
    hunter._default_stream = stream
    try:
        assert config.default_stream is stream
        assert CallPrinter().stream is stream
    finally:
        hunter._default_stream = sys.stderr
    hunter.load_config()
    assert hunter._default_trace_args == ([], {})
    assert hunter._default_config is config.default_config


def test_load_config_is_hunter_39s() -> None:
    class MyPrinter(CallPrinter):
        pass

    # Keys are case-insensitive, truthy values go for the force_* options, and an action is a trace() default.
    hunter.load_config(FORCE_COLORS=1, Stream="out.txt", action=MyPrinter, Module="a")
    assert hunter._default_config == {"force_colors": 1, "stream": "out.txt"}
    assert hunter._default_trace_args == ([], {"action": MyPrinter, "module": "a"})
    hunter.load_config(actions=[CodePrinter, MyPrinter], klass=Debugger)
    assert hunter._default_trace_args == ([], {"actions": [CodePrinter, MyPrinter]})
    assert hunter._default_config == {"klass": Debugger}


def test_configured_action_is_the_default_action(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(PROGRAM.replace("f(1)", "f(12345)"))
    env = {"PYTHONHUNTERCONFIG": with_backend("action=CodePrinter, stream=sys.stdout, repr_limit=4")}
    result = run_python(["prog.py"], cwd=tmp_path, env={**env, "PYTHONHUNTER": 'module="__main__", function="f"'})
    assert (result.returncode, result.stderr) == (0, ""), describe(result)
    assert [line.split("prog.py:")[-1].strip() for line in lines(result.stdout)] == [
        "2     call      def f(x):",
        "3     line          return x",
        "3     return        return x",
        "...       return value: 12 [...] 45",
        "done",
    ]


# -- a bad configuration is reported once per process, however hunter is used ------------------------------

SCRIPT_TRACING_TWICE = """
import hunter
def f():
    return 1
for _ in range(2):
    with hunter.trace(function="nothing", action=hunter.CallPrinter):
        f()
print("ran")
"""


@pytest.mark.parametrize("bad", ["foobar", "modul=1", "kind='calls'", "1"])
@pytest.mark.parametrize("how", ["environment", "trace", "cli", "wrap", "environment+trace"])
def test_bad_config_is_reported_once(bad: str, how: str, tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    if how == "wrap":
        script.write_text(
            "import hunter\n@hunter.wrap(function='nothing')\ndef f():\n    return 1\nf()\nf()\nprint('ran')\n"
        )
    else:
        script.write_text(SCRIPT_TRACING_TWICE if "trace" in how else "print('ran')\n")
    env = {"PYTHONHUNTER": 'function="nothing"'} if how.startswith("environment") else {}
    args = ["-m", "hunter", "--function", "nothing", script] if how == "cli" else [script]
    result = run_python(args, env={"PYTHONHUNTERCONFIG": with_backend(bad), **env}, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "ran\n"), describe(result)
    reports = [line for line in lines(result.stderr) if "PYTHONHUNTERCONFIG" in line]
    assert len(reports) == 1, describe(result)
    # (The command line also says that "nothing" traced nothing: that hint is the run's, not the config's.)
    assert [line for line in lines(result.stderr) if not line.startswith("hunter: nothing was traced")] == reports


# -- with stderr closed (2>&-), the program runs exactly as untraced ---------------------------------------


def run_without_stderr(args: list[str], env: dict[str, str], cwd: Path) -> Any:
    """Run python with file descriptor 2 closed, as a shell's ``2>&-`` does."""
    import subprocess

    from helpers import child_env, run_in_group

    return run_in_group(
        [sys.executable, *args],
        env=child_env(env),
        cwd=cwd,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(2),
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["prog.py"], {"PYTHONHUNTER": 'module="__main__"'}),
        (["prog.py"], {"PYTHONHUNTER": "module="}),
        (["prog.py"], {"PYTHONHUNTER": 'module="__main__"', "PYTHONHUNTERCONFIG": "foobar"}),
        (["prog.py"], {"PYTHONHUNTER": 'kind="calls"'}),
        (["-m", "hunter", "prog.py"], {}),
        (["-m", "hunter", "--module", "__main__", "prog.py"], {"PYTHONHUNTERCONFIG": "foobar"}),
        (["-m", "hunter", "-q", "action=CallPrinter", "prog.py"], {}),
        (["-m", "hunter", "-q", "actions=[CallPrinter, VarsPrinter('sys')]", "prog.py"], {}),
    ],
)
def test_closed_stderr_changes_nothing(args: list[str], env: dict[str, str], tmp_path: Path) -> None:
    program = "import sys\nprint('ran', sys.stderr)\nsys.exit(3)\n"
    (tmp_path / "prog.py").write_text(program)
    result = run_without_stderr(args, env, tmp_path)
    assert (result.returncode, result.stdout) == (3, "ran None\n")
    if args[0] == "-m":
        # Given a file to write to, the trace goes there as usual.
        result = run_without_stderr([*args[:2], "-o", "trace.txt", *args[2:]], env, tmp_path)
        assert (result.returncode, result.stdout) == (3, "ran None\n")
        assert "print('ran', sys.stderr)" in (tmp_path / "trace.txt").read_text()


@pytest.mark.parametrize(
    "action", ["", "action=hunter.CallPrinter", "actions=[hunter.VarsPrinter('n'), hunter.CodePrinter]"]
)
def test_closed_stderr_changes_nothing_for_a_trace_started_in_code(action: str, tmp_path: Path) -> None:
    # The printers' default stream is stderr, None here: they used to refuse it (TypeError out of hunter.trace()).
    program = (
        "import sys, hunter\n"
        "def f(n):\n    return n + 1\n"
        f"tracer = hunter.trace(module='__main__', {action})\n"
        "print('ran', f(1), sys.stderr)\n"
        "tracer.stop()\n"
        "sys.exit(3)\n"
    )
    (tmp_path / "prog.py").write_text(program)
    result = run_without_stderr(["prog.py"], {}, tmp_path)
    assert (result.returncode, result.stdout) == (3, "ran 2 None\n")


def test_closed_stderr_leaves_the_children_untraced_too(tmp_path: Path) -> None:
    # A child given its own stderr (here a pipe the program reads) would otherwise write the trace into it.
    (tmp_path / "prog.py").write_text(
        "import subprocess, sys\n"
        "child = subprocess.run([sys.executable, '-c', 'print(1)'], capture_output=True, text=True)\n"
        "print(repr(child.stdout), repr(child.stderr))\n"
    )
    result = run_without_stderr(["-m", "hunter", "prog.py"], {}, tmp_path)
    assert (result.returncode, result.stdout) == (0, "'1\\n' ''\n")


def test_hunter_39_module_paths() -> None:
    # The compiled modules of 3.9, which code imports from: aliases of ours, loaded only when asked for.
    code = (
        "import sys, hunter\n"
        "aliases = ('hunter._tracer', 'hunter._event', 'hunter._predicates')\n"
        "print(sorted(name for name in sys.modules if name in aliases))\n"
        "from hunter._tracer import Tracer\n"
        "from hunter._event import Event\n"
        "from hunter._predicates import And, Backlog, From, Not, Or, Query, When\n"
        "print(Tracer is hunter.Tracer, Event is hunter.Event, When is hunter.When, Query is hunter.Query)\n"
    )
    result = run_python(code)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]\nTrue True True True\n", ""), describe(result)
