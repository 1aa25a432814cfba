"""jinja2: a fresh environment compiles and renders templates with loops, filters, macros and inheritance."""

import jinja2

LIBRARY = "jinja2"

TEMPLATES = {
    "base.html": "<title>{% block title %}{% endblock %}</title>{% block body %}{% endblock %}",
    "page.html": (
        "{% extends 'base.html' %}{% import 'macros.html' as m %}"
        "{% block title %}{{ title|upper }}{% endblock %}"
        "{% block body %}{% for item in items if item.price > 1 %}"
        "{{ loop.index }}. {{ m.row(item) }}{% else %}none{% endfor %}"
        "{{ items|map(attribute='name')|join(', ') }}{% endblock %}"
    ),
    "macros.html": "{% macro row(item) %}<b>{{ item.name|e }}</b> {{ '%.2f'|format(item.price) }}{% endmacro %}",
}


def main():
    env = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True)
    items = [{"name": "tea & milk", "price": 2.5}, {"name": "water", "price": 1}, {"name": "<cake>", "price": 4}]
    page = env.get_template("page.html").render(title="menu", items=items)
    try:
        env.from_string("{{ missing.attribute.deep }}", globals={"missing": jinja2.StrictUndefined()}).render()
    except jinja2.UndefinedError as error:
        page += str(error)
    return page
