"""textDocument/diagnostic: pulled diagnostics, with result ids for unchanged reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from tunelint.server.handlers.base import Handler

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer


async def pull(
    server: TunelintServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    outcome = await server.lint_latest(params.text_document.uri)
    if outcome is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    if params.previous_result_id == outcome.result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=outcome.result_id)
    items = outcome.diagnostics if outcome.is_config else []
    return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=outcome.result_id)


HANDLERS = (
    Handler(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        pull,
        types.DiagnosticOptions(
            identifier="tunelint", inter_file_dependencies=False, workspace_diagnostics=False
        ),
        fallback=types.RelatedFullDocumentDiagnosticReport(items=[]),
    ),
)
