"""What printers and exporters stand on: colours (``_colors``), whole-line writes to streams (``_streams``), asyncio
tasks (``_tasks``), the compact style (``_compact``), tracebacks without hunter's frames (``_tracebacks``), printers
that write to a test's or a cell's output (``_capture``) and the line about a run that traced nothing
(``_empty_trace``)."""
