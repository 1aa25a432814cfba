"""Traces started on someone's behalf (a test, a notebook cell) whose printers write where that someone says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hunter

from .actions import CallPrinter
from .tracer import Tracer

__all__ = ["start_trace"]


def start_trace(
    stream: Any,
    build: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]],
    exclude: Callable[[Any], Any],
    force_colors: bool = False,
) -> Tracer:
    """Start ``hunter.trace(exclude, *predicates, **options)`` with ``(predicates, options) = build()``.

    Printers that get no stream of their own write to ``stream``: the default ``CallPrinter``, and those the
    arguments name (instances made by ``build()``, classes instantiated by ``trace()``), which take
    ``hunter._default_stream`` while they are made. ``hunter.stop()`` in the traced code doesn't see this tracer.
    """
    # Each trace's call tree starts at the left margin, whatever an earlier one left open (CallPrinter keeps its
    # open calls per thread, across tracers).
    CallPrinter.cleanup()
    previous_stream, previous_tracer = hunter._default_stream, hunter._last_tracer
    hunter._default_stream = stream
    try:
        predicates, options = build()
        if "action" not in options and "actions" not in options:
            options = {**options, "action": CallPrinter(stream=stream, force_colors=force_colors)}
        return hunter.trace(exclude, *predicates, **options)
    finally:
        hunter._default_stream = previous_stream
        hunter._last_tracer = previous_tracer
