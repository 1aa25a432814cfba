"""The package version (its own module, as in hunter 3.9, so that any module can read it without importing hunter)."""

from __future__ import annotations

__version__ = version = "0.1.0"
