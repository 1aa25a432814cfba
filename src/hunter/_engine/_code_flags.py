"""Code object flags (``co_flags`` bits) hunter reads: the values ``inspect`` names, without importing ``inspect``.

``inspect`` pulls ``ast``, ``dis``, ``tokenize`` and more into every traced program at start-up; these bits have had
the same values in every CPython release.
"""

from __future__ import annotations

__all__ = ["CO_OPTIMIZED", "CO_VARARGS", "CO_VARKEYWORDS"]

#: The code's locals are fast locals (a function's), not a dict (a module or class body's).
CO_OPTIMIZED = 0x0001
#: The code takes ``*args``.
CO_VARARGS = 0x0004
#: The code takes ``**kwargs``.
CO_VARKEYWORDS = 0x0008
