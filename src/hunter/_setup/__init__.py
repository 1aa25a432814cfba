"""From what the user wrote to a running tracer: keyword rules (``_keywords``), ``trace()`` arguments to a checked
predicate (``_options``), ``hunter.wrap`` (``_wrap``) and the machinery around a program that is never traced
(``_noise``)."""
