"""The VS Code extension (editors/vscode/) against the server it starts.

The manifest checks are plain Python; the last test runs the compiled extension under node
(with a stand-in for the `vscode` module) and needs npm plus `editors/vscode/build.sh`'s
node_modules. CI builds the .vsix itself with build.sh.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from tunelint.cli import COMMANDS
from tunelint.server.files import NATIVE_NAMES, NATIVE_SUFFIXES, SETTINGS_NAMES
from tunelint.server.settings import SECTION, SEVERITIES, ServerSettings

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
SOURCE = (EXTENSION / "src" / "extension.ts").read_text(encoding="utf-8")
MANIFEST: dict[str, Any] = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
CONTRIBUTED: dict[str, Any] = MANIFEST["contributes"]["configuration"]["properties"]

# Settings the extension itself reads; the server ignores them (they still arrive in the
# `tunelint` section it asks for, so it must tolerate them).
CLIENT_ONLY = {"server.command", "server.python", "trace.server"}
# A value other than the default for each JSON type, as a user would write it.
SAMPLES: dict[str, Any] = {
    "boolean": False,
    "string": "A100-80GB",
    "array": ["TL101"],
    "object": {"TL101": "error"},
    "number": 200,
}


def server_keys() -> dict[str, Any]:
    prefix = f"{SECTION}."
    assert all(key.startswith(prefix) for key in CONTRIBUTED), "every setting is tunelint.*"
    keys = {key.removeprefix(prefix): spec for key, spec in CONTRIBUTED.items()}
    return {key: spec for key, spec in keys.items() if key not in CLIENT_ONLY}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """The section as VS Code sends it: `server.command` becomes {"server": {"command": ...}}."""
    section: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = section
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = value
    return section


def test_contributed_settings_are_the_ones_the_server_reads() -> None:
    assert set(server_keys()) == {camel(f.name) for f in fields(ServerSettings)}
    assert {key.removeprefix(f"{SECTION}.") for key in CONTRIBUTED} >= CLIENT_ONLY


@pytest.mark.parametrize("key", sorted(server_keys()))
def test_the_server_applies_each_contributed_setting(key: str) -> None:
    spec = server_keys()[key]
    # A boolean's sample is the opposite of its default (`enable` is on, `offline` off).
    sample = not spec["default"] if spec["type"] == "boolean" else SAMPLES[spec["type"]]
    settings, warnings = ServerSettings.from_client({SECTION: {key: sample}})
    assert warnings == []
    assert settings != ServerSettings(), f"the server ignored tunelint.{key}"


def test_the_defaults_are_the_server_defaults() -> None:
    """VS Code sends the whole section, client-only keys included: no warning, no change."""
    defaults = {key: spec["default"] for key, spec in CONTRIBUTED.items()}
    assert ServerSettings.from_client(nested(defaults)) == (ServerSettings(), [])


def test_severity_values_match() -> None:
    spec = CONTRIBUTED[f"{SECTION}.severity"]["additionalProperties"]
    assert set(spec["enum"]) == SEVERITIES


def test_the_default_command_runs_the_server() -> None:
    default = CONTRIBUTED[f"{SECTION}.server.command"]["default"]
    assert default == ["tunelint", "server"]
    assert 'DEFAULT_COMMAND = ["tunelint", "server"]' in SOURCE
    assert "server" in COMMANDS
    # `<python> -m tunelint.cli server` needs a __main__ guard in the module it names.
    assert '"-m", "tunelint.cli", "server"' in SOURCE
    assert 'if __name__ == "__main__"' in (REPO / "tunelint" / "cli.py").read_text()


def test_native_files_are_associated_and_validated() -> None:
    contributes = MANIFEST["contributes"]
    patterns = {
        language["id"]: set(language["filenamePatterns"]) for language in contributes["languages"]
    }
    assert {f"*{suffix}" for suffix in NATIVE_SUFFIXES} == patterns["yaml"] | patterns["json"]
    assert all(p.endswith((".yaml", ".yml")) for p in patterns["yaml"])
    assert all(p.endswith(".json") for p in patterns["json"])

    validated = {
        match
        for entry in contributes["yamlValidation"] + contributes["jsonValidation"]
        for match in entry["fileMatch"]
    }
    assert validated == {f"*{suffix}" for suffix in NATIVE_SUFFIXES} | NATIVE_NAMES
    for entry in contributes["yamlValidation"] + contributes["jsonValidation"]:
        assert entry["url"] == "./schemas/tunelint.schema.json"
    # The schema is copied from the repository at build time, never committed twice.
    assert (REPO / "schemas" / "tunelint.schema.json").is_file()
    copier = (EXTENSION / "scripts" / "copy-schema.mjs").read_text(encoding="utf-8")
    assert '"..", "..", "schemas", "tunelint.schema.json"' in copier
    ignored = (EXTENSION / ".gitignore").read_text().split()
    assert {"node_modules/", "out/", "*.vsix", "schemas/"} <= set(ignored)


def test_activation_covers_the_document_selector() -> None:
    languages = set(re.findall(r'language: "([\w-]+)"', SOURCE))
    assert languages == {"yaml", "json"}
    assert {f"onLanguage:{language}" for language in languages} <= set(MANIFEST["activationEvents"])
    assert "*" not in MANIFEST["activationEvents"]


def test_settings_files_are_watched() -> None:
    glob = re.search(r'SETTINGS_FILES_GLOB = "\*\*/\{([^}]*)\}"', SOURCE)
    assert glob is not None
    assert set(glob.group(1).split(",")) == SETTINGS_NAMES
    assert "fileEvents: vscode.workspace.createFileSystemWatcher(SETTINGS_FILES_GLOB)" in SOURCE


def test_contributed_commands_are_registered() -> None:
    commands = {command["command"] for command in MANIFEST["contributes"]["commands"]}
    assert "tunelint.restartServer" in commands
    for command in commands:
        assert f'registerCommand("{command}"' in SOURCE


def test_engine_and_types_agree() -> None:
    """vsce refuses a package whose @types/vscode is newer than engines.vscode."""
    engine = MANIFEST["engines"]["vscode"].lstrip("^~")
    types = MANIFEST["devDependencies"]["@types/vscode"].lstrip("^~")
    assert tuple(map(int, types.split(".")[:2])) <= tuple(map(int, engine.split(".")[:2]))
    assert MANIFEST["dependencies"]["vscode-languageclient"].lstrip("^~").startswith("9.")


def test_compiled_extension_starts_the_server(tmp_path: Path, compiled_vscode_extension: str) -> None:
    """Compile, then activate out/extension.js against the real server (via this Python)."""
    node = compiled_vscode_extension

    settings = {
        "tunelint.server.python": sys.executable,
        "tunelint.gpu": "A100-80GB",
        "tunelint.severity": {"TL101": "error"},
        "tunelint.trace.server": "verbose",
    }
    env = {**os.environ, "TUNELINT_SMOKE_SETTINGS": json.dumps(settings)}
    smoke = subprocess.run(
        [node, "scripts/smoke.js"],
        cwd=EXTENSION,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = smoke.stdout + smoke.stderr
    assert smoke.returncode == 0, out
    assert f"starting {sys.executable} -m tunelint.cli server" in out
    assert "Received response 'initialize" in out, out
    assert "[error message]" not in out, out
    # The server asked for the `tunelint` section and got the user's values.
    answer = out.split("Sending response 'workspace/configuration", 1)
    assert len(answer) == 2, out
    assert '"gpu": "A100-80GB"' in answer[1]
    assert "[smoke] done" in out
