"""The memory estimate in the editor: an inlay hint after the model's name, and the hover on
it with the component breakdown and what fits (issue 13.4)."""

from __future__ import annotations

import pytest
from lsp_helpers import Doc
from lsprotocol import types
from pytest_lsp import LanguageClient

from tunelint.lint import lint_text

pytestmark = pytest.mark.asyncio(loop_scope="module")

FITS = """\
model:
  name: meta-llama/Llama-3.2-1B
peft:
  kind: lora
hardware:
  gpu: A100-80GB
"""
OVER = """\
model:
  name: meta-llama/Llama-3.1-8B
hardware:
  gpu: RTX 4090
"""
NO_GPU = """\
model:
  name: meta-llama/Llama-3.1-8B
"""
AXOLOTL = """\
base_model: meta-llama/Llama-3.2-1B
adapter: lora
datasets:
  - path: data/train.jsonl
    type: alpaca
"""
EVERYTHING = types.Range(
    start=types.Position(line=0, character=0), end=types.Position(line=100, character=0)
)


def _peak(text: str, name: str) -> float:
    """The estimate the core computes for the same text (the hint must show it)."""
    result = lint_text(text, name)
    assert result.context is not None
    report = result.context.estimate
    assert report is not None and report.estimate is not None
    return report.estimate.per_gpu_gib


async def hints(client: LanguageClient, doc: Doc) -> list[types.InlayHint]:
    await doc.diagnostics()  # linted
    found = await client.text_document_inlay_hint_async(
        types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri), range=EVERYTHING
        )
    )
    return list(found or [])


async def test_hint_shows_the_estimate_of_capacity_where_the_model_is_named(
    client: LanguageClient, tmp_path_factory
):
    path = tmp_path_factory.mktemp("est") / "fits.tune.yaml"
    doc = Doc(client, path, FITS).open()
    [hint] = await hints(client, doc)
    assert hint.label == f"≈ {_peak(FITS, str(path)):.1f} GiB of 80 GiB"
    line = FITS.splitlines()[1]
    assert (hint.position.line, hint.position.character) == (1, len(line))
    assert hint.padding_left
    assert isinstance(hint.tooltip, types.MarkupContent) and "fits" in hint.tooltip.value


async def test_hint_past_capacity_says_so_in_the_label(client: LanguageClient, tmp_path_factory):
    path = tmp_path_factory.mktemp("est") / "over.tune.yaml"
    doc = Doc(client, path, OVER).open()
    [hint] = await hints(client, doc)
    peak = _peak(OVER, str(path))
    assert peak > 24
    assert hint.label == f"≈ {peak:.1f} GiB > 24 GiB"
    assert isinstance(hint.tooltip, types.MarkupContent) and "GiB over" in hint.tooltip.value


async def test_no_hint_without_a_gpu(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("est") / "nogpu.tune.yaml", NO_GPU).open()
    assert await hints(client, doc) == []


async def test_hint_outside_the_asked_range_is_left_out(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("est") / "range.tune.yaml", FITS).open()
    await doc.diagnostics()
    later = types.Range(
        start=types.Position(line=3, character=0), end=types.Position(line=5, character=0)
    )
    found = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=types.TextDocumentIdentifier(uri=doc.uri), range=later)
    )
    assert list(found or []) == []
    assert len(await hints(client, doc)) == 1  # and it is there when line 1 is asked for


async def test_hint_in_a_dialect_file_with_the_settings_gpu(
    client: LanguageClient, tmp_path_factory
):
    folder = tmp_path_factory.mktemp("ax")
    (folder / "tunelint.toml").write_text('gpu = "A100-80GB"\n')
    doc = Doc(client, folder / "axolotl.yml", AXOLOTL).open()
    [hint] = await hints(client, doc)
    assert hint.label.startswith("≈ ") and hint.label.endswith(" GiB of 80 GiB")
    assert (hint.position.line, hint.position.character) == (0, len(AXOLOTL.splitlines()[0]))


async def test_hover_on_the_model_gives_breakdown_and_what_fits(
    client: LanguageClient, tmp_path_factory
):
    doc = Doc(client, tmp_path_factory.mktemp("est") / "hover.tune.yaml", OVER).open()
    await doc.diagnostics()
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=types.Position(line=1, character=12),
        )
    )
    assert hover is not None, "no hover on the model name"
    assert isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert "| component | GiB |" in text and "| weights |" in text and "| activations |" in text
    assert "largest micro-batch that fits at sequence length" in text
    assert "longest sequence that fits at micro-batch 1:" in text
    assert "with gradient checkpointing:" in text and "(fits)" in text
    assert hover.range is not None and hover.range.start.line == 1
    # Elsewhere (the GPU's value) there is no estimate in the hover.
    other = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=types.Position(line=3, character=8),
        )
    )
    assert other is None or "| component | GiB |" not in str(other.contents)
