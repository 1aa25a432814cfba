"""Tracer backends: adapters from an interpreter hook to hunter events, chosen once per tracer.

A backend gets the Tracer (for the predicate, options and counters) and exposes ``start()``/``stop()``.
Predicates and actions never know which backend delivered an event.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Protocol

from .._compat import HAS_MONITORING

if TYPE_CHECKING:
    from ..tracer import Tracer

BACKENDS = ("settrace", "monitoring")


class Backend(Protocol):
    """What the Tracer needs from a backend."""

    name: str

    def __init__(self, tracer: Tracer) -> None: ...

    def start(self) -> None:
        """Install the interpreter hooks and start delivering events to ``tracer._handler``."""

    def stop(self) -> None:
        """Remove the hooks and restore whatever was installed before."""

    @property
    def previous(self) -> object:
        """The trace/profile function that was installed before (None for monitoring)."""


class BackendError(ValueError):
    """The requested backend does not exist or cannot run here."""


def choose(requested: str | None, profiling_mode: bool) -> tuple[str, str]:
    """Pick a backend name and say why: explicit choice, or the best one this interpreter has."""
    if requested is not None:
        if requested not in BACKENDS:
            raise BackendError(f"Unknown backend {requested!r}: choose one of {', '.join(BACKENDS)}.")
        if requested == "monitoring" and not _monitoring_available():
            raise BackendError(
                f"The 'monitoring' backend needs sys.monitoring (Python 3.12+); this is Python "
                f"{sys.version_info.major}.{sys.version_info.minor}. Use backend='settrace'."
            )
        return requested, "requested"
    if _monitoring_available():
        return "monitoring", "default on Python 3.12+ (sys.monitoring)"
    return "settrace", "sys.monitoring is not available before Python 3.12"


def _monitoring_available() -> bool:
    if not HAS_MONITORING:
        return False
    try:
        from . import monitoring  # noqa: F401
    except ImportError:
        return False
    return True


def load(name: str) -> type[Backend]:
    """The backend class for a name returned by :func:`choose`."""
    if name == "monitoring":
        from .monitoring import MonitoringBackend

        return MonitoringBackend  # type: ignore[return-value]
    from .settrace import SettraceBackend

    return SettraceBackend  # type: ignore[return-value]
