"""Recursive and mutually recursive calls, for depth and call-count queries."""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def main():
    first = 1
    second = first + 1
    third = second + 1
    fib(4)
    is_even(3)
    return third
