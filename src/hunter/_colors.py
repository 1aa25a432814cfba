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
        }
    )
    return tags


COLOR_TAGS: dict[str, str] = _all_tags()
NO_COLOR_TAGS: dict[str, str] = dict.fromkeys(COLOR_TAGS, "")


def wants_colors(stream: Any, force_colors: bool) -> bool:
    """Colours when forced, or when FORCE_COLOR says so, or on a terminal unless NO_COLOR is set."""
    if force_colors:
        return True
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())
    except Exception:  # noqa: BLE001 - closed or exotic streams just get no colours
        return False
