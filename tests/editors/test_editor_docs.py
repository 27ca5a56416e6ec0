"""docs/editors.md: every snippet parses, names settings the server reads, and the Neovim 0.7
one runs in a real headless Neovim (where `nvim` is installed) against the real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from tunelint.server.settings import SECTION, ServerSettings

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "editors.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", DOC, re.S | re.M)
MANIFEST = json.loads((REPO / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
CONTRIBUTED = set(MANIFEST["contributes"]["configuration"]["properties"])
SERVER_KEYS = {
    "".join([f.name.split("_")[0], *(p.title() for p in f.name.split("_")[1:])])
    for f in fields(ServerSettings)
}
NVIM_07 = "-- init.lua (Neovim 0.7+)"

# A native config with two findings (TL101, TL516) and a Kubernetes manifest with none.
CONFIG = """\
model:
  name: Qwen/Qwen2.5-0.5B
peft:
  kind: lora
precision: fp16
hardware:
  gpu: A100-80GB
training:
  warmup_steps: 10
  warmup_ratio: 0.1
"""
MANIFEST_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
"""
PROBE = """\
local out = {}
vim.cmd("edit train.tune.yaml")
vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
vim.wait(1000)
out.config = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out.config, d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code))
end
vim.cmd("edit deploy.yaml")
vim.wait(2000)
out.other = #vim.diagnostic.get(0)
out.clients = #vim.lsp.get_active_clients()
local fh = io.open("result.json", "w")
fh:write(vim.fn.json_encode(out))
fh:close()
vim.cmd("qa!")
"""


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCKS if lang == language]


def test_the_page_has_every_editor() -> None:
    for heading in ("## VS Code", "## Neovim 0.7", "## Neovim 0.10", "## Helix"):
        assert heading in DOC
    lua = blocks("lua")
    assert any(body.startswith(NVIM_07) for body in lua)
    assert any("vim.lsp.start(" in body for body in lua)
    assert any('vim.lsp.config("tunelint"' in body for body in lua)
    assert any('vim.lsp.enable("tunelint")' in body for body in lua)


def test_helix_config_parses_and_adds_the_server() -> None:
    (toml,) = blocks("toml")
    config = tomllib.loads(toml)
    server = config["language-server"]["tunelint"]
    assert server["command"] == "tunelint"
    assert server["args"] == ["server"]
    assert set(server["config"][SECTION]) <= SERVER_KEYS
    languages = {language["name"]: language["language-servers"] for language in config["language"]}
    assert "tunelint" in languages["yaml"]
    assert "tunelint" in languages["json"]


def test_vscode_settings_are_contributed() -> None:
    for body in blocks("json"):
        settings = json.loads(body)
        for key in settings:
            if key.startswith("["):  # a language-specific block
                continue
            assert key in CONTRIBUTED, key


def test_neovim_snippets_start_the_server_with_known_settings() -> None:
    for body in blocks("lua"):
        if "code_action" in body and "cmd" not in body:
            continue
        assert 'cmd = { "tunelint", "server" }' in body
        assert '{ "yaml", "json" }' in body
        keys = re.findall(r"\btunelint = \{ (\w+) = ", body)
        assert keys, "each snippet shows where settings go"
        assert set(keys) <= SERVER_KEYS, keys


@pytest.mark.skipif(
    shutil.which("nvim") is None, reason="nvim not installed (apt-get install neovim)"
)
def test_lua_snippets_parse(tmp_path: Path) -> None:
    for index, body in enumerate(blocks("lua")):
        (tmp_path / f"{index}.lua").write_text(body)
    check = (
        "lua for _, f in ipairs(vim.fn.glob('" + str(tmp_path) + "/*.lua', false, true)) do "
        "local ok, err = loadfile(f) if not ok then io.stderr:write(err .. '\\n') "
        "vim.cmd('cquit 1') end end"
    )
    result = subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", check, "-c", "qa!"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(
    shutil.which("nvim") is None, reason="nvim not installed (apt-get install neovim)"
)
def test_neovim_07_snippet_lints_configs_only(tmp_path: Path) -> None:
    """The documented init.lua, as written: TL101 shows, TL516 is off by its settings, and a
    Kubernetes manifest in the same session gets nothing."""
    (snippet,) = [body for body in blocks("lua") if body.startswith(NVIM_07)]
    (tmp_path / "init.lua").write_text(snippet)
    (tmp_path / "probe.lua").write_text(PROBE)
    (tmp_path / "tunelint.toml").write_text("")  # no project settings from outside the test
    (tmp_path / "train.tune.yaml").write_text(CONFIG)
    (tmp_path / "deploy.yaml").write_text(MANIFEST_YAML)
    # `tunelint` as the snippet names it: the one installed next to this interpreter.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        ["nvim", "--headless", "-u", "init.lua", "-i", "NONE", "-n", "-c", "luafile probe.lua"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["config"] == ["TL101"]
    assert result["other"] == 0
    assert result["clients"] == 1
