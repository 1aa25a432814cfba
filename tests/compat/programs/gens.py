"""Generators: yield, yield from, send, close, early exit, generator expressions and itertools."""

import itertools


def numbers(limit):
    for value in range(limit):
        yield value
    return "done"


def delegate(limit):
    result = yield from numbers(limit)
    yield result


def echo():
    received = None
    try:
        while True:
            received = yield received
    except GeneratorExit:
        pass


def closer():
    try:
        yield 1
        yield 2
    finally:
        cleanup = True


def main():
    first = 1
    second = first + 1
    third = second + 1
    list(numbers(3))
    list(delegate(2))
    channel = echo()
    next(channel)
    channel.send("ping")
    channel.close()
    early = closer()
    next(early)
    early.close()
    doubled = list(value * 2 for value in numbers(3))
    chained = list(itertools.islice(itertools.chain(numbers(2), "ab"), 3))
    for value in numbers(2):
        if value:
            break
    return doubled, chained, third
