"""Attaching to a running process: ``install()`` prepares a process, ``hunter-trace -p PID`` traces it from outside.

The modules, by job: ``api`` (install() and friends, re-exported here), ``cli`` (the hunter-trace command),
``options`` (the command's check of the options: parsed, never run), ``agent`` (what runs inside the traced
process), ``channel`` (the private Unix-socket channel between the two), ``peers`` (who may attach: ptrace's
rule), ``terminal`` (what is shown of the target) and ``inject`` (getting the agent into a process that did
not call install()). See docs/remote.md.
"""

from __future__ import annotations

from typing import Any

from .api import DEFAULT_SIGNAL, ENVIRONMENT_VARIABLE, activate_from_environment, install, uninstall

__all__ = ["DEFAULT_SIGNAL", "ENVIRONMENT_VARIABLE", "activate_from_environment", "install", "main", "uninstall"]


def __getattr__(name: str) -> Any:
    # The command is loaded on demand: a process that only calls install() (or the .pth hook at start-up)
    # never imports argparse and the CLI.
    if name == "main":
        from .cli import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
