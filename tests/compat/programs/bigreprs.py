"""Values shown cut to repr_limit (long lists, strings, nested dicts) and exceptions whose args are their own."""


class ClassArgs(Exception):
    """args on the class (attrs' FrozenInstanceError): the Python-level args is the class's list."""

    args = ["from the class"]


class SlotArgs(Exception):
    """args in __slots__, set by __init__ (pyparsing's ParseException): unset while __init__ runs."""

    __slots__ = ("args",)

    def __init__(self, text, extra):
        self.args = (text,)


class NoArgs(Exception):
    """args that can't be walked: showing the exception fails."""

    args = None


def take(value):
    return value


def throw(error):
    raise error


def swallow(error):
    try:
        throw(error)
    except Exception:
        pass
    return "swallowed"


def big_values():
    numbers = list(range(3000))
    take(numbers)
    text = "it's \"quoted\"\n\t\u00e9\U0001f600 " * 300
    take(text)
    take(text.encode("utf-8"))
    take(bytearray(b"'" * 2000))
    table = {f"key{index}": [index, {index: (index,)}] for index in range(500)}
    take(table)
    take({number * 7 for number in range(800)})
    take(frozenset(("x" * 50, "y" * 3000)))
    take([numbers, (text, [table])])
    take(ValueError(text, numbers))
    numbers.append(numbers[-1] + 1)
    return len(numbers)


def main():
    take(ClassArgs("a", "b"))
    take(SlotArgs("text", "extra"))
    take([SlotArgs("in", "a list")])
    take(NoArgs("x"))
    swallow(ClassArgs("raised"))
    swallow(SlotArgs("raised", "too"))
    big_values()
