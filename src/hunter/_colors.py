"""ANSI colour tags for the printers, and the decision whether a stream gets colours."""

from __future__ import annotations

import os
from typing import Any

RESET = "\x1b[0m"
BRIGHT = "\x1b[1m"
DIM = "\x1b[2m"
NORMAL = "\x1b[22m"

_COLOR_CODES = {
    "BLACK": 0,
    "RED": 1,
    "GREEN": 2,
    "YELLOW": 3,
    "BLUE": 4,
    "MAGENTA": 5,
    "CYAN": 6,
    "WHITE": 7,
    "RESET": 9,
}


def fore(name: str) -> str:
    """Foreground colour escape for a colour name."""
    return f"\x1b[3{_COLOR_CODES[name]}m"


def back(name: str) -> str:
    """Background colour escape for a colour name."""
    return f"\x1b[4{_COLOR_CODES[name]}m"


def _all_tags() -> dict[str, str]:
    tags = {"RESET": RESET, "BRIGHT": BRIGHT, "DIM": DIM, "NORMAL": NORMAL}
    for name in _COLOR_CODES:
        tags[f"fore({name})"] = fore(name)
        tags[f"back({name})"] = back(name)
    for name, value in (("BRIGHT", BRIGHT), ("DIM", DIM), ("NORMAL", NORMAL), ("RESET_ALL", RESET)):
        tags[f"style({name})"] = value
    # Semantic names used by the built-in printers (and usable in custom ``output()`` templates).
    tags.update(
        {
            "COLON": BRIGHT + fore("BLACK"),
            "LINENO": RESET,
            "KIND": fore("CYAN"),
            "CONT": BRIGHT + fore("BLACK"),
            "VARS": BRIGHT + fore("MAGENTA"),
            "VARS-NAME": NORMAL + fore("MAGENTA"),
            "SOURCE": "",
            "THREAD": fore("YELLOW"),
            "PID": BRIGHT + fore("BLUE"),
            "CALL": BRIGHT + fore("BLUE"),
            "RETURN": BRIGHT + fore("GREEN"),
            "EXCEPTION": BRIGHT + fore("RED"),
            "FAILED": BRIGHT + fore("RED"),
            "TIME": BRIGHT + fore("BLACK"),
        }
    )
    return tags


COLOR_TAGS: dict[str, str] = _all_tags()
NO_COLOR_TAGS: dict[str, str] = dict.fromkeys(COLOR_TAGS, "")


def environment_choice() -> bool | None:
    """What the environment says about colours: False, True, or None when it leaves it to the stream.

    The rules are those of pytest, rich and CPython's own tracebacks (so that one setting means the same to
    every Python tool run together): ``NO_COLOR`` set to anything but the empty string turns colours off
    (no-color.org) and wins over ``FORCE_COLOR``; ``FORCE_COLOR`` set to anything but the empty string, ``0``
    included, turns them on (force-color.org); ``TERM=dumb`` turns off what a terminal would have got.
    """
    environ = os.environ
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    return None


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (closed or exotic streams are not)."""
    try:
        return bool(stream.isatty())
    except Exception:  # noqa: BLE001 - closed or exotic streams just get no colours
        return False


def wants_colors(stream: Any, force_colors: bool) -> bool:
    """Whether to colour what goes to ``stream``: when forced by the caller, else as the environment says, else
    when the stream is a terminal (a stream may say it is one when it shows colours, e.g. a notebook's output)."""
    if force_colors:
        return True  # an explicit option wins over the environment, as no-color.org asks
    choice = environment_choice()
    if choice is not None:
        return choice
    return is_terminal(stream)
