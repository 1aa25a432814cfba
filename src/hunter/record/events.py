"""RecordedEvent: an event read back from a trace file, with the fields a live event has (but no frame)."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import CodeType
from typing import Any, cast

from .._engine._source import parameters
from ..actions import RETURN_OPCODES
from ..event import Event

__all__ = ["RECORDED_FIELDS", "RecordedCode", "RecordedEvent"]

#: The query fields a recording holds (``arg`` only when its values were recorded).
RECORDED_FIELDS = frozenset(
    {
        "function",
        "module",
        "lineno",
        "stdlib",
        "arg",
        "kind",
        "filename",
        "source",
        "fullsource",
        "threadname",
        "threadid",
        "depth",
        "builtin",
    }
)
#: An instruction that is not a normal return (ErrorSnooper tells returns from exceptions passing through by it).
_NOT_A_RETURN = -1


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
        self.co_qualname = self.co_name

    def __repr__(self) -> str:
        return f"<recorded code {self.co_name} at {self.co_filename}:{self.co_firstlineno}>"


class RecordedEvent(Event):
    """A detached event made from a record: every recorded field set, values as the texts that were recorded.

    ``time_ns`` (wall clock) and ``pid`` say when and where it happened. Fields that were not recorded read as
    empty (``locals`` holds a call's arguments, as texts; ``globals`` is empty; ``calls`` is 0).
    """

    time_ns: int
    pid: int
    cwd: str

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
            _tracer=None,
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
        if kind == "return":
            data["instruction"] = RETURN_OPCODES[0] if extra and extra[0] else _NOT_A_RETURN
            extra = extra[1:]
        if values and extra and not builtin:
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

    def detach(self, value_filter: Callable[[Any], Any] | None = None) -> Event:
        """A copy; its values are already texts, so a value_filter keeps them as they are (None drops them)."""
        event = self.clone()
        if value_filter is None:
            event.__dict__.update(arg=None, locals={}, globals={})
        return event

    def clone(self) -> RecordedEvent:
        """A shallow copy."""
        event = RecordedEvent.__new__(RecordedEvent)
        event.__dict__.update(self.__dict__)
        return event
