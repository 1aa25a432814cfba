"""A --query checked as trace() would take it, split into its parts, with a hint for common mistakes."""

from __future__ import annotations

import ast
import re

from .. import config
from .._setup._keywords import did_you_mean
from .._setup._options import CHECK_ONLY, prepare
from ._errors import UsageError


def _check_query(text: str) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """Validate one -q text; split it into positional, query-keyword and option-keyword source texts."""
    try:
        args, kwargs = config.parse_trace_arguments(text)
        # Checked as trace() will take it, without making a printer (its stream is the program's business).
        prepare(args, kwargs, default_action=_no_action)
    except (TypeError, ValueError) as exc:  # ConfigError is a ValueError
        raise UsageError(f"bad --query {text!r}: {exc}{_query_hint(text, str(exc))}") from None
    # Keep the source text of every part, so that the children get the very same query.
    tree = ast.parse(f"_({text}\n)", mode="eval")
    source = f"_({text}\n)"
    call = tree.body
    assert isinstance(call, ast.Call)
    positional = [_segment(source, node) for node in call.args]
    query_parts: list[tuple[str, str]] = []
    option_parts: list[tuple[str, str]] = []
    for keyword in call.keywords:
        value = _segment(source, keyword.value)
        if keyword.arg is None:
            query_parts.append(("**", value))
        elif keyword.arg in config.TRACER_OPTIONS or keyword.arg in config.ACTION_OPTIONS:
            option_parts.append((keyword.arg, value))
        else:
            query_parts.append((keyword.arg, value))
    return positional, query_parts, option_parts


def _query_hint(text: str, message: str) -> str:
    """What to do about a --query's error, when it is one of the common ones (else nothing).

    ``module=bank``: the shell ate the quotes, the value is read as a name; ``CallPrinter(repr_limt=3)``: the
    closest option of the action.
    """
    try:
        call = ast.parse(f"_({text}\n)", mode="eval").body
    except SyntaxError:
        return ""
    if not isinstance(call, ast.Call):
        return ""
    undefined = re.search(r"NameError: name '(\w+)' is not defined", message)
    if undefined:
        for keyword in call.keywords:
            if isinstance(keyword.value, ast.Name) and keyword.value.id == undefined.group(1):
                value = keyword.value.id
                return (
                    f". A text value needs quotes: {keyword.arg}={value!r}; in a shell, quote the whole query: "
                    f"-q '{keyword.arg}=\"{value}\"'"
                )
        return ""
    unexpected = re.search(r"(\w+)\.__init__\(\) got an unexpected keyword argument '(\w+)'", message)
    if unexpected and "Did you mean" not in message:  # (3.13's own message names the closest already)
        return _option_hint(call, unexpected.group(2))
    return ""


def _option_hint(call: ast.Call, name: str) -> str:
    """``" Did you mean 'repr_limit'?"`` for an action given an option it doesn't take."""
    import inspect

    for node in ast.walk(call):
        if not (isinstance(node, ast.Call) and any(keyword.arg == name for keyword in node.keywords)):
            continue
        target = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        options: set[str] = set(config.PRINTER_OPTIONS)
        klass = config.public_namespace((target,)).get(target)
        for cls in getattr(klass, "__mro__", ()):
            try:
                options.update(inspect.signature(cls.__init__).parameters)
            except (TypeError, ValueError):
                continue
        options -= {"self", "args", "kwargs", "options"}
        hint = did_you_mean(name, options)
        return f".{hint}" if hint else ""
    return ""


#: Stands for the printer while a query is checked: the printer itself is made when tracing starts.
_no_action = CHECK_ONLY


def _segment(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node)
    if isinstance(node, ast.Starred):
        return text or ""
    return f"({text})" if text and "\n" in text else text or ""
