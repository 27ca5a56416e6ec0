"""The dialect registry (registry.toml): detection asks only the candidates the table names,
gets the answer asking every dialect would give, and a check imports only what it needs."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tunelint.config.detect import Detection, detect_dialect
from tunelint.config.dialects import DIALECTS, MIN_CONFIDENCE, entries, get_dialect
from tunelint.config.document import parse_document

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
SUFFIXES = (".yaml", ".yml", ".json")


def _full_scan(path: Path) -> tuple[Detection, Detection]:
    """(detection through the registry, detection asking every dialect in order)."""
    doc = parse_document(path.read_text(encoding="utf-8", errors="replace"), str(path))
    best = Detection(None, 0.0)
    for dialect in DIALECTS:
        try:
            confidence = dialect.detect(doc)
        except Exception:
            confidence = 0.0
        if confidence > best.confidence:
            best = Detection(dialect, confidence)
    if best.confidence < MIN_CONFIDENCE:
        best = Detection(None, best.confidence)
    return detect_dialect(doc), best


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in SUFFIXES)


def test_the_table_lists_every_dialect_once_in_order() -> None:
    names = [entry.name for entry in entries()]
    assert names == [
        "native",
        "torchtune",
        "deepspeed",
        "accelerate",
        "llamafactory-v1",
        "llamafactory",
        "axolotl",
        "trl",
    ]
    assert [d.name for d in DIALECTS] == names
    for name in names:
        dialect = get_dialect(name)
        assert dialect is not None and dialect.name == name
        assert get_dialect(name) is dialect  # one instance per process
    assert get_dialect("nonsense") is None


def test_every_marker_key_makes_its_dialect_a_candidate() -> None:
    checked = 0
    for entry in entries():
        module = importlib.import_module(f"tunelint.config.dialects.{entry.module}")
        markers = getattr(module, "_MARKERS", None)
        if markers is not None:
            assert set(markers) <= entry.keys, entry.name
            checked += 1
    assert checked == 6  # the marker-scored formats; native and torchtune trigger otherwise
    torchtune = next(e for e in entries() if e.name == "torchtune")
    assert torchtune.text == ("_component_",) and not torchtune.keys
    assert next(e for e in entries() if e.name == "native").always


@pytest.mark.parametrize(
    "folder", [REPO / "examples", REPO / "tests" / "dialects" / "fixtures"], ids=str
)
def test_detection_equals_asking_every_dialect(folder: Path) -> None:
    files = _files(folder)
    assert len(files) > 10
    for path in files:
        ours, every = _full_scan(path)
        assert (ours.name, ours.confidence) == (every.name, every.confidence), path


def test_detection_equals_asking_every_dialect_on_the_corpus(require_shared) -> None:  # type: ignore[no-untyped-def]
    require_shared(CORPUS)
    files = _files(CORPUS)
    assert len(files) > 100
    detected = 0
    for path in files:
        ours, every = _full_scan(path)
        assert (ours.name, ours.confidence) == (every.name, every.confidence), path
        detected += ours.name is not None
    assert detected > 100


PROBE = """
import json, sys
from tunelint.cli import main
code = main(["check", "--quiet", sys.argv[1]])
print(json.dumps([m for m in sys.modules if m.startswith("tunelint.")]))
"""


def _modules_after_check(path: Path) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_checking_a_native_file_imports_no_other_dialect_nor_the_estimator(
    tmp_path: Path,
) -> None:
    config = tmp_path / "small.tune.yaml"
    config.write_text("model:\n  name: Qwen/Qwen2.5-0.5B\ntraining:\n  epochs: 1\n")
    loaded = _modules_after_check(config)
    assert "tunelint.config.dialects.native" in loaded
    others = {f"tunelint.config.dialects.{e.module}" for e in entries() if e.name != "native"}
    assert not loaded & others
    # No GPU named: no memory rule runs, so neither the estimator nor the model catalog loads.
    estimator = {"tunelint.knowledge.memory", "tunelint.knowledge.memory_plan"}
    assert "tunelint.knowledge.memory_report" in loaded  # the light entry point only
    assert not loaded & (estimator | {"tunelint.knowledge.memory_peft"})
    assert "tunelint.knowledge.models" not in loaded


def test_checking_an_axolotl_file_imports_axolotl_but_not_unrelated_readers(
    tmp_path: Path,
) -> None:
    config = tmp_path / "lora.yml"
    config.write_text(
        "base_model: NousResearch/Llama-3.2-1B\nadapter: lora\nsequence_len: 2048\n"
        "datasets:\n  - path: tatsu-lab/alpaca\n    type: alpaca\n"
    )
    loaded = _modules_after_check(config)
    assert "tunelint.config.dialects.axolotl" in loaded
    assert "tunelint.config.dialects.torchtune" not in loaded
    assert "tunelint.config.dialects.llamafactory" not in loaded
