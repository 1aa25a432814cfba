"""The target side's public API: ``install()`` prepares a process for ``hunter-trace -p PID``."""

from __future__ import annotations

import os
import signal as _signal
import socket
import sys

from . import agent

__all__ = [
    "DEFAULT_SIGNAL",
    "ENVIRONMENT_VARIABLE",
    "activate_from_environment",
    "install",
    "parse_signal",
    "uninstall",
]

#: SIGURG is ignored by default (an unprepared process that gets it by mistake is not harmed), is not used
#: by the Python runtime, and is only sent by the kernel for out-of-band socket data, which is rare and
#: harmless here (a stray signal makes the target look for a session socket, find none and do nothing).
DEFAULT_SIGNAL: int = getattr(_signal, "SIGURG", 0)
#: Set to 1 (or a signal name/number) to call install() at interpreter start-up (through the .pth hook).
ENVIRONMENT_VARIABLE = "PYTHONHUNTER_REMOTE"


def parse_signal(value: int | str) -> int:
    """The signal number for a name (``"SIGUSR2"``, ``"usr2"``) or number; ValueError when it can't be caught."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip().upper()
        if text.isdigit():
            number = int(text)
        else:
            name = text if text.startswith("SIG") else f"SIG{text}"
            found = getattr(_signal, name, None)
            if not isinstance(found, int) or name.startswith("SIG_"):
                raise ValueError(f"unknown signal {value!r}")
            number = found
    valid = getattr(_signal, "valid_signals", lambda: range(1, 65))()
    if number not in valid:
        raise ValueError(f"unknown signal {value!r}")
    if number in (getattr(_signal, "SIGKILL", -1), getattr(_signal, "SIGSTOP", -1)):
        raise ValueError(f"signal {value!r} cannot be caught")
    if number in _unusable_signals():
        raise ValueError(
            f"signal {value!r} is never hunter's: its handler (faulthandler, a crash reporter, Python's "
            "KeyboardInterrupt) acts on it; use SIGURG, SIGUSR1, SIGUSR2 or a real-time signal"
        )
    return int(number)


def _unusable_signals() -> set[int]:
    """Signals whose handler in a process is somebody else's by convention: sending one could end the process.

    The kernel sends the fault signals when code crashes; faulthandler and crash reporters catch them and end
    the process. Python itself handles SIGINT (KeyboardInterrupt). /proc shows only that a signal is caught,
    not by whom, so hunter-trace can't tell hunter's handler from theirs: neither install() nor -s takes them.
    """
    names = ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGTRAP", "SIGSYS", "SIGABRT", "SIGINT")
    return {getattr(_signal, name) for name in names if hasattr(_signal, name)}


def install(signal: int | str = DEFAULT_SIGNAL) -> None:
    """Let ``hunter-trace -p PID`` attach to this process: handle ``signal`` (main thread only)."""
    if not hasattr(socket, "AF_UNIX"):
        raise RuntimeError("hunter.remote needs Unix sockets, which this platform lacks")
    agent.install_handler(parse_signal(signal))


def uninstall() -> None:
    """Undo install(): restore the previous signal handler and end an attached session (main thread only)."""
    agent.uninstall_handler()


_activated = False


def activate_from_environment() -> None:
    """Call install() when PYTHONHUNTER_REMOTE asks for it (from the .pth hook); never raises."""
    global _activated
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if value.lower() in ("", "0", "no", "false", "off") or _activated:
        return
    # Once per process: the .pth hook already ran it at start-up (and site.py may read a .pth twice).
    _activated = True
    try:
        install() if value.lower() in ("1", "yes", "true", "on") else install(value)
    except Exception as exc:  # the program must start anyway
        sys.stderr.write(f"Failed to install hunter-trace support from {ENVIRONMENT_VARIABLE}={value!r}: {exc}\n")
