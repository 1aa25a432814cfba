"""What hunter-trace shows of the target, made harmless for a terminal: control characters become visible text."""

from __future__ import annotations

import re

__all__ = ["clean_line", "clean_output"]

# Everything a terminal may act on: the C0 controls (ESC starts cursor moves, title and clipboard writes,
# queries whose answers land in the terminal's input), DEL, and the C1 controls (U+0080-U+009F, e.g. the
# 8-bit CSI that some terminals obey). Tab and newline are kept in trace output, not in status lines.
_OUTPUT_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
# With colours on, the one kind of escape sequence let through: SGR (ESC [ numbers m), which only sets colours
# and text attributes. hunter's printers use nothing else.
_SGR_OR_CONTROL = re.compile("\x1b\\[[0-9;]{0,32}m|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Status fields that the target reports (versions, backend names) are cut to this many characters.
FIELD_LIMIT = 100


def _visible(match: re.Match[str]) -> str:
    text = match.group()
    if text.startswith("\x1b["):
        return text  # an SGR colour sequence, matched only when colours are on
    return f"\\x{ord(text):02x}"


def clean_output(text: str, colors: bool) -> str:
    """Trace output as it may reach the terminal: SGR colours only when ``colors``, other controls as ``\\xNN``."""
    return (_SGR_OR_CONTROL if colors else _OUTPUT_CONTROLS).sub(_visible, text)


def clean_line(text: str, limit: int | None = None) -> str:
    """One line of status text: every control character (newlines too) as ``\\xNN``, cut to ``limit`` characters."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return _LINE_CONTROLS.sub(_visible, text)
