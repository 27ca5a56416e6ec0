"""GPU catalog coverage: the names nvidia-smi, rocm-smi and hl-smi print, memory variants,
and the facts the precision and memory rules read (memory, compute capability, bf16, fp8)."""

from __future__ import annotations

import pytest

from tunelint.knowledge.gpus import catalog, resolve_gpu


@pytest.mark.parametrize(
    ("written", "expected", "memory_gb", "cc"),
    [
        # nvidia-smi --query-gpu=name
        ("NVIDIA GeForce RTX 4090", "RTX 4090", 24, 8.9),
        ("NVIDIA H100 80GB HBM3", "H100-80GB", 80, 9.0),
        ("NVIDIA H100 PCIe", "H100-80GB", 80, 9.0),
        ("NVIDIA H100 NVL", "H100-NVL", 94, 9.0),
        ("NVIDIA A100-SXM4-40GB", "A100-40GB", 40, 8.0),
        ("NVIDIA A100-SXM4-80GB", "A100-80GB", 80, 8.0),
        ("NVIDIA A100 80GB PCIe", "A100-80GB", 80, 8.0),
        ("Tesla T4", "T4", 16, 7.5),
        ("Tesla V100-SXM2-32GB", "V100-32GB", 32, 7.0),
        ("Tesla V100-PCIE-16GB", "V100-16GB", 16, 7.0),
        ("NVIDIA H200", "H200", 141, 9.0),
        ("NVIDIA H200 NVL", "H200-NVL", 141, 9.0),
        ("NVIDIA H20", "H20", 96, 9.0),
        ("NVIDIA H800", "H800", 80, 9.0),
        ("NVIDIA GH200 480GB", "GH200-96GB", 96, 9.0),
        ("NVIDIA B200", "B200", 180, 10.0),
        ("NVIDIA GB200", "GB200", 186, 10.0),
        ("NVIDIA B300 SXM6 AC", "B300", 288, 10.3),
        ("NVIDIA L20", "L20", 48, 8.9),
        ("NVIDIA L40", "L40", 48, 8.9),
        ("NVIDIA L40S", "L40S", 48, 8.9),
        ("NVIDIA L4", "L4", 24, 8.9),
        ("NVIDIA A10G", "A10G", 24, 8.6),
        ("NVIDIA A10", "A10", 24, 8.6),
        ("NVIDIA A16", "A16", 16, 8.6),
        ("NVIDIA A30", "A30", 24, 8.0),
        ("NVIDIA A40", "A40", 48, 8.6),
        ("NVIDIA A800 80GB PCIe", "A800-80GB", 80, 8.0),
        ("NVIDIA RTX A6000", "A6000", 48, 8.6),
        ("NVIDIA RTX A5000", "RTX A5000", 24, 8.6),
        ("NVIDIA RTX A4000", "RTX A4000", 16, 8.6),
        ("NVIDIA RTX 6000 Ada Generation", "RTX 6000 Ada", 48, 8.9),
        ("NVIDIA RTX 5000 Ada Generation", "RTX 5000 Ada", 32, 8.9),
        ("NVIDIA RTX 4000 SFF Ada Generation", "RTX 4000 Ada", 20, 8.9),
        ("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", "RTX PRO 6000 Blackwell", 96, 12.0),
        ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "RTX PRO 6000 Blackwell", 96, 12.0),
        ("Quadro RTX 8000", "Quadro RTX 8000", 48, 7.5),
        ("NVIDIA TITAN RTX", "Titan RTX", 24, 7.5),
        ("NVIDIA GeForce RTX 2080 Ti", "RTX 2080 Ti", 11, 7.5),
        ("NVIDIA GeForce RTX 2060", "RTX 2060", 6, 7.5),
        ("NVIDIA GeForce RTX 3080", "RTX 3080-10GB", 10, 8.6),
        ("NVIDIA GeForce RTX 3080 Ti", "RTX 3080 Ti", 12, 8.6),
        ("NVIDIA GeForce RTX 3090 Ti", "RTX 3090 Ti", 24, 8.6),
        ("NVIDIA GeForce RTX 4060", "RTX 4060", 8, 8.9),
        ("NVIDIA GeForce RTX 4060 Ti", "RTX 4060 Ti-8GB", 8, 8.9),
        ("RTX 4060 Ti 16GB", "RTX 4060 Ti-16GB", 16, 8.9),
        ("NVIDIA GeForce RTX 4070", "RTX 4070", 12, 8.9),
        ("NVIDIA GeForce RTX 4070 SUPER", "RTX 4070 Super", 12, 8.9),
        ("NVIDIA GeForce RTX 4070 Ti", "RTX 4070 Ti", 12, 8.9),
        ("NVIDIA GeForce RTX 4070 Ti SUPER", "RTX 4070 Ti Super", 16, 8.9),
        ("NVIDIA GeForce RTX 4080 SUPER", "RTX 4080 Super", 16, 8.9),
        ("NVIDIA GeForce RTX 4090 D", "RTX 4090 D", 24, 8.9),
        ("NVIDIA GeForce RTX 5060", "RTX 5060", 8, 12.0),
        ("NVIDIA GeForce RTX 5060 Ti", "RTX 5060 Ti-8GB", 8, 12.0),
        ("rtx5060ti 16gb", "RTX 5060 Ti-16GB", 16, 12.0),
        ("NVIDIA GeForce RTX 5070 Ti", "RTX 5070 Ti", 16, 12.0),
        ("NVIDIA GeForce RTX 5080", "RTX 5080", 16, 12.0),
        ("NVIDIA GeForce RTX 5090", "RTX 5090", 32, 12.0),
    ],
)
def test_nvidia_smi_names(written: str, expected: str, memory_gb: float, cc: float) -> None:
    gpu = resolve_gpu(written)
    assert gpu is not None and gpu.name == expected
    assert gpu.memory_gb == memory_gb and gpu.compute_capability == cc
    assert gpu.arch_target == f"sm_{round(cc * 10)}"
    assert gpu.bf16 == (cc >= 8.0) and gpu.fp8 == (cc >= 8.9)


@pytest.mark.parametrize(
    ("written", "expected", "memory_gb", "target", "fp8"),
    [
        ("AMD Instinct MI300X", "MI300X", 192, "gfx942", True),
        ("AMD Instinct MI325X", "MI325X", 256, "gfx942", True),
        ("AMD Instinct MI250X / MI250", "MI250X", 64, "gfx90a", False),
        ("mi250", "MI250", 64, "gfx90a", False),
        ("AMD Instinct MI210", "MI210", 64, "gfx90a", False),
        ("Gaudi2", "Gaudi 2", 96, "gaudi2", True),
        ("HL-225", "Gaudi 2", 96, "gaudi2", True),
        ("Intel Gaudi 3", "Gaudi 3", 128, "gaudi3", True),
    ],
)
def test_amd_and_intel(written: str, expected: str, memory_gb: float, target: str, fp8: bool):
    gpu = resolve_gpu(written)
    assert gpu is not None and gpu.name == expected
    assert gpu.memory_gb == memory_gb and gpu.arch_target == target
    assert gpu.compute_capability is None and not gpu.cuda
    assert gpu.bf16 and gpu.fp8 == fp8


def test_no_false_friends() -> None:
    assert resolve_gpu("NVIDIA TITAN Xp") is None  # Pascal: not the Titan RTX
    assert resolve_gpu("GTX 1080 Ti") is None
    assert resolve_gpu("H100") is not None and resolve_gpu("H100").name == "H100-80GB"
    assert resolve_gpu("GB200").name == "GB200" and resolve_gpu("B200").name == "B200"


def test_every_entry_is_complete_and_named_uniquely() -> None:
    gpus = catalog()
    assert len(gpus) >= 90
    names = [gpu.name for gpu in gpus]
    assert len(names) == len(set(names))
    for gpu in gpus:
        assert gpu.memory_gb > 0 and gpu.arch_target, gpu.name
        assert resolve_gpu(gpu.name) is gpu, gpu.name
        for alias in gpu.aliases:
            assert resolve_gpu(alias) is gpu, alias
        if gpu.vendor == "NVIDIA":
            assert gpu.compute_capability is not None and gpu.compute_capability >= 6.0
