"""Query keywords: which field and operator a keyword names, which values can ever match, and typo suggestions.

Construction of a Query stays as permissive as hunter 3.9's; the value rules here are applied when tracing
starts (see ``hunter.predicates.check``), so that a query that can never match fails there with one line
instead of staying silent or raising on every event.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from ..event import KINDS, Event, fields_where

__all__ = ["FIELDS", "KINDS", "OPERATOR_ALIASES", "closest", "matches", "parse_query_key", "value_problem"]

FIELDS = frozenset(Event.FIELDS)
#: Operator suffixes (and their short spellings) to the operator they mean; no suffix is equality.
OPERATOR_ALIASES = {
    "": "eq",
    "in": "in",
    "contains": "contains",
    "has": "contains",
    "startswith": "startswith",
    "sw": "startswith",
    "endswith": "endswith",
    "ew": "endswith",
    "regex": "regex",
    "rx": "regex",
    "lt": "lt",
    "lte": "lte",
    "gt": "gt",
    "gte": "gte",
}
STRING_SEQUENCES = (list, tuple, set, frozenset)

# What each field holds (event.FIELD_TABLE), which decides the values that can ever compare true with it.
_TEXT = frozenset(fields_where(holds="text", query=True))
_NUMBER = frozenset(fields_where(holds="number", query=True))
_NUMBER_OR_NONE = frozenset(fields_where(holds="number or none", query=True))
_MAPPING = frozenset(fields_where(holds="mapping", query=True))
#: Fields with a handful of possible values: a value is judged by trying it against each of them.
_DOMAINS: dict[str, tuple[Any, ...]] = {
    **dict.fromkeys(fields_where(holds="kind", query=True), KINDS),
    **dict.fromkeys(fields_where(holds="flag", query=True), (True, False)),
}
#: The types of the domains' own values: one of them is in a domain exactly when it equals one of its values.
_PLAIN_DOMAIN_TYPES = (str, bool)
_ORDERING = frozenset({"lt", "lte", "gt", "gte"})
_STRING_ONLY = frozenset({"startswith", "endswith", "regex"})


def matches(operator: str, actual: Any, expected: Any) -> bool:
    """Whether ``actual`` (an event's field) satisfies ``operator`` against ``expected`` (the query's value)."""
    if operator == "eq":
        return bool(actual == expected)
    if operator == "in":
        return actual in expected
    if operator == "contains":
        if isinstance(expected, STRING_SEQUENCES):
            return any(item in actual for item in expected)
        return expected in actual
    if operator == "startswith":
        return bool(actual.startswith(expected))
    if operator == "endswith":
        return bool(actual.endswith(expected))
    if operator == "regex":
        return expected.match(actual) is not None
    if operator == "lt":
        return bool(actual < expected)
    if operator == "lte":
        return bool(actual <= expected)
    if operator == "gt":
        return bool(actual > expected)
    return bool(actual >= expected)  # gte


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The valid name ``name`` most likely misspells, or None when nothing is close."""
    import difflib  # only ever needed on an error path

    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def query_keywords() -> list[str]:
    """Every spelling a Query accepts: each field alone and with each operator suffix."""
    return [*FIELDS, *(f"{field}_{suffix}" for field in FIELDS for suffix in OPERATOR_ALIASES if suffix)]


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` for the closest candidate, or nothing."""
    suggestion = closest(name, candidates)
    return f" Did you mean {suggestion!r}?" if suggestion else ""


@functools.lru_cache(maxsize=512)
def parse_query_key(key: str) -> tuple[str, str]:
    """Split a Query keyword into (field, operator); an unknown field or operator is a TypeError naming it.

    As in hunter 3.9, underscores around the parts don't matter: ``module__startswith`` is ``module_startswith``.
    """
    parts = [part for part in key.split("_") if part]
    if len(parts) > 2 or not parts:
        raise TypeError(_unexpected_argument(key))
    field = parts[0]
    if field not in FIELDS:
        raise TypeError(_unexpected_argument(key))
    suffix = parts[1] if len(parts) == 2 else ""
    operator = OPERATOR_ALIASES.get(suffix)
    if operator is None:
        raise TypeError(
            f"Unexpected operator {suffix!r} in {key!r}.{did_you_mean(suffix, (s for s in OPERATOR_ALIASES if s))} "
            f"Must be one of {sorted(alias for alias in OPERATOR_ALIASES if alias)}."
        )
    return field, operator


def _unexpected_argument(key: str) -> str:
    return (
        f"Unexpected argument {key!r}.{did_you_mean(key, query_keywords())} "
        f"Must be one of {sorted(FIELDS)} (with an optional operator suffix)."
    )


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is not str and (hasattr(kind, "__index__") or hasattr(kind, "__float__"))


def _is_builtin(value: Any) -> bool:
    # Values of the builtin types have known comparison rules; anything else may define its own (mock.ANY...).
    return type(value).__module__ == "builtins"


def _item_problem(field: str, value: Any) -> str | None:
    """Why ``value`` can never equal the field (a wrong type, or outside a small domain), or None."""
    if field in _DOMAINS:
        if type(value) in _PLAIN_DOMAIN_TYPES and value in _DOMAINS[field]:
            return None  # (the usual case, decided without comparing by hand: each tracer's start checks its query)
        if not any(_safely_matches("eq", possible, value) for possible in _DOMAINS[field]):
            return _outside_domain(field, value)
        return None
    if not _is_builtin(value):
        return None
    if field in _TEXT and not isinstance(value, str):
        return f"can never match: {field} is a string."
    if field in _NUMBER and not _is_number(value):
        return f"can never match: {field} is a number."
    if field in _NUMBER_OR_NONE and value is not None and not _is_number(value):
        return f"can never match: {field} is a number or None."
    return None


def _outside_domain(field: str, value: Any) -> str:
    choices = ", ".join(repr(possible) for possible in _DOMAINS[field])
    hint = did_you_mean(value, (str(possible) for possible in _DOMAINS[field])) if isinstance(value, str) else ""
    return f"can never match: {field} is one of {choices}.{hint}"


def _safely_matches(operator: str, actual: Any, expected: Any) -> bool:
    try:
        return matches(operator, actual, expected)
    except Exception:  # a value that can't even be compared never matches
        return False


def value_problem(field: str, operator: str, value: Any) -> str | None:
    """Why a Query value can never match or has the wrong type for its field, or None when it is fine.

    The reason is a sentence to follow ``Value <value> for '<keyword>'``.
    """
    if operator == "eq":
        return _item_problem(field, value)
    if operator == "in":
        return _container_problem(field, value)
    if field in _DOMAINS:
        if not any(_safely_matches(operator, possible, value) for possible in _DOMAINS[field]):
            return _outside_domain(field, value)
        return None
    if field == "arg":
        return None  # a return value or exception: anything at all
    if field in _MAPPING:
        if operator in ("contains", "in"):
            return None
        return f"can't be used with {operator}: {field} is a dict."
    numeric = field in _NUMBER or field in _NUMBER_OR_NONE
    if operator in _STRING_ONLY or operator == "contains":
        return _text_operator_problem(field, operator, value, numeric)
    if operator in _ORDERING and _is_builtin(value):
        if numeric and not _is_number(value):
            return f"must be a number to compare with {field}."
        if field in _TEXT and not isinstance(value, str):
            return f"must be a string to compare with {field}."
    return None


def _container_problem(field: str, value: Any) -> str | None:
    """:func:`value_problem` for ``in``: a container whose items can all never match, or no container at all."""
    if isinstance(value, STRING_SEQUENCES) or type(value) is dict:
        for item in value:
            problem = _item_problem(field, item)
            if problem:
                return f"holds {item!r}, which {problem}"
        return None
    if not hasattr(type(value), "__contains__") and not hasattr(type(value), "__iter__"):
        return "must be a container (list, tuple, set, string...)."
    if isinstance(value, str) and field not in _TEXT and field not in ("kind", "arg"):
        return f"can never match: {field} is not a string, so it is never part of one."
    return None


def _text_operator_problem(field: str, operator: str, value: Any, numeric: bool) -> str | None:
    """:func:`value_problem` for the operators on text (``contains``, ``startswith``, ``regex``...)."""
    if numeric:
        return f"can't be used with {operator}: {field} is a number."
    if operator == "regex":
        pattern = getattr(value, "pattern", None)
        return None if isinstance(pattern, str) else "must be a str pattern, not bytes."
    if isinstance(value, str):
        return None
    if isinstance(value, STRING_SEQUENCES) and all(isinstance(item, str) for item in value):
        return None
    return "must be a string or a list/tuple/set of strings."


def compile_pattern(key: str, value: Any) -> re.Pattern[str] | re.Pattern[bytes]:
    """Compile a regex operator's value (at construction, as hunter 3.9 does); a bad one is a ValueError."""
    if isinstance(value, re.Pattern):
        return value
    try:
        return re.compile(value)
    except (TypeError, re.error) as exc:
        raise ValueError(f"Value {value!r} for {key!r} is not a valid regular expression: {exc}") from None
