"""The one line the command line prints when a run traced nothing: what was asked, and the likely fix."""

from __future__ import annotations

import os
from collections.abc import Iterable

__all__ = ["asked_modules", "hint"]

#: Query keywords whose values name modules.
_MODULE_KEYWORDS = ("module", "module_in", "module_startswith", "module_sw")


def asked_modules(flag_modules: Iterable[str], query_parts: Iterable[tuple[str, str]]) -> list[str]:
    """The module names a command line asks for: ``--module`` values and literal ``module=`` query values."""
    import ast  # (the command line's own checks: not imported into every traced program)

    names = list(flag_modules)
    for key, text in query_parts:
        if key not in _MODULE_KEYWORDS:
            continue
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            continue
        values = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple, set)) else []
        names.extend(item for item in values if isinstance(item, str))
    return list(dict.fromkeys(names))


def hint(asked: list[str], script: str | None, ran: Iterable[str]) -> str:
    """``hunter: nothing was traced...`` with the likely fix: the script runs as ``__main__``, or a close name.

    ``script``: the script's path when the program is one (it runs as ``__main__``, not under its file's name);
    ``ran``: the names of the modules that were loaded by the end of the run.
    """
    head = "hunter: nothing was traced: no event matched"
    stem = os.path.splitext(os.path.basename(script))[0] if script else None
    if stem and stem in asked:
        return f"{head}; {os.path.basename(script or '')} runs as __main__, not as {stem}: use --module __main__"
    import difflib

    loaded = set(ran)
    missing = [name for name in asked if not any(m == name or m.startswith(name + ".") for m in loaded)]
    for name in missing:
        close = difflib.get_close_matches(name, sorted(loaded), n=3, cutoff=0.6)
        if close:
            return f"{head}; no module {name!r} ran (modules that did, with close names: {', '.join(close)})"
    if missing:
        return f"{head}; no module {', '.join(map(repr, missing))} ran"
    return f"{head} (every filter given must match: loosen one)"
