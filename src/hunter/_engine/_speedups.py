"""The compiled hot paths (``hunter._speedups``, built from ``src/hunter/_speedups.c`` when a compiler was there at
install time), or None: the Python code then does the same work, slower.

``HUNTER_PURE_PYTHON=1`` in the environment leaves them out (to compare, or to rule them out when something looks
wrong); tests switch them off through :func:`use` to run both paths.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["compiled", "use"]


def _load() -> ModuleType | None:
    """The built module, unless the environment leaves it out."""
    if os.environ.get("HUNTER_PURE_PYTHON"):
        return None
    try:
        from .. import _speedups
    except ImportError:  # not built: no compiler at install time, or an interpreter it wasn't built for
        return None
    return _speedups


_built = _load()
#: The module, when it is built and used; read where a tracer or recorder starts.
compiled: ModuleType | None = _built


def use(on: bool) -> None:
    """Use the compiled hot paths (when built) or not, from the next tracer or recorder on."""
    global compiled
    compiled = _built if on else None
