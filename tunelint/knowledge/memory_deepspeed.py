"""A DeepSpeed JSON config as the estimator's inputs: ZeRO stage, bucket sizes, overlap,
ZeRO-3 prefetch and persistence, optimizer and parameter offload, with `"auto"` resolved as
transformers' HF Trainer integration resolves it. Keys left out keep DeepSpeed's defaults
(memory_sharding.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tunelint.knowledge.memory_sharding import hf_auto_zero_value

_STAGES = {0: "ddp", 1: "deepspeed-zero1", 2: "deepspeed-zero2", 3: "deepspeed-zero3"}
_SIZES = {
    "reduce_bucket_size": "zero_bucket_elements",
    "allgather_bucket_size": "zero_allgather_bucket_elements",
    "stage3_prefetch_bucket_size": "zero3_prefetch_elements",
    "stage3_param_persistence_threshold": "zero3_persistence_threshold",
}


def _size(zero: Mapping[str, Any], key: str, hidden_size: int) -> int | None:
    raw = zero.get(key)
    if raw == "auto":
        return hf_auto_zero_value(key, hidden_size)
    if isinstance(raw, int | float) and not isinstance(raw, bool) and raw >= 0:
        return int(raw)
    return None


def _offloaded(zero: Mapping[str, Any], key: str) -> bool | None:
    block = zero.get(key)
    if not isinstance(block, Mapping):
        return None
    return block.get("device") in ("cpu", "nvme")


def deepspeed_inputs(config: Mapping[str, Any], hidden_size: int) -> dict[str, Any]:
    """MemoryScenario fields a DeepSpeed config fixes (only those it states)."""
    zero = config.get("zero_optimization")
    if not isinstance(zero, Mapping):
        return {}
    out: dict[str, Any] = {}
    stage = zero.get("stage")
    if isinstance(stage, int) and stage in _STAGES:
        out["distributed"] = _STAGES[stage]
    for key, field in _SIZES.items():
        size = _size(zero, key, hidden_size)
        if size is not None:
            out[field] = size
    overlap = zero.get("overlap_comm")
    if isinstance(overlap, bool):
        out["zero_overlap_comm"] = overlap
    for key, field in (
        ("offload_optimizer", "offload_optimizer"),
        ("offload_param", "offload_params"),
    ):
        offloaded = _offloaded(zero, key)
        if offloaded is not None:
            out[field] = offloaded
    return out


def read_deepspeed_json(
    reference: str, config_file: Path | None
) -> tuple[dict[str, Any] | None, str | None]:
    """The DeepSpeed JSON a config names, found as the lint path finds related files
    (tunelint.config.dialects.related: the config's folder, then the folders above it),
    and the assumption to print when it cannot be read (None: read)."""
    from tunelint.config.dialects.related import read_related, resolve_reference

    if config_file is not None:
        path = resolve_reference(str(config_file), reference)
    else:
        candidate = Path(reference).expanduser()
        path = candidate if candidate.is_file() else None
    if path is None:
        return None, f"DeepSpeed config {reference} not found: DeepSpeed's defaults assumed"
    doc = read_related(path)
    data = doc.plain() if doc is not None else None
    if not isinstance(data, dict):
        return None, f"DeepSpeed config {reference} unreadable: DeepSpeed's defaults assumed"
    return data, None
