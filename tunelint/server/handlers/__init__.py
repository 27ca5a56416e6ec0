"""The LSP methods the server answers: one module per method or small method family."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tunelint.server.handlers import (
    code_action,
    command,
    completion,
    diagnostic,
    hover,
    inlay_hint,
    lifecycle,
    sync,
    workspace,
)
from tunelint.server.handlers.base import guarded

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer

MODULES = (
    lifecycle,
    sync,
    diagnostic,
    code_action,
    hover,
    completion,
    workspace,
    inlay_hint,
)
COMMAND_MODULES = (command,)


def register_all(server: TunelintServer) -> None:
    """Register every handler of every module with `server`."""
    for module in MODULES:
        for handler in module.HANDLERS:
            server.feature(handler.method, handler.options)(guarded(server, handler))
    # workspace/executeCommand: pygls dispatches by name and advertises each name in
    # executeCommandProvider. A command's error is the client's answer, so no guard.
    for commands in COMMAND_MODULES:
        for name, function in commands.COMMANDS:
            server.command(name)(_bound(server, function))


def _bound(server: TunelintServer, function: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    # pygls reads the handler's signature (and resolves its annotations) to pass the
    # arguments: a closure over the server, annotated with names known at run time.
    async def run(*arguments: Any) -> Any:
        return await function(server, *arguments)

    return run
