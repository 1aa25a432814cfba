"""JSON Lines exporter: one detached event per line, for scripts to process."""

from __future__ import annotations

import json
import time
from typing import Any

from ..event import Event
from ._timeline import ThreadState, TimelineWriter, value_repr

__all__ = ["JSONLines"]

_perf_ns = time.perf_counter_ns
_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False).encode


class JSONLines(TimelineWriter):
    """Writes each event as one JSON object per line: the fields of a detached event, plus time and process.

    Keys: ``time`` (Unix time in seconds), ``pid``, ``tid`` (native thread id), ``threadid``, ``threadname``,
    ``kind``, ``builtin``, ``function``, ``module``, ``filename``, ``lineno``, ``depth``, ``calls``, ``stdlib``,
    ``source`` (unless ``source=False``); ``arg`` (repr of the return value, or of the exception with
    ``exception`` naming its type); ``args`` (the call's arguments, unless ``args=False``). Traced child
    processes append to the same file (each write is whole lines), so lines of processes interleave.
    """

    shared_file = True

    def __init__(
        self, path: Any, *, args: bool = True, source: bool = True, repr_limit: int = 256, batch: int = 128
    ) -> None:
        self.source = bool(source)
        super().__init__(path, args=args, repr_limit=repr_limit, batch=batch)

    def __repr__(self) -> str:
        target = self.path if self.path is not None else self._file
        return (
            f"JSONLines({target!r}, args={self.args}, source={self.source}, repr_limit={self.repr_limit}, "
            f"batch={self.batch})"
        )

    __str__ = __repr__

    def _thread_start(self, state: ThreadState, event: Any) -> None:
        state.prefix = self.pid

    def __call__(self, event: Event) -> None:
        """Write one event as a JSON line."""
        try:
            state = self._local.state
        except AttributeError:
            state = self._new_state(event)
            if state is None:
                return
        kind = event.kind
        record = {
            "time": (self.origin_ns + _perf_ns() - self._base) / 1e9,
            "pid": state.prefix,
            "tid": state.tid,
            "threadid": event.threadid,
            "threadname": event.threadname,
            "kind": kind,
            "builtin": event.builtin,
            "function": event.function,
            "module": event.module,
            "filename": event.filename,
            "lineno": event.lineno,
            "depth": event.depth,
            "calls": event.calls,
            "stdlib": event.stdlib,
        }
        if self.source:
            record["source"] = event.source
        limit = self.repr_limit
        if kind == "return":
            record["arg"] = None if event.builtin else value_repr(event.arg, limit)
        elif kind == "exception":
            try:
                exc_type, value = event.arg[0], event.arg[1]
                record["exception"] = type.__dict__["__name__"].__get__(exc_type)
                record["arg"] = value_repr(value, limit)
            except Exception:  # noqa: BLE001 - an odd arg: keep the line, without details
                record["arg"] = None
        elif kind == "call" and self.args and not event.builtin:
            record["args"] = self._arguments(event)
        state.buf.append(_dumps(record) + "\n")
        if len(state.buf) >= self.batch:
            self._flush(state)

    def _arguments(self, event: Event) -> dict[str, str]:
        """The called function's parameters and the reprs of their values."""
        try:
            code = event.frame.f_code  # type: ignore[union-attr]
            count = code.co_argcount + code.co_kwonlyargcount
            count += bool(code.co_flags & _CO_VARARGS) + bool(code.co_flags & _CO_VARKEYWORDS)
            f_locals = event.frame.f_locals  # type: ignore[union-attr]
            limit = self.repr_limit
            result = {}
            for name in code.co_varnames[:count]:
                try:
                    result[name] = value_repr(f_locals[name], limit)
                except KeyError:
                    continue
            return result
        except Exception:  # noqa: BLE001 - never fail the traced program over an odd frame
            return {}
