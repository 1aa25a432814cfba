"""Checking hunter-trace's options in the attacher's process without running any of them.

The options are evaluated only inside the target, as the target's user. Here they are only parsed: the syntax,
the keywords of ``trace()``, the names they use and the keywords given to hunter's own classes. Evaluating them
here would run the user's code in the attacher's process (as root, when root attaches to another user's
process), builtins included, and would open the files that ``ChromeTrace(path)`` or ``CallPrinter(stream=path)``
name: as root, following the target user's symbolic links.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from typing import Any

from .. import config
from .._setup._options import classify, unexpected_option
from ..backends import BACKENDS, choose

__all__ = ["check_text"]


def check_text(text: str) -> None:
    """Raise ValueError/TypeError (one line) for options that can never work; evaluates nothing."""
    call = config._parse_call(text)
    namespace = _check_names(call)
    given: set[str] = set()
    for keyword in call.keywords:
        name = keyword.arg
        if name is None:
            continue  # **mapping: its keys are only known when it is evaluated, in the target
        if name in given:
            raise config.ConfigError(f"keyword argument {name!r} given twice")
        given.add(name)
        if classify(name) not in ("tracer", "action", "query"):
            raise TypeError(unexpected_option(name))
        value = getattr(keyword.value, "value", None)  # a literal's value (ast.Constant), else None
        if name == "backend" and isinstance(value, str) and value not in BACKENDS:
            choose(value, False)  # the BackendError (a ValueError) names the backends there are
    for node in ast.walk(call):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in namespace:
            _check_keywords(node.func.id, namespace[node.func.id], node)


def _check_names(call: ast.Call) -> dict[str, Any]:
    """hunter's public names that ``call`` uses; a NameError-like ConfigError for a name found nowhere."""
    # Names a lambda or comprehension binds are not looked up (scopes are not followed: the target decides).
    bound = {node.arg for node in ast.walk(call) if isinstance(node, ast.arg)}
    bound |= {node.id for node in ast.walk(call) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    used = [
        node
        for node in ast.walk(call)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node is not call.func
    ]
    namespace = config.public_namespace({node.id for node in used})
    for node in used:
        if node.id not in namespace and node.id not in bound and not hasattr(builtins, node.id):
            raise config.ConfigError(f"NameError: name {node.id!r} is not defined (at column {node.col_offset - 1})")
    return namespace


def _check_keywords(name: str, obj: Any, node: ast.Call) -> None:
    """A TypeError when a call of one of hunter's classes or functions passes a keyword it never takes."""
    if not getattr(obj, "__module__", "").startswith("hunter"):
        return
    accepted = _accepted_keywords(obj)
    if accepted is None:
        return
    for keyword in node.keywords:
        if keyword.arg is not None and keyword.arg not in accepted:
            raise TypeError(f"{name}() got an unexpected keyword argument {keyword.arg!r}")


def _accepted_keywords(obj: Any) -> set[str] | None:
    """The keyword names ``obj`` (a class or function) takes; None when it takes any."""
    functions = [obj]
    if isinstance(obj, type):
        # A class passes its **options on to its bases' __init__ (hunter's classes do): follow the chain.
        functions = [klass.__dict__["__init__"] for klass in obj.__mro__ if "__init__" in klass.__dict__]
    accepted: set[str] = set()
    for function in functions:
        if function is object.__init__:
            return None
        try:
            parameters = inspect.signature(function).parameters.values()
        except (TypeError, ValueError):
            return None
        named = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        accepted |= named
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return accepted
    return None
