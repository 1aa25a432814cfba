"""Interpreter facts and per-version quirks, as named flags, so other modules never compare versions."""

from __future__ import annotations

import opcode
import sys
from types import FrameType

PY_VERSION = sys.version_info[:2]

#: PEP 669 (``sys.monitoring``) exists from 3.12 on; the monitoring backend needs it.
HAS_MONITORING: bool = hasattr(sys, "monitoring")

#: 3.12 only: after a Python trace function read ``frame.f_locals``, the interpreter writes that dict back into the
#: frame (PyFrame_LocalsToFast). In module and class bodies the variables of an inlined comprehension (PEP 709)
#: are "hidden" fast locals missing from the dict, and become None: ``[(n, 1) for n in base]`` in a class body
#: gave ``[(None, 1), ...]``. 3.13 (PEP 667) writes nothing back.
READING_LOCALS_CAN_CLOBBER_COMPREHENSIONS: bool = PY_VERSION == (3, 12)


def _opcodes(*names: str) -> frozenset[int]:
    return frozenset(opcode.opmap[name] for name in names if name in opcode.opmap)


#: The instructions a frame returns through: a ``return`` event at any other (a ``yield``, an ``await``, an
#: exception passing through) is not the function returning normally (``ErrorSnooper``, a recording's ``normal``).
RETURN_OPCODES: tuple[int, ...] = tuple(
    opcode.opmap[name] for name in ("RETURN_VALUE", "RETURN_CONST") if name in opcode.opmap
)
#: Instructions a frame leaves through normally (a value is returned or yielded). A ``return`` event
#: whose last instruction is anything else means an exception is propagating out of the frame.
#: RETURN_CONST is new in 3.12; INSTRUMENTED_* variants can show up in 3.12+ when co_code is read raw.
NORMAL_EXIT_OPCODES: frozenset[int] = _opcodes(
    "RETURN_VALUE",
    "RETURN_CONST",
    "YIELD_VALUE",
    "INSTRUMENTED_RETURN_VALUE",
    "INSTRUMENTED_RETURN_CONST",
    "INSTRUMENTED_YIELD_VALUE",
)

#: 3.12+ (PEP 669): where the interpreter fires an artificial StopIteration that the program never sees. A
#: ``for`` loop over a generator reaches END_FOR only once its FOR_ITER is specialised (FOR_ITER_GEN lets the
#: generator return into END_FOR, which fires STOP_ITERATION; a plain FOR_ITER jumps over END_FOR). settrace's
#: own instrumentation usually keeps FOR_ITER from being specialised, but not always (3.13: a loop long enough
#: for FOR_ITER to need EXTENDED_ARG), and sys.monitoring without LINE/BRANCH events never does. Both backends
#: drop these events, so a loop's normal end is never reported as an exception. Unless the generator returned a
#: value (``stop_iteration_value``): a plain FOR_ITER gets a real ``StopIteration(value)`` then, which hunter
#: 3.9 reports, so the specialised loop's event is kept. From 3.14 on, settrace sees the same event at the
#: loop's FOR_ITER (the frame hasn't reached END_FOR yet). An iterator class whose ``__next__`` raises
#: StopIteration also gets an event at FOR_ITER, a real one that 3.9 reports: it was raised, so it has a
#: traceback, where the artificial one never has (backends check ``__traceback__ is None`` too).
ARTIFICIAL_STOP_ITERATION_OPCODES: frozenset[int] = (
    (_opcodes("END_FOR", "FOR_ITER") if PY_VERSION >= (3, 14) else _opcodes("END_FOR"))
    if HAS_MONITORING
    else frozenset()
)


def stop_iteration_value(exc: object) -> object:
    """The value a StopIteration carries (what the generator returned); None for anything else."""
    return exc.value if isinstance(exc, StopIteration) else None


#: 3.13+: the LINE event of a code object's first line, when that line is the ``def``/``lambda`` line,
#: only fires while the code's RESUME instruction is instrumented (CPython gh-155992: RESUME is specialized
#: otherwise and the line check misses it). sys.settrace keeps PY_START/PY_RESUME on everywhere, so the
#: monitoring backend must not DISABLE them in code whose lines it reports.
LINE_EVENTS_NEED_RESUME_EVENTS: bool = PY_VERSION >= (3, 13)


# -- generators and coroutines ---------------------------------------------------------------------------------
# A generator's or coroutine's every resumption is a ``call`` event and every suspension a ``return`` event (on
# both backends). Their current instruction tells them apart from a first call and a real return; where it is
# differs by version. 3.10 reports a frame that hasn't started with f_lasti -1, and an ``await``/``yield from``
# suspended with f_lasti just before its YIELD_FROM (which runs again on resumption). 3.11+ start every frame
# at a RESUME whose oparg's low bits are 0 (1: after yield, 2: after yield from, 3: after await) and suspend
# at a YIELD_VALUE, which 3.13 reports as the RESUME that follows it.

#: Code flags of functions whose frames suspend: generators, coroutines, async generators.
SUSPENDABLE_FLAGS: int = 0x20 | 0x80 | 0x100 | 0x200  # CO_GENERATOR, CO_COROUTINE, CO_ITERABLE_COROUTINE, ...
_YIELD = _opcodes("YIELD_VALUE", "INSTRUMENTED_YIELD_VALUE")
_RESUME = _opcodes("RESUME", "INSTRUMENTED_RESUME")
_YIELD_FROM = _opcodes("YIELD_FROM")  # 3.10
#: Where an awaited coroutine's (or ``yield from``'s, ``async for``'s) StopIteration is raised and caught.
AWAIT_OPCODES: frozenset[int] = _opcodes("YIELD_FROM", "SEND", "END_SEND", "INSTRUMENTED_END_SEND")


#: Where a suspending frame is at its ``return`` event: a yield (3.11, 3.12: an await suspends at one too), and from
#: 3.13 the RESUME after it (its oparg's low bits not 0); for the compiled callbacks (3.12+), which read the opcode.
YIELD_OPCODES: frozenset[int] = _YIELD
RESUME_AFTER_YIELD_OPCODES: frozenset[int] = _RESUME if PY_VERSION >= (3, 13) else frozenset()


def is_resumption(frame: FrameType) -> bool:
    """At a ``call`` event: whether the frame is a generator or coroutine going on after a yield or await."""
    code = frame.f_code
    if not code.co_flags & SUSPENDABLE_FLAGS:
        return False
    offset = frame.f_lasti
    if PY_VERSION < (3, 11):
        return offset >= 0
    raw = code.co_code
    try:
        return not (raw[offset] in _RESUME and raw[offset + 1] & 3 == 0)
    except IndexError:  # no instruction there: nothing says it is a resumption
        return False


def is_suspension(frame: FrameType) -> bool:
    """At a ``return`` event: whether the frame is a generator or coroutine stopping at a yield or await (it will
    be resumed), rather than finishing."""
    code = frame.f_code
    if not code.co_flags & SUSPENDABLE_FLAGS:
        return False
    offset = frame.f_lasti
    raw = code.co_code
    if offset < 0 or offset >= len(raw):
        return False
    if raw[offset] in _YIELD:
        return True
    if PY_VERSION < (3, 11):
        return offset + 2 < len(raw) and raw[offset + 2] in _YIELD_FROM
    return PY_VERSION >= (3, 13) and raw[offset] in _RESUME and raw[offset + 1] & 3 != 0


#: 3.14+: closing a generator suspended at a ``yield`` outside any ``try`` (a ``break`` out of a loop over it, its
#: last reference dropped) skips throwing GeneratorExit into it unless some tool listens to PY_UNWIND. settrace
#: always does (and hunter 3.9 reports the resumption and that GeneratorExit); a monitoring tracer must listen
#: too, or neither happens.
GENERATOR_CLOSE_NEEDS_UNWIND_EVENTS: bool = PY_VERSION >= (3, 14)
