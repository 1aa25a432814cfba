"""Coroutines, async generators and async context managers, run by a tiny hand-written loop."""

import types


@types.coroutine
def suspend(value):
    received = yield value
    return received


class Resource:
    async def __aenter__(self):
        await suspend("enter")
        return self

    async def __aexit__(self, *exc_info):
        await suspend("exit")
        return False


async def ticks(count):
    for tick in range(count):
        await suspend(tick)
        yield tick


async def fetch(key):
    value = await suspend(key)
    if value is None:
        raise LookupError(key)
    return value


async def job():
    total = 0
    async with Resource():
        async for tick in ticks(2):
            total += tick
    try:
        await fetch("missing")
    except LookupError:
        total -= 1
    found = await fetch("here")
    return total, found


def run(coroutine):
    reply = None
    while True:
        try:
            request = coroutine.send(reply)
        except StopIteration as stop:
            return stop.value
        reply = None if request == "missing" else request


def main():
    first = 1
    second = first + 1
    third = second + 1
    return run(job()), third
