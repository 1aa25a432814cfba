"""What real libraries do: code generated and exec'd (jinja2), rendering generators (rich), decorators that
register commands (click), visitor dispatch by name (docutils), cached properties and __getattr__ proxies."""

import functools

TEMPLATE = '''
def render(context, escape):
    parts = []
    for index, item in enumerate(context["items"], 1):
        parts.append(f"{index}. " + escape(item))
    if not parts:
        parts.append("none")
    return "\\n".join(parts)
'''


def compile_template(source):
    namespace = {"__name__": __name__}
    exec(compile(source, "<template>", "exec"), namespace)
    return namespace["render"]


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;")


class Segment:
    __slots__ = ("text", "style")

    def __init__(self, text, style=None):
        self.text = text
        self.style = style

    def __repr__(self):
        return f"Segment({self.text!r}, {self.style!r})"


class Panel:
    def __init__(self, body, title):
        self.body = body
        self.title = title

    def render(self, width):
        yield Segment("+" + self.title.center(width - 2, "-") + "+")
        for line in self.body.splitlines():
            yield Segment("|" + line.ljust(width - 2) + "|", style="body")
        yield Segment("+" + "-" * (width - 2) + "+")

    @functools.cached_property
    def lines(self):
        return [segment.text for segment in self.render(20)]


COMMANDS = {}


def command(name=None, **defaults):
    def register(function):
        function.__defaults_options__ = defaults
        COMMANDS[name or function.__name__] = function
        return function

    return register


@command("greet", greeting="hello")
def greet(names, greeting):
    return [greeting + " " + name for name in names]


def invoke(name, *args, **options):
    function = COMMANDS[name]
    return function(*args, **{**function.__defaults_options__, **options})


class Node:
    def __init__(self, kind, *children):
        self.kind = kind
        self.children = children

    def walk(self, visitor):
        getattr(visitor, "visit_" + self.kind, visitor.unknown)(self)
        for child in self.children:
            child.walk(visitor)
        getattr(visitor, "depart_" + self.kind, visitor.unknown)(self)


class Collector:
    def __init__(self):
        self.out = []

    def visit_section(self, node):
        self.out.append("<section>")

    def depart_section(self, node):
        self.out.append("</section>")

    def visit_text(self, node):
        self.out.append("text")

    def unknown(self, node):
        self.out.append("?" + node.kind)


class Proxy:
    def __init__(self, target):
        self._target = target

    def __getattr__(self, name):
        return getattr(self._target, name)


def main():
    render = compile_template(TEMPLATE)
    page = render({"items": ["tea & milk", "<cake>"]}, escape)
    empty = render({"items": []}, escape)
    panel = Panel("hello\nworld", "title")
    lines = panel.lines + panel.lines
    greeted = invoke("greet", ["ann"]) + invoke("greet", ["bob"], greeting="hi")
    collector = Collector()
    Node("section", Node("text"), Node("image")).walk(collector)
    proxy = Proxy(panel)
    return page, empty, len(lines), greeted, collector.out, proxy.title
