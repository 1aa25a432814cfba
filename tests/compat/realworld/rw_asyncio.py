"""asyncio: tasks, a queue, gather, a timeout that fires and a cancelled task."""

import asyncio

LIBRARY = "asyncio"


async def producer(queue, count):
    for number in range(count):
        await queue.put(number)
    await queue.put(None)


async def consumer(queue):
    total = 0
    while (number := await queue.get()) is not None:
        total += number
    return total


async def forever():
    await asyncio.Event().wait()


async def job():
    queue = asyncio.Queue(maxsize=2)
    _, total = await asyncio.gather(producer(queue, 5), consumer(queue))
    try:
        await asyncio.wait_for(forever(), timeout=0)
    except asyncio.TimeoutError:
        total += 100
    task = asyncio.ensure_future(forever())
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        total += 1000
    return total


def main():
    return asyncio.run(job())
