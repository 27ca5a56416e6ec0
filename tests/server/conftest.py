"""Fixtures: a real `python -m tunelint.server` per test, one per recorded client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

# The helpers module sits next to this file; importable whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).parent))

from lsp_helpers import ALL_CLIENTS, SERVER_CONFIG, capabilities


async def _start(lsp_client: LanguageClient, spec: str, root, options=None) -> None:
    params = types.InitializeParams(
        capabilities=capabilities(spec),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
        initialization_options=options,
    )
    await lsp_client.initialize_session(params)


@pytest_lsp.fixture(config=SERVER_CONFIG, params=ALL_CLIENTS, scope="module")
async def client(request, tmp_path_factory, lsp_client: LanguageClient):
    """A server per test module and recorded client (VS Code, Neovim 0.7, latest Neovim).

    Shared by a module's tests (each opens its own files); tests that change settings use
    `fresh_client`. Test modules run on the module's event loop (`pytestmark`).
    """
    await _start(lsp_client, request.param, tmp_path_factory.mktemp("ws"))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER_CONFIG, params=ALL_CLIENTS)
async def fresh_client(request, tmp_path, lsp_client: LanguageClient):
    """A server of its own for one test (settings changes, crash tests)."""
    await _start(lsp_client, request.param, tmp_path)
    yield
    await lsp_client.shutdown_session()
