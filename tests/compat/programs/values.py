"""Values of many types passed to and returned from a function, to compare how each is shown."""

import array
import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import io
import ipaddress
import pathlib
import re
import sys
import types
import uuid

try:
    import zoneinfo

    ZONE = zoneinfo.ZoneInfo("UTC")
except Exception:  # no time zone database on this machine: the comparison still runs, on a fixed offset
    ZONE = datetime.timezone.utc


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Level(enum.IntEnum):
    LOW = 1


class Perm(enum.Flag):
    R = 4
    W = 2


class Meta(type):
    pass


class WithMeta(metaclass=Meta):
    pass


class Evil:
    def __repr__(self):
        raise RuntimeError("repr must not be called")


class Slotted:
    __slots__ = ("a",)


class MyInt(int):
    pass


class MyList(list):
    pass


class MyError(ValueError):
    pass


@dataclasses.dataclass
class Point:
    x: int
    y: int


Pair = collections.namedtuple("Pair", "left right")


def take(value):
    return value


def closure_cells():
    late = None

    def inner():
        return late

    del late
    return inner.__closure__


def generator():
    yield 1


async def coroutine():
    pass


def main():
    first = 1
    second = first + 1
    third = second + 1
    take(0)
    take(-1.5)
    take(2j)
    take(True)
    take(None)
    take(...)
    take(NotImplemented)
    take("text\nwith 'quotes'")
    take(b"\x00bytes")
    take(bytearray(b"ab"))
    take(memoryview(b"ab"))
    take(range(3))
    take(slice(1, 2))
    take([])
    take([1, [2, [3, [4, [5, [6]]]]]])
    take(())
    take((1,))
    take(set())
    take({3})
    take(frozenset())
    take(frozenset({1}))
    take({})
    take({"k": {"k": {"k": {"k": {"k": {"k": 1}}}}}})
    take({(1, 2): [3]})
    take(collections.OrderedDict(a=1))
    take(collections.defaultdict(list, a=[1]))
    counter = collections.Counter()  # built by hand: Counter("aab") runs the frozen abc module's code
    counter["a"] += 2
    take(counter)
    take(collections.deque([1, 2], maxlen=5))
    take(collections.ChainMap({"a": 1}))
    take(Pair(1, 2))
    take(Point(1, 2))
    take(array.array("i", [1]))
    take(datetime.date(2020, 1, 2))
    take(datetime.time(3, 4, 5))
    take(datetime.time(3, 4, 5, 6, tzinfo=datetime.timezone.utc))
    take(datetime.datetime(1979, 5, 27, 7, 32))
    take(datetime.datetime(1979, 5, 27, 7, 32, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-8))))
    take(datetime.datetime(2021, 3, 4, 5, 6, 7, 8, tzinfo=ZONE, fold=1))
    take(datetime.timedelta(days=1, seconds=2))
    take(datetime.timezone.utc)
    take(ZONE)
    take(decimal.Decimal("1.50"))
    take(decimal.getcontext())
    take(fractions.Fraction(1, 3))
    take(uuid.UUID(int=1))
    take(pathlib.PurePosixPath("/a/b"))
    take(ipaddress.ip_address("127.0.0.1"))
    take(re.compile("a+b", re.I))
    take(re.compile(r"x.y", re.UNICODE | re.DOTALL))
    take(re.compile(b"raw"))
    take(re.compile("plain"))
    take(re.compile("v").sub)
    take(re.match("a", "abc"))
    take(re.IGNORECASE)
    take(Color)
    take(Color.RED)
    take(Level.LOW)
    take(Perm.R | Perm.W)
    take(WithMeta)
    take(Meta)
    take(int)
    take(Evil())
    take(Slotted())
    take(MyInt(5))
    take(MyList([1]))
    take(ValueError("bad", 1))
    take(MyError("mine"))
    take(KeyError("k"))
    take(StopIteration(3))
    take(take)
    take(lambda: None)
    take(len)
    take(str.join)
    take("".join)
    take([].append)
    take(dict.fromkeys)
    take(object.__init__)
    take(object().__init__)
    take(int.real)
    take(Point.__init__)
    take(Point(0, 0).__repr__)
    take(Color.RED.__repr__)
    take(closure_cells())
    take(generator())
    coro = coroutine()
    take(coro)
    coro.close()
    take(sys)
    take(types)
    take(sys._getframe())
    take(take.__code__)
    take(io.StringIO())
    take(iter([1]))
    take(iter(range(2)))
    take(map(str, []))
    take(object())
    take(type(None))
    take(property(lambda self: 1))
    take(classmethod(take))
    take(staticmethod(take))
    take(super(Point, Point(0, 0)))
    take(types.SimpleNamespace(a=1))
    take(types.MappingProxyType({"a": 1}))
    take(sys.flags)
    take(sys.version_info)
    take(OSError(2, "missing"))
    take(BaseException())
    take(Exception("x" * 3000))
    return third
