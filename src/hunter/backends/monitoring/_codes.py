"""Per-code-object records: which events a code object reports, decided from the predicate's verdicts on first sight."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any

from ..._engine._ceilings import ceiling_now
from ..._engine._codemap import CodeMap, CodeRecord
from ..._engine._compat import LINE_EVENTS_NEED_RESUME_EVENTS
from ...event import KINDS
from ..._engine._own_code import is_hunter_frame
from ..._engine._pruning import ALL_NEVER, CodeJudge, handler_for_code
from ..._engine._recording import Recording, raises_raw, records_raw
from ..._engine._program_signals import let_through
from ..._engine._verdict import NEVER
from ._threads import ThreadHook, ThreadStarts

__all__ = ["CodeBook", "CodeInfo"]

_monitoring = sys.monitoring
_E = _monitoring.events

Fields = dict[str, Any]


def _no_handler(event: Any) -> None:
    """A placeholder handler: takes nothing."""


class CodeInfo(CodeRecord):
    """One code object as the callbacks see it.

    The ``*_fields`` are the pre-filled fields of its events of that kind (copied and completed per event);
    None where events of that kind can't match there.
    """

    __slots__ = (
        "call_fields",
        "ceiling_now",
        "exception_fields",
        "handler",
        "has_silent_frames",
        "hook",
        "keep_start_events",
        "line_fields",
        "lines",
        "mask",
        "own",
        "raw_exceptions",
        "raw_site",
        "return_fields",
        "stdlib",
    )

    def __init__(self) -> None:
        self.call_fields: Fields | None = None
        self.line_fields: Fields | None = None
        self.return_fields: Fields | None = None
        self.exception_fields: Fields | None = None
        #: What its events are handed to: the tracer's handler, or what that certainly comes to here (_pruning).
        self.handler: Callable[[Any], Any] = _no_handler
        #: The query's depth ceiling here, asked per event when depth is counted (see _engine._ceilings), or None.
        self.ceiling_now: Callable[[], int | None] | None = None
        #: Some of its frames were running when this tracer resumed (they belong to a newer tracer): those
        #: frames stay silent (see ``CodeBook.untraced``).
        self.has_silent_frames = False
        #: The local events switched on for it.
        self.mask = 0
        #: Byte offset -> line number, for JUMP events (built when first needed).
        self.lines: dict[int, int] | None = None
        #: PY_START/PY_RESUME must stay on (not DISABLEd) even though its calls can't match.
        self.keep_start_events = False
        #: For a thread's bootstrap code: the hook that follows the thread's start.
        self.hook: ThreadHook | None = None
        #: hunter's own code: its calls aren't counted in ``calls`` (hunter 3.9's Tracer is compiled, its methods
        #: make no call events), nor are the C functions it calls reported (profile mode).
        self.own = False
        #: Standard library code: its frames are silent when hunter's own code called them (``runs_for_hunter``).
        self.stdlib = False
        #: Recording (_engine._recording): the recorder's site for a code whose calls and returns are recorded raw
        #: (by the callbacks of ``_raw``); None otherwise.
        self.raw_site: Any = None
        #: Its exceptions are recorded raw too (certain to be recorded, by a recorder that writes them so).
        self.raw_exceptions = False

    def line_at(self, code: CodeType, offset: int) -> int:
        """The line of the instruction at ``offset`` (-1 where there is none), as the instrumentation sees it."""
        lines = self.lines
        if lines is None:
            lines = self.lines = {}
            for start, end, line in code.co_lines():
                value = -1 if line is None else line
                for position in range(start, end, 2):
                    lines[position] = value
        return lines.get(offset, -1)


class CodeBook:
    """The records of one backend's code objects, and the frames that stay silent for it."""

    def __init__(
        self,
        judge: CodeJudge,
        base: Fields,
        profiling: bool,
        count_calls: bool,
        threads: ThreadStarts,
        recording: Recording | None = None,
        count_depth: bool = False,
        handler: Callable[[Any], Any] = _no_handler,
    ) -> None:
        self._judge = judge
        self._handler = handler
        self._count_depth = count_depth
        self._recording = recording
        self._base = base
        self._profiling = profiling
        self._count_calls = count_calls
        self._threads = threads
        #: ``id(code) -> CodeInfo``; the callbacks look records up with ``infos.get(id(code))``.
        self.infos: CodeMap[CodeInfo] = CodeMap()
        #: Frames that stay silent (by id): those that started while a newer tracer ran and were still
        #: running when this one resumed. Held until stop so their ids can't be reused.
        self.untraced: dict[int, FrameType] = {}
        self._untraced_codes: set[int] = set()

    def __len__(self) -> int:
        return len(self.infos)

    def discover(self, code: CodeType, frame: FrameType, tool: int | None) -> CodeInfo | None:
        """First sight of a code object: decide its events from the predicate's verdicts, switch them on."""
        info = self.infos.get(id(code))
        if info is not None:
            return info
        try:
            info = self._judged(code, frame)
            self.infos.add(code, info)
            if info.mask and tool is not None:
                _monitoring.set_local_events(tool, code, info.mask)
        except Exception as exc:  # never raise into the traced program; this code just isn't traced
            let_through(exc)
            return None
        return info

    def _judged(self, code: CodeType, frame: FrameType) -> CodeInfo:
        if is_hunter_frame(frame):
            return self._own(code)
        verdicts, static = self._judge.judge(frame, hunters=False)
        info = CodeInfo()
        info.stdlib = bool(static.get("stdlib"))
        ruled_out = verdicts == ALL_NEVER
        role = self._threads.hook_for(code)
        if ruled_out and role is None:
            # Most code a filter meets: no event of it can matter, so nothing is switched on and the fields stay None
            # (what follows would come to that, asked step by step).
            info.handler = self._handler
            info.has_silent_frames = id(code) in self._untraced_codes
            info.keep_start_events = info.has_silent_frames or self._count_calls
            return info
        if not ruled_out:
            base = {**self._base, **static}
            # Calls and lines keep arg=None (as does PY_UNWIND's return): pre-filled per kind.
            info.call_fields, info.line_fields, info.return_fields, info.exception_fields = [
                {**base, "kind": kind, "arg": None} if verdict is not NEVER else None
                for kind, verdict in zip(KINDS, verdicts, strict=True)
            ]
        if self._recording is None and not ruled_out:
            # (Recording: the judge is of the recording's condition; other events go to the handler as they are. A
            # code ruled out hands no event to anything: what its events would come to isn't asked, per code object
            # the costliest step of meeting one.)
            info.handler = handler_for_code(self._judge, frame)
            if self._count_depth:
                ceiling = self._judge.ceiling(frame)
                info.ceiling_now = ceiling_now(ceiling) if ceiling is not None else None
        else:
            info.handler = self._handler
        if self._profiling:
            info.line_fields = info.exception_fields = None  # setprofile reports neither for Python code
        if role is not None:
            # A thread's bootstrap frames: settrace never reports their calls (the thread gets its trace
            # function later, inside Thread._bootstrap_inner) nor, in line mode, anything else of them.
            info.call_fields = None
            if not self._profiling:
                info.line_fields = info.return_fields = info.exception_fields = None
            info.hook = role[0]
        mask = self._local_mask(info, self._count_depth)
        if role is not None and role[1]:
            mask |= _E.LINE  # Thread._bootstrap_inner: its lines tell when settrace would start tracing
        info.mask = mask
        info.has_silent_frames = id(code) in self._untraced_codes
        if (
            self._recording is not None
            and info.call_fields is not None
            and info.return_fields is not None
            and records_raw(verdicts)
        ):
            # Recorded raw: its calls and returns go to the recorder as records, without events.
            info.raw_site = self._recording.recorder.describe(code, static["module"], static["filename"])
            info.raw_exceptions = info.exception_fields is not None and raises_raw(self._recording, verdicts)
        info.keep_start_events = (
            info.has_silent_frames
            or (self._count_calls and not info.own)
            or info.hook is not None
            or (LINE_EVENTS_NEED_RESUME_EVENTS and bool(mask & _E.LINE))
            or (info.stdlib and bool(mask))  # each new frame is asked whether hunter's code called it
        )
        return info

    def _own(self, code: CodeType) -> CodeInfo:
        """hunter's own code (starting or stopping a tracer, a wrapper's bookkeeping): no events, nothing to judge."""
        info = CodeInfo()
        info.own = True
        info.has_silent_frames = info.keep_start_events = id(code) in self._untraced_codes
        return info

    @staticmethod
    def _local_mask(info: CodeInfo, count_depth: bool) -> int:
        """The events to switch on for one code object: those of the kinds that can match there.

        ``count_depth``: the returns of a code with any events too, which remembered frames leave by.
        """
        mask = 0
        if info.return_fields is not None or (
            count_depth
            and (info.call_fields is not None or info.line_fields is not None or info.exception_fields is not None)
        ):
            mask |= _E.PY_RETURN | _E.PY_YIELD
        if info.line_fields is not None:
            mask |= _E.LINE | _E.JUMP
        if info.exception_fields is not None:
            mask |= _E.STOP_ITERATION  # RAISE can't be local: it is on interpreter-wide
        return mask

    def keep_silent(self, frames: dict[int, FrameType]) -> None:
        """These running frames report nothing; code objects already known learn that they have such frames."""
        self.untraced.update(frames)
        for frame in frames.values():
            key = id(frame.f_code)
            self._untraced_codes.add(key)
            info = self.infos.get(key)
            if info is not None:
                info.has_silent_frames = info.keep_start_events = True

    def switch_on(self, tool: int) -> None:
        """Put every code object's local events back on ``tool`` (after the id was lent to another tracer)."""
        for code, info in self.infos.codes():
            if info.mask:
                _monitoring.set_local_events(tool, code, info.mask)

    def switch_off(self, tool: int) -> None:
        """Every code object's local events off on ``tool``."""
        for code, info in self.infos.codes():
            if info.mask:
                _monitoring.set_local_events(tool, code, 0)

    def clear(self) -> None:
        """Forget everything (the tracer stopped)."""
        self.infos.clear()
        self.untraced.clear()
        self._untraced_codes.clear()
