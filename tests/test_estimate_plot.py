"""`tunelint estimate --plot FILE`: the picture is written, labelled, with the GPU's capacity
line and the config's own point (no image comparison)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

CONFIG = """\
model:
  name: meta-llama/Llama-3.1-8B
  max_seq_len: 2048
peft:
  kind: qlora
precision: bf16
hardware:
  gpu: RTX 4090
training:
  micro_batch_size: 2
  gradient_checkpointing: true
"""
SVG = "{http://www.w3.org/2000/svg}"


def estimate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunelint.cli", "estimate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tunelint.toml").write_text("")
    (tmp_path / "c.tune.yaml").write_text(CONFIG)
    return tmp_path


def test_svg_has_labelled_axes_capacity_line_and_the_configs_point(project: Path) -> None:
    out = estimate("c.tune.yaml", "--plot", "m.svg", cwd=project)
    assert out.returncode == 0, out.stderr
    assert "peak per GPU" in out.stdout  # the text report is still printed
    root = ET.parse(project / "m.svg").getroot()
    texts = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for label in (
        "sequence length (tokens)",
        "micro-batch size (sequences per GPU)",
        "peak memory per GPU (GiB)",
        "RTX 4090 capacity (24 GiB)",
        "weights",
        "activations",
    ):
        assert label in texts, label
    groups = {g.get("id") for g in root.iter(f"{SVG}g")}
    assert {"capacity", "config-point"} <= groups
    capacity_lines = [g for g in root.iter(f"{SVG}g") if g.get("id") == "capacity"]
    assert len(capacity_lines) == 2  # one per panel
    assert all(list(g.iter(f"{SVG}path")) for g in capacity_lines)


def test_png_is_written(project: Path) -> None:
    out = estimate("c.tune.yaml", "--gpu", "A100-80GB", "--plot", "m.png", cwd=project)
    assert out.returncode == 0, out.stderr
    data = (project / "m.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_unsupported_extension_is_refused_before_estimating(project: Path) -> None:
    out = estimate("c.tune.yaml", "--plot", "m.jpg", cwd=project)
    assert out.returncode == 2 and "write .png or .svg" in out.stderr
    assert out.stdout == "" and not (project / "m.jpg").exists()
