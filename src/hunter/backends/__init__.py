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
        """What comes back on stop: the previous trace function (settrace), the suspended Tracer (monitoring)."""


class BackendError(ValueError):
    """The requested backend does not exist or cannot run here."""


def choose(requested: str | None, profiling_mode: bool) -> tuple[str, str]:
    """Pick a backend name and say why: explicit choice, or the best one this interpreter has."""
    if requested is not None:
        if requested not in BACKENDS:
            raise BackendError(f"Unknown backend {requested!r}: choose one of {', '.join(BACKENDS)}.")
        if requested == "monitoring":
            problem = _monitoring_problem()
            if problem:
                raise BackendError(f"The 'monitoring' backend can't be used: {problem}. Use backend='settrace'.")
        return requested, "requested"
    if _monitoring_available():
        return "monitoring", "default on Python 3.12+ (sys.monitoring)"
    return "settrace", "sys.monitoring is not available before Python 3.12"


def _monitoring_problem() -> str | None:
    """Why the monitoring backend can't run here, or None when it can."""
    if not HAS_MONITORING:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return f"it needs sys.monitoring (Python 3.12+) and this is Python {version}"
    try:
        from . import monitoring  # noqa: F401
    except ImportError as exc:
        return f"it failed to load ({exc})"
    return None


def _monitoring_available() -> bool:
    return _monitoring_problem() is None


def load(name: str) -> type[Backend]:
    """The backend class for a name returned by :func:`choose`."""
    if name == "monitoring":
        from .monitoring import MonitoringBackend

        return MonitoringBackend  # type: ignore[return-value]
    from .settrace import SettraceBackend

    return SettraceBackend  # type: ignore[return-value]
