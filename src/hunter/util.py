"""safe_repr and small helpers shared by events, predicates and actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._output._reprs import safe_repr, shorten

__all__ = ["MISSING", "safe_repr", "shorten"]


class _Missing:
    """The value shown for an argument that is not in the frame's locals (``?`` once detached)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "?"


# hunter 3.9 shows a missing argument of a live event as ``<hunter.util.MISSING object at 0x...>``: same names.
_Missing.__name__ = _Missing.__qualname__ = "MISSING"
MISSING: Any = _Missing()


def resolve_repr_func(repr_func: str | Callable[[Any], str]) -> Callable[[Any], str]:
    """Turn the ``repr_func`` option ('safe_repr', 'repr' or a callable) into a callable."""
    if callable(repr_func):
        return repr_func
    if repr_func == "safe_repr":
        return safe_repr
    if repr_func == "repr":
        return repr
    raise TypeError(f'Expected a callable or either "repr" or "safe_repr" strings, not {repr_func!r}.')
