"""docutils: a small reStructuredText document with a title, a list, a table and a bad role, to HTML."""

from docutils.core import publish_string

LIBRARY = "docutils"

SOURCE = """\
Title
=====

Some *emphasis* and ``code``, a `link <https://example.org>`_ and :unknown:`role`.

- one
- two

====  =====
a     b
====  =====
1     2
====  =====
"""


def main():
    settings = {"report_level": 5, "halt_level": 5, "warning_stream": False, "_disable_config": True}
    return publish_string(SOURCE, writer_name="pseudoxml", settings_overrides=settings)
