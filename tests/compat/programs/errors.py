"""Exceptions raised, caught, swallowed, re-raised, chained, suppressed and finally-handled."""

import contextlib


class AppError(Exception):
    pass


def fail(message):
    raise AppError(message)


def swallow():
    try:
        fail("swallowed")
    except AppError:
        pass
    return "fine"


def reraise():
    try:
        fail("again")
    except AppError:
        raise


def chain():
    try:
        {}["missing"]
    except KeyError as exc:
        raise ValueError("chained") from exc


def suppressed():
    with contextlib.suppress(ZeroDivisionError):
        return 1 / 0
    return "suppressed"


def cleanup():
    try:
        return "body"
    finally:
        done = True


def lookup(table, key):
    try:
        return table[key]
    except KeyError:
        return None


def main():
    first = 1
    second = first + 1
    third = second + 1
    swallow()
    try:
        reraise()
    except AppError:
        pass
    try:
        chain()
    except ValueError:
        pass
    suppressed()
    cleanup()
    lookup({"a": 1}, "a")
    lookup({"a": 1}, "b")
    return third
