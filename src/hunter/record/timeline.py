"""A recording as Chrome-style trace events, for ``hunter view`` (the same flame chart as a ``--format chrome`` run)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..exporters._values import recorded_exception
from .events import RecordedEvent
from .reader import Trace

__all__ = ["chrome_events"]


def chrome_events(trace: Trace) -> Iterator[dict[str, Any]]:
    """The recorded calls, returns and exceptions as B/E/i events (µs since the recording's start), named as a
    live ``ChromeTrace`` names them; line events are left out (a timeline has no place for them)."""
    origin = int(trace.metadata.get("origin_ns", 0))
    labels = [part.label for part in trace.parts]
    for part in trace.parts:
        yield {"ph": "M", "name": "process_name", "pid": part.pid, "tid": part.pid, "args": {"name": part.label}}
    named: dict[tuple[int, Any], str] = {}
    for event in trace.events():
        if event.kind == "line":
            continue
        where = (event.pid, event.tid)  # (the ids a live ChromeTrace shows: the OS's)
        if named.get(where) != event.threadname:
            named[where] = event.threadname
            yield {"ph": "M", "name": "thread_name", "pid": where[0], "tid": where[1], "args": {"name": named[where]}}
        yield _event(event, where, (event.time_ns - origin) / 1000)
    for part, label in zip(trace.parts, labels, strict=True):
        if part.label != label:  # (a 'p' entry renamed it: a multiprocessing worker)
            yield {"ph": "M", "name": "process_name", "pid": part.pid, "tid": part.pid, "args": {"name": part.label}}


def _event(event: RecordedEvent, where: tuple[int, Any], ts: float) -> dict[str, Any]:
    base = {"pid": where[0], "tid": where[1], "ts": ts}
    if event.kind == "call":
        return {**base, "ph": "B", "name": _name(event), "cat": event.module, "args": _call_args(event)}
    if event.kind == "return":
        # (a return that is an exception passing through ends the call without a value to show; a yield shows its
        # value, as live)
        returned = event.arg is not None and event.instruction is not None and event.instruction >= 0
        return {**base, "ph": "E", "name": _name(event), "args": {"return": event.arg} if returned else {}}
    name, value = recorded_exception(str(event.arg or ""))
    return {
        **base,
        "ph": "i",
        "s": "t",
        "name": name,
        "cat": "exception",
        "args": {"exception": value, "location": f"{event.filename}:{event.lineno}"},
    }


def _name(event: RecordedEvent) -> str:
    return f"<module {event.module}>" if event.function == "<module>" else str(event.code.co_qualname)


def _call_args(event: RecordedEvent) -> dict[str, Any]:
    if event.builtin:
        return {"builtin": True}
    return {"location": f"{event.filename}:{event.code.co_firstlineno}", **event.locals}
