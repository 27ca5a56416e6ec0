"""textDocument/completion: keys, enum values, GPU and model names in native configs; keys
and values from the framework option tables in dialect files (YAML and JSON)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from tunelint.server import completion, dialect_keys
from tunelint.server.files import is_declared_config
from tunelint.server.handlers.base import Handler

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer


def on_completion(
    server: TunelintServer, params: types.CompletionParams
) -> types.CompletionList | None:
    document = server.documents.get(params.text_document.uri)
    if document is None:
        return None
    outcome = server.outcomes.get(document.uri)
    native = is_declared_config(document.filename, document.text) or (
        outcome is not None and outcome.result is not None and outcome.result.dialect == "native"
    )
    result = outcome.result if outcome is not None else None
    is_json = (
        result.document.kind == "json"
        if result is not None
        else document.filename.lower().endswith((".json", ".jsonc"))
    )
    if native and is_json:
        return None
    converter = server.converter(document.text)
    markdown = server.client.completion_markdown
    if not native:  # a dialect file: keys and values from its framework's option table
        view = dialect_keys.completion_view(result, server.parsed.get(document.uri))
        answer = dialect_keys.complete_json if is_json else dialect_keys.complete
        return answer(document.text, params.position, converter, markdown, view)
    return completion.complete(document.text, params.position, converter, markdown)


HANDLERS = (
    Handler(
        types.TEXT_DOCUMENT_COMPLETION,
        on_completion,
        types.CompletionOptions(trigger_characters=[":"]),
    ),
)
