"""Byte counts in the units people write and read: ``--max-size 200MB``, ``--last-size 10MB``, ``1.2 MB written``."""

from __future__ import annotations

import re

__all__ = ["parse_size", "size_text"]

#: Decimal units, as size_text prints them (and as disks and downloads are counted).
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3}


def parse_size(text: str | int) -> int:
    """``200MB``, ``1.5g``, ``500k``, ``4096`` (or an int) as a number of bytes, at least 1; ValueError otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        size = text
    else:
        match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([a-zA-Z]*)\s*", str(text))
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _UNITS:
            raise ValueError(f"not a size: {text!r} (a number of bytes, or with a unit: 500KB, 10MB, 1GB)")
        size = int(float(match.group(1)) * _UNITS[unit])
    if size < 1:
        raise ValueError(f"not a size: {text!r} (at least 1 byte)")
    return size


def size_text(size: int) -> str:
    """A byte count for people: ``532 bytes``, ``1.2 MB``."""
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} bytes"  # pragma: no cover - the loop always returns
