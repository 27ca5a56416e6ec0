"""The real configs in ../shared/corpus (43 files from axolotl, LLaMA-Factory, TRL,
alignment-handbook, torchtune; see its MANIFEST.tsv): every file parses, is detected as the
format its repository uses it in, lints without an internal error, and gives exactly the
reviewed findings in corpus_expectations.json.

Expected format per file: the MANIFEST names the source repository, and a repository ships its
launcher configs beside its own: DeepSpeed JSONs (axolotl `deepspeed_configs/`, LLaMA-Factory
`examples/deepspeed/`) are dialect `deepspeed`, accelerate configs (LLaMA-Factory
`examples/accelerate/`, TRL `examples/accelerate_configs/`) are `accelerate`; everything else is
the repository's own format, and alignment-handbook recipes are TRL configs (read by TrlParser).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from tunelint.config.detect import detect_dialect
from tunelint.config.document import Mapping, parse_document
from tunelint.config.settings import Settings
from tunelint.config.validate import build_plan
from tunelint.lint import LintOptions, lint_file

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
EXPECTATIONS = Path(__file__).parent / "corpus_expectations.json"
REPO_DIALECT = {
    "axolotl-ai-cloud/axolotl": "axolotl",
    "hiyouga/LLaMA-Factory": "llamafactory",
    "huggingface/trl": "trl",
    "huggingface/alignment-handbook": "trl",
    "pytorch/torchtune": "torchtune",
}

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").is_file(),
    reason=f"the shared corpus is not here ({CORPUS}); it lives beside the repository",
)


def expected_dialect(repo: str, upstream_path: str) -> str:
    folders = upstream_path.split("/")[:-1]
    if upstream_path.endswith(".json") and any("deepspeed" in f for f in folders):
        return "deepspeed"
    if any(f.startswith("accelerate") for f in folders):
        return "accelerate"
    return REPO_DIALECT[repo]


def _manifest() -> list[dict[str, str]]:
    if not (CORPUS / "MANIFEST.tsv").is_file():
        return []
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = _manifest()


@pytest.fixture(autouse=True)
def _no_hf_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Model look-ups use the catalog only, whatever this machine has downloaded."""
    monkeypatch.setattr("tunelint.knowledge.models.hf_cache_dirs", lambda: [])


def test_manifest_lists_every_file() -> None:
    listed = {row["local_file"] for row in ROWS}
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.suffix in (".yaml", ".yml", ".json")
    }
    assert listed == on_disk
    assert len(listed) == 43


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["local_file"])
def test_parses_detects_and_maps(row: dict[str, str]) -> None:
    path = CORPUS / row["local_file"]
    doc = parse_document(path.read_text(encoding="utf-8"), str(path))
    assert doc.errors == []
    assert isinstance(doc.root, Mapping)
    detection = detect_dialect(doc)
    assert detection.name == expected_dialect(row["repo"], row["path"])
    assert detection.confidence >= 0.7
    mapped = detection.dialect.map(doc)  # type: ignore[union-attr]
    plan, problems = build_plan(mapped.data, mapped.source_map, detection.name or "")
    # The dialect's reading of a real config is a valid Plan: nothing dropped or invented.
    assert plan is not None and problems == []


EXPECTED: dict[str, list[dict[str, Any]]] = (
    json.loads(EXPECTATIONS.read_text(encoding="utf-8"))["files"] if EXPECTATIONS.is_file() else {}
)


def test_expectations_cover_the_corpus() -> None:
    assert set(EXPECTED) == {row["local_file"] for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["local_file"])
def test_findings_match_the_reviewed_expectations(row: dict[str, str]) -> None:
    path = CORPUS / row["local_file"]
    result = lint_file(path, LintOptions(settings=Settings(), gpu="A100-80GB"))
    assert result.dialect == expected_dialect(row["repo"], row["path"])
    assert "TL999" not in {d.code for d in result.diagnostics}, result.diagnostics
    found = sorted(
        (Path(d.file).resolve() == path.resolve(), d.code, d.range.start.line + 1)
        for d in result.diagnostics
    )
    expected = sorted((True, f["code"], f["line"]) for f in EXPECTED[row["local_file"]])
    assert found == expected, [d.message for d in result.diagnostics]
