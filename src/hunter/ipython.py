"""IPython/Jupyter magics: ``%load_ext hunter``, then ``%%hunter QUERY`` traces a cell and ``%hunter_on QUERY`` /
``%hunter_off`` trace every cell in between.

The trace is text under the cell (on its stdout, as ``print`` would write it), coloured where the frontend
shows colours: a terminal, or a Jupyter notebook (whose output areas render ANSI colours). IPython's and the
kernel's own code, and the standard library code they call, are never part of it.
"""

from __future__ import annotations

import ast
import sys
from typing import Any

import hunter

from . import config
from ._output._capture import start_trace
from ._setup._noise import RunnerCode
from .tracer import Tracer

__all__ = ["CellStream", "HunterMagics", "load_ipython_extension", "unload_ipython_extension"]

#: The shell, the kernel and the libraries they run on: what runs a cell, not what the cell does.
_RUNNER = RunnerCode(
    r"(?:IPython|ipykernel|ipywidgets|traitlets|jupyter_client|jupyter_core|comm|zmq|tornado|prompt_toolkit"
    r"|debugpy|_pydevd_bundle|_pydev_bundle|pydevd|matplotlib_inline|hunter)(?:\.|$)"
)
_EXCLUDE = hunter.Not(_RUNNER)


class CellStream:
    """Writes to whatever ``sys.stdout`` is at the time, so the trace lands under the cell that runs (a kernel
    routes stdout per cell) and inside ``%%capture``; says it is a terminal where colours are shown."""

    def __init__(self, renders_colors: bool) -> None:
        self.renders_colors = renders_colors

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def isatty(self) -> bool:
        if self.renders_colors:
            return True
        try:
            return bool(sys.stdout.isatty())
        except (AttributeError, ValueError):
            return False

    def __repr__(self) -> str:
        return "<hunter cell output (sys.stdout)>"


#: Where the value of a ``%%hunter`` cell's last expression is put, so that the cell runs as one module.
_RESULT = "_hunter_cell_result_"


class HunterMagics:
    """The magics of one shell, and what ``%hunter_on`` set up."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        # A kernel's frontend (Jupyter notebook or lab, VS Code) shows ANSI colours in its output areas.
        self.stream = CellStream(renders_colors=getattr(shell, "kernel", None) is not None)
        #: The query of %hunter_on (None: off), and the tracer of the cell that runs now.
        self.query: str | None = None
        self.tracer: Tracer | None = None

    def _arguments(self, line: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The magic's line as ``trace()`` arguments: hunter's public names and the notebook's variables in scope."""
        user_names = self.shell.user_ns

        def scope(mentioned: Any) -> dict[str, Any]:
            return {**config.public_namespace(mentioned), **user_names}

        return config.parse_trace_arguments(line, scope) if line.strip() else ((), {})

    def _start(self, line: str) -> Tracer | None:
        try:
            return start_trace(self.stream, lambda: self._arguments(line), _EXCLUDE)
        except (TypeError, ValueError) as exc:  # a ConfigError is a ValueError: one line, as the CLI says it
            print(f"hunter: {exc}", file=sys.stderr)
            return None

    # -- %%hunter ----------------------------------------------------------------------------------------

    def hunter(self, line: str, cell: str) -> Any:
        """``%%hunter QUERY``: run the cell traced (QUERY as inside ``hunter.trace(...)``; none: everything)."""
        code = self._compile(cell)
        namespace = self.shell.user_ns
        tracer = self._start(line)
        if tracer is None:
            return None
        try:
            exec(code, namespace)  # the cell is the user's code
        finally:
            tracer.stop()
        # The value of a last expression is the magic's result, which IPython shows as the cell's Out[].
        return namespace.pop(_RESULT, None)

    def _compile(self, cell: str) -> Any:
        """The cell as IPython would run it (its syntax transformed), under a file name whose lines it keeps."""
        shell = self.shell
        source = shell.transform_cell(cell)
        tree = shell.transform_ast(shell.compile.ast_parse(source))
        filename = shell.compile.cache(source, shell.execution_count, raw_code=cell)
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body[-1]
            tree.body[-1] = ast.copy_location(
                ast.Assign(targets=[ast.Name(_RESULT, ast.Store())], value=last.value), last
            )
            ast.fix_missing_locations(tree)
        return shell.compile(tree, filename, "exec")

    # -- %hunter_on / %hunter_off -------------------------------------------------------------------------

    def hunter_on(self, line: str) -> None:
        """``%hunter_on QUERY``: trace each cell that runs from now on, until ``%hunter_off``."""
        try:
            self._arguments(line)  # a mistake is reported now, not at every cell
        except (TypeError, ValueError) as exc:
            print(f"hunter: {exc}", file=sys.stderr)
            return
        if self.query is None:
            self.shell.events.register("pre_run_cell", self._before_cell)
            self.shell.events.register("post_run_cell", self._after_cell)
        self.query = line

    def hunter_off(self, line: str) -> None:
        """``%hunter_off``: stop what ``%hunter_on`` started."""
        self._after_cell()
        if self.query is not None:
            self.query = None
            self.shell.events.unregister("pre_run_cell", self._before_cell)
            self.shell.events.unregister("post_run_cell", self._after_cell)

    def _before_cell(self, info: Any = None) -> None:
        # One trace per cell: it starts from nothing each time, and the kernel's work between cells isn't traced.
        # A cell that only says %hunter_off, or traces itself with %%hunter, is left alone.
        raw = getattr(info, "raw_cell", "") or ""
        if self.query is None or raw.lstrip().startswith(("%hunter_off", "%%hunter")):
            return
        self._after_cell()
        self.tracer = self._start(self.query)

    def _after_cell(self, result: Any = None) -> None:
        if self.tracer is not None:
            self.tracer.stop()
            self.tracer = None


_magics: dict[int, HunterMagics] = {}


def load_ipython_extension(shell: Any) -> None:
    """Register ``%%hunter``, ``%hunter_on`` and ``%hunter_off`` (``%load_ext hunter``)."""
    magics = _magics.get(id(shell))
    if magics is None:
        magics = _magics[id(shell)] = HunterMagics(shell)
    shell.register_magic_function(magics.hunter, "cell", "hunter")
    shell.register_magic_function(magics.hunter_on, "line", "hunter_on")
    shell.register_magic_function(magics.hunter_off, "line", "hunter_off")


def unload_ipython_extension(shell: Any) -> None:
    """Stop the tracing ``%hunter_on`` started (``%unload_ext hunter``)."""
    magics = _magics.pop(id(shell), None)
    if magics is not None:
        magics.hunter_off("")
