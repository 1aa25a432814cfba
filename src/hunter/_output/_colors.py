"""ANSI colour tags for the printers (the names and codes of hunter 3.9), and whether a stream gets colours."""

from __future__ import annotations

import os
from typing import Any

_CSI = "\x1b["

#: Style codes, by the names format templates use (``{BRIGHT}``, ``{RESET_ALL}``...).
STYLES = {"BRIGHT": f"{_CSI}1m", "DIM": f"{_CSI}2m", "NORMAL": f"{_CSI}22m", "RESET_ALL": f"{_CSI}0m"}
_BASE_COLORS = ("BLACK", "RED", "GREEN", "YELLOW", "BLUE", "MAGENTA", "CYAN", "WHITE")


def _palette(normal: int, light: int, reset: int) -> dict[str, str]:
    codes = {name: f"{_CSI}{normal + index}m" for index, name in enumerate(_BASE_COLORS)}
    codes.update({f"LIGHT{name}_EX": f"{_CSI}{light + index}m" for index, name in enumerate(_BASE_COLORS)})
    codes["RESET"] = f"{_CSI}{reset}m"
    return codes


#: Foreground and background codes: ``{fore(RED)}``, ``{back(LIGHTBLUE_EX)}``, ``{fore(RESET)}``...
FORE = _palette(30, 90, 39)
BACK = _palette(40, 100, 49)
BRIGHT, NORMAL, RESET = STYLES["BRIGHT"], STYLES["NORMAL"], STYLES["RESET_ALL"]


def _all_tags() -> dict[str, str]:
    tags = dict(STYLES)
    tags.update({f"fore({name})": code for name, code in FORE.items()})
    tags.update({f"back({name})": code for name, code in BACK.items()})
    # The parts of a printed line, by the names the printers' templates (and custom ``output()`` calls) use.
    tags.update(
        {
            "COLON": BRIGHT + FORE["BLACK"],
            "LINENO": RESET,
            "KIND": FORE["CYAN"],
            "CONT": BRIGHT + FORE["BLACK"],
            "VARS": BRIGHT + FORE["MAGENTA"],
            "VARS-NAME": NORMAL + FORE["MAGENTA"],
            "INTERNAL-FAILURE": BRIGHT + BACK["RED"] + FORE["RED"],
            "INTERNAL-DETAIL": FORE["WHITE"],
            "SOURCE-FAILURE": BRIGHT + BACK["YELLOW"] + FORE["YELLOW"],
            "SOURCE-DETAIL": FORE["WHITE"],
            "BUILTIN": NORMAL + FORE["MAGENTA"],
            "RESET": RESET,
            # Not in hunter 3.9: CodePrinter's and CallPrinter's elapsed=True column.
            "TIME": BRIGHT + FORE["BLACK"],
        }
    )
    return tags


COLOR_TAGS: dict[str, str] = _all_tags()
NO_COLOR_TAGS: dict[str, str] = dict.fromkeys(COLOR_TAGS, "")

#: The colour of an event's text, per kind: CallPrinter's call tree, and the source code of the other printers.
CALL_COLORS = {
    "call": BRIGHT + FORE["BLUE"],
    "line": FORE["RESET"],
    "return": BRIGHT + FORE["GREEN"],
    "exception": BRIGHT + FORE["RED"],
}
CODE_COLORS = {
    "call": FORE["RESET"] + BRIGHT,
    "line": FORE["RESET"],
    "return": FORE["YELLOW"],
    "exception": FORE["RED"],
}


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
    except Exception:  # closed or exotic streams just get no colours
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
