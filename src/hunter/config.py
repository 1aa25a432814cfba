"""PYTHONHUNTER / PYTHONHUNTERCONFIG parsing, configured defaults, and activation from the environment."""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
from collections.abc import Callable
from typing import Any

from . import _defaults

__all__ = ["ConfigError", "activate_from_environment", "apply_config", "load_config", "parse_trace_arguments"]

#: Spellings of the threading_support option that trace() accepts.
THREADING_ALIASES = (
    "threading_support",
    "threads_support",
    "thread_support",
    "threadingsupport",
    "threadssupport",
    "threadsupport",
    "threading",
    "threads",
    "thread",
)
TRACER_OPTIONS = frozenset({*THREADING_ALIASES, "clear_env_var", "profile", "backend"})
PRINTER_OPTIONS = frozenset(
    {
        "stream",
        "force_colors",
        "force_pid",
        "filename_alignment",
        "thread_alignment",
        "pid_alignment",
        "repr_limit",
        "repr_func",
    }
)

#: Printer and debugger defaults from the configuration (``hunter._default_config``).
default_config: dict[str, Any] = {}
#: ``(predicates, options)`` added to every trace() call, or None (``hunter._default_trace_args``).
default_trace_args: tuple[tuple, dict[str, Any]] | None = None


_activated = False


class ConfigError(ValueError):
    """A PYTHONHUNTER-style argument list that can't be parsed or evaluated; the message is one line."""


def public_namespace() -> dict[str, Any]:
    """The names a PYTHONHUNTER value may use: hunter's public API."""
    import hunter

    namespace = {}
    for name in hunter.__all__:
        try:
            namespace[name] = getattr(hunter, name)
        except (AttributeError, ImportError):  # an optional part that isn't there: its name is just absent
            continue
    return namespace


def _unclosed_bracket(text: str) -> tuple[int, int, str] | None:
    """The innermost bracket the value opens and never closes: its line, column (both from 1) and character."""
    opened: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.OP and token.string in "([{":
                opened.append(token)
            elif token.type == tokenize.OP and token.string in ")]}" and opened:
                opened.pop()
    except (tokenize.TokenError, SyntaxError):  # the end of the text inside brackets: expected here
        pass
    if not opened:
        return None
    line, column = opened[-1].start
    return line, column + 1, opened[-1].string


def parse_trace_arguments(text: str, namespace: dict[str, Any] | None = None) -> tuple[tuple, dict[str, Any]]:
    """Parse ``'module="x", action=CallPrinter'`` (what goes between the parentheses of ``trace(...)``)."""
    try:
        # The closing parenthesis sits on its own line so a trailing comment can't swallow it.
        tree = ast.parse(f"_({text}\n)", mode="eval")
    except SyntaxError as exc:
        unclosed = _unclosed_bracket(text) if "never closed" in exc.msg or "does not match" in exc.msg else None
        if unclosed is not None:
            # The parser blames our own "_(" (or the ")" we added), which the user never wrote: point at theirs.
            line, column, bracket = unclosed
            position = f"column {column}" if line == 1 else f"line {line}, column {column}"
            raise ConfigError(f"invalid syntax at {position}: {bracket!r} was never closed") from None
        # Line 1 is "_(" + the value; anything later is the closing parenthesis we added: the value's end.
        lines = text.count("\n") + 1
        if (exc.lineno or 1) == 1:
            position = f"column {max((exc.offset or 1) - 2, 1)}"
        elif (exc.lineno or 1) <= lines:
            position = f"line {exc.lineno}, column {exc.offset or 1}"
        else:
            position = "the end of the value"
        raise ConfigError(f"invalid syntax at {position}: {exc.msg}") from None
    call = tree.body
    if not isinstance(call, ast.Call):  # e.g. a value like ") or (x" that closes the call early
        raise ConfigError("expected a list of arguments, as inside trace(...)")
    scope = public_namespace() if namespace is None else namespace

    def evaluate(node: ast.expr) -> Any:
        try:
            return eval(compile(ast.Expression(node), "<hunter config>", "eval"), scope)
        except Exception as exc:  # noqa: BLE001 - reported as a configuration error
            raise ConfigError(f"{type(exc).__name__}: {exc} (at column {node.col_offset - 1})") from None

    args: list[Any] = []
    for node in call.args:
        if isinstance(node, ast.Starred):
            args.extend(evaluate(node.value))
        else:
            args.append(evaluate(node))
    kwargs: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            kwargs.update(evaluate(keyword.value))
        elif keyword.arg in kwargs:
            raise ConfigError(f"keyword argument {keyword.arg!r} given twice")
        else:
            kwargs[keyword.arg] = evaluate(keyword.value)
    return tuple(args), kwargs


def activate_from_environment() -> None:
    """Start tracing as PYTHONHUNTER says (called by the .pth hook); a bad value prints one line, never raises."""
    global _activated
    value = os.environ.get("PYTHONHUNTER", "")
    if not value.strip() or _activated:
        return
    # Once per process: site.py may read a .pth twice (a venv's site-packages listed twice).
    _activated = True
    try:
        import hunter

        args, kwargs = parse_trace_arguments(value)
        hunter.trace(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the program must run on, untraced
        message = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
        sys.stderr.write(f"Failed to load hunter from PYTHONHUNTER environ variable {value!r}: {message}\n")


def _discard(origin: str, what: str, reason: str) -> None:
    sys.stderr.write(f"Discarded config from {origin} {what}: {reason}\n")


def _check_printer_option(key: str, value: Any) -> str | None:
    """Why a printer option value is unusable, or None when it is fine."""
    if key in ("force_colors", "force_pid"):
        return None if isinstance(value, bool) else "Must be True or False"
    if key in ("filename_alignment", "thread_alignment", "pid_alignment", "repr_limit"):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if ok else "Must be a whole number (0 or more)"
    if key == "repr_func":
        return (
            None if value in ("safe_repr", "repr") or callable(value) else "Must be 'safe_repr', 'repr' or a callable"
        )
    if key == "stream":
        return None if isinstance(value, str) or hasattr(value, "write") else "Must be a path or a file-like object"
    return None


def _is_query_keyword(key: str) -> bool:
    from .predicates import parse_query_key

    try:
        parse_query_key(key)
    except TypeError:
        return False
    return True


def _check_query_value(key: str, value: Any) -> str | None:
    """Why a query keyword's value is unusable (the ValueError a Query would raise), or None."""
    from .predicates import Query

    try:
        Query(**{key: value})
    except ValueError as exc:
        return str(exc)
    return None


def load_config(*args: Any, **kwargs: Any) -> None:
    """Set the defaults of trace() and of actions; with no arguments, read PYTHONHUNTERCONFIG."""
    global default_trace_args
    origin = "load_config()"
    if not args and not kwargs:
        origin = "PYTHONHUNTERCONFIG"
        value = os.environ.get("PYTHONHUNTERCONFIG", "")
        if value.strip():
            try:
                args, kwargs = parse_trace_arguments(value)
            except Exception as exc:  # noqa: BLE001
                sys.stderr.write(f"Failed to load hunter config from PYTHONHUNTERCONFIG {value!r}: {exc!r}\n")
                return
    predicates: list[Callable[..., Any]] = []
    options: dict[str, Any] = {}
    printer: dict[str, Any] = {}
    debugger: dict[str, Any] = {}
    for position, value in enumerate(args):
        if callable(value):
            predicates.append(value)
        else:
            _discard(origin, f"{value} (position {position})", "Not a callable")
    for key, value in kwargs.items():
        if key in PRINTER_OPTIONS:
            problem = _check_printer_option(key, value)
            if problem:
                _discard(origin, f"{key}={value!r}", problem)
            else:
                printer[key] = value
        elif key == "klass":
            if callable(value):
                debugger[key] = value
            else:
                _discard(origin, f"{key}={value!r}", "Must be a debugger class")
        elif key in TRACER_OPTIONS:
            if key == "backend":
                from .backends import BackendError, choose

                try:
                    choose(value, False)
                except BackendError as exc:
                    _discard(origin, f"{key}={value!r}", str(exc))
                    continue
            options[key] = value
        elif _is_query_keyword(key):
            problem = _check_query_value(key, value)
            if problem:
                _discard(origin, f"{key}={value!r}", problem)
            else:
                options[key] = value
        else:
            _discard(origin, f"{key}={value!r}", "Unknown option")
    default_config.clear()
    default_config.update(printer)
    default_config.update(debugger)
    _defaults.printer_options.clear()
    _defaults.printer_options.update(printer)
    _defaults.debugger_options.clear()
    _defaults.debugger_options.update(debugger)
    default_trace_args = (tuple(predicates), options) if predicates or options else None


def apply_config(predicates: tuple, options: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
    """``predicates, options`` with the configured defaults added; explicit options win."""
    if default_trace_args is None:
        return predicates, options
    configured_predicates, configured_options = default_trace_args
    merged = dict(configured_options)
    if any(alias in options for alias in THREADING_ALIASES):
        for alias in THREADING_ALIASES:
            merged.pop(alias, None)
    merged.update(options)
    return (*configured_predicates, *predicates), merged
