"""Open -> diagnostics at exact ranges, for push and pull clients; unrelated YAML gets none."""

from __future__ import annotations

import pytest
from lsp_helpers import Doc, encoding, is_pull, until, utf16_column
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

FP16_ON_A100 = """\
# a fine-tuning config
model:
  name: Qwen/Qwen2.5-7B-Instruct   # the base
precision: fp16   # keep this comment
hardware:
  gpu: A100-80GB
data:
  train: data/train.jsonl
"""


async def test_open_reports_finding_at_exact_range(client: LanguageClient, tmp_path):
    doc = Doc(client, tmp_path / "run.tune.yaml", FP16_ON_A100).open()
    diagnostics = await doc.diagnostics()
    tl101 = [d for d in diagnostics if d.code == "TL101"]
    assert len(tl101) == 1
    d = tl101[0]
    assert d.range == types.Range(
        start=types.Position(line=3, character=11), end=types.Position(line=3, character=15)
    )
    assert d.severity == types.DiagnosticSeverity.Warning
    assert d.source == "tunelint"
    assert d.code_description is not None and "tl101" in d.code_description.href
    assert d.data["fix"]["title"] == "Use bf16"
    assert d.data["fix"]["applicability"] == "safe"
    assert d.data["version"] == doc.version


async def test_change_relints_and_clears(client: LanguageClient, tmp_path):
    doc = Doc(client, tmp_path / "run.tune.yaml", FP16_ON_A100).open()
    assert any(d.code == "TL101" for d in await doc.diagnostics())
    doc.replace(FP16_ON_A100.replace("precision: fp16", "precision: bf16"))
    assert not any(d.code == "TL101" for d in await doc.diagnostics())


def _units(text: str, enc: str) -> int:
    if enc == "utf-16":
        return utf16_column(text, len(text))
    if enc == "utf-8":
        return len(text.encode("utf-8"))
    return len(text)


async def test_emoji_and_cjk_columns(client: LanguageClient, tmp_path):
    """A key written after astral-plane and CJK characters is underlined exactly."""
    line = 'hardware: {note: "🚀🚀 精度", gpu: A100-80GB, distributd: ddp}  # 🚀'
    text = FP16_ON_A100.replace("hardware:\n  gpu: A100-80GB\n", line + "\n")
    doc = Doc(client, tmp_path / "emoji.tune.yaml", text).open()
    diagnostics = await doc.diagnostics()
    enc = encoding(client)
    start = line.index("distributd")
    expected = types.Range(
        start=types.Position(line=4, character=_units(line[:start], enc)),
        end=types.Position(line=4, character=_units(line[: start + len("distributd")], enc)),
    )
    assert any(d.range == expected for d in diagnostics), (
        enc,
        expected,
        [(d.code, d.range, d.message) for d in diagnostics],
    )
    # The finding before the emoji keeps its plain column.
    tl101 = next(d for d in diagnostics if d.code == "TL101")
    assert tl101.range.start == types.Position(line=3, character=11)


UNRELATED = {
    "deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25
""",
    ".github/workflows/ci.yml": """\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pytest
""",
    "docker-compose.yml": """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: example
""",
}


async def test_unrelated_yaml_gets_no_diagnostics(client: LanguageClient, tmp_path):
    docs = []
    for name, text in UNRELATED.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        docs.append(Doc(client, path, text).open())
    # A config opened last: once its diagnostics arrive, the others have been linted too.
    config = Doc(client, tmp_path / "run.tune.yaml", FP16_ON_A100).open()
    assert await config.diagnostics()
    assert len(docs) == len(UNRELATED) > 0  # the loop below checks every one
    for doc in docs:
        if is_pull(client):
            assert await doc.diagnostics() == []
        else:
            assert all(p.uri != doc.uri for p in client.published), doc.path.name


async def test_marker_makes_a_config(client: LanguageClient, tmp_path):
    text = "# tunelint\n" + FP16_ON_A100
    doc = Doc(client, tmp_path / "train.yaml", text).open()
    assert any(d.code == "TL101" for d in await doc.diagnostics())


async def test_close_clears_pushed_diagnostics(client: LanguageClient, tmp_path):
    doc = Doc(client, tmp_path / "run.tune.yaml", FP16_ON_A100).open()
    assert await doc.diagnostics()
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc.uri))
    )
    if not is_pull(client):
        await until(
            lambda: doc.uri in client.diagnostics and not client.diagnostics[doc.uri],
            what="cleared diagnostics",
        )


async def test_same_text_new_version_is_restamped(client: LanguageClient, tmp_path):
    """A new version with identical text (a no-op edit, an undo) reuses the lint, but its
    diagnostics carry the new version."""
    doc = Doc(client, tmp_path / "same.tune.yaml", FP16_ON_A100).open()
    first = next(d for d in await doc.diagnostics() if d.code == "TL101")
    assert first.data["version"] == 1
    doc.replace(doc.text)
    again = next(d for d in await doc.diagnostics() if d.code == "TL101")
    assert again.data["version"] == doc.version == 2
    assert again.range == first.range and again.message == first.message
