"""asyncio: tasks, gather, sleep(0), a cancelled task and an exception inside a task."""

import asyncio


async def worker(name, delay):
    await asyncio.sleep(0)
    if delay < 0:
        raise ValueError(name)
    return name


async def sleeper():
    await asyncio.sleep(3600)


async def job():
    results = await asyncio.gather(worker("a", 0), worker("b", 0))
    try:
        await worker("c", -1)
    except ValueError:
        results.append("c failed")
    task = asyncio.ensure_future(sleeper())
    await asyncio.sleep(0)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        results.append("cancelled")
    return results


def main():
    first = 1
    second = first + 1
    third = second + 1
    return asyncio.run(job()), third
