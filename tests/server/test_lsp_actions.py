"""Code actions: quick-fix -> apply -> finding gone, comments kept; ignore; fix-all."""

from __future__ import annotations

import pytest
from lsp_helpers import Doc, edits_of
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONFIG = """\
# a fine-tuning config
model:
  name: Qwen/Qwen2.5-7B-Instruct   # the base
precision: fp16   # keep this comment
hardware:
  gpu: A100-80GB
  # indented comment stays
data:
  train: data/train.jsonl
"""


async def request_actions(
    client: LanguageClient,
    doc: Doc,
    diagnostics: list[types.Diagnostic],
    only: list[str] | None = None,
    rng: types.Range | None = None,
) -> list[types.CodeAction]:
    rng = rng or (
        diagnostics[0].range
        if diagnostics
        else types.Range(start=types.Position(0, 0), end=types.Position(0, 0))
    )
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            range=rng,
            context=types.CodeActionContext(diagnostics=diagnostics, only=only),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def check_versioned(client: LanguageClient, edit: types.WorkspaceEdit, doc: Doc) -> None:
    caps = client.capabilities
    if (
        caps.workspace
        and caps.workspace.workspace_edit
        and caps.workspace.workspace_edit.document_changes
    ):
        assert edit.document_changes, "client takes versioned edits"
        change = edit.document_changes[0]
        assert change.text_document.version == doc.version
    else:
        assert edit.changes and doc.uri in edit.changes


async def test_quick_fix_removes_finding_and_keeps_comments(
    client: LanguageClient, tmp_path_factory
):
    doc = Doc(client, tmp_path_factory.mktemp("a") / "run.tune.yaml", CONFIG).open()
    tl101 = [d for d in await doc.diagnostics() if d.code == "TL101"]
    actions = await request_actions(client, doc, tl101)
    fix = next(a for a in actions if a.is_preferred)
    assert fix.kind == types.CodeActionKind.QuickFix
    assert "Use bf16" in fix.title and "unsafe" not in fix.title
    check_versioned(client, fix.edit, doc)
    edits = edits_of(fix.edit, doc.uri)
    # Minimal: only the value changes.
    assert [
        (e.range.start.line, e.range.start.character, e.range.end.character, e.new_text)
        for e in edits
    ] == [(3, 11, 15, "bf16")]
    doc.edit(edits)
    assert doc.text == CONFIG.replace("precision: fp16", "precision: bf16")
    for comment in (
        "# a fine-tuning config",
        "# the base",
        "# keep this comment",
        "# indented comment stays",
    ):
        assert comment in doc.text
    assert not any(d.code == "TL101" for d in await doc.diagnostics())


async def test_ignore_here_inserts_comment_with_reason(client: LanguageClient, tmp_path_factory):
    text = CONFIG.replace(
        "hardware:\n  gpu: A100-80GB\n", "hardware:\n  gpu: A100-80GB\n  distributd: ddp\n"
    )
    doc = Doc(client, tmp_path_factory.mktemp("b") / "run.tune.yaml", text).open()
    diagnostics = await doc.diagnostics()
    typo = next(d for d in diagnostics if d.range.start.line == 6)
    actions = await request_actions(client, doc, [typo])
    ignore = next(a for a in actions if a.title.startswith(f"Ignore {typo.code}"))
    doc.edit(edits_of(ignore.edit, doc.uri))
    lines = doc.text.split("\n")
    assert lines[6] == f"  # tunelint: ignore[{typo.code}] TODO: say why this is intended"
    assert lines[7] == "  distributd: ddp"
    after = await doc.diagnostics()
    assert not any(d.code == typo.code and d.range.start.line == 7 for d in after)

    # A second finding under the same comment joins its code list.
    tl101 = next(d for d in after if d.code == "TL101")
    actions = await request_actions(client, doc, [tl101])
    ignore = next(a for a in actions if a.title.startswith("Ignore TL101"))
    doc.edit(edits_of(ignore.edit, doc.uri))
    assert "# tunelint: ignore[TL101] TODO: say why this is intended\nprecision: fp16" in doc.text
    assert not any(d.code == "TL101" for d in await doc.diagnostics())


async def test_fix_all_applies_safe_fixes(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("c") / "run.tune.yaml", CONFIG).open()
    diagnostics = await doc.diagnostics()
    actions = await request_actions(client, doc, [], only=["source.fixAll"])
    fix_all = next(a for a in actions if a.kind == "source.fixAll.tunelint")
    check_versioned(client, fix_all.edit, doc)
    doc.edit(edits_of(fix_all.edit, doc.uri))
    assert "precision: bf16   # keep this comment" in doc.text
    assert not any(d.code == "TL101" for d in await doc.diagnostics())
    assert diagnostics  # there was something to fix


async def test_fix_all_in_lightbulb_resolves(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("d") / "run.tune.yaml", CONFIG).open()
    tl101 = [d for d in await doc.diagnostics() if d.code == "TL101"]
    actions = await request_actions(client, doc, tl101)
    fix_all = next(a for a in actions if a.kind == "source.fixAll.tunelint")
    if fix_all.edit is None:  # deferred: the client resolves it when chosen
        fix_all = await client.code_action_resolve_async(fix_all)
    edits = edits_of(fix_all.edit, doc.uri)
    assert edits and all(e.new_text == "bf16" for e in edits)


async def test_stale_diagnostic_data_is_rederived(client: LanguageClient, tmp_path_factory):
    """A diagnostic from an older version: its fix comes from a fresh lint, not stale data."""
    doc = Doc(client, tmp_path_factory.mktemp("e") / "run.tune.yaml", CONFIG).open()
    tl101 = next(d for d in await doc.diagnostics() if d.code == "TL101")
    doc.replace("\n" + doc.text)  # everything moves one line down
    moved = next(d for d in await doc.diagnostics() if d.code == "TL101")
    actions = await request_actions(client, doc, [tl101])
    assert not any(a.is_preferred for a in actions)  # the old range no longer has TL101
    actions = await request_actions(client, doc, [moved])
    fix = next(a for a in actions if a.is_preferred)
    assert edits_of(fix.edit, doc.uri)[0].range.start.line == 4


async def test_only_filters_kinds(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("f") / "run.tune.yaml", CONFIG).open()
    tl101 = [d for d in await doc.diagnostics() if d.code == "TL101"]
    source = await request_actions(client, doc, tl101, only=["source"])
    assert source and all(a.kind == "source.fixAll.tunelint" for a in source)
    quick = await request_actions(client, doc, tl101, only=["quickfix"])
    assert quick and all(a.kind == types.CodeActionKind.QuickFix for a in quick)


async def test_unsafe_fix_is_marked_and_not_preferred(client: LanguageClient, tmp_path_factory):
    text = "model:\n  name: Qwen/Qwen2.5-7B-Instruct\npeft:\n  kind: ia3   # why not\n"
    text += "hardware:\n  gpu: A100-80GB\n"
    doc = Doc(client, tmp_path_factory.mktemp("u") / "run.tune.yaml", text).open()
    tl302 = [d for d in await doc.diagnostics() if d.code == "TL302"]
    assert tl302 and tl302[0].data["fix"]["applicability"] == "unsafe"
    actions = await request_actions(client, doc, tl302)
    fix = next(a for a in actions if a.edit and "LoRA" in a.title)
    assert "unsafe" in fix.title and not fix.is_preferred
    # Fix-all applies safe fixes only: nothing to do here.
    assert not [a for a in await request_actions(client, doc, [], only=["source.fixAll"]) if a.edit]
    doc.edit(edits_of(fix.edit, doc.uri))
    assert "# why not" in doc.text
    assert not any(d.code == "TL302" for d in await doc.diagnostics())


async def test_stale_diagnostic_gets_no_edit_at_its_old_line(
    client: LanguageClient, tmp_path_factory
):
    """Issue 10 item 8: after lines are inserted above a finding, its old diagnostic must
    not produce an edit (quick-fix or ignore comment) at the old line, stamped with the
    new version."""
    doc = Doc(client, tmp_path_factory.mktemp("s") / "run.tune.yaml", CONFIG).open()
    stale = next(d for d in await doc.diagnostics() if d.code == "TL101")
    assert stale.range.start.line == 3
    doc.edit(
        [
            types.TextEdit(
                range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
                new_text="# one\n# two\n",
            )
        ]
    )
    current = next(d for d in await doc.diagnostics() if d.code == "TL101")
    assert current.range.start.line == 5
    actions = await request_actions(client, doc, [stale])
    assert actions == []
    # The current diagnostic gets both actions, at its current line and version.
    actions = await request_actions(client, doc, [current], only=["quickfix"])
    titles = sorted(a.title for a in actions)
    assert titles == ["Ignore TL101 here (with a reason)", "Use bf16 (TL101)"]
    for action in actions:
        check_versioned(client, action.edit, doc)
        assert {e.range.start.line for e in edits_of(action.edit, doc.uri)} == {5}


async def test_stale_diagnostic_of_an_unmoved_finding_is_recomputed(
    client: LanguageClient, tmp_path_factory
):
    """An edit below the finding leaves it in place: its old diagnostic is the current
    finding (same code, range, message) and gets actions computed for the new version."""
    doc = Doc(client, tmp_path_factory.mktemp("s") / "run.tune.yaml", CONFIG).open()
    stale = next(d for d in await doc.diagnostics() if d.code == "TL101")
    end = types.Position(len(CONFIG.split("\n")) - 1, 0)
    doc.edit([types.TextEdit(range=types.Range(start=end, end=end), new_text="# more\n")])
    await doc.diagnostics()
    assert stale.data["version"] != doc.version
    fix = next(a for a in await request_actions(client, doc, [stale]) if a.is_preferred)
    check_versioned(client, fix.edit, doc)
    assert [(e.range.start.line, e.new_text) for e in edits_of(fix.edit, doc.uri)] == [(3, "bf16")]
