"""Defaults that PYTHONHUNTERCONFIG / load_config() set for actions and trace(); filled in by hunter.config."""

from __future__ import annotations

from typing import Any

#: Printer options (stream, force_colors, repr_limit, ...) used by actions created after they were set.
printer_options: dict[str, Any] = {}
#: Debugger options (klass).
debugger_options: dict[str, Any] = {}
