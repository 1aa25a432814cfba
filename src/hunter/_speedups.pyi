"""Types of hunter's compiled hot paths (src/hunter/_speedups.c)."""

from collections.abc import Callable, Iterable
from typing import Any

#: Whether ``raw_callback`` is there (CPython 3.12+: sys.monitoring).
RAW_CALLBACKS: int
CALL: int
RETURN: int

def render(
    records: list[tuple[Any, ...]],
    ref: int,
    t0: int,
    return_marker: object,
    thread_marker: object,
    callers_marker: object,
    out: Callable[[str], Any],
    entries: Callable[[str], Any],
) -> int:
    """Raw records as a trace file's lines (``Recorder._render``); the thread's ref after them."""

def json_text(value: Any, limit: int, address_only: dict[type, bool] = ...) -> str | None:
    """A recorded value's text (``Recorder``'s ``json_text``) where it is certain; None for any other value."""

def raw_callback(
    *,
    event: int,
    fallback: Callable[..., Any],
    infos: dict[int, Any],
    gate: set[int],
    context: Any,
    recorder: Any,
    due: Callable[[int, Any, str], None],
    text: Callable[[Any], str],
    missing: object,
    known: dict[int, Any] | None,
    batch: int,
    return_opcodes: Iterable[int],
    types: tuple[type, type, type],
    limit: int,
    own_code: Any,
    max_callers: int,
    address_only: dict[type, bool],
) -> Callable[..., Any]:
    """A sys.monitoring callback for ``event`` (CALL or RETURN) that records the common raw case itself; its
    ``for_event(event, fallback)`` makes the same for another event."""
