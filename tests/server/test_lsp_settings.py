"""Settings: workspace/configuration + didChangeConfiguration, and project settings files
watched through didChangeWatchedFiles; each change re-lints the open documents."""

from __future__ import annotations

from lsp_helpers import Doc, capabilities, is_pull, pull_until, running_server, until
from lsprotocol import types
from pytest_lsp import LanguageClient

CONFIG = """\
model:
  name: Qwen/Qwen2.5-7B-Instruct
precision: fp16
hardware:
  gpu: A100-80GB
"""


def change_settings(client: LanguageClient, section: dict) -> None:
    """As each client does it: VS Code and Neovim >= 0.8 answer workspace/configuration
    (the notification only says "changed"); Neovim 0.7 sends the settings themselves."""
    caps = client.capabilities
    if caps.workspace is not None and caps.workspace.configuration:
        client.set_configuration(section, section="tunelint")
        settings = None
    else:
        settings = {"tunelint": section}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=settings))


async def relinted(
    client: LanguageClient, doc: Doc, mark: int, predicate
) -> list[types.Diagnostic]:
    """Diagnostics after a settings change (pulled until they reflect it, or pushed anew)."""
    if is_pull(client):
        # The settings arrive through a workspace/configuration round trip: pull until then.
        return await pull_until(doc, predicate)
    found = await doc.diagnostics(after=mark)
    assert predicate(found), found
    return found


async def test_configuration_change_relints(fresh_client: LanguageClient, tmp_path):
    client = fresh_client
    doc = Doc(client, tmp_path / "run.tune.yaml", CONFIG).open()
    tl101 = next(d for d in await doc.diagnostics() if d.code == "TL101")
    assert tl101.severity == types.DiagnosticSeverity.Warning

    mark = doc.mark()
    change_settings(client, {"severity": {"TL101": "error"}})
    found = await relinted(
        client, doc, mark, lambda ds: any(d.code == "TL101" and d.severity == 1 for d in ds)
    )
    assert any(d.code == "TL101" for d in found)

    mark = doc.mark()
    change_settings(client, {"ignore": ["TL101"]})
    await relinted(client, doc, mark, lambda ds: not any(d.code == "TL101" for d in ds))


async def test_settings_gpu_drives_rules(fresh_client: LanguageClient, tmp_path):
    client = fresh_client
    text = CONFIG.replace("hardware:\n  gpu: A100-80GB\n", "")
    doc = Doc(client, tmp_path / "run.tune.yaml", text).open()
    assert not any(d.code == "TL101" for d in await doc.diagnostics())
    mark = doc.mark()
    change_settings(client, {"gpu": "H100-80GB"})
    await relinted(client, doc, mark, lambda ds: any(d.code == "TL101" for d in ds))


async def test_project_settings_file_change_relints(fresh_client: LanguageClient, tmp_path):
    client = fresh_client
    doc = Doc(client, tmp_path / "run.tune.yaml", CONFIG).open()
    assert any(d.code == "TL101" for d in await doc.diagnostics())
    caps = client.capabilities.workspace
    if (
        caps
        and caps.did_change_watched_files
        and caps.did_change_watched_files.dynamic_registration
    ):
        # VS Code watches only what the server registers: the settings files' globs.
        await until(
            lambda: any(
                r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
                and "**/tunelint.toml" in [w["globPattern"] for w in r.register_options["watchers"]]
                for r in getattr(client, "registrations", [])
            ),
            what="file watcher registration",
        )
    settings = tmp_path / "tunelint.toml"
    settings.write_text('ignore = ["TL101"]\n')
    mark = doc.mark()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=settings.as_uri(), type=types.FileChangeType.Created)]
        )
    )
    await relinted(client, doc, mark, lambda ds: not any(d.code == "TL101" for d in ds))

    settings.write_text("ignore = []\n")
    mark = doc.mark()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=settings.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await relinted(client, doc, mark, lambda ds: any(d.code == "TL101" for d in ds))


async def test_initialization_options_apply(tmp_path):
    """Settings given at start-up (initializationOptions) apply from the first lint."""
    options = {"settings": {"tunelint": {"ignore": ["TL101"]}}}
    async with running_server("neovim@v0.7.0", tmp_path, options=options) as client:
        doc = Doc(client, tmp_path / "run.tune.yaml", CONFIG + "peft:\n  kind: full\n").open()
        found = await doc.diagnostics()
        assert found and not any(d.code == "TL101" for d in found)


async def test_pull_client_with_refresh_support_is_asked_to_pull_again(tmp_path):
    caps = capabilities("neovim@latest")
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    async with running_server(caps, tmp_path) as client:
        doc = Doc(client, tmp_path / "run.tune.yaml", CONFIG).open()
        assert any(d.code == "TL101" for d in await doc.diagnostics())
        settings = tmp_path / "tunelint.toml"
        settings.write_text('ignore = ["TL101"]\n')
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=settings.as_uri(), type=types.FileChangeType.Created)]
            )
        )
        await until(
            lambda: client.diagnostic_refresh_count > 0, what="workspace/diagnostic/refresh"
        )
        assert not any(d.code == "TL101" for d in await doc.diagnostics())
