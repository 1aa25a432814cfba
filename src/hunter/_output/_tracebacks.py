"""Tracebacks without the tracer's frames: Ctrl-C (or a signal handler's exception) that struck while hunter ran.

Python delivers ``KeyboardInterrupt`` between two bytecodes of the main thread, so when the program is traced it
mostly lands in hunter's code (a backend's callback, the predicate, a printer) and its traceback ends in up to a
dozen of hunter's frames that have nothing to do with where the program was. An uncaught exception's traceback
is shown without them: everything from the interpreter's call into a backend on, up to a signal handler of the
program (which is the program's, and stays).
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

from .._engine._own_code import HUNTER_DIR
from .._engine._program_signals import _handler_codes as handler_codes

__all__ = ["install_excepthook", "without_tracer_frames"]

#: Where the interpreter enters hunter: the backends' callbacks (settrace's trace functions, sys.monitoring's).
_BACKENDS_DIR = os.path.join(HUNTER_DIR, "backends") + os.sep


def without_tracer_frames(exc: BaseException, tb: TracebackType | None) -> TracebackType | None:
    """``tb`` (``exc``'s traceback) with the frames the tracer ran in taken out; chained exceptions' too.

    The traceback is relinked in place (``tb_next``) and stored back on the exception, so whatever shows it
    later (the default excepthook reads ``exc.__traceback__``) sees the same.
    """
    seen = {id(exc)}
    trimmed = _trim(tb)
    if exc.__traceback__ is not trimmed:
        exc.__traceback__ = trimmed
    chained = [exc.__cause__, exc.__context__]
    while chained and len(seen) < 50:
        other = chained.pop()
        if other is None or id(other) in seen:
            continue
        seen.add(id(other))
        other.__traceback__ = _trim(other.__traceback__)
        chained += [other.__cause__, other.__context__]
    return trimmed


def _trim(tb: TracebackType | None) -> TracebackType | None:
    """Drop every run of entries that starts in a backend, up to the next signal handler's frame (or the end)."""
    kept: list[TracebackType] = []
    handlers: set[Any] | None = None
    dropping = False
    current = tb
    while current is not None:
        filename = current.tb_frame.f_code.co_filename
        if not dropping and filename.startswith(_BACKENDS_DIR):
            dropping = True
        elif dropping and not filename.startswith(HUNTER_DIR):
            # Code hunter called (a repr, an action of the program's) goes with it; a signal handler doesn't.
            handlers = handler_codes() if handlers is None else handlers
            if current.tb_frame.f_code in handlers:
                dropping = False
        if not dropping:
            kept.append(current)
        current = current.tb_next
    if len(kept) == _length(tb):
        return tb
    for entry, following in zip(kept, [*kept[1:], None], strict=True):
        entry.tb_next = following
    return kept[0] if kept else None


def _length(tb: TracebackType | None) -> int:
    count = 0
    while tb is not None:
        count += 1
        tb = tb.tb_next
    return count


def install_excepthook() -> None:
    """Show uncaught exceptions without the tracer's frames (where hunter owns the process: PYTHONHUNTER, the CLI).

    Wraps whatever ``sys.excepthook`` is now; a hook the program sets later replaces this one, as it would
    replace python's.
    """
    original = sys.excepthook
    if getattr(original, "hunter_trims_tracebacks", False):
        return

    def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Any:
        if exc is not None:
            tb = without_tracer_frames(exc, tb)
        return original(exc_type, exc, tb)

    excepthook.hunter_trims_tracebacks = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook
