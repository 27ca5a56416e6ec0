"""initialize, initialized, shutdown: client facts, settings, watchers, orderly exit."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tunelint.server.capabilities import ClientFacts
from tunelint.server.handlers.base import Handler
from tunelint.server.handlers.workspace import fetch_configuration, register_watchers
from tunelint.server.settings import ServerSettings

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer

log = logging.getLogger("tunelint.server")

# A lint of a large config allocates ~100k short-lived objects: collect the young
# generation less often, and never rescan what was loaded at start-up (gc.freeze), which
# halves the slowest lints of a 5,000-line file.
GC_THRESHOLDS = (20_000, 20, 20)


def initialize(server: TunelintServer, params: types.InitializeParams) -> None:
    server.client = ClientFacts.resolve(params.capabilities, server.workspace.position_encoding)
    settings, warnings = ServerSettings.from_client(params.initialization_options)
    server.use_settings(settings)
    for warning in warnings:
        log.warning("initializationOptions: %s", warning)


def initialized(server: TunelintServer, params: types.InitializedParams) -> None:
    async def configure() -> None:
        try:
            await register_watchers(server)
        except Exception as exc:
            server.log_exception("registering file watchers", exc)
        try:
            await fetch_configuration(server)
        except Exception as exc:
            server.log_exception("workspace/configuration", exc)

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    server.scheduler.spawn(configure())


def shutdown(server: TunelintServer, params: Any) -> None:
    server.shutdown_requested = True
    server.stop()


HANDLERS = (
    Handler(types.INITIALIZE, initialize),
    Handler(types.INITIALIZED, initialized),
    Handler(types.SHUTDOWN, shutdown),
)
