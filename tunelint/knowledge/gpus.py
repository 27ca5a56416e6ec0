"""The GPU catalog (data/gpus.toml) and resolution of the names people write."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from tunelint.knowledge import data_files

_CATALOG = Path(__file__).parent / "data" / "gpus.toml"
_NOISE = re.compile(
    r"\b(nvidia|geforce|tesla|rtx|instinct|amd|gpu|hbm\d?e?|gddr\d?x?|sxm\d?|pcie|nvlink)\b"
)
_MEMORY = re.compile(r"(\d{1,3})\s*g(?:i?b)?\b")


@dataclass(frozen=True, slots=True)
class GpuSpec:
    name: str
    vendor: str
    architecture: str
    compute_capability: float | None
    memory_gb: float
    bf16: bool
    fp8: bool
    cuda: bool = True
    model: str = ""
    aliases: tuple[str, ...] = ()
    default: bool = False
    arch_target: str = ""  # sm_90, gfx942, gaudi3: the compiler target (AMD/Intel have no CC)
    notes: str = ""

    @property
    def memory_gib(self) -> float:
        """Usable size in GiB: NVIDIA's nominal "80GB" boards report about 80 GiB."""
        return float(self.memory_gb)

    @property
    def ampere_or_newer(self) -> bool:
        return self.compute_capability is not None and self.compute_capability >= 8.0


@cache
def catalog() -> tuple[GpuSpec, ...]:
    data = data_files.load(_CATALOG.name)
    return tuple(
        GpuSpec(
            name=row["name"],
            vendor=row["vendor"],
            architecture=row["architecture"],
            compute_capability=row.get("compute_capability"),
            memory_gb=row["memory_gb"],
            bf16=row["bf16"],
            fp8=row["fp8"],
            cuda=row.get("cuda", True),
            model=row["model"],
            aliases=tuple(row.get("aliases", ())),
            default=row.get("default", False),
            arch_target=row.get("arch_target") or _sm_target(row.get("compute_capability")),
            notes=row.get("notes", ""),
        )
        for row in data["gpu"]
    )


def _sm_target(compute_capability: float | None) -> str:
    """NVIDIA's compiler target for a compute capability: 8.9 -> sm_89."""
    return f"sm_{round(compute_capability * 10)}" if compute_capability else ""


@cache
def _exact_names() -> dict[str, GpuSpec]:
    """Names and aliases, as written and with vendor words dropped ("NVIDIA RTX 4000 SFF Ada
    Generation" is the alias "RTX 4000 SFF Ada Generation")."""
    names: dict[str, GpuSpec] = {}
    for gpu in catalog():
        for written in (gpu.name, *gpu.aliases):
            names.setdefault(written.lower(), gpu)
            names.setdefault(_normalise(written), gpu)
    return names


def gpu_names() -> list[str]:
    """Canonical names, for completion and messages."""
    return [gpu.name for gpu in catalog()]


def _normalise(name: str) -> str:
    text = name.lower().replace("_", " ").replace("-", " ")
    text = re.sub(r"\b(rtx|gtx|gaudi)(?=\d)", r"\1 ", text)
    text = re.sub(r"(\d)(ti|super|d)\b", r"\1 \2", text)  # "4060ti", "4090d"
    text = _NOISE.sub(" ", text)
    return " ".join(text.split())


@lru_cache(maxsize=512)
def resolve_gpu(name: str) -> GpuSpec | None:
    """The catalog entry for what a person wrote (`A100`, `a100-80gb`, `RTX 4090`, ...)."""
    if not name or not name.strip():
        return None
    text = _normalise(name)
    exact = _exact_names()
    for key in (name.strip().lower(), text):
        if key in exact:
            return exact[key]
    candidates = [
        gpu
        for gpu in catalog()
        if re.search(rf"(?<![a-z0-9]){re.escape(gpu.model)}(?![a-z0-9])", text)
    ]
    if not candidates:
        return None
    # The longest model token wins: "a10g" over "a10", "l40s" over "l40".
    longest = max(len(gpu.model) for gpu in candidates)
    candidates = [gpu for gpu in candidates if len(gpu.model) == longest]
    if len(candidates) == 1:
        return candidates[0]
    rest = text.replace(candidates[0].model, " ")
    sizes = [int(m) for m in _MEMORY.findall(rest)]
    for size in sizes:
        for gpu in candidates:
            if abs(gpu.memory_gb - size) <= 2:
                return gpu
    if "nvl" in rest:
        named = [gpu for gpu in candidates if "nvl" in gpu.name.lower()]
        if named:
            return named[0]
    return next((gpu for gpu in candidates if gpu.default), candidates[0])


def suggest_gpu(name: str) -> str | None:
    """A did-you-mean for an unknown GPU name."""
    import difflib  # only for a name the catalog does not know

    names = [n for gpu in catalog() for n in (gpu.name, *gpu.aliases)]
    match = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    if match:
        return match[0]
    lowered = {n.lower(): n for n in names}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[match[0]] if match else None


def detect_gpu() -> tuple[str | None, int]:
    """The local GPU's name and count via NVML (nvidia-ml-py), or (None, 0) without one."""
    try:
        import pynvml  # type: ignore[import-not-found]
    except ImportError:
        return None, 0
    try:
        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        if count == 0:
            return None, 0
        name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(0))
        return (name.decode() if isinstance(name, bytes) else name), count
    except Exception:  # no driver, no device: the same as no GPU
        return None, 0
