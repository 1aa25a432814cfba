"""The pytest plugin, run by pytest's own ``pytester``: --hunter, --hunter-output, the marker and the fixture."""

from __future__ import annotations

import re
import textwrap

import pytest
from helpers import backend_under_test

pytest_plugins = ["pytester"]

APP = """\
def double(x):
    return helper(x) * 2

def helper(x):
    return x
"""

TESTS = """\
import app

def test_passes():
    assert app.double(2) == 4

def test_fails():
    assert app.double(3) == 7
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project with a module and its tests. The inner pytest runs in this process (seconds faster per run), where
    the backend under test is configured already; a subprocess gets it through PYTHONHUNTERCONFIG."""
    for name in ("PYTHONHUNTER", "PYTHONHUNTERCONFIG", "NO_COLOR", "FORCE_COLOR", "PY_COLORS"):
        monkeypatch.delenv(name, raising=False)
    backend = backend_under_test()
    if backend:
        monkeypatch.setenv("PYTHONHUNTERCONFIG", f'backend="{backend}"')
    pytester.makepyfile(app=APP, test_app=TESTS)
    return pytester


def section(output: str, test: str) -> list[str]:
    """The lines of a test's "Captured hunter call" section in pytest's output, column text only."""
    match = re.search(rf"_+ {test} _+\n.*?-+ Captured hunter call -+\n(.*?)(?:\n\n|\n[=_-]{{3}})", output, re.DOTALL)
    assert match, output
    return [re.sub(r"^.*?\.py:\d+ +", "", line).rstrip() for line in match.group(1).splitlines()]


def test_failing_test_shows_its_trace_in_its_report(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("--hunter", 'module="app"')
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert section(output, "test_fails") == [
        "call      => double(x=3)",
        "line         return helper(x) * 2",
        "call         => helper(x=3)",
        "line            return x",
        "return       <= helper: 3",
        "return    <= double: 6",
    ]
    # A passing test's trace is in its report too, which pytest shows with -rP only.
    assert "Captured hunter call" not in output.split("_ test_fails _")[0]
    assert "=> double(x=2)" not in output


def test_passing_tests_traces_show_with_rP(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("--hunter", 'module="app", kind="call"', "-rP")
    result.assert_outcomes(passed=1, failed=1)
    assert section(result.stdout.str(), "test_passes") == ["call      => double(x=2)", "call         => helper(x=2)"]


def test_trace_leaves_out_pytest_and_follows_the_query_s_action(project: pytest.Pytester) -> None:
    # '' traces everything the test does, but pytest's own frames (and hunter's) are not the test's.
    result = project.runpytest_inprocess("--hunter", "", "-k", "fails")
    lines = section(result.stdout.str(), "test_fails")
    assert lines[0] == "call      => test_fails()"
    assert "call         => double(x=3)" in lines
    assert not [line for line in lines if "pluggy" in line or "_pytest" in line]
    result = project.runpytest_inprocess("--hunter", 'module="app", action=CodePrinter', "-k", "fails")
    assert section(result.stdout.str(), "test_fails")[:2] == [
        "call      def double(x):",
        "line          return helper(x) * 2",
    ]


def test_output_file(project: pytest.Pytester) -> None:
    out = project.path / "traces.txt"
    out.write_text("from an earlier run\n")
    result = project.runpytest_inprocess("--hunter", 'module="app", kind="call"', "--hunter-output", str(out))
    result.assert_outcomes(passed=1, failed=1)
    assert "Captured hunter call" not in result.stdout.str()
    result.stdout.fnmatch_lines([f"hunter: 2 test trace(s) written to {out}"])
    text = re.sub(r"(?m)^.*?app\.py:\d+ +", "", out.read_text())
    assert text == textwrap.dedent(
        """\
        === test_app.py::test_passes ===
        call      => double(x=2)
        call         => helper(x=2)
        === test_app.py::test_fails ===
        call      => double(x=3)
        call         => helper(x=3)
        """
    )


def test_marker_traces_one_test(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_marked="""
        import pytest
        import app

        @pytest.mark.hunter(module="app", function="helper", kind="call")
        def test_marked():
            assert app.double(5) == 1

        def test_unmarked():
            assert app.double(6) == 1
        """
    )
    result = project.runpytest_inprocess("test_marked.py")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert section(output, "test_marked") == ["call      => helper(x=5)"]
    assert "helper(x=6)" not in output


def test_fixture_traces_part_of_a_test_and_shows_what_it_printed(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_fixture="""
        import app

        def test_fixture(hunter):
            app.double(1)
            with hunter.trace(module="app", kind="call"):
                app.double(7)
            app.double(8)
            assert "=> helper(x=7)" in hunter.output
            assert "x=8" not in hunter.output and "x=1" not in hunter.output
            hunter.trace(function="helper", kind="return")
            app.double(9)
            raise AssertionError("show me")
        """
    )
    result = project.runpytest_inprocess("test_fixture.py")
    result.assert_outcomes(failed=1)
    assert section(result.stdout.str(), "test_fixture") == [
        "call      => double(x=7)",
        "call         => helper(x=7)",
        "return    <= helper: 9",
    ]


def test_colours_follow_pytest_s(project: pytest.Pytester) -> None:
    plain = project.runpytest_inprocess("--hunter", 'module="app"', "-k", "fails", "--color=no")
    assert "\x1b[" not in plain.stdout.str()
    colored = project.runpytest_inprocess("--hunter", 'module="app"', "-k", "fails", "--color=yes")
    assert "\x1b[1m\x1b[34m=>\x1b[22m double(" in colored.stdout.str()


@pytest.mark.parametrize(
    ("query", "message"),
    [("module=", "invalid syntax"), ("modul='app'", "modul"), ("undefined_name", "NameError")],
)
def test_bad_query_is_a_usage_error(project: pytest.Pytester, query: str, message: str) -> None:
    result = project.runpytest_inprocess("--hunter", query)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    assert message in result.stdout.str() + result.stderr.str()
    assert "passed" not in result.stdout.str()


def test_without_hunter_options_the_plugin_loads_nothing(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_nothing="""
        import sys

        def test_hunter_is_not_imported():
            assert not [name for name in sys.modules if name == "hunter" or name.startswith("hunter.")]

        def test_the_fixture_and_the_marker_exist(request):
            assert "hunter" in request.config.getini("markers")[0] or any(
                line.startswith("hunter(") for line in request.config.getini("markers")
            )
            assert "hunter" in request.fixturenames or request.getfixturevalue("hunter") is not None
        """
    )
    # In a process of its own: this one imported hunter long ago.
    result = project.runpytest_subprocess("test_nothing.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
