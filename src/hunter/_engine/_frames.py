"""Frame helpers for the tracer and its backends: every thread's stack, and whether a frame's locals can be read."""

from __future__ import annotations

import sys
from types import CodeType, FrameType
from typing import Any

from ._code_flags import CO_OPTIMIZED
from ._codemap import CodeMap, CodeRecord
from ._compat import READING_LOCALS_CAN_CLOBBER_COMPREHENSIONS

__all__ = ["current_stacks", "locals_readable"]


def current_stacks() -> dict[int, FrameType]:
    """Every frame on every thread's stack now, by id (but this function's own)."""
    frames: dict[int, FrameType] = {}
    here = sys._getframe()
    # (its own frame left out, and no local left holding it: the dict in a caller's frame would hold this frame,
    # whose f_back is that caller's: a cycle that kept the caller's locals alive until a collection)
    tops = [here.f_back if top is here else top for top in sys._current_frames().values()]
    del here
    for top in tops:
        frame: FrameType | None = top
        while frame is not None:
            frames[id(frame)] = frame
            frame = frame.f_back
    return frames


class _Spans(CodeRecord):
    """Where, in one code object, an inlined comprehension's own variables may be bound."""

    __slots__ = ("spans",)

    def __init__(self, spans: tuple[tuple[int, int], ...]) -> None:
        self.spans = spans


_spans: CodeMap[_Spans] = CodeMap()


def locals_readable(frame: FrameType) -> bool:
    """Whether reading ``frame.f_locals`` now leaves the program alone (see READING_LOCALS_CAN_CLOBBER_COMPREHENSIONS).

    False only on 3.12, in a module or class body, while an inlined comprehension runs there: the one place where
    the read would make the interpreter clobber the comprehension's variable.
    """
    if not READING_LOCALS_CAN_CLOBBER_COMPREHENSIONS:
        return True
    code = frame.f_code
    if code.co_flags & CO_OPTIMIZED or not code.co_varnames:
        return True  # function frames keep every local in the dict; no hidden variables at all
    record = _spans.get(id(code))
    if record is None:
        record = _spans.add(code, _Spans(_comprehension_spans(code)))
    offset = frame.f_lasti
    return not any(start <= offset < end for start, end in record.spans)


def _comprehension_spans(code: CodeType) -> tuple[tuple[int, int], ...]:
    """The byte ranges of a module or class body's inlined comprehensions (3.12).

    Each one is covered by an exception-table entry whose handler puts the comprehension's variables back as
    they were (STORE_FAST: the only use of fast locals in such code) before re-raising.
    """
    try:
        import dis  # (3.12 only, and only where a module or class body's locals are read)
    except ImportError:  # (at interpreter shutdown: the whole body counts as one, its locals aren't read)
        return ((0, sys.maxsize),)
    stores = {instruction.offset for instruction in dis.get_instructions(code) if instruction.opname == "STORE_FAST"}
    ends = sorted(instruction.offset for instruction in dis.get_instructions(code) if instruction.opname == "RERAISE")
    spans = []
    entries: list[Any] = dis.Bytecode(code).exception_entries  # type: ignore[attr-defined] # 3.11+, not in typeshed
    for entry in entries:
        handler_end = next((end for end in ends if end >= entry.target), None)
        if handler_end is not None and any(entry.target <= offset < handler_end for offset in stores):
            spans.append((entry.start, entry.end))
    return tuple(spans)
