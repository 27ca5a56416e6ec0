"""A handler's registration, and the guard that keeps a failing handler from crashing."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer

HandlerFunction = Callable[["TunelintServer", Any], Any]


@dataclass(frozen=True, slots=True)
class Handler:
    """One LSP method: the function `(server, params)`, its options and its answer on
    failure (a value, or a function of the params)."""

    method: str
    function: HandlerFunction
    options: Any = None
    fallback: Any = None


def guarded(server: TunelintServer, handler: Handler) -> Callable[[Any], Any]:
    """`handler` bound to `server`; an exception is logged to the client, the request gets
    the fallback, and the document it concerned shows no stale diagnostics."""
    where = handler.method
    function = handler.function

    def failed(params: Any, exc: Exception) -> Any:
        server.log_exception(where, exc)
        uri = getattr(getattr(params, "text_document", None), "uri", None)
        if uri is not None and where.startswith("textDocument/did"):
            server.clear(uri)
        fallback = handler.fallback
        return fallback(params) if callable(fallback) else fallback

    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def run_async(params: Any) -> Any:
            try:
                return await function(server, params)
            except Exception as exc:
                return failed(params, exc)

        return run_async

    @functools.wraps(function)
    def run(params: Any) -> Any:
        try:
            return function(server, params)
        except Exception as exc:
            return failed(params, exc)

    return run
