"""CallPrinter's compact style (``style="compact"``, ``hunter --compact``): short, readable lines.

hunter 3.9's format stays the default. The compact one shows, per event, ``where`` (the file relative to the
working directory, or to the ``sys.path`` entry it was imported from, and the line) and then the call tree:

    bank.py:30   => transfer(source=<bank.Account object at 0x...>, target=<...>, amount=30)
    bank.py:23      => Account.withdraw(amount=30)
    bank.py:25            raise InsufficientFunds(f"{self.owner} has only {self.balance}")
    bank.py:25       ! InsufficientFunds: bob has only 30
    bank.py:25      <= Account.withdraw: raised InsufficientFunds

Functions are named by their qualified name (a method's class says whose ``self`` it is, so ``self`` itself is
left out of the arguments); an exception is its type and message; a call left by an exception says so instead
of returning ``None``. The call tree (indentation, open calls) is CallPrinter's own.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from . import _tasks
from .._engine._recording import ended_by_exception
from .._engine._source import parameters
from ..util import MISSING

if TYPE_CHECKING:
    from ..actions import CallPrinter
    from ..event import Event

__all__ = ["STYLES", "check_style", "render"]

#: The styles CallPrinter takes: hunter 3.9's (the default) and the compact one.
STYLES = ("hunter", "compact")
#: The ``where`` column grows to the longest seen so far, up to this width (longer ones push the tree right).
_WHERE_WIDTH = 40


def check_style(style: object) -> str:
    """``style`` when it is one of STYLES, else a ValueError naming them."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, not {style!r}")
    return str(style)


class _State:
    """What a printer keeps for the compact style: its working directory, the names of files, the column width,
    and the exception last seen in each open frame (to say what ended a call)."""

    def __init__(self) -> None:
        self.cwd = os.getcwd() + os.sep
        self.places: dict[str, str] = {}
        self.width = 12
        self.raised: dict[int, str] = {}


def _state(printer: CallPrinter) -> _State:
    state: _State | None = printer.__dict__.get("_compact_state")
    if state is None:
        state = printer.__dict__["_compact_state"] = _State()
    return state


def render(printer: CallPrinter, event: Event) -> str:
    """The compact line of one event (uses and updates the printer's call tree)."""
    state = _state(printer)
    stack = printer._stack_for(event)
    if stack and not printer._top_is_current(event, stack[-1]):
        printer._cap(event, stack)
    tags = printer.tags
    kind = event.kind
    color = printer.event_colors[kind]
    head = f"{printer.pid_prefix()}{printer.thread_prefix(event)}{_where(state, event, tags)}"
    if event.builtin:
        marker = {"call": "=>", "return": "<=", "exception": " !"}.get(kind, "  ")
        name = f"{event.module}.{event.function}"
        return f"{head}{'   ' * len(stack)}{color}{marker}{tags['BUILTIN']} {name}{tags['RESET']}\n"
    if kind == "line":
        return f"{head}{tags['RESET']}{'   ' * len(stack)}{printer.try_source(event).strip()}{tags['RESET']}\n"
    name = qualified_name(event)
    if kind == "call":
        printer._open_call(event, stack)
        indent = "   " * (len(stack) - 1)
        if printer.asyncio and event.frame is not None and _tasks.is_resumption(event.frame):
            return f"{head}{indent}{color}~>{tags['NORMAL']} {name}{tags['RESET']}\n"
        arguments = _arguments(printer, event, skip_self=name != event.function)
        return f"{head}{indent}{color}=>{tags['NORMAL']} {name}({arguments}{color}{tags['NORMAL']}){tags['RESET']}\n"
    indent = "   " * max(len(stack) - 1, 0)
    if kind == "exception":
        text = exception_text(printer, event.arg)
        if event.frame is not None:
            if len(state.raised) > 10_000:  # bounded: suspended generators' frames may never return
                state.raised.clear()
            state.raised[id(event.frame)] = _type_name(event.arg)
        return f"{head}{indent}{color} !{tags['NORMAL']} {text}{tags['RESET']}\n"
    # A return.
    raised = state.raised.pop(id(event.frame), None) if event.frame is not None else None
    if event.frame is not None and event.arg is None and ended_by_exception(event.frame):
        value = f"raised {raised}" if raised else "raised an exception"
        marker = "<="
    else:
        value = printer._value_repr(event, event.arg)
        suspended = printer.asyncio and event.frame is not None and _tasks.is_suspension(event.frame)
        marker = "<~" if suspended else "<="
    if stack and stack[-1][:2] == (event.module, event.function):
        stack.pop()
    return f"{head}{indent}{color}{marker}{tags['NORMAL']} {name}: {tags['RESET']}{value}\n"


def _where(state: _State, event: Event, tags: dict[str, str]) -> str:
    """The ``file:line`` column, padded to the width the column has grown to."""
    place = state.places.get(event.filename)
    if place is None:
        if len(state.places) > 10_000:  # bounded: a program may exec code under many names
            state.places.clear()
        place = state.places[event.filename] = short_path(event.filename, state.cwd)
    where = f"{place}:{event.lineno}"
    state.width = min(max(state.width, len(where) + 1), _WHERE_WIDTH)
    return f"{tags['LINENO']}{where:<{state.width}}{tags['RESET']} "


def short_path(filename: str, cwd: str) -> str:
    """``filename`` relative to ``cwd``, else to the ``sys.path`` entry it is under (``json/decoder.py``)."""
    if filename.startswith(cwd):
        return filename[len(cwd) :]
    best = ""
    for entry in sys.path:
        if isinstance(entry, str) and entry:
            folder = os.path.join(os.path.abspath(entry), "")
            if filename.startswith(folder) and len(folder) > len(best):
                best = folder
    return filename[len(best) :] if best else filename


def qualified_name(event: Event) -> str:
    """``Account.withdraw`` for a method; nested functions without the ``<locals>`` parts."""
    code = event.code
    qualname = getattr(code, "co_qualname", None)  # 3.11+
    if qualname is None:
        function = event.function_object if event.frame is not None else None
        qualname = function.__qualname__ if function is not None else event.function
    return str(qualname).replace(".<locals>", "")


def _arguments(printer: CallPrinter, event: Event, skip_self: bool) -> str:
    """The call's arguments as ``name=value``; a method's ``self``/``cls`` is left out (the name says whose)."""
    tags = printer.tags
    values = event.locals
    parts = []
    for index, (star, name) in enumerate(parameters(event.code)):
        if skip_self and index == 0 and not star and name in ("self", "cls"):
            continue
        value = printer._value_repr(event, values.get(name, MISSING))
        parts.append(f"{tags['VARS']}{star}{tags['VARS-NAME']}{name}{tags['VARS']}={tags['RESET']}{value}")
    return ", ".join(parts)


def _type_name(arg: Any) -> str:
    """The name of the exception class of an exception event's ``(type, value, traceback)``."""
    kind = arg[0] if isinstance(arg, tuple) and arg else type(arg)
    # Read through type's own descriptor: a metaclass of the program's can't run.
    return str(type.__dict__["__name__"].__get__(kind)) if issubclass(type(kind), type) else "?"


def exception_text(printer: CallPrinter, arg: Any) -> str:
    """``InsufficientFunds: bob has only 30``: the type's name and the message, without calling the program's code.

    The message is the exception's one text argument (what ``str()`` shows for exceptions that don't define
    ``__str__``); anything else is shown through the printer's repr.
    """
    value = arg[1] if isinstance(arg, tuple) and len(arg) > 1 else arg
    name = _type_name(arg)
    if not isinstance(value, BaseException):
        return name if value is None else f"{name}: {printer.try_repr(value)}"
    args = BaseException.__dict__["args"].__get__(value)
    if not args:
        return name
    if len(args) == 1 and type(args[0]) is str:
        if isinstance(value, KeyError):  # (its str() is the key's repr)
            return f"{name}: {printer._limited(repr(args[0]))}"
        return f"{name}: {printer._limited(args[0])}" if args[0] else name
    return f"{name}: {printer.try_repr(args[0] if len(args) == 1 else args)}"
