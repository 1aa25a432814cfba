"""What every sys.monitoring callback of one backend shares (``Wiring``), bound once when the backend starts."""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType, FrameType

from .. import Context
from ._codes import CodeBook, CodeInfo

__all__ = ["Wiring"]


class Wiring:
    """What every callback shares, bound once when a backend starts.

    ``gate`` and ``gate_admits`` say which threads' events are dropped: with ``threading_support=False`` the
    gate holds the one thread that is traced (admitted); otherwise it is the live set of threads that haven't
    reached the point where settrace would hook them (held back). An empty gate lets everything through.

    ``count_depth``: events get their depth as they are delivered, from frames remembered in ``context.depths``
    until they leave (every code object that delivers events has its returns on then, and PY_UNWIND is on).
    """

    __slots__ = (
        "context",
        "count_calls",
        "count_depth",
        "discover",
        "gate",
        "gate_admits",
        "info_of",
        "infos",
        "untraced",
    )

    def __init__(
        self,
        context: Context,
        codes: CodeBook,
        discover: Callable[[CodeType, FrameType], CodeInfo | None],
        count_calls: bool,
        gate: set[int],
        gate_admits: bool,
        count_depth: bool = False,
    ) -> None:
        self.context = context
        self.infos = codes.infos
        self.info_of = codes.infos.get
        self.discover = discover
        self.untraced = codes.untraced
        self.count_calls = count_calls
        self.gate = gate
        self.gate_admits = gate_admits
        self.count_depth = count_depth
