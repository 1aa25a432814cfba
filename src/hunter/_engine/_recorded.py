"""RecordedEvent: an event kept after its moment, the one form every copy of an event takes.

``event.detach()``, Backlog's stored events and the events read back from a trace file (``hunter.record.read``) are
all RecordedEvents; the raw recording path (``_engine._recording``) writes its records in the file's form, which
reads back as them. A RecordedEvent has the fields a live event has, values as texts (or as a value_filter made
them); a frame only when Backlog keeps one (to make up its first event's callers at the replay).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from types import CodeType
from typing import Any, cast

from ..event import Event, fields_where
from ._compat import RETURN_OPCODES, YIELD_OPCODES
from ._source import parameters

__all__ = ["RECORDED_FIELDS", "RecordedCode", "RecordedEvent", "RecordedFrame", "recorded_frame"]

#: The query fields a recording holds (``arg`` only when its values were recorded).
RECORDED_FIELDS = frozenset(fields_where(recorded=True))
#: An instruction that is not a normal return (ErrorSnooper tells returns from exceptions passing through by it).
_NOT_A_RETURN = -1
#: The instruction of a recorded suspension (a yield, an await: a file's ``normal`` 2): a yield, as live.
_SUSPENSION = min(YIELD_OPCODES)
#: What a detached copy takes from its event (source and fullsource stay lazy: kind, filename and lineno give them).
_COPIED = fields_where(detached=True)


class RecordedFrame:
    """A frame of a replayed thread, as far as the recording tells it: a token that stands for the frame's identity
    (``id(frame)`` live; negative, so never one), its function's name, its depth, and the recorded frame it was
    called from (None: none recorded). A replayed event holds its own (``recorded_frame``) when a replay follows
    them: a CallPrinter then tells which printed calls still run as it does live, by the chain above the event."""

    __slots__ = ("code", "depth", "name", "parent", "token")

    def __init__(self, token: int, name: str, depth: int, code: Any, parent: RecordedFrame | None) -> None:
        self.token = token
        self.name = name
        self.depth = depth
        self.code = code
        self.parent = parent

    def chain(self) -> dict[int, str]:
        """This frame and those it was called from: token -> function name (what a live frame's ``f_back`` walk
        gives by ``id``)."""
        running: dict[int, str] = {}
        frame: RecordedFrame | None = self
        while frame is not None:
            running[frame.token] = frame.name
            frame = frame.parent
        return running


def recorded_frame(event: Event) -> RecordedFrame | None:
    """The recorded frame a replay gave ``event`` (see RecordedFrame), or None."""
    found = event.__dict__.get("recorded_frame") if event.detached else None
    return found if type(found) is RecordedFrame else None


class RecordedCode:
    """What a recording keeps of a code object: its names, first line and how its parameters are listed."""

    __slots__ = (
        "builtin",
        "co_argcount",
        "co_filename",
        "co_firstlineno",
        "co_flags",
        "co_kwonlyargcount",
        "co_name",
        "co_qualname",
        "co_varnames",
        "compiled_filename",
        "module",
        "stdlib",
    )

    def __init__(self, fields: list[Any]) -> None:
        (
            _tag,
            _ref,
            self.co_filename,
            self.module,
            self.co_name,
            self.co_firstlineno,
            self.stdlib,
            self.builtin,
            self.co_argcount,
            self.co_kwonlyargcount,
            self.co_flags,
            varnames,
        ) = fields[:12]
        self.co_varnames = tuple(varnames)
        #: The code object's own file name, what its frames show (``co_filename`` is the file its source is read from:
        #: a frozen module's file, a .py for a .pyc); entries hold it when it differs (or a qualified name follows).
        self.compiled_filename: str = fields[12] if len(fields) > 12 else self.co_filename
        #: ``Account.withdraw`` (3.11+ code objects have it; entries hold it when it differs from the name; files of
        #: hunter before it, and of 3.10, give the name).
        self.co_qualname: str = fields[13] if len(fields) > 13 and isinstance(fields[13], str) else self.co_name

    def __repr__(self) -> str:
        return f"<recorded code {self.co_name} at {self.co_filename}:{self.co_firstlineno}>"


class RecordedEvent(Event):
    """An event kept after its moment: the fields a live event has, its values as texts (or as a value_filter made
    them), no live frame (but Backlog's copies, see :meth:`of`).

    ``time_ns`` (wall clock), ``pid`` and ``tid`` (the OS's thread id) say when and where it happened; ``cwd`` is
    the recorded program's working directory (its relative file names are read from there). Read from a trace file,
    fields that were not recorded read as empty (``locals`` holds a call's arguments, as texts; ``globals`` is empty;
    ``calls`` is 0, and a replay sets it to the recorded calls before the event).
    """

    time_ns: int = 0
    pid: int = 0
    tid: int = 0
    cwd: str = ""

    @classmethod
    def of(cls, event: Event, value_filter: Callable[[Any], Any] | None, keep_frame: bool = False) -> RecordedEvent:
        """The copy of ``event`` that ``event.detach(value_filter)`` is; ``keep_frame``: Backlog's, which keeps the
        frame and the tracer (to make up its first event's callers at the replay) and copies only what changes after
        the event: the code and the frame's globals give the rest, lazily, as for the live event."""
        copy = cls.__new__(cls)
        data = copy.__dict__
        if keep_frame:
            data.update(event.__dict__)  # the fields computed so far, the kind, the frame and the tracer
            data["detached"] = True
            data.update(
                lineno=event.lineno,
                instruction=event.instruction,
                depth=event.depth,
                calls=event.calls,
                threadid=event.threadid,
                threadname=event.threadname,
                function_object=None,
            )
        else:
            data.update(frame=None, tracer=None, detached=True)
            for name in _COPIED:
                data[name] = getattr(event, name)
        if isinstance(event, RecordedEvent):
            data.update(time_ns=event.time_ns, pid=event.pid, tid=event.tid, cwd=event.cwd)
        else:
            data.update(time_ns=time.time_ns(), pid=os.getpid(), tid=threading.get_native_id())
        if event.detached:
            # Already kept once: its values are what a filter made of them (texts), and a second filter keeps them.
            if value_filter is None:
                data.update(arg=None, globals={}, locals={})
            else:
                data.update(arg=event.arg, globals=dict(event.globals), locals=dict(event.locals))
            return copy
        if value_filter is None:
            data.update(arg=None, globals={}, locals={})
        else:
            data["arg"] = value_filter(event.arg)
            data["globals"] = {key: value_filter(value) for key, value in event.globals.items()}
            data["locals"] = {key: value_filter(value) for key, value in event.locals.items()}
        return copy

    @classmethod
    def make(
        cls,
        kind: str,
        builtin: bool,
        code: RecordedCode,
        thread: tuple[int | None, str],
        depth: int,
        lineno: int,
        extra: list[Any],
        values: bool,
    ) -> RecordedEvent:
        """Build the event of one record (``extra``: what follows its line number)."""
        event = cls.__new__(cls)
        data = event.__dict__
        data.update(
            frame=None,
            tracer=None,
            detached=True,
            kind=kind,
            builtin=builtin,
            threading_support=None,
            depth=depth,
            calls=0,
            code=code,
            function=code.co_name,
            module=code.module,
            filename=code.co_filename,
            lineno=lineno,
            stdlib=code.stdlib,
            threadid=thread[0],
            threadname=thread[1],
            instruction=None,
            function_object=None,
            arg=None,
            globals={},
            locals={},
        )
        if builtin:
            # (a C function's event: its value, the function, is all that may follow; files before it had none)
            if values and extra:
                data["arg"] = extra[0]
            return event
        if kind == "return":
            normal = extra[0] if extra else 0
            data["instruction"] = RETURN_OPCODES[0] if normal == 1 else _SUSPENSION if normal == 2 else _NOT_A_RETURN
            extra = extra[1:]
        if values and extra:
            if kind == "call":
                # (in the order the writer used: the parameters' order, which RecordedCode gives as its code did)
                names = [name for _star, name in parameters(cast(CodeType, code))]
                data["locals"] = dict(zip(names, extra[0], strict=False))
            elif kind != "line":
                data["arg"] = extra[0]
        return event

    def _source_file(self) -> str:
        filename: str = self.filename
        if os.path.isabs(filename) or os.path.exists(filename):
            return filename
        # A relative name is relative to the recorded program's working directory, not the reader's.
        candidate = os.path.join(self.cwd, filename)
        return candidate if os.path.exists(candidate) else filename

    def clone(self) -> RecordedEvent:
        """A shallow copy."""
        event = RecordedEvent.__new__(RecordedEvent)
        event.__dict__.update(self.__dict__)
        return event

    def __reduce__(self) -> Any:
        # As hunter 3.9's detached events (Events, which never pickle): a copy may still hold live values.
        raise TypeError("cannot pickle 'hunter._event.Event' object")
