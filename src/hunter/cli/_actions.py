"""The action of a trace from --action, --format and -o, as PYTHONHUNTER source text."""

from __future__ import annotations

import argparse
import ast

from .._setup._keywords import did_you_mean
from ._argv import _ACTIONS
from ._errors import UsageError

#: The printers whose output -o can redirect when a --query names them as its action.
_PRINTERS = ("CallPrinter", "CodePrinter", "VarsPrinter", "VarsSnooper", "ErrorSnooper", "StackPrinter")


def _printers(words: list[str] | None) -> list[tuple[str, list[str]]]:
    """``--action``'s words as printers, each with its names: ``call vars x y`` -> call, then vars of x and y."""
    printers: list[tuple[str, list[str]]] = []
    for word in words or ["call"]:
        if printers and printers[-1][0] == "vars":
            printers[-1][1].append(word)
        elif word in _ACTIONS:
            if any(name == word for name, _ in printers):
                raise UsageError(f"--action {word} given twice")
            printers.append((word, []))
        else:
            hint = did_you_mean(word, _ACTIONS)
            message = f"argument --action: invalid choice: {word!r} (choose from {', '.join(_ACTIONS)})"
            raise UsageError(f"{message}.{hint}" if hint else message)
    for name, names in printers:
        if name == "vars" and not names:
            raise UsageError("--action vars needs at least one NAME")
        for item in names:
            try:
                compile(item, "<vars>", "eval")
            except SyntaxError:
                raise UsageError(f"--action vars: {item!r} is not a Python expression") from None
    return printers


def _action_text(options: argparse.Namespace, output: str | None, child: bool) -> str:
    """The action of the trace, as PYTHONHUNTER source text (``actions=[...]`` for several printers)."""
    limit = [] if options.repr_limit is None else [f"repr_limit={options.repr_limit!r}"]
    limit += ["asyncio=True"] if options.asyncio and options.format == "chrome" else []
    limit += [] if options.max_size is None else [f"max_size={options.max_size}"]
    # signals=True: SIGTERM/SIGHUP close the file before the process ends (in the children too).
    if options.format == "chrome":
        limit += [f"min_duration={options.min_duration!r}"] if options.min_duration else []
        return f"ChromeTrace({', '.join([repr(output), *limit, 'signals=True'])})"
    if options.format == "jsonl":
        return f"JSONLines({', '.join([repr(output), *limit, 'signals=True'])})"
    texts = [_printer_text(options, name, names, output, child, limit) for name, names in _printers(options.action)]
    return texts[0] if len(texts) == 1 else f"[{', '.join(texts)}]"


def _printer_text(
    options: argparse.Namespace, name: str, names: list[str], output: str | None, child: bool, limit: list[str]
) -> str:
    """One text printer of --action, as PYTHONHUNTER source text."""
    arguments = [repr(item) for item in names]
    if output is not None:
        arguments.append(f"stream={output!r}")
    if child:
        # A child's lines end up next to the parent's: say which process wrote each.
        arguments.append("force_pid=True")
    arguments += limit
    if options.compact and name == "call":
        arguments.append("style='compact'")
    if options.elapsed and name in ("call", "code"):
        arguments.append("elapsed=True")
    if options.asyncio and name in ("call", "code"):
        arguments.append("asyncio=True")
    return f"{_ACTIONS[name]}({', '.join(arguments)})"


def _retarget(text: str, settings: dict[str, str]) -> str:
    """A --query's own action (``action=`` / ``actions=`` source text) with the command line's settings added.

    ``settings`` maps keyword names to source text (``stream`` from -o, ``repr_limit``, ``force_pid`` for
    children). Each action must be a printer named outright (``CodePrinter``, ``VarsPrinter('x')``), so that
    the keywords can be added to it; one that sets a keyword itself keeps its own value, except ``stream``,
    where two answers to "where does the output go" are an error.
    """
    tree = ast.parse(text.strip(), mode="eval")
    items = tree.body.elts if isinstance(tree.body, (ast.List, ast.Tuple)) else [tree.body]
    for index, item in enumerate(items):
        call = item if isinstance(item, ast.Call) else ast.Call(func=item, args=[], keywords=[])
        target = call.func
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        accepted = _PRINTERS if "stream" in settings else (*_PRINTERS, "ChromeTrace", "JSONLines")
        if name not in accepted:
            flags = "-o" if "stream" in settings else "--repr-limit"
            raise UsageError(
                f"{flags} applies to the printers a --query names ({', '.join(accepted)}), "
                f"not to {ast.unparse(item)}: give it its own arguments instead"
            )
        given = {keyword.arg for keyword in call.keywords}
        if "stream" in given and "stream" in settings:
            raise UsageError(f"-o and the --query's {ast.unparse(item)} both say where the output goes")
        for key, value in settings.items():
            if key not in given:
                call.keywords.append(ast.keyword(arg=key, value=ast.parse(value, mode="eval").body))
        if isinstance(tree.body, (ast.List, ast.Tuple)):
            tree.body.elts[index] = call
        else:
            tree.body = call
    return ast.unparse(tree)
