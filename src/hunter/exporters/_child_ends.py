"""multiprocessing's terminate() of a child that hunter traces: the child surely ends, as it would untraced.

Untraced, SIGTERM ends a child at once (its default action). Traced with timelines, the child inherits hunter's
Python-level handler (``_termination``), which writes the child's timeline first. A Python handler runs when the
interpreter gets to it: a SIGTERM that lands just before the child blocks in a C call that no signal interrupts
afterwards (a pool worker waiting for its queue's lock while the parent holds it: ``Pool.terminate()`` does) is noted
and never acted on, and the parent waits forever in ``join()``. So after the program's own SIGTERM, the same signal
is sent again, a few times at most, until the child is gone: a second one interrupts the wait, and the handler runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from typing import Any

from .._engine import _own_threads

__all__ = ["INTERVAL", "RESENDS", "ensure_children_end"]

#: How often, and how far apart, a SIGTERM is sent again to a child that hasn't ended (about 6 s in all).
RESENDS = 12
INTERVAL = 0.5


def ensure_children_end() -> None:
    """Once multiprocessing's fork starter is loaded: its terminate() sends SIGTERM again until the child is gone."""
    module = sys.modules.get("multiprocessing.popen_fork")
    popen = getattr(module, "Popen", None)
    original = getattr(popen, "_send_signal", None)
    if original is None or getattr(original, "_hunter_resends", False):
        return

    def _send_signal(self: Any, sig: int) -> None:
        original(self, sig)
        if sig == signal.SIGTERM and self.returncode is None:
            with contextlib.suppress(RuntimeError):  # interpreter shutting down: no new threads
                _own_threads.start(_resend, self, sig)

    _send_signal._hunter_resends = True  # type: ignore[attr-defined]
    popen._send_signal = _send_signal  # type: ignore[union-attr]


def _resend(child: Any, sig: int) -> None:
    """Send ``sig`` to ``child`` again every INTERVAL seconds until it has ended (reaped by the parent, or gone)."""
    pause = threading.Event()
    for _ in range(RESENDS):
        pause.wait(INTERVAL)
        if child.returncode is not None:
            return
        try:
            os.kill(child.pid, sig)
        except OSError:  # gone (and reaped)
            return
