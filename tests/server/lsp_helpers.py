"""Helpers for driving the real server over stdio with pytest-lsp."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

# Recorded capabilities: VS Code and Neovim 0.7 only take pushed diagnostics; the latest
# Neovim pulls them (textDocument/diagnostic) and prefers UTF-8 columns.
PUSH_CLIENTS = ("visual_studio_code", "neovim@v0.7.0")
PULL_CLIENTS = ("neovim@latest",)
ALL_CLIENTS = PUSH_CLIENTS + PULL_CLIENTS

SERVER_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


class RecordingClient(LanguageClient):
    """pytest-lsp's client, keeping every publishDiagnostics (with its version)."""

    published: list[types.PublishDiagnosticsParams]


def make_client() -> LanguageClient:
    client = RecordingClient(converter_factory=default_converter)
    client.published = []
    features = dict(DEFAULT_CLIENT_FEATURES)

    def publish(client: RecordingClient, params: types.PublishDiagnosticsParams) -> None:
        client.published.append(params)
        client.diagnostics[params.uri] = params.diagnostics

    def register_capability(client: RecordingClient, params: types.RegistrationParams) -> None:
        client.registrations = [*getattr(client, "registrations", []), *params.registrations]

    def inlay_hint_refresh(client: RecordingClient, params: None) -> None:
        client.inlay_hint_refreshes = getattr(client, "inlay_hint_refreshes", 0) + 1

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.WORKSPACE_INLAY_HINT_REFRESH] = inlay_hint_refresh
    features[types.CLIENT_REGISTER_CAPABILITY] = register_capability
    register_lsp_features(client, features)
    return client


SERVER_CONFIG = ClientServerConfig(
    server_command=[sys.executable, "-m", "tunelint.server"],
    client_factory=make_client,
    server_env=SERVER_ENV,
)


def capabilities(spec: str) -> types.ClientCapabilities:
    return client_capabilities(spec)


@contextlib.asynccontextmanager
async def running_server(
    spec: str | types.ClientCapabilities,
    root: Path,
    config: ClientServerConfig = SERVER_CONFIG,
    options: Any = None,
) -> AsyncIterator[LanguageClient]:
    """A server started outside the fixtures; always stopped, even when a test fails."""
    client = await config.start()
    try:
        client.initialize_result = await client.initialize_session(  # type: ignore[attr-defined]
            types.InitializeParams(
                capabilities=capabilities(spec) if isinstance(spec, str) else spec,
                root_uri=root.as_uri(),
                initialization_options=options,
            )
        )
        yield client
        await asyncio.wait_for(client.shutdown_session(), 10)
    finally:
        server = client._server
        if server is not None and server.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                server.kill()  # a failed test must not leave stop() waiting forever
        await client.stop()


def is_pull(client: LanguageClient) -> bool:
    caps = client.capabilities
    return (
        caps is not None
        and caps.text_document is not None
        and caps.text_document.diagnostic is not None
    )


def encoding(client: LanguageClient) -> str:
    caps = client.capabilities
    encodings = caps.general.position_encodings if caps and caps.general else None
    return str(encodings[0]) if encodings else "utf-16"


async def until(
    predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def pull_until(doc: Doc, predicate: Callable[[list[types.Diagnostic]], bool]) -> Any:
    """Pull `doc`'s diagnostics until they satisfy `predicate` (a change that reaches the
    server through a round trip or a background answer lands meanwhile)."""
    found: list[types.Diagnostic] = []
    for _ in range(500):
        found = await doc.diagnostics()
        if predicate(found):
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"pulled diagnostics never changed: {found}")


class Doc:
    """An open document on the client side: its text, version and URI."""

    def __init__(
        self, client: LanguageClient, path: Path, text: str, language: str = "yaml"
    ) -> None:
        self.client = client
        self.path = path
        self.uri = path.resolve().as_uri()
        self.text = text
        self.version = 1
        self.language = language

    def open(self) -> Doc:
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=self.uri, language_id=self.language, version=self.version, text=self.text
                )
            )
        )
        return self

    def replace(self, text: str) -> None:
        """Send the whole new text (a full-document change)."""
        self.version += 1
        self.text = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def edit(self, edits: list[types.TextEdit]) -> None:
        """Apply edits here and send them as incremental changes (as an editor does)."""
        self.version += 1
        changes = []
        for edit in sorted(
            edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
        ):
            self.text = apply_lsp_edits(self.text, [edit], encoding(self.client))
            changes.append(
                types.TextDocumentContentChangePartial(range=edit.range, text=edit.new_text)
            )
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=changes,
            )
        )

    def mark(self) -> int:
        """A point in the push log: `diagnostics(after=mark)` waits for a newer push."""
        return len(self.client.published)  # type: ignore[attr-defined]

    async def diagnostics(self, timeout: float = 10.0, after: int = 0) -> list[types.Diagnostic]:
        """This version's diagnostics: pulled, or waited for as a versioned push (one sent
        after `after` when given: a re-lint of the same version after a settings change)."""
        if is_pull(self.client):
            report = await self.client.text_document_diagnostic_async(
                types.DocumentDiagnosticParams(
                    text_document=types.TextDocumentIdentifier(uri=self.uri)
                )
            )
            return list(report.items)
        version = self.version

        def published() -> list[types.PublishDiagnosticsParams]:
            return [
                p
                for p in self.client.published[after:]  # type: ignore[attr-defined]
                if p.uri == self.uri and p.version == version
            ]

        await until(published, timeout, f"diagnostics of {self.path.name} v{version}")
        return list(published()[-1].diagnostics)


def _offset(text: str, position: types.Position, enc: str) -> int:
    """Offset of an LSP position, computed independently of the server's code."""
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position.line])
    if position.line >= len(lines):
        return len(text)
    line = lines[position.line]
    if enc == "utf-32":
        return start + min(position.character, len(line))
    codec = "utf-16-le" if enc == "utf-16" else "utf-8"
    width = 2 if enc == "utf-16" else 1
    data = line.encode(codec, "surrogatepass")
    prefix = data[: position.character * width].decode(codec, "surrogatepass")
    return start + len(prefix)


def apply_lsp_edits(text: str, edits: list[types.TextEdit], enc: str = "utf-16") -> str:
    spans = sorted(
        (
            (_offset(text, e.range.start, enc), _offset(text, e.range.end, enc), e.new_text)
            for e in edits
        ),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def edits_of(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    if edit.document_changes:
        return [
            e
            for change in edit.document_changes
            if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri
            for e in change.edits
        ]
    return list((edit.changes or {}).get(uri, []))


def utf16_column(line: str, codepoints: int) -> int:
    return len(line[:codepoints].encode("utf-16-le")) // 2
