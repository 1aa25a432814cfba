"""A plan carried out: the program's source read as python reads it, tracing started, the program run, traced."""

from __future__ import annotations

import os
import sys

from .._engine import _own_code
from ._errors import _fail
from ._plan import Plan
from ._run import _install_excepthook, _is_runnable_container, run_program
from ._session import Session

__all__ = ["execute"]


def execute(plan: Plan) -> None:
    """Run the plan's program, traced (``hunter record`` runs its own plans through here too)."""
    target = plan.target
    if target.kind == "script" and target.name != "-":
        filename = os.path.abspath(target.name)
        try:
            if not _is_runnable_container(filename):
                with open(filename, "rb") as file:
                    target.source = file.read()
        except OSError as exc:
            # Word for word what python says, under the name python was started as.
            program = (getattr(sys, "orig_argv", None) or [sys.executable])[0]
            _fail(f"{program}: can't open file {filename!r}: [Errno {exc.errno}] {exc.strerror}", 2)
    session = Session(plan)
    session.prepare()
    _own_code.PROGRAM_RUNNER = run_program.__code__
    try:
        run_program(session, target)
    except SystemExit:
        raise
    except BaseException:
        _install_excepthook(run_program.__code__)
        raise
