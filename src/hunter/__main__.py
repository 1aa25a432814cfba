"""``python -m hunter``: see :mod:`hunter.cli`."""

from __future__ import annotations

from hunter.cli import main

if __name__ == "__main__":
    main()
