"""Timeline exporters: the Chrome Trace Event Format (``ChromeTrace``) and JSON Lines (``JSONLines``)."""

from __future__ import annotations

from .chrome import ChromeTrace, merge, read_events
from .jsonl import JSONLines

__all__ = ["ChromeTrace", "JSONLines", "merge", "read_events"]
