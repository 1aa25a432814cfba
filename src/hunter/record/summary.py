"""``hunter summary``: functions by calls, total and self time; exceptions, where raised and where caught."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .events import RecordedEvent
from .reader import Trace

__all__ = ["Profile", "profile", "summarize"]

_CLASS = re.compile(r"<class '([^']+)'>")


@dataclass
class _Frame:
    key: str
    start: int
    children: int = 0


@dataclass
class _Thread:
    stack: list[_Frame] = field(default_factory=list)
    active: Counter[str] = field(default_factory=Counter)
    #: The exception being followed: (type, where raised, where last seen, whether it left that frame).
    exception: tuple[str, str, str, bool] | None = None


@dataclass
class Profile:
    """What summary shows: per function calls, total and self ns; per (type, raised, caught) how many."""

    calls: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)
    exceptions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    events: int = 0


def _where(event: RecordedEvent) -> str:
    return f"{event.module}.{event.code.co_qualname} ({event.filename}:{event.lineno})"


def _function(event: RecordedEvent) -> str:
    return f"{event.module}.{event.code.co_qualname} ({event.filename}:{event.code.co_firstlineno})"


def profile(trace: Trace) -> Profile:
    """Walk the recording once and add up its calls and exceptions."""
    result = Profile()
    threads: dict[tuple[int, int | None], _Thread] = {}
    for event in trace.events():
        result.events += 1
        state = threads.setdefault((event.pid, event.threadid), _Thread())
        _follow_exception(result, state, event)
        if event.builtin:
            continue
        if event.kind == "call":
            key = _function(event)
            result.calls[key] += 1
            state.active[key] += 1
            state.stack.append(_Frame(key, event.time_ns))
        elif event.kind == "return" and state.stack:
            _returned(result, state, event)
    for state in threads.values():
        if state.exception is not None:
            name, raised, _last, _left = state.exception
            result.exceptions[(name, raised, "not caught (the recording ends)")] += 1
    return result


def _returned(result: Profile, state: _Thread, event: RecordedEvent) -> None:
    frame = state.stack.pop()
    state.active[frame.key] -= 1
    elapsed = max(event.time_ns - frame.start, 0)
    if not state.active[frame.key]:  # a recursive call's time is in its outermost call's already
        result.total[frame.key] += elapsed
    result.own[frame.key] += max(elapsed - frame.children, 0)
    if state.stack:
        state.stack[-1].children += elapsed


def _follow_exception(result: Profile, state: _Thread, event: RecordedEvent) -> None:
    """An exception is caught where it is last seen before the program goes on with something else."""
    current = state.exception
    if event.kind == "exception" and not event.builtin:
        match = _CLASS.search(str(event.arg or ""))
        name = match.group(1) if match else "exception"
        if current is not None and current[0] == name and current[3]:
            state.exception = (name, current[1], _where(event), False)  # the same exception, in the caller
        else:
            if current is not None:
                _caught(result, current)
            state.exception = (name, _where(event), _where(event), False)
        return
    if current is None:
        return
    if event.kind == "return" and event.instruction is not None and event.instruction < 0:
        state.exception = (current[0], current[1], current[2], True)  # left the frame: it goes on to the caller
        return
    _caught(result, current)
    state.exception = None


def _caught(result: Profile, chain: tuple[str, str, str, bool]) -> None:
    name, raised, last, left = chain
    caught = f"above {last}" if left else last
    result.exceptions[(name, raised, caught)] += 1


def summarize(trace: Trace, top: int = 30) -> str:
    """The summary as text."""
    result = profile(trace)
    meta = trace.metadata
    python = ".".join(str(part) for part in meta.get("python", []))
    complete = all(part.complete for part in trace.parts)
    lines = [
        f"recording {trace.path}: {result.events} events, {len(trace.parts)} process(es), python {python}"
        f"{'' if complete else ', cut off (the program did not end normally)'}",
        "",
        f"{'calls':>9} {'total ms':>11} {'self ms':>11}  function",
    ]
    for key in sorted(result.calls, key=lambda key: (-result.total[key], -result.calls[key], key))[:top]:
        total, own = result.total[key] / 1e6, result.own[key] / 1e6
        lines.append(f"{result.calls[key]:>9} {total:>11.3f} {own:>11.3f}  {key}")
    if result.exceptions:
        lines += ["", f"{'count':>9}  exception: raised in -> caught in"]
        for (name, raised, caught), count in result.exceptions.most_common():
            lines.append(f"{count:>9}  {name}: {raised} -> {caught}")
    return "\n".join(lines) + "\n"
