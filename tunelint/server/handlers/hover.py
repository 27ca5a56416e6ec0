"""textDocument/hover: rule docs on a finding, the key's meaning from the Plan schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from tunelint.server import hover as hover_docs
from tunelint.server.handlers.base import Handler

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer


async def on_hover(server: TunelintServer, params: types.HoverParams) -> types.Hover | None:
    outcome = await server.lint_latest(params.text_document.uri)
    if outcome is None or not outcome.is_config:
        return None
    return hover_docs.hover(outcome, params.position, server.client.hover_markdown)


HANDLERS = (Handler(types.TEXT_DOCUMENT_HOVER, on_hover),)
