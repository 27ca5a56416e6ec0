"""The real server with faults injected (test only): the lint fails on text containing
BOOM, hover always fails. Shows that handler exceptions are logged, not fatal."""

from __future__ import annotations

import sys

import tunelint.server.hover
import tunelint.server.linting

_real_lint_text = tunelint.server.linting.lint_text


def _lint_text(text, *args, **kwargs):
    if "BOOM" in text:
        raise RuntimeError("injected lint failure")
    return _real_lint_text(text, *args, **kwargs)


def _hover(*args, **kwargs):
    raise RuntimeError("injected hover failure")


tunelint.server.linting.lint_text = _lint_text
tunelint.server.hover.hover = _hover

if __name__ == "__main__":
    from tunelint.commands.server import main

    sys.exit(main())
