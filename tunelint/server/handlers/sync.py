"""Text document sync: didOpen, didChange, didSave, didClose."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from tunelint.server.files import is_settings_file
from tunelint.server.handlers.base import Handler

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer


def did_open(server: TunelintServer, params: types.DidOpenTextDocumentParams) -> None:
    document = server.documents.open(params.text_document)
    if not is_settings_file(document.filename) and not server.client.pull_diagnostics:
        server.scheduler.schedule(document.uri)


def did_change(server: TunelintServer, params: types.DidChangeTextDocumentParams) -> None:
    document = server.documents.change(params, server.client.position_encoding)
    if document is None or is_settings_file(document.filename):
        return
    if not server.client.pull_diagnostics:
        server.scheduler.schedule(document.uri)


def did_save(server: TunelintServer, params: types.DidSaveTextDocumentParams) -> None:
    document = server.documents.get(params.text_document.uri)
    if document is None:
        return
    if is_settings_file(document.filename):
        from tunelint.config.settings import clear_settings_cache

        clear_settings_cache()
        server.settings_changed()
        return
    server.relint_on_save(document.uri)


def did_close(server: TunelintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    server.scheduler.cancel(uri)
    server.documents.close(uri)
    server.clear(uri)


HANDLERS = (
    Handler(types.TEXT_DOCUMENT_DID_OPEN, did_open),
    Handler(types.TEXT_DOCUMENT_DID_CHANGE, did_change),
    Handler(types.TEXT_DOCUMENT_DID_SAVE, did_save),
    Handler(types.TEXT_DOCUMENT_DID_CLOSE, did_close),
)
