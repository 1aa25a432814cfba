"""hunter: a flexible code-tracing toolkit. Pick events with a query, act on them with actions."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

from . import config as _config
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
from .event import Event
from .predicates import Backlog as _Backlog
from .predicates import From as _From
from .predicates import Q, Query, When, make_and, make_not, make_or
from .tracer import Tracer

__version__ = "0.1.0"

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

#: Where actions write when given no stream.
_default_stream: Any = sys.stderr
#: The tracer last started by trace(), for stop().
_last_tracer: Tracer | None = None

_default_config = _config.default_config
_apply_config = _config.apply_config


def __getattr__(name: str) -> Any:
    if name == "_default_trace_args":
        return _config.default_trace_args
    if name in ("ChromeTrace", "JSONLines"):
        # Exporters load on first use: most runs never need them.
        from . import exporters

        return getattr(exporters, name)
    raise AttributeError(f"module 'hunter' has no attribute {name!r}")


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
    into ``condition``.
    """
    relative = {key: value for key, value in query.items() if key.startswith(("depth", "calls"))}
    absolute = {key: value for key, value in query.items() if key not in relative}
    if absolute:
        condition = Q(condition, **absolute) if condition is not None else Q(**absolute)
    if relative:
        predicate = Q(predicate, **relative) if predicate is not None else Q(**relative)
    if condition is None:
        raise TypeError("From() needs a condition: a predicate or query keywords.")
    return _From(condition, predicate, watermark)


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
    condition = Q(*conditions, **query)
    return _Backlog(condition, size=size, stack=stack, vars=vars, strip=strip, action=action, filter=filter)


def _prepare_filter(*predicates: Callable[[Event], Any], **query: Any) -> Callable[[Event], Any]:
    return Q(*predicates, **query)


def _prepare_predicate(*predicates: Callable[[Event], Any], **options: Any) -> Callable[[Event], Any]:
    """Turn trace()-style arguments into one predicate (CallPrinter when no action is given)."""
    if "action" not in options and "actions" not in options:
        options["action"] = CallPrinter
    return Q(*predicates, **options)


def trace(*predicates: Callable[[Event], Any], **options: Any) -> Tracer:
    """Start tracing now with the given predicates, query keywords and options; returns the Tracer."""
    global _last_tracer
    predicates, options = _apply_config(predicates, dict(options))
    clear_env_var = options.pop("clear_env_var", False)
    threading_support = None
    for alias in _config.THREADING_ALIASES:
        if alias in options:
            threading_support = options.pop(alias)
    profiling_mode = options.pop("profile", False)
    backend = options.pop("backend", None)
    predicate = _prepare_predicate(*predicates, **options)
    if clear_env_var:
        os.environ.pop("PYTHONHUNTER", None)
    tracer = Tracer(threading_support=threading_support, profiling_mode=profiling_mode, backend=backend)
    _last_tracer = tracer
    return tracer.trace(predicate)


def stop() -> None:
    """Stop the tracer last started by trace(); warns when there is none."""
    global _last_tracer
    if _last_tracer is None:
        warnings.warn("There is no tracer to stop.", stacklevel=2)
        return
    _last_tracer.stop()
    _last_tracer = None


def wrap(function_to_trace: Callable[..., Any] | None = None, local: bool = False, **trace_options: Any) -> Any:
    """Decorator: trace inside calls of the function only (``local=True``: its frame and one level below)."""
    from ._wrap import make_wrapper

    if function_to_trace is None:
        return lambda func: make_wrapper(func, local, trace_options)
    return make_wrapper(function_to_trace, local, trace_options)


def load_config(*args: Any, **kwargs: Any) -> None:
    """Set the defaults for trace() and actions; with no arguments, read PYTHONHUNTERCONFIG."""
    _config.load_config(*args, **kwargs)


load_config()
