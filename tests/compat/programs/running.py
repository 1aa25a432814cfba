"""A program that starts tracing itself in the middle of a function (the frames above are already running)."""


def helper(value):
    return value * 2


def main(start=None):
    first = 1
    tracer = start() if start else None
    doubled = helper(first)
    second = doubled + 1
    if tracer is not None:
        tracer.stop()
    return second


#: The compat driver passes main() a function that starts tracing.
STARTS_TRACING = True
