"""Standard library code that runs in Python (json, textwrap, string, fractions, heapq, functools...)."""

import fractions
import functools
import heapq
import json
import string
import textwrap


@functools.lru_cache(maxsize=None)
def cached(n):
    return n * 2


def main():
    first = 1
    second = first + 1
    third = second + 1
    encoded = json.dumps({"a": [1, 2.5, None]}, indent=1)
    json.loads(encoded)
    textwrap.dedent("  a\n  b\n")
    string.Template("$who likes $what").substitute(who="tim", what="pie")
    fractions.Fraction(3, 4) + fractions.Fraction(1, 4)
    heapq.nsmallest(2, [5, 1, 4])
    functools.reduce(lambda a, b: a + b, [1, 2, 3])
    cached(2)
    cached(2)
    functools.partial(cached, 3)()
    return third
