"""Values whose safe_repr() hunter 3.9 and ours must print alike (one expression a line in VALUES).

Run as a script with either hunter importable, it prints a JSON object: expression -> safe_repr text.
"""

# The modules the expressions in VALUES use (eval'd here).
import array  # noqa: F401
import collections  # noqa: F401
import datetime  # noqa: F401
import decimal  # noqa: F401
import fractions  # noqa: F401
import functools
import io  # noqa: F401
import json
import os
import re  # noqa: F401
import sys
import types  # noqa: F401

# The classes and functions of the values program, which the traced comparison passes around too.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs"))
from values import Color, Evil, Level, Meta, MyError, MyInt, Slotted, WithMeta, closure_cells, generator  # noqa: F401


class Cached:
    """A classmethod over an lru_cache wrapper, as rich's Style.normalize: a bound method of a C callable."""

    @classmethod
    @functools.cache
    def normalize(cls, value):
        return value


class ClassArgs(Exception):
    """args on the class (attrs' FrozenInstanceError does so): shown instead of what the exception was given."""

    args = ["from the class"]  # noqa: RUF012 (a list, as attrs writes it)


class SlotArgs(Exception):
    """args in __slots__, set by __init__ (pyparsing's ParseException): reading it fails until then."""

    __slots__ = ("args",)

    def __init__(self, text, extra):
        self.args = (text,)


class NoneArgs(Exception):
    """args that can't be iterated."""

    args = None


def unset_slot_args():
    """A SlotArgs whose __init__ hasn't run yet (as while it runs)."""
    return SlotArgs.__new__(SlotArgs, "text", "extra")


def own_args():
    """An instance's own args, next to a class-level args that isn't a descriptor."""
    error = ClassArgs("given")
    error.args = ("own",)
    return error


def full_cell():
    value = 1
    return (lambda: value).__closure__[0]


VALUES = """
1
-1.5
2j
True
None
'text\\nwith quotes\\''
b'\\x00b'
bytearray(b'x')
range(3)
slice(1, 2)
slice(Evil(), None)
{Evil(): 1}.keys()
classmethod(Evil())
types.MappingProxyType({'k': Evil()})
...
NotImplemented
[1, [2, (3,)]]
(1,)
()
{'a': {1}}
set()
{3}
frozenset({1})
frozenset()
collections.OrderedDict(a=1)
collections.Counter('aa')
collections.defaultdict(list, a=[1])
collections.deque([1, 2], maxlen=3)
collections.ChainMap({})
collections.namedtuple('Pair', 'a b')(1, 2)
datetime.date(2020, 1, 2)
datetime.datetime(2020, 1, 2, 3, 4)
datetime.datetime(1979, 5, 27, 7, 32, 0, 0, tzinfo=datetime.timezone.utc, fold=1)
datetime.time(1, 2)
datetime.time(1, 2, 3, 4, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
datetime.timedelta(days=1)
datetime.timezone.utc
decimal.Decimal('1.5')
decimal.Context(prec=5)
fractions.Fraction(1, 3)
re.compile('a+')
re.compile('x.y', re.UNICODE | re.DOTALL)
re.compile(b'raw')
re.compile(b'raw', re.I)
re.compile('v').sub
re.match('a', 'a')
re.IGNORECASE
MyError('x', 1)
ValueError()
KeyError('k')
OSError(2, 'missing')
StopIteration(3)
BaseException()
ClassArgs('a', 'b')
SlotArgs('text', 'extra')
unset_slot_args()
[1, unset_slot_args()]
NoneArgs('x')
own_args()
(ValueError(ClassArgs('nested')),)
Slotted
int
Color
Color.RED
Level.LOW
WithMeta
Meta
Slotted()
Evil()
MyInt(5)
len
str.join
''.join
[].append
dict.fromkeys
object.__init__
object().__init__
int.real
Slotted().__init__
Cached.normalize
Cached().normalize
types.MethodType(functools.partial(max, 1), 5)
types.MethodType(len, 5)
closure_cells()[0]
full_cell()
generator()
sys
types
sys.flags
sys.version_info
io.StringIO()
array.array('i')
types.SimpleNamespace(a=1)
types.MappingProxyType({'a': 1})
{}.keys()
{'a': 1}.items()
{'a': 1}.values()
classmethod(len)
staticmethod(len)
property()
memoryview(b'')
iter([])
map(str, [])
object()
type(None)
[[[[[[1]]]]]]
{'k': [[1]]}
{1: {2: {3: {4: {5: {6: 1}}}}}}
[(1, {2: [3, {4}]})]
"""


def expressions():
    """The expressions of VALUES."""
    return [line for line in VALUES.strip().splitlines() if line.strip()]


def main():
    from hunter.util import safe_repr

    results = {}
    for expression in expressions():
        try:
            results[expression] = safe_repr(eval(expression))
        except Exception as exc:  # 3.9 runs some objects' own __repr__; both fail where an exception's args fail
            results[expression] = f"!!! {type(exc).__name__}: {exc}"
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
