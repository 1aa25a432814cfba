"""The tracing engine's private parts: what the tracer and the backends stand on.

Per-version interpreter facts (``_compat``), the predicate's static verdicts per code object (``_verdict``,
``_pruning``), raw recording for timelines (``_recording``), per-code records (``_codemap``), stacks
(``_frames``), call depth (``_depths``), what is hunter's own code and threads (``_own_code``, ``_own_threads``),
the program's own signal-handler exceptions (``_program_signals``), failing handlers' messages (``_reporting``),
fork-safe locks (``_fork``) and facts about code objects and files (``_source``). Nothing here prints or parses
options.
"""
