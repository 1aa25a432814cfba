"""Classes, properties, closures, decorators, comprehensions and every kind of argument."""

import functools


def logged(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        return result

    return wrapper


class Shape:
    sides = 0

    def __init__(self, name, *, scale=1):
        self.name = name
        self.scale = scale

    @property
    def label(self):
        return f"{self.name}x{self.scale}"

    @classmethod
    def unit(cls):
        return cls("unit")

    @staticmethod
    def describe(count, *extra, sep=", ", **options):
        parts = [str(count), *extra]
        return sep.join(parts) + str(sorted(options))

    def __repr__(self):
        return "Shape(" + self.name + ")"


class Square(Shape):
    sides = 4

    def __init__(self, size):
        super().__init__("square", scale=size)
        self.size = size

    @logged
    def area(self):
        return self.size * self.size


def counter(start):
    count = start

    def bump(step=1):
        nonlocal count
        count += step
        return count

    return bump


def comprehensions(n):
    squares = [i * i for i in range(n)]
    evens = {i for i in squares if i % 2 == 0}
    table = {i: str(i) for i in range(n) if i}
    total = sum(i for i in squares)
    pairs = [(a, b) for a in range(2) for b in "xy"]
    return squares, evens, table, total, pairs


def main():
    first = 1
    second = first + 1
    third = second + 1
    square = Square(3)
    square.area()
    square.label
    Shape.unit()
    Shape.describe(3, "a", "b", sep="-", flag=True)
    bump = counter(10)
    bump()
    bump(step=5)
    comprehensions(4)
    key = lambda item: -item
    sorted([3, 1, 2], key=key)
    return repr(square), third
