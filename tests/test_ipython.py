"""The IPython extension: ``%load_ext hunter``, ``%%hunter``, ``%hunter_on``/``%hunter_off``, in a real IPython shell.

Each test runs its cells in a fresh interpreter (an IPython shell changes process-wide hooks), on the backend
under test.
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest
from helpers import describe, run_python

pytest.importorskip("IPython")

#: Runs the cells given as JSON in argv[1] in an InteractiveShell, as a notebook or the terminal would.
DRIVER = """\
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
if "--kernel" in sys.argv:
    shell.kernel = object()  # what ipykernel's shell has: its frontend renders colours
shell.run_line_magic("load_ext", "hunter")
for cell in json.loads(sys.argv[1]):
    result = shell.run_cell(cell)
    print(f"[cell done: {type(result.error_in_exec).__name__ if result.error_in_exec else 'ok'}]", flush=True)
print("tracing after the cells:", sys.gettrace() is not None)
"""

DEFINE = """\
def double(x):
    return helper(x) * 2

def helper(x):
    return x
"""


def run_cells(*cells: str, kernel: bool = False, env: dict[str, str | None] | None = None) -> str:
    """The cells' stdout, with the cells' file names shown as ``<cell>``."""
    args = ["-c", DRIVER, json.dumps([textwrap.dedent(cell) for cell in cells])]
    environment = {"NO_COLOR": None, "FORCE_COLOR": None, "TERM": None, **(env or {})}
    result = run_python([*args, "--kernel"] if kernel else args, env=environment)
    assert result.returncode == 0, describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    return re.sub(r"<ipython-input-\d+-[0-9a-f]+>", "<cell>", result.stdout)


def trace_lines(output: str) -> list[str]:
    """The trace lines of an output, without the file name column (cells are ``<cell>`` anyway)."""
    return [re.sub(r"^ *<cell>:\d+ +", "", line) for line in output.splitlines() if "<cell>:" in line]


def test_cell_magic_traces_the_cell_with_its_source() -> None:
    output = run_cells(
        DEFINE,
        """\
        %%hunter module="__main__"
        y = double(3)
        y + 1
        """,
        "print('y is', y)",
    )
    assert trace_lines(output) == [
        "call      => <module>()",
        "line         y = double(3)",
        "call         => double(x=3)",
        "line            return helper(x) * 2",
        "call            => helper(x=3)",
        "line               return x",
        "return          <= helper: 3",
        "return       <= double: 6",
        "line         y + 1",
        "return    <= <module>: None",
    ]
    # The cell ran in the notebook's namespace, and its last expression is its result.
    assert "Out[" in output and "]: 7" in output
    assert "y is 6" in output
    assert "NO SOURCE" not in output
    assert output.endswith("tracing after the cells: False\n")


@pytest.mark.parametrize("magic", ["%%hunter\n", "%hunter_on\n"])
def test_without_a_query_ipython_is_left_out(magic: str) -> None:
    cell = "import colorsys\ncolorsys.rgb_to_hsv(0.2, 0.4, 0.6)\ndouble(1)\n"
    # %hunter_on traces each cell from before IPython compiles it to after it displays its result.
    output = run_cells(DEFINE, magic + cell) if magic.startswith("%%") else run_cells(DEFINE, magic, cell)
    lines = output.splitlines()
    assert [line for line in lines if "colorsys.py" in line and "=> rgb_to_hsv(" in line]
    assert [line for line in lines if "=> helper(x=1)" in line]
    # The shell's own code, and what it runs around the cell (compiling, displaying), is not the cell's doing.
    assert not [line for line in lines if re.search(r"IPython|traitlets|hunter[/\\]|codeop|/ast\.py", line)], output


def test_on_and_off_trace_the_cells_in_between() -> None:
    output = run_cells(
        DEFINE,
        '%hunter_on function="helper"',
        "double(1)",
        "double(2)",
        "%hunter_off",
        "double(3)",
    )
    assert trace_lines(output) == [
        "call      => helper(x=1)",
        "line         return x",
        "return    <= helper: 1",
        "call      => helper(x=2)",
        "line         return x",
        "return    <= helper: 2",
    ]
    assert output.endswith("tracing after the cells: False\n")


def test_query_may_use_notebook_names_and_name_its_printer() -> None:
    output = run_cells(
        DEFINE,
        "def only_helper(event):\n    return event.function == 'helper'\n",
        "%%hunter Q(only_helper, kind='call'), action=CodePrinter\ndouble(4)\n",
    )
    assert trace_lines(output) == ["call      def helper(x):"]


def test_bad_query_says_so_in_one_line_and_runs_nothing() -> None:
    output = run_cells("%%hunter modul='x'\nprint('the cell ran')\n", "%hunter_on kind='calls'\n")
    assert "the cell ran" not in output
    assert output.count("[cell done: ok]") == 2


def test_exception_in_the_cell_is_the_cell_s() -> None:
    output = run_cells(DEFINE, "%%hunter function='helper', kind='call'\nhelper(1)\n1 / 0\n")
    assert trace_lines(output) == ["call      => helper(x=1)"]
    assert "[cell done: ZeroDivisionError]" in output
    assert output.endswith("tracing after the cells: False\n")


@pytest.mark.parametrize(
    ("kernel", "env", "colored"),
    [
        (False, {}, False),  # a pipe
        (True, {}, True),  # a notebook's output area shows colours
        (True, {"NO_COLOR": "1"}, False),
        (False, {"FORCE_COLOR": "1"}, True),
    ],
)
def test_colours_where_the_frontend_shows_them(kernel: bool, env: dict[str, str | None], colored: bool) -> None:
    output = run_cells(DEFINE, "%%hunter function='helper', kind='call'\nhelper(1)\n", kernel=kernel, env=env)
    line = next(line for line in output.splitlines() if "helper(" in line)
    assert ("\x1b[" in line) == colored, repr(line)


def test_on_with_kind_call_keeps_siblings_level() -> None:
    # Tracing starts deep inside IPython (below depth 0 of the cells): sibling calls must not become a staircase.
    output = run_cells(DEFINE, '%hunter_on function="helper", kind="call"', "double(1)\ndouble(2)", "double(3)")
    assert trace_lines(output) == ["call      => helper(x=1)", "call      => helper(x=2)", "call      => helper(x=3)"]
