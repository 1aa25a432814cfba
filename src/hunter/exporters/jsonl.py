"""JSON Lines exporter: one detached event per line, for scripts to process."""

from __future__ import annotations

import threading
import time
from types import CodeType
from typing import Any

from ..event import Event
from ._timeline import ThreadState, TimelineWriter
from ._values import (
    RecordedArguments,
    argument_spec,
    argument_text,
    escape,
    recorded_exception,
    recorded_json_at,
    remember_code,
    value_json,
    value_repr,
)

__all__ = ["JSONLines", "RecordedJSONLines"]

_perf_ns = time.perf_counter_ns


class JSONLines(TimelineWriter):
    """Writes each event as one JSON object per line: the fields of a detached event, plus time and process.

    Keys: ``time`` (Unix time in seconds), ``pid``, ``tid`` (native thread id), ``threadid``, ``threadname``,
    ``kind``, ``builtin``, ``function``, ``module``, ``filename``, ``lineno``, ``depth``, ``calls``, ``stdlib``,
    ``source`` (unless ``source=False``; null for line 0, a module's start); ``arg`` (repr of the return value,
    or of the exception with ``exception`` naming its type); ``args`` (the call's arguments, unless
    ``args=False``). Traced child processes append to the same file (each write is whole lines), so lines of
    processes interleave.
    """

    shared_file = True

    def __init__(
        self,
        path: Any,
        *,
        args: bool = True,
        source: bool = True,
        repr_limit: int = 256,
        batch: int = 128,
        signals: bool = False,
        max_size: int | None = None,
    ) -> None:
        self.source = bool(source)
        self._codes: dict[int, tuple[Any, str, dict[int, str], tuple[tuple[str, str], ...]]] = {}
        super().__init__(path, args=args, repr_limit=repr_limit, batch=batch, signals=signals, max_size=max_size)

    def __repr__(self) -> str:
        target = self.path if self.path is not None else self._file
        return (
            f"JSONLines({target!r}, args={self.args}, source={self.source}, repr_limit={self.repr_limit}, "
            f"batch={self.batch}{', signals=True' if self.signals else ''}"
            f"{'' if self.max_size is None else f', max_size={self.max_size}'})"
        )

    __str__ = __repr__

    def _thread_start(self, state: ThreadState, event: Any) -> None:
        # The fields that stay the same for all of a thread's events, as a ready-made piece of JSON.
        if event is not None:
            threadid, name = event.threadid, event.threadname
        else:  # a forked child's thread: the main thread from now on
            threadid, name = None, threading.current_thread().name
        state.thread_json = (
            f'"pid":{self.pid},"tid":{state.tid},"threadid":{"null" if threadid is None else threadid},'
            f'"threadname":{escape(name)}'
        )

    def __call__(self, event: Event) -> None:
        """Write one event as a JSON line."""
        try:
            state = self.local.state
        except AttributeError:
            state = self._new_state(event)
            if state is None:
                return
        clock = _perf_ns()
        now = self.origin_ns + clock - self._base
        kind = event.kind
        code = event.code  # (a detached event has no frame, but keeps its code)
        if event.builtin or code is None:
            entry = self._builtin_entry(event)
        else:
            known = self._codes.get(id(code))
            entry = known if known is not None and known[0] is code else self._describe(code, event)
        lineno = event.lineno
        if self.source:
            sources = entry[2]
            source = sources.get(lineno)
            if source is None:
                # Line 0 is a module's start (its call event): no line of the file, so no source rather than
                # event.source's "??? NO SOURCE" (which keeps hunter 3.9's text).
                source = sources[lineno] = ',"source":null' if lineno == 0 else f',"source":{escape(event.source)}'
        else:
            source = ""
        limit = self.repr_limit
        if kind == "line":
            extra = ""
        elif kind == "return":
            extra = ',"arg":null' if event.builtin else f',"arg":{value_json(event.arg, limit)}'
        elif kind == "exception":
            extra = _exception_fields(event.arg, limit)
        elif kind == "call" and self.args and entry[3] and event.frame is not None:
            extra = self._arguments(event.frame, entry[3])
        else:
            extra = ""
        state.buf.append(
            f'{{"time":{now / 1e9},{state.thread_json},"kind":"{kind}",'
            f'"builtin":{"true" if event.builtin else "false"},'
            f'{entry[1]},"lineno":{lineno},"depth":{event.depth},"calls":{event.calls}{source}{extra}}}\n'
        )
        if len(state.buf) >= self.batch or clock >= self.due_ns:
            self._flush_some(state, clock)

    def _describe(self, code: CodeType, event: Event) -> tuple[Any, str, dict[int, str], tuple[tuple[str, str], ...]]:
        """The fields of a code object's events that never change, cached per code object."""
        static = (
            f'"function":{escape(event.function)},"module":{escape(event.module)},'
            f'"filename":{escape(event.filename)},"stdlib":{"true" if event.stdlib else "false"}'
        )
        return remember_code(self._codes, code, (code, static, {}, argument_spec(code)))

    def _builtin_entry(self, event: Event) -> tuple[Any, str, dict[int, str], tuple[tuple[str, str], ...]]:
        static = (
            f'"function":{escape(event.function)},"module":{escape(event.module)},'
            f'"filename":{escape(event.filename)},"stdlib":{"true" if event.stdlib else "false"}'
        )
        return (None, static, {}, ())

    def _arguments(self, frame: Any, spec: tuple[tuple[str, str], ...]) -> str:
        """``,"args":{...}``: the called function's parameters and the reprs of their values."""
        text = argument_text(frame, spec, self.value_json)
        return ',"args":{' + text[1:] + "}"  # (each part starts with a comma)


class RecordedJSONLines(JSONLines):
    """JSONLines in a replay of a recording (``hunter query --format jsonl``; the replay makes its JSONLines one):
    each line holds what was recorded, the event's time, process, thread and values' texts, not the replay's.

    The keys and their order are a live JSONLines'. ``calls`` is what the replay counts (see hunter.record.replay);
    without recorded values, ``arg`` is null and ``args`` left out.
    """

    def __call__(self, event: Event) -> None:
        """Write one recorded event as a JSON line."""
        try:
            state = self.local.state
        except AttributeError:
            state = self._new_state(event)
            if state is None:
                return
        code = event.code
        if event.builtin or code is None:
            entry = self._builtin_entry(event)
        else:
            known = self._codes.get(id(code))
            entry = known if known is not None and known[0] is code else self._describe(code, event)
        lineno = event.lineno
        source = ""
        if self.source:
            source = entry[2].get(lineno) or entry[2].setdefault(
                lineno, ',"source":null' if lineno == 0 else f',"source":{escape(event.source)}'
            )
        # (The recorded time on a live writer's axis, which starts 1 µs after the origin: as a Chrome trace of the
        # replay shows it.)
        now = event.time_ns + 1000  # type: ignore[attr-defined]  # (a RecordedEvent's)
        state.buf.append(
            f'{{"time":{now / 1e9},{state.thread_json},"kind":"{event.kind}",'
            f'"builtin":{"true" if event.builtin else "false"},'
            f'{entry[1]},"lineno":{lineno},"depth":{event.depth},"calls":{event.calls}{source}'
            f"{self._recorded_values(event, entry[3])}}}\n"
        )
        clock = _perf_ns()
        if len(state.buf) >= self.batch or clock >= self.due_ns:
            self._flush_some(state, clock)

    def _recorded_values(self, event: Event, spec: tuple[tuple[str, str], ...]) -> str:
        """The value fields of a recorded event's line: its recorded texts, cut to ``repr_limit`` as live."""
        kind, text = event.kind, event.arg
        as_json = recorded_json_at(self.repr_limit)
        if kind == "return":
            return ',"arg":null' if event.builtin or text is None else f',"arg":{as_json(text)}'
        if kind == "exception":
            if text is None:
                return ',"arg":null'
            name, value = recorded_exception(str(text))
            return f',"exception":{escape(name)},"arg":{as_json(value)}'
        if kind == "call" and self.args and spec and event.locals:
            return ',"args":{' + argument_text(RecordedArguments(event.locals), spec, as_json)[1:] + "}"
        return ""


def _exception_fields(arg: Any, limit: int) -> str:
    try:
        name = type.__dict__["__name__"].__get__(arg[0])
        return f',"exception":{escape(name)},"arg":{escape(value_repr(arg[1], limit))}'
    except Exception:  # an odd arg: keep the line, without details
        return ',"arg":null'
