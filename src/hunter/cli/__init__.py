"""``python -m hunter`` / ``hunter``: run a script or module the way ``python`` would, traced.

One module per job: ``_argv`` (hunter's options split from the program's), ``_parser`` (the option parser and its
help), ``_queries`` (--query checked and split), ``_actions`` (the printers or exporter as text), ``_plan`` (options to
a Plan: the trace() arguments as text), ``_session`` (start and finish of tracing), ``_run`` (the program run as
python would run it), ``_execute`` (a plan carried out), ``_errors``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .._engine._own_code import HUNTER_DIR
from ._argv import Target, _prog, split_argv
from ._errors import UsageError, _fail
from ._plan import Plan, make_plan
from ._execute import execute

__all__ = ["Plan", "Target", "UsageError", "_launcher", "_prog", "execute", "main", "make_plan", "split_argv"]


def _view(args: list[str]) -> NoReturn:
    """``hunter view FILE``: the timeline as a flame chart in the browser (a script called ``view``: ``-- view``)."""
    from hunter.exporters.viewer import main as view

    raise SystemExit(view(args, _prog()))


def _launcher() -> str | None:
    """The file of the ``hunter`` console script when it called main() (``python -m hunter`` has none).

    Its frame is still running after the program's last line (it turns main()'s return into ``sys.exit``):
    traced, it would end every trace with its SystemExit and return.
    """
    try:
        frame = sys._getframe(2)  # (main's caller; 1 is main itself)
    except ValueError:  # called from C: no launcher frame to hide
        return None
    filename = frame.f_code.co_filename
    script = sys.argv[0] if sys.argv else ""
    if frame.f_code.co_name != "<module>" or filename.startswith(HUNTER_DIR) or not script:
        return None
    # The launcher strips a "-script.py"/".exe" tail from sys.argv[0] before calling main().
    return filename if os.path.abspath(filename).startswith(os.path.abspath(script)) else None


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m hunter`` and the ``hunter`` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    launcher = _launcher() if argv is None else None
    if args[:1] == ["view"]:
        _view(args[1:])
    if args[:1] == ["merge"]:
        from hunter.exporters._finish import merge_main

        raise SystemExit(merge_main(args[1:], _prog()))
    from ..record.cli import dispatch

    dispatch(args, launcher)  # hunter record / query / summary (a script of one of those names: ``-- record``)
    try:
        plan = make_plan(args, launcher)
    except UsageError as exc:
        _fail(f"{_prog()}: error: {exc} (see {_prog()} --help)", 2)
    execute(plan)
