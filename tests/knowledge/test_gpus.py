"""GPU catalog: every GPU of the shared data, and the names people write."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tunelint.knowledge.gpus import catalog, resolve_gpu, suggest_gpu

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("A100", "A100-40GB"),
        ("a100-80gb", "A100-80GB"),
        ("NVIDIA A100-SXM4-80GB", "A100-80GB"),
        ("4090", "RTX 4090"),
        ("RTX 4090", "RTX 4090"),
        ("rtx4090", "RTX 4090"),
        ("NVIDIA GeForce RTX 4090", "RTX 4090"),
        ("H100 80GB HBM3", "H100-80GB"),
        ("H100 NVL", "H100-NVL"),
        ("Tesla T4", "T4"),
        ("Tesla V100-SXM2-16GB", "V100-16GB"),
        ("A10G", "A10G"),
        ("a10", "A10"),
        ("L40S", "L40S"),
        ("RTX 3060 8GB", "RTX 3060-8GB"),
        ("mi300x", "MI300X"),
    ],
)
def test_resolution(written: str, expected: str) -> None:
    gpu = resolve_gpu(written)
    assert gpu is not None and gpu.name == expected


def test_unknown_gets_did_you_mean() -> None:
    assert resolve_gpu("A1000") is None
    assert suggest_gpu("A1000") is not None
    assert resolve_gpu("") is None


def test_facts() -> None:
    t4, a100, h100 = resolve_gpu("T4"), resolve_gpu("A100-80GB"), resolve_gpu("H100")
    assert t4 and not t4.bf16 and t4.compute_capability == 7.5
    assert a100 and a100.bf16 and not a100.fp8 and a100.memory_gib == 80
    assert h100 and h100.fp8 and h100.compute_capability == 9.0


def test_every_shared_gpu_is_in_the_catalog(require_shared) -> None:  # type: ignore[no-untyped-def]
    require_shared(SHARED / "data" / "gpus.tsv")
    with (SHARED / "data" / "gpus.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert rows
    for row in rows:
        gpu = resolve_gpu(row["gpu"])
        assert gpu is not None, row["gpu"]
        assert gpu.vendor == row["vendor"]
        bf16 = row["bf16_native_tensor_core"].startswith("yes")
        assert gpu.bf16 == bf16 or row["vendor"] == "Apple", row["gpu"]
        cc = row["compute_capability"]
        if cc[:1].isdigit():
            assert gpu.compute_capability == float(cc), row["gpu"]
    assert len(catalog()) >= len(rows)
