"""The LSP methods the server answers: one module per method or small method family."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelint.server.handlers import (
    code_action,
    completion,
    diagnostic,
    hover,
    lifecycle,
    sync,
    workspace,
)
from tunelint.server.handlers.base import guarded

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer

MODULES = (lifecycle, sync, diagnostic, code_action, hover, completion, workspace)


def register_all(server: TunelintServer) -> None:
    """Register every handler of every module with `server`."""
    for module in MODULES:
        for handler in module.HANDLERS:
            server.feature(handler.method, handler.options)(guarded(server, handler))
