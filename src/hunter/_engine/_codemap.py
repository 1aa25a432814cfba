"""Records kept per code object, keyed by ``id(code)``, that never keep a code object alive."""

from __future__ import annotations

import functools
import weakref
from types import CodeType
from typing import Generic, TypeVar

__all__ = ["CodeMap", "CodeRecord"]


class CodeRecord:
    """Base of a per-code record: holds a weak reference to its code object (``code_ref()``)."""

    __slots__ = ("code_ref",)

    code_ref: weakref.ref[CodeType]


R = TypeVar("R", bound=CodeRecord)


class CodeMap(dict[int, R], Generic[R]):
    """``id(code) -> record``; an entry leaves the moment its code object dies, so an id is never misread.

    Look records up with ``get(id(code))`` (a C method: nothing extra on the hot path). Each record holds a
    weak reference to its code whose callback is C too (``dict.pop(key, ref)``): a Python callback would be
    traced itself when a code object dies while tracing.
    """

    def add(self, code: CodeType, record: R) -> R:
        """Keep ``record`` for ``code`` (code objects are always weak-referenceable)."""
        key = id(code)
        record.code_ref = weakref.ref(code, functools.partial(self.pop, key))
        self[key] = record
        return record

    def codes(self) -> list[tuple[CodeType, R]]:
        """The live code objects and their records (a snapshot: the map may change while it is used)."""
        pairs = []
        for record in list(self.values()):
            code = record.code_ref()
            if code is not None:
                pairs.append((code, record))
        return pairs
