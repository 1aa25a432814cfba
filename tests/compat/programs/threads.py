"""A worker thread that the main thread waits for (its events come while the main thread is in join)."""

import threading


def work(items, results):
    for item in items:
        results.append(item * 2)
    return len(results)


def main():
    first = 1
    second = first + 1
    results = []
    # One line: the worker runs while the main thread is inside start() and join(), where no line event can
    # come between its events (the order of the two threads' output is then always the same).
    worker = threading.Thread(target=work, args=([1, 2], results), name="worker"); worker.start(); worker.join()
    work([3], results)
    return results, second
