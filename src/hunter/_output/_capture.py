"""Traces started on someone's behalf (a test, a notebook cell) whose printers write where that someone says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import config
from .._setup._options import trace
from ..actions import CallPrinter
from ..tracer import Tracer

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
    # The state behind hunter._default_stream and hunter._last_tracer, read here without importing the package
    # itself back (a cycle, and it would make this module depend on everything hunter/__init__ loads).
    previous_stream, previous_tracer = config.default_stream, config.last_tracer
    config.default_stream = stream
    try:
        predicates, options = build()
        if "action" not in options and "actions" not in options:
            options = {**options, "action": CallPrinter(stream=stream, force_colors=force_colors)}
        return trace(exclude, *predicates, **options)
    finally:
        config.default_stream = previous_stream
        config.last_tracer = previous_tracer
