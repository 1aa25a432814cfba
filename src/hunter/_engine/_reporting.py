"""hunter's own messages (a failing handler, a broken stream): one write, to the first stream that works."""

from __future__ import annotations

import sys
from typing import Any

from ._program_signals import let_through

__all__ = ["handler_failure", "report"]


def report(text: str, stream: Any = None) -> None:
    """Write ``text`` to ``stream``, else ``sys.stderr``, else the interpreter's original stderr; never raise."""
    for target in (stream, sys.stderr, sys.__stderr__):
        if target is None:
            continue
        try:
            target.write(text)
            target.flush()
            return
        except Exception as exc:  # try the next stream; never raise into the program
            let_through(exc)


def handler_failure(handler: object, event: object, exc: BaseException) -> str:
    """The text shown when a predicate or action raised: its traceback and hunter 3.9's "Disabling" line."""
    try:
        # (imported when a handler fails, not with hunter: on 3.14 traceback brings dataclasses and inspect along,
        # a large part of a small program's start-up)
        import traceback
    except Exception:  # (late in interpreter shutdown, the import machinery gone: the exception's class alone)
        text = f"{type(exc).__name__}\n"
    else:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text + f"Disabling tracer because handler {handler!r} failed ({exc!r}) at {event!r}.\n\n"
