"""workspace/executeCommand: `tunelint.init` writes a new config (as `tunelint init` does)
and asks the client to show it; nothing fitting is an error response saying why."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from tunelint.server.init_command import COMMAND, InitFailed, parse_arguments, run_init

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer

REQUEST_FAILED = -32803  # LSP ErrorCodes.RequestFailed: valid request, the operation failed


def _error(exc: InitFailed) -> JsonRpcException:
    if exc.usage:
        return JsonRpcInvalidParams(message=str(exc), data=exc.data)
    return JsonRpcException(message=str(exc), code=REQUEST_FAILED, data=exc.data)


async def init(server: TunelintServer, *arguments: Any) -> dict[str, Any]:
    try:
        request = parse_arguments(list(arguments))
        loop = asyncio.get_running_loop()
        root = server.workspace.root_path
        # Off the event loop and off the lint thread: the decision may wait for the Hub,
        # runs the estimator and lints what it writes; keystrokes go on being linted.
        done = await loop.run_in_executor(None, functools.partial(run_init, request, root))
    except InitFailed as exc:
        raise _error(exc) from exc
    if server.client.show_document:
        params = types.ShowDocumentParams(uri=Path(done.config).resolve().as_uri(), take_focus=True)
        server.scheduler.spawn(_show(server, params))
    return done.to_json()


async def _show(server: TunelintServer, params: types.ShowDocumentParams) -> None:
    try:
        await server.window_show_document_async(params)
    except Exception as exc:  # the file is written; only showing it failed
        server.log_exception("window/showDocument", exc)


COMMANDS = ((COMMAND, init),)
