"""`workspace/executeCommand` `tunelint.init`: the CLI's flags as one object, the same
decision and writer; the config is shown (window/showDocument) and checks clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import running_server
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from tunelint.lint import lint_file

pytestmark = pytest.mark.asyncio(loop_scope="module")

BASE = {"goal": "improve-existing", "model": "meta-llama/Llama-3.2-1B", "gpu": "RTX 4090"}


def _command(arguments: list) -> types.ExecuteCommandParams:
    return types.ExecuteCommandParams(command="tunelint.init", arguments=arguments)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tunelint.toml").write_text("")  # no settings leak from above
    return tmp_path


async def test_init_writes_shows_and_is_advertised(project: Path) -> None:
    async with running_server("visual_studio_code", project) as client:
        provider = client.initialize_result.capabilities.execute_command_provider
        assert provider is not None and "tunelint.init" in provider.commands
        result = await client.workspace_execute_command_async(_command([BASE]))
        written = project / "llama-3-2-1b-dpo.tune.yaml"
        assert result["config"] == str(written)
        assert result["written"] == [str(written)]
        assert "dpo" in result["summary"] and "RTX 4090" in result["summary"]
        assert "kind: dpo  # TL202" in written.read_text()
        assert lint_file(written).diagnostics == []
        shown = client.shown_documents
        assert [p.uri for p in shown] == [written.resolve().as_uri()]


async def test_init_other_format_and_output_flags(project: Path) -> None:
    arguments = {**BASE, "format": "axolotl", "output": "ax/cfg.yml", "gpuCount": 1, "days": 10}
    async with running_server("neovim@latest", project) as client:
        result = await client.workspace_execute_command_async(_command([arguments]))
        config = project / "ax" / "cfg.yml"
        assert result["config"] == str(config)
        assert sorted(result["written"]) == sorted([str(config), str(project / "ax/tunelint.toml")])
        assert lint_file(config).diagnostics == []


async def test_init_never_overwrites_without_force(project: Path) -> None:
    target = project / "mine.tune.yaml"
    target.write_text("# mine\n")
    async with running_server("visual_studio_code", project) as client:
        with pytest.raises(JsonRpcException) as failed:
            await client.workspace_execute_command_async(
                _command([{**BASE, "output": "mine.tune.yaml"}])
            )
        assert failed.value.code == -32803
        assert "exists" in failed.value.message and "--force" in failed.value.message
        assert target.read_text() == "# mine\n"
        await client.workspace_execute_command_async(
            _command([{**BASE, "output": "mine.tune.yaml", "force": True}])
        )
        assert "kind: dpo" in target.read_text()


async def test_nothing_fits_is_an_error_that_says_what_would(project: Path) -> None:
    arguments = {
        "goal": "new-capability",
        "model": "meta-llama/Llama-3.1-70B",
        "gpu": "RTX 3060-8GB",
    }
    async with running_server("visual_studio_code", project) as client:
        with pytest.raises(JsonRpcException) as failed:
            await client.workspace_execute_command_async(_command([arguments]))
        error = failed.value
        assert error.code == -32803
        assert "nothing written" in error.message and "does not fit RTX 3060-8GB" in error.message
        assert "what would fit:" in error.message and error.data["suggestions"]
        assert sorted(project.iterdir()) == [project / "tunelint.toml"]
        assert client.shown_documents == []


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ([{"model": "meta-llama/Llama-3.2-1B"}], "missing goal, gpu"),
        ([{**BASE, "gpu": "RTX 4091"}], "did you mean RTX 4090"),
        ([{**BASE, "gpu_count": 0}], "gpu-count must be at least 1"),
        ([{**BASE, "gpu_count": "two"}], "gpu_count must be a whole number"),
        ([{**BASE, "colour": "red"}], "unknown argument(s) colour"),
        (["improve-existing"], "takes one object"),
    ],
)
async def test_bad_arguments_are_invalid_params(project: Path, arguments: list, says: str) -> None:
    async with running_server("neovim@latest", project) as client:
        with pytest.raises(JsonRpcInvalidParams) as failed:
            await client.workspace_execute_command_async(_command(arguments))
        assert says in failed.value.message
        assert sorted(project.iterdir()) == [project / "tunelint.toml"]
