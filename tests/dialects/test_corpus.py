"""The real configs in ../shared/corpus (MANIFEST.tsv lists each file with the dialect it must
be detected as, or `none` for a file tunelint must not claim): every file parses, is detected as
MANIFEST's `dialect_expected` says, maps to a valid Plan, lints without an internal error, and
gives exactly the findings reviewed in corpus_expectations.json, in each of three settings (no
GPU, --gpu A100-80GB, --gpu "RTX 4090"). Each reviewed finding carries a verdict (TRUE,
DEBATABLE, FALSE) and a reason; scripts/corpus_review.py --update regenerates the file keeping
the verdicts, and marks new findings UNREVIEWED, which fails here.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from tunelint.config.detect import detect_dialect
from tunelint.config.document import Mapping, parse_document
from tunelint.config.validate import build_plan

REPO = Path(__file__).resolve().parents[2]


def _review_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "corpus_review", REPO / "scripts" / "corpus_review.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus_review"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


review = _review_module()
CORPUS: Path = review.CORPUS

if not (CORPUS / "MANIFEST.tsv").is_file():
    # CI and every developer machine have ../shared beside the repository: its absence is a
    # broken set-up, not a reason to pass. Outside CI the module is skipped with the reason.
    if os.environ.get("CI"):
        raise RuntimeError(f"the shared corpus is missing ({CORPUS})")
    pytest.skip(f"the shared corpus is not here ({CORPUS})", allow_module_level=True)

ROWS = review.manifest()
EXPECTED = review.load()


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Model look-ups use the catalog only, whatever this machine has downloaded (undone
    after each test, so other test modules see the real look-up)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TUNELINT_OFFLINE", "1")
    monkeypatch.setattr("tunelint.knowledge.models.hf_cache_dirs", lambda: [])


def test_manifest_lists_every_file() -> None:
    listed = [row["local_file"] for row in ROWS]
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()}
    on_disk -= {"MANIFEST.tsv", "README.md"}
    assert len(listed) == len(set(listed))
    assert set(listed) == on_disk
    assert all(row["dialect_expected"] for row in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["local_file"])
def test_parses_detects_and_maps(row: dict[str, str]) -> None:
    path = CORPUS / row["local_file"]
    doc = parse_document(path.read_text(encoding="utf-8"), str(path))
    assert doc.errors == []
    assert isinstance(doc.root, Mapping)
    detection = detect_dialect(doc)
    assert detection.name in review.acceptable_dialects(row), (detection.name, row["note"])
    if detection.dialect is None:
        return
    assert detection.confidence >= 0.7
    mapped = detection.dialect.map(doc)
    plan, problems = build_plan(mapped.data, mapped.source_map, detection.name or "")
    # The dialect's reading of a real config is a valid Plan: nothing dropped or invented.
    assert plan is not None and problems == []


def test_expectations_cover_the_corpus() -> None:
    assert set(EXPECTED) == {row["local_file"] for row in ROWS}


def test_every_finding_is_reviewed() -> None:
    entries = [e for es in EXPECTED.values() for e in es]
    assert entries, "the expectations file lists no finding at all"
    unreviewed = [e for e in entries if e["verdict"] not in review.VERDICTS or not e["why"]]
    assert unreviewed == []
    assert all(set(e["settings"]) <= set(review.SETTINGS) for e in entries)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["local_file"])
def test_findings_match_the_reviewed_expectations(row: dict[str, str]) -> None:
    name = row["local_file"]
    seen = list(review.lint_corpus([CORPUS / name], CORPUS))
    assert "TL999" not in {s.code for s in seen}, [s.message for s in seen]
    found: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for s in seen:
        found[s.setting].append((s.code, s.line))
    expected: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for entry in EXPECTED[name]:
        for setting in entry["settings"]:
            expected[setting].append((entry["code"], entry["line"]))
    for setting in review.SETTINGS:
        assert sorted(found[setting]) == sorted(expected[setting]), (
            setting,
            [s.message for s in seen if s.setting == setting],
        )
