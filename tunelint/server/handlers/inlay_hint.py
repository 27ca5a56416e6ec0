"""textDocument/inlayHint: the memory estimate after the model's name (`≈ 21.3 GiB of 24 GiB`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from tunelint.server import estimate
from tunelint.server.handlers.base import Handler

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer


async def inlay_hints(
    server: TunelintServer, params: types.InlayHintParams
) -> list[types.InlayHint]:
    outcome = await server.lint_latest(params.text_document.uri)
    if outcome is None or not outcome.is_config or outcome.result is None:
        return []
    span = estimate.model_span(outcome.result)
    report = estimate.shown_report(outcome.result)
    if span is None or report is None:
        return []
    position = outcome.converter.to_lsp(span.end)
    visible = params.range
    if not (visible.start.line <= position.line <= visible.end.line):
        return []
    markdown = server.client.hover_markdown
    tooltip = types.MarkupContent(
        kind=types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
        value=report.summary(),
    )
    return [
        types.InlayHint(
            position=position, label=estimate.label(report), tooltip=tooltip, padding_left=True
        )
    ]


HANDLERS = (
    Handler(
        types.TEXT_DOCUMENT_INLAY_HINT,
        inlay_hints,
        types.InlayHintOptions(resolve_provider=False),
        fallback=[],
    ),
)
