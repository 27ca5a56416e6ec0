"""What the client can do, resolved once at `initialize` (as ruff's server does).

Handlers read these flags instead of walking `ClientCapabilities` on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types


def _get(node: Any, *names: str) -> Any:
    for name in names:
        node = getattr(node, name, None)
        if node is None:
            return None
    return node


def _markdown(formats: Any) -> bool:
    # No stated preference: markdown, as every mainstream client renders it.
    return formats is None or types.MarkupKind.Markdown in formats


def _encoding_name(encoding: Any) -> str:
    """ "utf-8" / "utf-16" / "utf-32", whether pygls hands over the enum or its value."""
    if isinstance(encoding, types.PositionEncodingKind):
        return encoding.value
    return str(encoding or types.PositionEncodingKind.Utf16.value)


@dataclass(frozen=True, slots=True)
class ClientFacts:
    """The client's capabilities that change what the server does."""

    position_encoding: str = types.PositionEncodingKind.Utf16.value
    pull_diagnostics: bool = False  # textDocument/diagnostic, else publishDiagnostics
    diagnostic_refresh: bool = False  # workspace/diagnostic/refresh
    configuration: bool = False  # workspace/configuration
    register_watched_files: bool = False  # dynamic didChangeWatchedFiles
    register_configuration: bool = False  # dynamic didChangeConfiguration
    versioned_edits: bool = False  # WorkspaceEdit.documentChanges
    resolves_code_actions: bool = False  # codeAction/resolve fills `edit`
    show_document: bool = False  # window/showDocument
    inlay_hint_refresh: bool = False  # workspace/inlayHint/refresh
    hover_markdown: bool = True
    completion_markdown: bool = True

    @classmethod
    def resolve(cls, caps: types.ClientCapabilities | None, encoding: str | None) -> ClientFacts:
        """The facts of a client, with the position encoding pygls negotiated."""
        resolve_properties = _get(caps, "text_document", "code_action", "resolve_support")
        return cls(
            position_encoding=_encoding_name(encoding),
            pull_diagnostics=_get(caps, "text_document", "diagnostic") is not None,
            diagnostic_refresh=bool(_get(caps, "workspace", "diagnostics", "refresh_support")),
            configuration=bool(_get(caps, "workspace", "configuration")),
            register_watched_files=bool(
                _get(caps, "workspace", "did_change_watched_files", "dynamic_registration")
            ),
            register_configuration=bool(
                _get(caps, "workspace", "did_change_configuration", "dynamic_registration")
            ),
            versioned_edits=bool(_get(caps, "workspace", "workspace_edit", "document_changes")),
            resolves_code_actions="edit" in (_get(resolve_properties, "properties") or ()),
            show_document=bool(_get(caps, "window", "show_document", "support")),
            inlay_hint_refresh=bool(_get(caps, "workspace", "inlay_hint", "refresh_support")),
            hover_markdown=_markdown(_get(caps, "text_document", "hover", "content_format")),
            completion_markdown=_markdown(
                _get(caps, "text_document", "completion", "completion_item", "documentation_format")
            ),
        )
