"""The model Hub in the server: a keystroke never waits for it (issue 11, item 4).

A local HTTP server answers as the Hugging Face Hub does (HF_ENDPOINT points the real server
at it); its answer for `slow-org/tiny` is held until the test releases it, so the test sees
the diagnostics published while the fetch is still running, then the updated ones.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from lsp_helpers import SERVER_ENV, Doc, is_pull, make_client, pull_until, running_server, until
from lsprotocol import types
from pytest_lsp import ClientServerConfig

pytestmark = pytest.mark.asyncio(loop_scope="module")

TINY = {  # a small Llama-shaped model: any architecture the estimator reads will do
    "model_type": "llama",
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "vocab_size": 2000,
    "max_position_embeddings": 2048,
}
CONFIG = """\
model:
  name: slow-org/tiny
hardware:
  gpu: A10G
"""


class SlowHub(BaseHTTPRequestHandler):
    """Serves `slow-org/tiny`'s config.json once `release` is set; 404 RepoNotFound else."""

    requests: ClassVar[list[str]] = []
    release: ClassVar[threading.Event] = threading.Event()

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.path.startswith("/slow-org/tiny/resolve/main/config.json"):
            type(self).release.wait(30)
            body = json.dumps(TINY).encode()
            self.send_response(200)
        else:
            body = b'{"error": "Repository not found"}'
            self.send_response(404)
            self.send_header("X-Error-Code", "RepoNotFound")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[ClientServerConfig]:
    SlowHub.requests = []
    SlowHub.release = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in SERVER_ENV.items() if k not in ("HF_HUB_OFFLINE", "TUNELINT_OFFLINE")}
    env.update(
        HF_ENDPOINT=f"http://127.0.0.1:{server.server_address[1]}",
        TUNELINT_CACHE_DIR=str(tmp_path / "cache"),
        TUNELINT_HUB_TIMEOUT="30",
        HF_HUB_CACHE=str(tmp_path / "hf-cache"),
        HF_HOME=str(tmp_path / "hf-home"),
        HOME=str(tmp_path / "home"),
    )
    env.pop("HF_TOKEN", None)
    yield ClientServerConfig(
        server_command=[sys.executable, "-m", "tunelint.server"],
        client_factory=make_client,
        server_env=env,
    )
    SlowHub.release.set()
    server.shutdown()
    server.server_close()


def _tl400(diagnostics: list[types.Diagnostic]) -> list[str]:
    return [d.message for d in diagnostics if d.code == "TL400"]


@pytest.mark.parametrize("spec", ["visual_studio_code", "neovim@latest"])
async def test_keystroke_is_answered_before_the_hub_and_updated_after(
    tmp_path: Path, hub: ClientServerConfig, spec: str
) -> None:
    async with running_server(spec, tmp_path, hub) as client:
        doc = Doc(client, tmp_path / "run.tune.yaml", CONFIG).open()
        first = await doc.diagnostics()
        assert _tl400(first) == [
            "memory estimate skipped: fetching the config.json of slow-org/tiny from the "
            "Hugging Face Hub"
        ]
        # A keystroke while the fetch is held: answered at once, still waiting for the Hub.
        doc.replace(CONFIG + "precision: bf16\n")
        second = await doc.diagnostics()
        assert len(_tl400(second)) == 1
        assert not SlowHub.release.is_set()
        await until(lambda: SlowHub.requests, what="the Hub request")
        mark = doc.mark()
        SlowHub.release.set()
        if is_pull(client):
            after = await pull_until(doc, lambda ds: not _tl400(ds))
        else:
            after = await doc.diagnostics(after=mark)
        assert _tl400(after) == []
        # One fetch for both lints (de-duplicated), for config.json only.
        assert SlowHub.requests == ["/slow-org/tiny/resolve/main/config.json"]


@pytest.mark.parametrize(
    ("spec", "options", "env"),
    [
        ("visual_studio_code", {"tunelint": {"offline": True}}, {}),  # the editor's setting
        ("neovim@latest", None, {"TUNELINT_OFFLINE": "1"}),  # the server's environment
        ("neovim@v0.7.0", None, {"HF_HUB_OFFLINE": "1"}),
    ],
)
async def test_offline_keeps_off_the_network(
    tmp_path: Path, hub: ClientServerConfig, spec: str, options: dict | None, env: dict
) -> None:
    config = ClientServerConfig(
        server_command=hub.server_command,
        client_factory=make_client,
        server_env={**hub.server_env, **env},
    )
    async with running_server(spec, tmp_path, config, options) as client:
        doc = Doc(client, tmp_path / "run.tune.yaml", CONFIG).open()
        messages = _tl400(await doc.diagnostics())
        assert len(messages) == 1 and "Hub look-ups are off" in messages[0], messages
        assert SlowHub.requests == []


async def test_project_settings_offline_keeps_that_project_off_the_network(
    tmp_path: Path, hub: ClientServerConfig
) -> None:
    offline, online = tmp_path / "offline", tmp_path / "online"
    offline.mkdir()
    online.mkdir()
    (offline / "tunelint.toml").write_text("offline = true\n")
    (online / "tunelint.toml").write_text("")
    async with running_server("visual_studio_code", tmp_path, hub) as client:
        doc = Doc(client, offline / "run.tune.yaml", CONFIG).open()
        messages = _tl400(await doc.diagnostics())
        assert len(messages) == 1 and "Hub look-ups are off" in messages[0], messages
        assert SlowHub.requests == []
        # Another project in the same workspace still asks the Hub.
        other = Doc(client, online / "run.tune.yaml", CONFIG).open()
        assert "fetching" in _tl400(await other.diagnostics())[0]
        await until(lambda: SlowHub.requests, what="the online project's Hub request")
        SlowHub.release.set()
