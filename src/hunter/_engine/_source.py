"""Where code lives and what its source says: file names, stdlib detection and source lines."""

from __future__ import annotations

import contextlib
import linecache
import os
import re
import site
import sys
import sysconfig
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from ._code_flags import CO_VARARGS, CO_VARKEYWORDS

#: hunter's package directory (this module is in hunter/_engine/): never the standard library's.
_HUNTER_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FROZEN_RE = re.compile(r"<frozen ([\w.]+)>")
#: How many lines a multi-line definition header (decorators, signature) may span before we give up.
_MAX_HEADER_LINES = 10


def _stdlib_prefixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Folders that hold the standard library, and the folders inside them that never do."""
    roots = set()
    for name in ("prefix", "exec_prefix", "base_prefix", "base_exec_prefix"):
        value = getattr(sys, name, None)
        if value:
            roots.add(os.path.realpath(value))
    for key in ("stdlib", "platstdlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path))
    excluded = set()
    for key in ("purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            excluded.add(os.path.realpath(path))
    with contextlib.suppress(AttributeError):  # virtualenv's old site.py lacks it
        excluded.update(os.path.realpath(p) for p in site.getsitepackages())
    user_site = getattr(site, "USER_SITE", None)
    if user_site:
        excluded.add(os.path.realpath(user_site))
    excluded.add(os.path.realpath(_HUNTER_PACKAGE))
    # In a virtualenv, sys.prefix is the environment's own folder; the stdlib stays under base_prefix. Anything
    # else in the environment (``pip install -e`` checkouts in ``<venv>/src``, scripts, the project itself) is
    # user code, never stdlib.
    bases = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    excluded.update(os.path.realpath(p) for p in (sys.prefix, sys.exec_prefix) if os.path.realpath(p) not in bases)
    return tuple(root.rstrip(os.sep) + os.sep for root in roots), tuple(
        path.rstrip(os.sep) + os.sep for path in excluded
    )


_STDLIB_ROOTS, _NOT_STDLIB = _stdlib_prefixes()
_STDLIB_NAMES = frozenset(getattr(sys, "stdlib_module_names", ()))


@lru_cache(maxsize=4096)
def is_stdlib(filename: str, module: str) -> bool:
    """Whether code from ``filename`` (in ``module``) belongs to the standard library."""
    if module == "pkg_resources" or module.startswith("pkg_resources."):
        return True  # vendored third-party noise: treat like the stdlib
    if filename.startswith("<frozen "):
        return True
    if not filename or filename[0] == "<":
        # Code compiled from a string: it belongs where it runs (site's .pth lines, namedtuple's methods).
        root = module.partition(".")[0]
        return root in _STDLIB_NAMES or module.startswith("namedtuple_")
    # (A relative name depends on the working directory at the time: only absolute ones are remembered.)
    path = _real_path(filename) if os.path.isabs(filename) else os.path.realpath(os.path.abspath(filename))
    # Site-packages (and our own folder) sit *inside* the prefix, so exclusions win over roots.
    if any(path.startswith(excluded) for excluded in _NOT_STDLIB):
        return False
    return any(path.startswith(root) for root in _STDLIB_ROOTS)


@lru_cache(maxsize=4096)
def _real_path(filename: str) -> str:
    # realpath stats every folder on the way (~10 µs), and every code object a trace meets is asked about.
    return os.path.realpath(filename)


@lru_cache(maxsize=4096)
def _resolve_filename(co_filename: str, module_file: str | None) -> str:
    frozen = _FROZEN_RE.fullmatch(co_filename)
    if frozen:
        if module_file and os.path.exists(module_file):
            return module_file
        stdlib_dir = getattr(sys, "_stdlib_dir", None) or sysconfig.get_paths().get("stdlib")
        if stdlib_dir:
            name = frozen.group(1)
            for candidate in (
                name.replace(".", os.sep) + ".py",
                os.path.join(name.replace(".", os.sep), "__init__.py"),
            ):
                path = os.path.join(stdlib_dir, candidate)
                if os.path.exists(path):
                    return path
        return co_filename
    filename = co_filename or module_file or "?"
    if filename.endswith((".pyc", ".pyo")):
        filename = filename[:-1]
    elif filename.endswith((".so", ".pyd")):
        # foo.cpython-311-x86_64-linux-gnu.so -> foo.pyx / foo.py next to it
        base = os.path.join(os.path.dirname(filename), os.path.basename(filename).split(".", 1)[0])
        for ext in (".pyx", ".py"):
            if os.path.exists(base + ext):
                return base + ext
    return filename


def code_filename(code: CodeType, frame_globals: dict[str, Any]) -> str:
    """The file an event's code comes from, mapped to something whose source can be read."""
    module_file = frame_globals.get("__file__")
    if not isinstance(module_file, str):
        module_file = None
    return _resolve_filename(code.co_filename, module_file)


def source_line(filename: str, lineno: int, frame_globals: dict[str, Any] | None) -> str:
    """The raw source line (with its newline), or '' when unknown."""
    if filename.endswith((".so", ".pyd")):
        return f"??? NO SOURCE: not reading binary {os.path.splitext(filename)[1]} file"
    return linecache.getline(filename, lineno, frame_globals)


def definition_source(filename: str, lineno: int, frame_globals: dict[str, Any] | None) -> str | None:
    """For a ``call`` event: the header lines from ``lineno`` through the def/class/lambda line, or None.

    Decorators and multi-line signatures start at ``co_firstlineno``, so the statement is read from there
    until the keyword that opens the definition; only lines indented like the first one are considered,
    which keeps a generator's resumption (``yield`` line) from swallowing the rest of its body.
    """
    lines = linecache.getlines(filename, frame_globals)[lineno - 1 : lineno - 1 + _MAX_HEADER_LINES]
    if not lines:
        return None
    first = lines[0]
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    block = []
    for line in lines:
        if not line.startswith(indent):
            break
        block.append(line[len(indent) :])
    readline = iter(block).__next__
    try:
        import tokenize  # (only CodePrinter reads definitions: not imported into every traced program)
    except ImportError:  # (at interpreter shutdown)
        return None
    try:
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.NAME and token.string in ("def", "class", "lambda"):
                return "".join(lines[: token.start[0]])
    except (tokenize.TokenError, SyntaxError, StopIteration):
        pass
    return None


def parameters(code: CodeType) -> tuple[tuple[str, str], ...]:
    """A function's parameters in signature order, each with its star: ``('', 'a'), ('*', 'args'), ('**', 'kw')``.

    Positional ones, then ``*args``, then keyword-only ones, then ``**kwargs`` (``co_varnames`` keeps the two
    starred ones after the keyword-only ones).
    """
    names = code.co_varnames
    positional, keyword_only, flags = code.co_argcount, code.co_kwonlyargcount, code.co_flags
    found = [("", name) for name in names[:positional]]
    index = positional + keyword_only
    if flags & CO_VARARGS:
        found.append(("*", names[index]))
        index += 1
    found.extend(("", name) for name in names[positional : positional + keyword_only])
    if flags & CO_VARKEYWORDS:
        found.append(("**", names[index]))
    return tuple(found)


def frame_module(frame: FrameType) -> str:
    """The module name of a frame (``'?'`` when its globals have none)."""
    name = frame.f_globals.get("__name__")
    return name if isinstance(name, str) else "?"
