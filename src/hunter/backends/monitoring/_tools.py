"""sys.monitoring tool ids: taking one, giving it back with nothing left on, and re-arming DISABLEd locations."""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable
from typing import Any

from .. import BackendError

__all__ = [
    "TOOL_IDS",
    "TOOL_NAME",
    "claim",
    "is_ours",
    "no_free_id",
    "rearm",
    "register",
    "release",
    "silence",
    "take_free",
]

_monitoring = sys.monitoring
_E = _monitoring.events

#: The tool ids hunter may take. PEP 669 gives 0 to debuggers, 1 to coverage tools, 2 to profilers and
#: 5 to optimizers; 3 and 4 have no conventional owner.
TOOL_IDS = (3, 4)
TOOL_NAME = "hunter"

#: Every event a backend may register a callback for.
ALL_EVENTS = (
    _E.LINE,
    _E.CALL,
    _E.C_RETURN,
    _E.C_RAISE,
    _E.JUMP,
    _E.PY_START,
    _E.PY_RESUME,
    _E.PY_RETURN,
    _E.PY_YIELD,
    _E.PY_THROW,
    _E.PY_UNWIND,
    _E.RAISE,
    _E.STOP_ITERATION,
)

Callbacks = dict[int, Callable[..., Any]]

#: Per tool id: who may have left DISABLEd locations on it since the last ``restart_events()`` (a weak
#: reference to a backend; _FOREIGN before hunter ever used the id; None: nobody). DISABLE outlives
#: ``free_tool_id`` (3.12/3.13 keep it in the code objects), so a backend taking an id that someone else
#: may have used must restart events, or it would never see those locations.
_FOREIGN = object()
_disabled_by: dict[int, Any] = dict.fromkeys(TOOL_IDS, _FOREIGN)


def take_free() -> int | None:
    """Claim one of hunter's tool ids that nobody uses; None when both are taken."""
    for tool in TOOL_IDS:
        if _monitoring.get_tool(tool) is None:
            try:
                _monitoring.use_tool_id(tool, TOOL_NAME)
            except ValueError:  # taken meanwhile by another thread
                continue
            return tool
    return None


def claim(tool: int) -> None:
    """Take ``tool``, which a suspended hunter tracer just gave back."""
    _monitoring.use_tool_id(tool, TOOL_NAME)


def no_free_id() -> BackendError:
    """The error for a tracer that finds both tool ids taken by other tools."""
    users = ", ".join(f"{tool} is used by {_monitoring.get_tool(tool)!r}" for tool in TOOL_IDS)
    return BackendError(f"No sys.monitoring tool id is free for hunter ({users}). Use backend='settrace'.")


def is_ours(tool: int) -> bool:
    """Whether ``tool`` is (still) registered under hunter's name: a neighbour may have freed or taken it."""
    return bool(_monitoring.get_tool(tool) == TOOL_NAME)


def register(tool: int, callbacks: Callbacks) -> None:
    """Register ``callbacks`` (event -> function) on ``tool``."""
    for event, callback in callbacks.items():
        _monitoring.register_callback(tool, event, callback)


def rearm(tool: int, user: object) -> None:
    """``user`` takes ``tool``: if someone else may have DISABLEd locations on it, re-arm them first.

    ``restart_events()`` re-arms every tool's, unavoidably; the others just get their already-disabled
    events once more and disable them again.
    """
    owner = _disabled_by.get(tool)
    if owner is not None and (owner is _FOREIGN or owner() is not user):
        _monitoring.restart_events()
        for key in _disabled_by:
            _disabled_by[key] = None
    _disabled_by[tool] = weakref.ref(user)  # weak: a stopped tracer's actions and state may be big


def silence(tool: int) -> None:
    """No more callbacks for this tool id, at once (local events included), whatever is switched on."""
    if not is_ours(tool):
        return  # not ours any more (see release)
    for event in ALL_EVENTS:
        _monitoring.register_callback(tool, event, None)


def release(tool: int, callbacks: Callbacks, clear_local_events: Callable[[int], None]) -> None:
    """Switch everything off and give ``tool`` back (DISABLEd locations stay: see ``rearm``)."""
    if not is_ours(tool):
        # Someone freed (or even took) our id meanwhile. Its callbacks are kept per id: take ours out,
        # put back anything that isn't ours, and touch nothing else.
        for event, callback in callbacks.items():
            previous = _monitoring.register_callback(tool, event, None)
            if previous is not None and previous is not callback:
                _monitoring.register_callback(tool, event, previous)
        return
    try:
        _monitoring.set_events(tool, 0)
        clear_local_events(tool)
        for event in callbacks:
            _monitoring.register_callback(tool, event, None)
    except ValueError:  # freed meanwhile, by another thread: same as above
        return
    _monitoring.free_tool_id(tool)
