"""Small programs for in-process tracing tests, compiled under a fixed relative file name so output is stable."""

from __future__ import annotations

import io
import linecache
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from helpers import normalize

import hunter
from hunter.actions import CallPrinter


def load(name: str, source: str) -> types.ModuleType:
    """Compile ``source`` as module ``name`` from file ``name.py`` (a relative name, as the reference runs use).

    The source is registered with linecache, so events find it without a file on disk; the module is put in
    sys.modules so that code looking up its module (pickle, function_object via globals) works as for a real one.
    """
    source = textwrap.dedent(source)
    filename = f"{name}.py"
    # A None mtime tells linecache.checkcache to leave the entry alone (as for sources given by a loader).
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)  # the test's own program text
    return module


def output_of(
    func: Callable[[], Any],
    *predicates: Callable[..., Any],
    action: Callable[..., Any] = CallPrinter,
    **options: Any,
) -> str:
    """Trace one call of ``func`` with ``action(stream=StringIO)`` and return what it printed (addresses normalised).

    ``action`` is a class or factory taking ``stream=``; the remaining keywords go to ``hunter.trace``.
    """
    stream = io.StringIO()
    with hunter.trace(*predicates, action=action(stream=stream), **options):
        func()
    return normalize(stream.getvalue())


@contextmanager
def captured(*predicates: Callable[..., Any], **options: Any) -> Iterator[io.StringIO]:
    """``with captured(module="x") as out:`` traces the block with a CallPrinter writing to ``out``."""
    stream = io.StringIO()
    with hunter.trace(*predicates, action=CallPrinter(stream=stream), **options):
        yield stream


def lines(text: str) -> list[str]:
    """The lines of a printed output, without trailing blanks (for comparing with a literal block)."""
    return [line.rstrip() for line in text.splitlines()]


def block(text: str) -> list[str]:
    """A literal block as lines, with the indentation of its closing quotes removed from every line.

    Printed output starts with spaces (the right-aligned file name column), so a plain dedent would eat them:
    the line of the closing quotes marks column 0 instead. The first line (after the opening quotes) is skipped.
    """
    body, _, margin = text.rpartition("\n")
    assert not margin.strip(), "the closing quotes must sit on a line of their own"
    result = []
    for line in body.split("\n")[1:] if body.startswith("\n") else body.split("\n"):
        assert not line.strip() or line.startswith(margin), f"line indented less than the closing quotes: {line!r}"
        result.append(line[len(margin) :].rstrip())
    return result
