"""Hub resolution against a local HTTP server that answers as the Hugging Face Hub does.

The server speaks the Hub's shapes: `/{repo}/resolve/{revision}/config.json` (HEAD and GET,
with X-Repo-Commit and ETag), `/api/models/{repo}`, and the Hub's error headers
(X-Error-Code: GatedRepo / RepoNotFound / EntryNotFound) that huggingface_hub maps to its
exceptions. Nothing of tunelint is mocked: HF_ENDPOINT points the real code at the server.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tunelint.knowledge import model_hub
from tunelint.knowledge.models import lookup_model

COMMIT = "0123456789abcdef0123456789abcdef01234567"
TINY = {
    "model_type": "qwen3",
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "vocab_size": 1000,
    "tie_word_embeddings": True,
}


# PEFT adapter repos: adapter_config.json and no config.json (as alignment-handbook's
# zephyr-7b-sft-qlora), on a base the Hub has, one the catalog has, and one naming no base.
ADAPTERS: dict[str, dict[str, Any]] = {
    "test-org/tiny-qwen3-lora": {
        "peft_type": "LORA",
        "base_model_name_or_path": "test-org/tiny-qwen3",
    },
    "test-org/qwen-lora": {"peft_type": "LORA", "base_model_name_or_path": "Qwen/Qwen2.5-7B"},
    "test-org/slow-lora": {"peft_type": "LORA", "base_model_name_or_path": "slow-org/model"},
    "test-org/no-base-lora": {"peft_type": "LORA", "r": 8},
}


class HubHandler(BaseHTTPRequestHandler):
    """Answers for a few repos; records every request (method, path, auth header)."""

    requests: ClassVar[list[tuple[str, str, str | None]]] = []
    delay_s: ClassVar[float] = 0.0

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def _answer(self, head: bool) -> None:
        type(self).requests.append((self.command, self.path, self.headers.get("Authorization")))
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["api", "models"]:
            repo, rest = "/".join(parts[2:4]), ["resolve", "main", "config.json"]
        else:
            repo, rest = "/".join(parts[:2]), parts[2:]
        if repo.lower() == "slow-org/model":
            time.sleep(type(self).delay_s)
        if repo.lower() in ("test-org/tiny-qwen3", "slow-org/model") or repo in ADAPTERS:
            content = TINY
            if repo in ADAPTERS:
                if rest != ["resolve", "main", "adapter_config.json"]:
                    return self._error(404, "EntryNotFound", "Entry not found")
                content = ADAPTERS[repo]
            elif rest != ["resolve", "main", "config.json"]:
                return self._error(404, "EntryNotFound", "Entry not found")
            body = json.dumps(content).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("ETag", '"abc123"')
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return None
        if repo == "gated-org/model":
            return self._error(401, "GatedRepo", "Access to model gated-org/model is restricted.")
        if repo == "test-org/no-config":
            return self._error(404, "EntryNotFound", "Entry not found")
        return self._error(404, "RepoNotFound", "Repository not found")

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[HubHandler]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    HubHandler.requests = []
    HubHandler.delay_s = 0.0
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("TUNELINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for var in ("HF_HUB_OFFLINE", "TUNELINT_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("tunelint.knowledge.models.hf_cache_dirs", lambda: [tmp_path / "hf"])
    model_hub.forget_memory()
    yield HubHandler
    server.shutdown()
    server.server_close()
    model_hub.forget_memory()
    model_hub.set_network_mode("inline")


def _config_gets(handler: type[HubHandler]) -> list[str]:
    return [path for method, path, _ in handler.requests if method == "GET"]


def test_found_fetches_only_config_json_and_caches_it(hub: type[HubHandler]) -> None:
    lookup = lookup_model("test-org/tiny-qwen3")
    assert lookup.spec is not None and lookup.via == "hub"
    # q/k/v/o (no bias), q/k norms, gated MLP, two RMSNorms; tied head; final norm.
    layer = 64 * 64 + 2 * 64 * 32 + 64 * 64 + 2 * 16 + 3 * 64 * 128 + 2 * 64
    assert lookup.spec.param_count() == 1000 * 64 + 2 * layer + 64
    assert _config_gets(hub) == ["/test-org/tiny-qwen3/resolve/main/config.json"]
    assert len(hub.requests) == 1
    # Cached: in memory, then on disk (a new process), case-insensitively.
    assert lookup_model("test-org/tiny-qwen3").spec is not None
    model_hub.forget_memory()
    again = lookup_model("Test-Org/Tiny-Qwen3")
    assert again.spec is not None and again.spec.param_count() == lookup.spec.param_count()
    assert len(hub.requests) == 1


def test_expired_answer_is_fetched_again(hub: type[HubHandler]) -> None:
    assert lookup_model("test-org/tiny-qwen3").spec is not None
    records = list(Path(model_hub.cache_dir()).rglob("*.json"))
    assert len(records) == 1
    data = json.loads(records[0].read_text())
    data["fetched_at"] -= 8 * 86400  # older than the 7-day expiry of a found config
    records[0].write_text(json.dumps(data))
    model_hub.forget_memory()
    assert lookup_model("test-org/tiny-qwen3").spec is not None
    assert len(_config_gets(hub)) == 2


def test_gated_repo_gives_a_clear_reason_and_is_cached(hub: type[HubHandler]) -> None:
    lookup = lookup_model("gated-org/model")
    assert lookup.spec is None and lookup.via == "hub"
    assert "gated" in (lookup.reason or "") and "HF_TOKEN" in (lookup.reason or "")
    model_hub.forget_memory()
    assert lookup_model("gated-org/model").reason == lookup.reason
    assert len(hub.requests) == 1  # "gated" is kept on disk for a day


def test_token_is_sent(hub: type[HubHandler], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_testtoken")
    lookup_model("gated-org/model")
    assert hub.requests and hub.requests[0][2] == "Bearer hf_testtoken"


def test_missing_repo_and_missing_config(hub: type[HubHandler]) -> None:
    missing = lookup_model("nobody/nothing")
    assert missing.spec is None
    assert "was not found on the Hugging Face Hub" in (missing.reason or "")
    assert "no local folder" in (missing.reason or "")
    no_config = lookup_model("test-org/no-config")
    assert no_config.spec is None and "no config.json" in (no_config.reason or "")


def test_slow_hub_times_out(hub: type[HubHandler], monkeypatch: pytest.MonkeyPatch) -> None:
    hub.delay_s = 3.0
    monkeypatch.setenv("TUNELINT_HUB_TIMEOUT", "0.5")
    start = time.monotonic()
    lookup = lookup_model("slow-org/model")
    assert time.monotonic() - start < 2.5
    assert lookup.spec is None and "did not answer within 0.5 s" in (lookup.reason or "")
    # Kept for 10 minutes (also across processes): the next run does not wait again.
    model_hub.forget_memory()
    start = time.monotonic()
    assert lookup_model("slow-org/model").reason == lookup.reason
    assert time.monotonic() - start < 0.5
    records = list(Path(model_hub.cache_dir()).rglob("*.json"))
    assert len(records) == 1
    data = json.loads(records[0].read_text())
    data["fetched_at"] -= 601
    records[0].write_text(json.dumps(data))
    model_hub.forget_memory()
    hub.delay_s = 0.0
    assert lookup_model("slow-org/model").spec is not None


@pytest.mark.parametrize("switch", ["TUNELINT_OFFLINE", "HF_HUB_OFFLINE", "argument", "mode"])
def test_offline_never_touches_the_network(
    hub: type[HubHandler], monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    offline: bool | None = None
    if switch == "argument":
        offline = True
    elif switch == "mode":
        model_hub.set_network_mode("off")
    else:
        monkeypatch.setenv(switch, "1")
    lookup = lookup_model("test-org/tiny-qwen3", offline=offline)
    assert lookup.spec is None and "Hub look-ups are off" in (lookup.reason or "")
    assert hub.requests == []


def test_offline_says_offline_even_after_a_failed_fetch(
    hub: type[HubHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached timeout is no answer: offline, the reason is "look-ups are off" on every
    machine (generated docs and offline CI must not depend on a failure cached earlier)."""
    hub.delay_s = 3.0
    monkeypatch.setenv("TUNELINT_HUB_TIMEOUT", "0.5")
    assert "did not answer" in (lookup_model("slow-org/model").reason or "")
    model_hub.forget_memory()
    monkeypatch.setenv("TUNELINT_OFFLINE", "1")
    reason = lookup_model("slow-org/model").reason or ""
    assert "Hub look-ups are off" in reason and "did not answer" not in reason


def test_offline_still_uses_answers_fetched_before(
    hub: type[HubHandler], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lookup_model("test-org/tiny-qwen3").spec is not None
    model_hub.forget_memory()
    monkeypatch.setenv("TUNELINT_OFFLINE", "1")
    assert lookup_model("test-org/tiny-qwen3").spec is not None
    assert len(hub.requests) == 1


def test_background_fetch_answers_at_once_then_calls_back(hub: type[HubHandler]) -> None:
    hub.delay_s = 1.0
    start = time.monotonic()
    first = lookup_model("slow-org/model", blocking=False)
    assert time.monotonic() - start < 0.5  # the keystroke is not held by the Hub
    assert first.spec is None and first.pending
    done = threading.Event()
    answers: list[model_hub.HubAnswer] = []

    def callback(repo: str, answer: model_hub.HubAnswer) -> None:
        answers.append(answer)
        done.set()

    # The fetch started by the lookup is running: a second caller joins it.
    assert model_hub.fetch_in_background("slow-org/model", callback) is False
    assert done.wait(10)
    assert answers[0].status == "found"
    assert len(_config_gets(hub)) == 1
    after = lookup_model("slow-org/model", blocking=False)
    assert after.spec is not None and not after.pending


def test_background_mode_makes_lookup_non_blocking(hub: type[HubHandler]) -> None:
    model_hub.set_network_mode("background")
    hub.delay_s = 1.0
    start = time.monotonic()
    assert lookup_model("slow-org/model").pending
    assert time.monotonic() - start < 0.5
    deadline = time.monotonic() + 10
    while model_hub.is_fetching("slow-org/model") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lookup_model("slow-org/model").spec is not None


def test_huggingface_hub_is_not_imported_by_resolution_alone() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from tunelint.knowledge.models import lookup_model; "
        "lookup_model('meta-llama/Llama-3.1-8B'); "
        "print('huggingface_hub' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_fake_hub_satisfies_huggingface_hub_itself(
    hub: type[HubHandler], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The server is Hub-shaped: huggingface_hub's own hf_hub_download (HEAD for the
    metadata, then GET) downloads from it and maps its errors, so the answers the tests
    above give tunelint are the ones the real Hub gives."""
    huggingface_hub = pytest.importorskip("huggingface_hub")
    from huggingface_hub import constants, errors

    # conftest turns huggingface_hub's offline mode on at import; this test needs the network.
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    endpoint = os.environ["HF_ENDPOINT"]
    path = huggingface_hub.hf_hub_download(
        "test-org/tiny-qwen3", "config.json", endpoint=endpoint, cache_dir=tmp_path / "dl"
    )
    assert json.loads(Path(path).read_text()) == TINY
    methods = [method for method, url, _ in hub.requests if url.endswith("/config.json")]
    assert methods[:2] == ["HEAD", "GET"]
    assert COMMIT in path  # the snapshot folder is named by X-Repo-Commit
    with pytest.raises(errors.GatedRepoError):
        huggingface_hub.hf_hub_download(
            "gated-org/model", "config.json", endpoint=endpoint, cache_dir=tmp_path / "dl"
        )
    with pytest.raises(errors.RepositoryNotFoundError):
        huggingface_hub.hf_hub_download(
            "nobody/nothing", "config.json", endpoint=endpoint, cache_dir=tmp_path / "dl"
        )


def _check_cli(folder: Path, *flags: str) -> str:
    import subprocess
    import sys

    config = folder / "run.tune.yaml"
    config.write_text(
        "model:\n  name: test-org/tiny-qwen3\nmethod:\n  kind: sft\npeft:\n  kind: lora\n"
        "precision: bf16\nhardware:\n  gpu: A100-80GB\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "tunelint.cli", "check", "--format", "concise", *flags, str(config)],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    return done.stdout + done.stderr


def test_check_fetches_inline_and_offline_flag_or_setting_turns_it_off(
    hub: type[HubHandler], tmp_path: Path
) -> None:
    offline = _check_cli(tmp_path, "--offline")
    assert hub.requests == []
    assert "TL400" in offline and "off" in offline
    (tmp_path / "tunelint.toml").write_text("offline = true\n", encoding="utf-8")
    assert "TL400" in _check_cli(tmp_path)
    assert hub.requests == []
    (tmp_path / "tunelint.toml").unlink()
    online = _check_cli(tmp_path)
    assert _config_gets(hub) == ["/test-org/tiny-qwen3/resolve/main/config.json"]
    assert "TL400" not in online


# --- adapter repos (adapter_config.json, no config.json) ----------------------------------------
def test_adapter_repo_resolves_to_its_base_on_the_hub(hub: type[HubHandler]) -> None:
    lookup = lookup_model("test-org/tiny-qwen3-lora")
    direct = lookup_model("test-org/tiny-qwen3")
    assert lookup.spec is not None and direct.spec is not None
    assert lookup.spec.param_count() == direct.spec.param_count()
    assert lookup.adapter_base == "test-org/tiny-qwen3" and lookup.via == "hub"
    assert any("PEFT adapter on test-org/tiny-qwen3" in note for note in lookup.notes)
    # config.json first (404 EntryNotFound), then adapter_config.json, then the base's config.
    assert _config_gets(hub) == [
        "/test-org/tiny-qwen3-lora/resolve/main/config.json",
        "/test-org/tiny-qwen3-lora/resolve/main/adapter_config.json",
        "/test-org/tiny-qwen3/resolve/main/config.json",
    ]
    # Both answers are kept: a new process, offline, resolves the same without a request.
    model_hub.forget_memory()
    again = lookup_model("test-org/tiny-qwen3-lora", offline=True)
    assert again.spec is not None and again.adapter_base == "test-org/tiny-qwen3"
    assert len(hub.requests) == 3


def test_adapter_on_a_catalog_model_needs_no_second_fetch(hub: type[HubHandler]) -> None:
    lookup = lookup_model("test-org/qwen-lora")
    assert lookup.spec is not None and lookup.spec.name == "Qwen2.5-7B"
    assert lookup.adapter_base == "Qwen/Qwen2.5-7B"
    assert len(_config_gets(hub)) == 2  # config.json (none), adapter_config.json


def test_adapter_without_a_base_or_without_any_config(hub: type[HubHandler]) -> None:
    no_base = lookup_model("test-org/no-base-lora")
    assert no_base.spec is None
    assert "no config.json" in (no_base.reason or "")
    assert "names no base_model_name_or_path" in (no_base.reason or "")
    none = lookup_model("test-org/no-config")  # neither file: as before
    assert none.spec is None and "no config.json" in (none.reason or "")
    assert "adapter" not in (none.reason or "")


def test_adapter_in_background_waits_for_the_base_it_names(hub: type[HubHandler]) -> None:
    """The server joins the fetch the lookup waits for: the adapter repo's, then its base's."""
    hub.delay_s = 0.5
    first = lookup_model("test-org/slow-lora", blocking=False)
    assert first.pending and first.waiting_for == "test-org/slow-lora"
    deadline = time.monotonic() + 10
    while model_hub.is_fetching("test-org/slow-lora") and time.monotonic() < deadline:
        time.sleep(0.05)
    second = lookup_model("test-org/slow-lora", blocking=False)
    assert second.pending and second.waiting_for == "slow-org/model"
    while model_hub.is_fetching("slow-org/model") and time.monotonic() < deadline:
        time.sleep(0.05)
    done = lookup_model("test-org/slow-lora", blocking=False)
    assert done.spec is not None and not done.pending
    assert done.adapter_base == "slow-org/model"


def test_adapter_in_the_hf_cache(hub: type[HubHandler], tmp_path: Path) -> None:
    base = tmp_path / "hf" / "models--acme--cached-lora"
    snap = base / "snapshots" / COMMIT
    snap.mkdir(parents=True)
    (snap / "adapter_config.json").write_text(
        json.dumps({"base_model_name_or_path": "Qwen/Qwen2.5-0.5B", "peft_type": "LORA"})
    )
    (base / "refs").mkdir()
    (base / "refs" / "main").write_text(COMMIT)
    lookup = lookup_model("acme/cached-lora")
    assert lookup.spec is not None and lookup.spec.name == "Qwen2.5-0.5B"
    assert lookup.via == "hf-cache" and lookup.adapter_base == "Qwen/Qwen2.5-0.5B"
    assert hub.requests == []
