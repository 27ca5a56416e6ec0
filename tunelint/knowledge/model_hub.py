"""A model's `config.json` from the Hugging Face Hub: one GET, cached, never a traceback.

Resolution (models.lookup_model) asks here last, after the catalog, a local folder and the
HF cache. Only `{endpoint}/{repo}/resolve/{revision}/config.json` is requested (and, when the
repo has none, its `adapter_config.json`: a PEFT adapter repo, answered as "adapter" with the
base model it names), through
huggingface_hub's URL builder, auth headers (HF_TOKEN or the stored login) and error mapping
(`hf_raise_for_status`: GatedRepo, RepoNotFound, EntryNotFound); huggingface_hub is imported
only when a fetch happens, so `tunelint check` does not pay for it at start-up.

Settings (read at call time):
- HF_ENDPOINT: the Hub's address (a mirror); HF_TOKEN: the token for gated/private repos.
- TUNELINT_OFFLINE=1 or HF_HUB_OFFLINE=1: no network (the `offline` argument wins over both).
- TUNELINT_HUB_TIMEOUT: seconds to wait for the Hub (default 5).
- TUNELINT_CACHE_DIR: where answers are kept (default $XDG_CACHE_HOME/tunelint, else
  ~/.cache/tunelint). A found config is kept for 7 days; "gated", "missing" and "no
  config.json" for a day; a timeout or network failure for 10 minutes.

Language server (never block a keystroke):
- `cached_answer(repo_id)` answers from the cache without the network (None: not known);
- `fetch_in_background(repo_id, callback)` fetches in a daemon thread, at most one per repo
  at a time (later callers of the same repo join the running fetch), and calls
  `callback(repo_id, answer)` from that thread when the answer is in; the server then
  re-lints and re-publishes. `set_network_mode("background")` makes `lookup_model` use this
  itself: it returns a miss marked `pending` instead of waiting.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from tunelint.knowledge.disk_cache import cache_dir

Status = Literal["found", "adapter", "gated", "missing", "no-config", "error", "offline"]
NetworkMode = Literal["inline", "background", "off"]

DEFAULT_TIMEOUT_S = 5.0
_TTL_S: dict[str, float] = {
    "found": 7 * 86400,
    "adapter": 7 * 86400,
    "gated": 86400,
    "missing": 86400,
    "no-config": 86400,
    # A timeout or network failure: kept briefly, so a machine behind a firewall does not
    # pay the timeout on every `tunelint check` (a pre-commit hook runs it per commit).
    "error": 600,
}
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class HubAnswer:
    """What the Hub said about one repo's config.json (status "adapter": none, but an
    adapter_config.json, kept in `config` as {"base_model_name_or_path": ...})."""

    repo_id: str
    status: Status
    config: dict[str, Any] | None = None
    reason: str | None = None
    fetched_at: float = 0.0

    def fresh(self, now: float | None = None) -> bool:
        return (now or time.time()) - self.fetched_at < _TTL_S.get(self.status, 0)


_mode: NetworkMode = "inline"
_memory: dict[str, HubAnswer] = {}
_running: dict[str, list[Callable[[str, HubAnswer], None]]] = {}
_lock = threading.Lock()


def set_network_mode(mode: NetworkMode) -> None:
    """How `lookup_model` reaches the Hub by default: inline (CLI), background (server), off."""
    global _mode
    _mode = mode


def network_mode() -> NetworkMode:
    return _mode


def is_hub_id(name: str) -> bool:
    """`owner/name`, as the Hub spells repository ids."""
    return bool(_HUB_ID.fullmatch(name)) and ".." not in name and len(name) <= 96


def offline_by_environment() -> bool:
    """TUNELINT_OFFLINE or huggingface_hub's own HF_HUB_OFFLINE turns the network off."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("TUNELINT_OFFLINE", "HF_HUB_OFFLINE")
    )


def _endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def _timeout() -> float:
    try:
        return float(os.environ.get("TUNELINT_HUB_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _record_path(repo_id: str) -> Path:
    # Hub ids are case-insensitive; the endpoint is part of the key (a mirror may differ).
    endpoint = re.sub(r"[^a-z0-9]+", "_", _endpoint().lower())
    return cache_dir() / "hub" / endpoint / (repo_id.lower().replace("/", "--") + ".json")


def cached_answer(repo_id: str) -> HubAnswer | None:
    """A still-fresh answer for the repo, from memory or disk; never the network."""
    key = f"{_endpoint()}|{repo_id.lower()}"
    answer = _memory.get(key)
    if answer is not None and answer.fresh():
        return answer
    try:
        data = json.loads(_record_path(repo_id).read_text(encoding="utf-8"))
        answer = HubAnswer(**data)
    except (OSError, ValueError, TypeError):  # absent, unreadable or from another version
        return None
    if not answer.fresh():
        return None
    _memory[key] = answer
    return answer


def _store(answer: HubAnswer) -> None:
    _memory[f"{_endpoint()}|{answer.repo_id.lower()}"] = answer
    if answer.status == "offline":
        return
    path = _record_path(answer.repo_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(asdict(answer)), encoding="utf-8")
        tmp.replace(path)
    except OSError:  # a read-only home: the answer still holds for this process
        pass


def fetch_config(repo_id: str, revision: str = "main") -> HubAnswer:
    """GET the repo's config.json now (no cache read, but the answer is stored)."""
    answer = _request(repo_id, revision)
    _store(answer)
    return answer


def _http_client_module() -> Any:
    """The HTTP client huggingface_hub itself uses: httpx2 since 2.x, httpx in 1.x."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # pragma: no cover - huggingface_hub 1.x
        import httpx

        return httpx


def _get_json(repo_id: str, filename: str, revision: str, timeout: float) -> Any:
    """GET one file of the repo and parse it; huggingface_hub's errors are raised as they are."""
    from huggingface_hub import hf_hub_url
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

    httpx2 = _http_client_module()
    url = hf_hub_url(repo_id, filename, revision=revision, endpoint=_endpoint())
    headers = build_hf_headers(library_name="tunelint")
    with httpx2.Client(follow_redirects=True, timeout=timeout) as client:
        response = client.get(url, headers=headers)
    hf_raise_for_status(response)
    return response.json()


def _request(repo_id: str, revision: str) -> HubAnswer:
    from huggingface_hub import errors

    now = time.time()
    timeout = _timeout()
    try:
        config = _get_json(repo_id, "config.json", revision, timeout)
    except errors.RemoteEntryNotFoundError:
        return _adapter_request(repo_id, revision, timeout, now)
    except Exception as exc:
        return _failure(exc, repo_id, revision, timeout, now)
    if not isinstance(config, dict):
        reason = f"the config.json of {repo_id} on the Hub is not a JSON object"
        return HubAnswer(repo_id, "no-config", None, reason, now)
    return HubAnswer(repo_id, "found", config, None, now)


def _adapter_request(repo_id: str, revision: str, timeout: float, now: float) -> HubAnswer:
    """No config.json: a PEFT adapter repo has adapter_config.json naming its base model."""
    from huggingface_hub import errors

    no_config = f"{repo_id} has no config.json on the Hugging Face Hub (revision {revision})"
    try:
        adapter = _get_json(repo_id, "adapter_config.json", revision, timeout)
    except (errors.RemoteEntryNotFoundError, errors.RevisionNotFoundError, ValueError):
        return HubAnswer(repo_id, "no-config", None, no_config, now)
    except Exception as exc:
        return _failure(exc, repo_id, revision, timeout, now)
    base = adapter.get("base_model_name_or_path") if isinstance(adapter, dict) else None
    if not isinstance(base, str) or not base.strip():
        reason = f"{no_config}; its adapter_config.json names no base_model_name_or_path"
        return HubAnswer(repo_id, "no-config", None, reason, now)
    return HubAnswer(repo_id, "adapter", {"base_model_name_or_path": base.strip()}, None, now)


def _failure(exc: Exception, repo_id: str, revision: str, timeout: float, now: float) -> HubAnswer:
    """The answer for a failed GET, in words a finding can show; not the Hub's: re-raised."""
    from huggingface_hub import errors

    httpx2 = _http_client_module()
    if isinstance(exc, errors.GatedRepoError):
        reason = (
            f"{repo_id} is gated on the Hugging Face Hub: accept its licence on its Hub page "
            "and set HF_TOKEN (or run `hf auth login`)"
        )
        return HubAnswer(repo_id, "gated", None, reason, now)
    if isinstance(exc, errors.RepositoryNotFoundError):
        # Also what a relative folder that is not there gets ("outputs/checkpoint-500").
        reason = (
            f"{repo_id} is no local folder with a config.json and was not found on the Hugging "
            "Face Hub (a private repo needs HF_TOKEN)"
        )
        return HubAnswer(repo_id, "missing", None, reason, now)
    if isinstance(exc, errors.RemoteEntryNotFoundError | errors.RevisionNotFoundError):
        reason = f"{repo_id} has no config.json on the Hugging Face Hub (revision {revision})"
        return HubAnswer(repo_id, "no-config", None, reason, now)
    if isinstance(exc, errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        if status == 403:
            reason = f"the Hugging Face Hub refused access to {repo_id} (HTTP 403): check HF_TOKEN"
            return HubAnswer(repo_id, "gated", None, reason, now)
        reason = f"the Hugging Face Hub answered HTTP {status} for {repo_id}"
        return HubAnswer(repo_id, "error", None, reason, now)
    if isinstance(exc, httpx2.TimeoutException):
        reason = f"the Hugging Face Hub did not answer within {timeout:g} s ({_endpoint()})"
        return HubAnswer(repo_id, "error", None, reason, now)
    if isinstance(exc, httpx2.HTTPError):
        reason = f"could not reach the Hugging Face Hub at {_endpoint()} ({type(exc).__name__})"
        return HubAnswer(repo_id, "error", None, reason, now)
    if isinstance(exc, ValueError):
        reason = f"the config.json of {repo_id} on the Hub is not valid JSON"
        return HubAnswer(repo_id, "no-config", None, reason, now)
    raise exc


def hub_config(repo_id: str, offline: bool | None = None) -> HubAnswer:
    """The cached answer, else a fetch (blocking, a few seconds at most) unless offline."""
    offline = offline if offline is not None else offline_by_environment()
    cached = cached_answer(repo_id)
    # A failed fetch is no answer: offline, say offline (the same on every machine).
    if cached is not None and not (offline and cached.status == "error"):
        return cached
    if offline:
        return HubAnswer(repo_id, "offline", None, _offline_reason(repo_id), time.time())
    return fetch_config(repo_id)


def _offline_reason(repo_id: str) -> str:
    return (
        f"{repo_id} is not in the model catalog, a local folder or the Hugging Face cache, and "
        "Hub look-ups are off (--offline, TUNELINT_OFFLINE or HF_HUB_OFFLINE)"
    )


def fetch_in_background(repo_id: str, callback: Callable[[str, HubAnswer], None]) -> bool:
    """Fetch in a daemon thread and call `callback(repo_id, answer)` when done.

    One fetch per repo at a time: a call while one runs adds its callback to it and returns
    False; True when this call started the fetch. A callback that raises is ignored (the
    fetch thread must not die with it).
    """
    key = repo_id.lower()
    with _lock:
        if key in _running:
            _running[key].append(callback)
            return False
        _running[key] = [callback]

    def work() -> None:
        try:
            answer = fetch_config(repo_id)
        except Exception as exc:  # never let a fetch thread die silently with waiters
            answer = HubAnswer(repo_id, "error", None, f"Hub fetch failed: {exc}", time.time())
        with _lock:
            callbacks = _running.pop(key, [])
        for cb in callbacks:
            try:
                cb(repo_id, answer)
            except Exception:  # a caller's bug must not stop the others
                continue

    threading.Thread(target=work, name=f"tunelint-hub-{repo_id}", daemon=True).start()
    return True


def is_fetching(repo_id: str) -> bool:
    with _lock:
        return repo_id.lower() in _running


def forget_memory() -> None:
    """Drop the in-memory answers (tests; a server after a settings change)."""
    _memory.clear()
