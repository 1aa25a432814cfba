"""``python -m hunter.remote``: the hunter-trace command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
