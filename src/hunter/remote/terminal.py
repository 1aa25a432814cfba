"""What hunter-trace shows of the target, made harmless for a terminal: control characters become visible text."""

from __future__ import annotations

import codecs
import re

__all__ = ["SGR_RESET", "clean_line", "clean_output", "encode", "encoding_of"]

# Everything a terminal may act on: the C0 controls (ESC starts cursor moves, title and clipboard writes,
# queries whose answers land in the terminal's input), DEL, and the C1 controls (U+0080-U+009F, e.g. the
# 8-bit CSI that some terminals obey). Tab and newline are kept in trace output, not in status lines.
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]
# str.translate tables: one pass in C, whatever the text (a regular expression calling back into Python for
# each of 16 Mi control characters took half a minute).
_LINE_TABLE = {code: f"\\x{code:02x}" for code in _CONTROLS}
_OUTPUT_TABLE = {code: text for code, text in _LINE_TABLE.items() if code not in (0x09, 0x0A)}
# With colours on, the one kind of escape sequence let through: SGR (ESC [ numbers m), which only sets colours
# and text attributes. hunter's printers use nothing else.
_SGR = re.compile("(\x1b\\[[0-9;]{0,32}m)")
#: Ends whatever SGR attributes are in effect (written when the session ends, if any were let through).
SGR_RESET = "\x1b[0m"
#: Status fields that the target reports (versions, backend names) are cut to this many characters.
FIELD_LIMIT = 100


def clean_output(text: str, colors: bool) -> str:
    """Trace output as it may reach the terminal: SGR colours only when ``colors``, other controls as ``\\xNN``."""
    if not colors or "\x1b" not in text:
        return text.translate(_OUTPUT_TABLE)
    # split() with a group: the SGR sequences are at the odd positions, kept as they are.
    parts = _SGR.split(text)
    parts[::2] = [part.translate(_OUTPUT_TABLE) for part in parts[::2]]
    return "".join(parts)


def clean_line(text: str, limit: int | None = None) -> str:
    """One line of status text: every control character (newlines too) as ``\\xNN``, cut to ``limit`` characters."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text.translate(_LINE_TABLE)


def encoding_of(stream: object) -> str:
    """The codec name of a text stream's encoding (UTF-8 when it has none or an unknown one)."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "utf-8").name
    except LookupError:
        return "utf-8"


def encode(text: str, encoding: str) -> bytes:
    """``text`` as bytes for a terminal using ``encoding`` (a codec name): what it can't show becomes ``\\uXXXX``.

    In anything but UTF-8, a character whose bytes include 0x80-0x9F is escaped too: a terminal in an 8-bit
    mode takes such a byte for a C1 control (0x9B is CSI), whatever character the encoding meant by it.
    """
    if encoding == "utf-8":
        return text.encode("utf-8", "backslashreplace")
    risky = {char for char in set(text) if char >= "\x80" and _has_c1_byte(char, encoding)}
    if risky:
        text = text.translate({ord(char): char.encode("ascii", "backslashreplace").decode() for char in risky})
    return text.encode(encoding, "backslashreplace")


def _has_c1_byte(char: str, encoding: str) -> bool:
    return any(0x80 <= byte <= 0x9F for byte in char.encode(encoding, "backslashreplace"))
