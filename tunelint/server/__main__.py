"""`python -m tunelint.server`: the language server on stdio (what `tunelint server` runs)."""

from __future__ import annotations

import sys

from tunelint.commands.server import main

if __name__ == "__main__":
    sys.exit(main())
