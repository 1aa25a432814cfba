"""Exceptions raised by the program's own signal handlers, which must reach the program even inside hunter's code.

Python runs a signal handler between any two bytecodes of the main thread, so while hunter's code runs (a
predicate, an action, a repr) the handler may run there and raise (``SIGALRM`` -> ``TimeoutError``, say).
That exception belongs to the program: where hunter catches exceptions (a failing action, a failing repr) it
must let this one through, as if hunter weren't there.
"""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable, Iterable
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType
from typing import Any, cast

__all__ = ["from_signal_handler", "let_through"]

# The C functions under signal's: the same answers without making an enum of every signal number (50x faster; a
# tracer's start asks when a predicate can't be judged without a code object). signal's own on other implementations.
_c_signal: Any = getattr(signal, "_signal", signal)
_getsignal: Callable[[int], Any] = getattr(_c_signal, "getsignal", signal.getsignal)
_valid_signals: Callable[[], Iterable[int]] = getattr(_c_signal, "valid_signals", signal.valid_signals)


def let_through(exc: BaseException) -> None:
    """Raise ``exc`` again when the program's signal handler raised it; hunter's ``except`` blocks call this first."""
    if from_signal_handler(exc):
        raise exc


def from_signal_handler(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by one of the program's Python-level signal handlers (or what they called).

    The handler's frame is in the exception's traceback (it ran on top of whatever was running); so only
    asked when an exception was caught, which costs nothing on the per-event path.
    """
    tb = exc.__traceback__
    if _only_hunter_frames(tb):
        return False  # (most exceptions hunter catches: asking for every signal's handler costs ~25 µs)
    codes = _handler_codes()
    if not codes:
        return False
    while tb is not None:
        if tb.tb_frame.f_code in codes:
            return True
        tb = tb.tb_next
    return False


def _only_hunter_frames(tb: Any) -> bool:
    """Whether every frame of a traceback runs hunter's own code (no program's handler is among them)."""
    from ._own_code import HUNTER_DIR  # (late: _own_code imports much, and this module is imported early)

    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(HUNTER_DIR):
            return False
        tb = tb.tb_next
    return True


#: What the C getsignal gives for a handler that is no Python code: SIG_DFL and SIG_IGN (ints), C functions.
_NO_CODE = (int, BuiltinFunctionType)


def _handler_codes() -> set[CodeType]:
    """The code objects of the Python functions installed as signal handlers now."""
    codes = set()
    for signum in _valid_signals():
        try:
            handler = _getsignal(signum)
        except (ValueError, OSError):  # not a signal this platform lets Python read
            continue
        if handler is None or type(handler) in _NO_CODE:  # (SIG_DFL, SIG_IGN: most signals)
            continue
        code = _code_of(handler)
        if code is not None:
            codes.add(code)
    return codes


def _code_of(handler: object) -> CodeType | None:
    """The code a Python callable runs: functions, bound methods, partials and objects with ``__call__``.

    Looked up by exact type and through the class dictionaries only: a handler's own ``__getattr__`` never runs.
    """
    for _ in range(5):  # a partial of a bound method of ...: a few levels at most
        kind = type(handler)
        if kind is FunctionType:
            return cast(FunctionType, handler).__code__
        if kind is MethodType:
            handler = cast(MethodType, handler).__func__
        elif kind is functools.partial:
            handler = cast("functools.partial[Any]", handler).func
        else:
            call = next((klass.__dict__["__call__"] for klass in kind.__mro__ if "__call__" in klass.__dict__), None)
            if call is None or kind.__module__ == "builtins":
                return None  # SIG_DFL, SIG_IGN, default_int_handler: no Python code of the program
            handler = call
    return None
