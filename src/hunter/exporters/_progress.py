"""One progress line on a terminal while a timeline is finished (merged, counted), rewritten in place."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from .._output._sizes import size_text

__all__ = ["DELAY_S", "Progress"]

#: Finishing that takes less than this shows no progress line (only the summary line that follows).
DELAY_S = 0.5
#: The line is rewritten at most this often (a terminal that scrolls fast slows the work down).
_EVERY_S = 0.1


class Progress:
    """``update(text)`` shows ``hunter: text`` on ``stream`` (stderr) once ``delay`` seconds have passed since it was
    made, only when the stream is a terminal; ``done()`` clears it, before the summary line takes its place."""

    def __init__(
        self, stream: Any = None, delay: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.delay = DELAY_S if delay is None else delay
        self.clock = clock
        self.started = clock()
        self.shown = False
        self._last = float("-inf")
        try:
            self.enabled = bool(self.stream is not None and self.stream.isatty())
        except (AttributeError, ValueError, OSError):  # (no isatty, or closed)
            self.enabled = False

    def update(self, text: str) -> None:
        """Show ``text`` as the progress line (when it is due)."""
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < self.delay or now - self._last < _EVERY_S:
            return
        self._last = now
        # \r: back to the line's start; \x1b[K: clear what a longer line before left on it.
        self._put(f"\rhunter: {text}\x1b[K")
        self.shown = True

    def bytes(self, what: str, done: int, total: int) -> None:
        """``what: 12.3 MB of 40.0 MB`` (``12.3 MB read`` when ``total`` is 0)."""
        if self.enabled:
            # (total 0: not known, e.g. a compressed file, whose size says nothing of what it holds)
            self.update(f"{what}: {size_text(done)} " + (f"of {size_text(max(total, done))}" if total > 0 else "read"))

    def done(self) -> None:
        """Clear the progress line, if one was shown."""
        if self.shown:
            self.shown = False
            self._put("\r\x1b[K")

    def _put(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a terminal gone away: no progress then
            self.enabled = False
