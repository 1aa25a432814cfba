"""hunter: a flexible code-tracing toolkit. Pick events with a query, act on them with actions."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable, Collection
from typing import Any

from ._setup import _noise, _options
from ._output import _tracebacks
from . import config as _config
from ._setup._options import load_config, trace
from ._version import __version__ as __version__
from .actions import (
    Action,
    CallPrinter,
    CodePrinter,
    ColorStreamAction,
    Debugger,
    ErrorSnooper,
    Manhole,
    StackPrinter,
    Stop,
    VarsPrinter,
    VarsSnooper,
)
from .config import stop
from .event import Event
from .predicates import Backlog as _Backlog
from .predicates import From as _From
from .predicates import Q, Query, When, make_and, make_not, make_or
from .tracer import Tracer

__all__ = [
    "Action",
    "And",
    "Backlog",
    "CallPrinter",
    "ChromeTrace",
    "CodePrinter",
    "ColorStreamAction",
    "Debugger",
    "ErrorSnooper",
    "Event",
    "From",
    "JSONLines",
    "Manhole",
    "Not",
    "Or",
    "Q",
    "Query",
    "StackPrinter",
    "Stop",
    "Tracer",
    "VarsPrinter",
    "VarsSnooper",
    "When",
    "load_config",
    "stop",
    "trace",
    "wrap",
]

_apply_config = _config.apply_config
_prepare_predicate = _options.prepare_predicate
#: Set once PYTHONHUNTER was acted on: site.py may read a .pth twice (a venv's site-packages listed twice).
_activated = False


def _state_view(name: str) -> Any:
    """A property of the ``hunter`` module that reads and writes ``hunter.config.<name>``."""
    return property(lambda module: getattr(_config, name), lambda module, value: setattr(_config, name, value))


class _HunterModule(types.ModuleType):
    """The ``hunter`` module, whose state attributes (as hunter 3.9 has them) are views of ``hunter.config``.

    So the rest of the package reads ``config.default_stream`` instead of importing ``hunter`` back, and
    ``hunter._default_stream = stream`` (what extensions and test suites do) still reaches every action.
    """

    _default_stream = _state_view("default_stream")
    _default_config = _state_view("default_config")
    _default_trace_args = _state_view("default_trace_args")
    _last_tracer = _state_view("last_tracer")


sys.modules[__name__].__class__ = _HunterModule

#: Public names that load on first use only (they import modules most runs never need).
_LAZY_NAMES = ("ChromeTrace", "JSONLines")


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        from . import exporters

        return getattr(exporters, name)
    raise AttributeError(f"module 'hunter' has no attribute {name!r}")


def _public_namespace(mentioned: Collection[str]) -> dict[str, Any]:
    """The names a PYTHONHUNTER-style value may use: hunter's public API (lazy parts only when mentioned)."""
    names = [name for name in __all__ if name not in _LAZY_NAMES or name in mentioned]
    return {name: globals()[name] if name in globals() else __getattr__(name) for name in names}


_config.public_namespace = _public_namespace


def dump() -> list[str]:
    """Write the events the flight recorders of this process keep (``record_last=N``) to their files now."""
    from .record import dump

    return dump()


def And(*predicates: Callable[[Event], Any], **query: Any) -> Callable[[Event], Any]:
    """All of the predicates (each keyword its own Query); nested Ands flatten, one argument comes back as is."""
    return make_and(*predicates, **query)


def Or(*predicates: Callable[[Event], Any], **query: Any) -> Callable[[Event], Any]:
    """Any of the predicates (each keyword its own Query); nested Ors flatten, one argument comes back as is."""
    return make_or(*predicates, **query)


def Not(*predicates: Callable[[Event], Any], **query: Any) -> Callable[[Event], Any]:
    """The negation of the predicate (several are ANDed first: ``Not(And(...))``)."""
    return make_not(*predicates, **query)


def From(
    condition: Callable[[Event], Any] | None = None,
    predicate: Callable[[Event], Any] | None = None,
    watermark: int = 0,
    **query: Any,
) -> _From:
    """Pass nothing until ``condition`` matches, then the events at or below that call (through ``predicate``).

    Keywords starting with ``depth`` or ``calls`` (relative to the starting call) go into ``predicate``, the rest
    into ``condition``. Given neither, both are queries of the keywords (``From()`` passes everything, as in 3.9).
    """
    relative = {key: value for key, value in query.items() if key.startswith(("depth", "calls"))}
    absolute = {key: value for key, value in query.items() if key not in relative}
    if condition is None and predicate is None:
        return _From(Q(**absolute), Q(**relative), watermark)
    if absolute:
        condition = Q(condition, **absolute) if condition is not None else Q(**absolute)
    if relative:
        predicate = Q(predicate, **relative) if predicate is not None else Q(**relative)
    return _From(condition, predicate, watermark)  # type: ignore[arg-type]  # None is reported when tracing starts


def Backlog(
    *conditions: Callable[[Event], Any],
    size: int = 100,
    stack: int = 10,
    vars: bool = False,
    strip: bool = True,
    action: Any = CallPrinter,
    filter: Callable[[Event], Any] | None = None,
    **query: Any,
) -> _Backlog:
    """Keep the last ``size`` events and replay them through ``action`` when the condition matches."""
    if not conditions and not query:
        raise TypeError(
            "Backlog needs at least 1 condition (it doesn't have any effect without one besides making everything "
            "incredibly slow)."
        )
    condition = Q(*conditions, **query)
    return _Backlog(condition, size=size, stack=stack, vars=vars, strip=strip, action=action, filter=filter)


def wrap(function_to_trace: Callable[..., Any] | None = None, local: bool = False, **trace_options: Any) -> Any:
    """Decorator: trace inside calls of the function only (``local=True``: its frame and one level below)."""
    from ._setup._wrap import make_wrapper

    if function_to_trace is None:
        return lambda func: make_wrapper(func, local, trace_options)
    return make_wrapper(function_to_trace, local, trace_options)


def _embed_via_environment() -> None:
    """Start tracing as PYTHONHUNTER says (the .pth hook calls this); a bad value prints one line, never raises."""
    global _activated
    value = os.environ.get("PYTHONHUNTER", "")
    if not value.strip() or _activated:
        return
    _activated = True
    if _noise.is_timeline_helper():
        return  # multiprocessing's resource tracker in a timeline run: see _noise
    try:
        args, kwargs = _config.parse_trace_arguments(value)
        trace(*args, **kwargs)
        # Ctrl-C mostly lands in the tracer's code: the program's traceback must not end in it.
        _tracebacks.install_excepthook()
    except Exception as exc:  # the program must run on, untraced
        message = str(exc) if isinstance(exc, _config.ConfigError) else f"{type(exc).__name__}: {exc}"
        _config.say(f"Failed to load hunter from PYTHONHUNTER environ variable {value!r}: {message}\n")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext hunter`` in IPython/Jupyter: the ``%%hunter`` and ``%hunter_on``/``%hunter_off`` magics."""
    from .ipython import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext hunter``: stop what ``%hunter_on`` started."""
    from .ipython import unload_ipython_extension as unload

    unload(ipython)


load_config()
