"""Configuration state and names: the defaults load_config() set, the default stream, the last tracer, option
names, and parsing of trace()-style argument text (PYTHONHUNTER, PYTHONHUNTERCONFIG, the command line).

Other modules read the state here (``config.default_stream``...) instead of importing the ``hunter`` package
back; ``hunter._default_stream`` and friends are views of it. Only the standard library is imported here.
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ast
    import tokenize

__all__ = ["ConfigError", "apply_config", "parse_trace_arguments", "say", "stop"]

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
#: Options of the Tracer itself (everything else trace() takes builds the predicate).
TRACER_OPTIONS = frozenset({*THREADING_ALIASES, "clear_env_var", "profile", "backend"})
#: ``record=PATH`` (and its settings) adds a hunter.record.Recorder to the actions (see _options.prepare).
RECORD_OPTIONS = frozenset(
    {"record", "record_lines", "record_values", "record_repr_limit", "record_last", "record_last_size"}
)
ACTION_OPTIONS = frozenset({"action", "actions", *RECORD_OPTIONS})
#: Defaults of every printer action created afterwards (configuration only).
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
#: The Debugger action's default class (configuration only).
DEBUGGER_OPTIONS = frozenset({"klass"})

# -- state (``hunter._default_config`` and friends are views of these) -------------------------------------

#: Printer and debugger defaults from the configuration: what actions created afterwards start from.
default_config: dict[str, Any] = {}
#: ``(predicates, options)`` added to every trace() call; None is hunter 3.9's "no configuration loaded" (what
#: test suites and users resetting the configuration assign), which adds nothing.
default_trace_args: tuple[Any, Any] | None = ([], {})
#: Where actions write when given no stream.
default_stream: Any = sys.stderr
#: The tracer last started by trace(), for stop().
last_tracer: Any = None


def _no_names(names: Collection[str]) -> dict[str, Any]:
    """Until ``hunter`` is imported, a value may use no names."""
    return {}


#: Builds the names a PYTHONHUNTER-style value may use from the names it mentions (set by ``hunter``).
public_namespace: Callable[[Collection[str]], dict[str, Any]] = _no_names


def stop() -> None:
    """Stop the tracer last started by trace(); warns when there is none."""
    global last_tracer
    tracer, last_tracer = last_tracer, None
    if tracer is None:
        warnings.warn("There is no tracer to stop.", stacklevel=2)
        return
    tracer.stop()


def say(text: str) -> None:
    """Write one message line to stderr, if there is a stderr at all (``2>&-``): never raises."""
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except Exception:  # a broken stderr: the message has nowhere to go
        pass


def printer_option_problem(key: str, value: Any) -> str | None:
    """Why a configured printer or debugger option value is unusable, or None when it is fine (or not one)."""
    if key in ("force_colors", "force_pid"):
        # Used for its truth, as in 3.9; but a string ("no", "false") would be true and surprise.
        return "Must be True or False" if isinstance(value, (str, bytes)) else None
    if key in ("filename_alignment", "thread_alignment", "pid_alignment", "repr_limit"):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if ok else "Must be a whole number (0 or more)"
    if key == "repr_func":
        if value in ("safe_repr", "repr") or callable(value):
            return None
        return "Must be 'safe_repr', 'repr' or a callable"
    if key == "stream":
        return None if isinstance(value, str) or hasattr(value, "write") else "Must be a path or a file-like object"
    if key == "klass":
        return None if callable(value) else "Must be a debugger class"
    return None


def action_default(key: str, fallback: Any) -> Any:
    """The configured default of an action option, or ``fallback`` when none is set or the set one is unusable.

    ``default_config`` keeps values as load_config() got them (as hunter 3.9 does, which test suites read back);
    load_config() reported the unusable ones already, so here they are just passed over.
    """
    value = default_config.get(key, fallback)
    return fallback if value is not fallback and printer_option_problem(key, value) else value


# -- parsing argument text ---------------------------------------------------------------------------------


class ConfigError(ValueError):
    """A PYTHONHUNTER-style argument list that can't be parsed or evaluated; the message is one line.

    ``shown`` is the exception as hunter 3.9 reports it for PYTHONHUNTERCONFIG: the one the value raised (a
    ``NameError``...), or a ``SyntaxError`` with this message.
    """

    def __init__(self, message: str, shown: BaseException | None = None) -> None:
        super().__init__(message)
        self.shown = shown if shown is not None else SyntaxError(message)


def _unclosed_bracket(text: str) -> tuple[int, int, str] | None:
    """The innermost bracket the value opens and never closes: its line, column (both from 1) and character."""
    import tokenize  # (only for this message: not imported into every traced program)

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


def _parse_call(text: str) -> ast.Call:
    import ast  # (hunter's own import stays light: a program that is traced without option text never needs it)

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
    if not isinstance(tree.body, ast.Call):  # e.g. a value like ") or (x" that closes the call early
        raise ConfigError("expected a list of arguments, as inside trace(...)")
    return tree.body


def parse_trace_arguments(
    text: str, namespace: dict[str, Any] | Callable[[Collection[str]], dict[str, Any]] | None = None
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Parse ``'module="x", action=CallPrinter'`` (what goes between the parentheses of ``trace(...)``).

    Names resolve in ``namespace`` (a dict, or a function of the names the text mentions); by default,
    hunter's public API.
    """
    import ast

    call = _parse_call(text)
    if not isinstance(namespace, dict):
        mentioned = {node.id for node in ast.walk(call) if isinstance(node, ast.Name)}
        namespace = (namespace or public_namespace)(mentioned)
    scope = namespace

    def evaluate(node: ast.expr) -> Any:
        try:
            return eval(compile(ast.Expression(node), "<hunter config>", "eval"), scope)
        except Exception as exc:  # reported as a configuration error
            message = f"{type(exc).__name__}: {exc} (at column {node.col_offset - 1})"
            raise ConfigError(message, exc.with_traceback(None)) from None

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


def apply_config(predicates: tuple[Any, ...], options: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``predicates, options`` with the configured defaults added (after the given ones); explicit options win."""
    if default_trace_args is None:
        return predicates, options
    configured_predicates, configured_options = default_trace_args
    if not configured_predicates and not configured_options:
        return predicates, options
    merged = dict(configured_options)
    if any(alias in options for alias in THREADING_ALIASES):
        for alias in THREADING_ALIASES:
            merged.pop(alias, None)
    merged.update(options)
    return (*predicates, *configured_predicates), merged
