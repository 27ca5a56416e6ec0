"""The server answers and stays up: garbage, huge and hostile documents, failing handlers."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from lsp_helpers import SERVER_ENV, Doc, is_pull, make_client, running_server, until
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONFIG = """\
model:
  name: Qwen/Qwen2.5-7B-Instruct
precision: fp16
hardware:
  gpu: A100-80GB
"""


def garbage(seed: int, size: int = 4000) -> str:
    rng = random.Random(seed)
    alphabet = "ab:{}[]-,#&*!|>'\"\n\t \\%@`?🚀精\u2028\x0c\r\x00\ufeff"
    return "".join(rng.choice(alphabet) for _ in range(size))


HOSTILE = {
    "garbage": garbage(1),
    "garbage-nul": garbage(2),
    "deep": "a: " + "[" * 5000 + "]" * 5000 + "\n",
    "alias-bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ),
    "tags": "model: !!python/object/apply:os.system ['echo pwned']\n",
    "multi-doc": CONFIG + "---\n" + CONFIG,
    "not-a-mapping": "- just\n- a\n- list\n",
    "empty": "",
    "big": "x: " + "y" * 2_000_000 + "\n",
}


def big_config(lines: int) -> str:
    head = CONFIG + "peft:\n  kind: lora\n  target_modules:\n"
    body = "".join(
        f"    - module_{i}   # comment {i}\n" for i in range(lines - head.count("\n") - 1)
    )
    return head + body + "output:\n  dir: runs/x\n"


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_documents_get_answers(client: LanguageClient, tmp_path_factory, name: str):
    doc = Doc(
        client, tmp_path_factory.mktemp("hostile") / f"{name}.tune.yaml", HOSTILE[name]
    ).open()
    diagnostics = await doc.diagnostics(timeout=30)
    assert isinstance(diagnostics, list)
    # Every request type still answers for it.
    position = types.Position(line=0, character=1)
    ident = types.TextDocumentIdentifier(uri=doc.uri)
    await client.text_document_hover_async(
        types.HoverParams(text_document=ident, position=position)
    )
    await client.text_document_completion_async(
        types.CompletionParams(text_document=ident, position=position)
    )
    await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=ident,
            range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    # ...and the server still lints a normal config.
    ok = Doc(client, tmp_path_factory.mktemp("ok") / "run.tune.yaml", CONFIG).open()
    assert any(d.code == "TL101" for d in await ok.diagnostics())


async def test_five_thousand_lines(client: LanguageClient, tmp_path_factory):
    text = big_config(5000)
    assert text.count("\n") >= 5000
    doc = Doc(client, tmp_path_factory.mktemp("big") / "big.tune.yaml", text).open()
    tl101 = next(d for d in await doc.diagnostics(timeout=30) if d.code == "TL101")
    assert tl101.range.start.line == 2
    # An edit near the end (incremental) is linted too, and a hover answers.
    last = len(text.split("\n")) - 2
    doc.edit(
        [
            types.TextEdit(
                range=types.Range(start=types.Position(last, 7), end=types.Position(last, 7)),
                new_text="2",
            )
        ]
    )
    assert any(d.code == "TL101" for d in await doc.diagnostics(timeout=30))
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri), position=types.Position(2, 2)
        )
    )
    assert hover is not None and "precision" in hover.contents.value


async def test_rapid_typing_publishes_the_last_version(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("typing") / "run.tune.yaml", CONFIG).open()
    await doc.diagnostics()
    for char in "# typing a long comment":
        end = types.Position(line=5, character=len(doc.text.split("\n")[5]))
        doc.edit([types.TextEdit(range=types.Range(start=end, end=end), new_text=char)])
    final = await doc.diagnostics()
    assert any(d.code == "TL101" for d in final)
    if not is_pull(client):
        # Debounced: not one lint per keystroke, and never a stale version after the last.
        versions = [p.version for p in client.published if p.uri == doc.uri]
        assert versions[-1] == doc.version
        assert len(versions) < doc.version


CRASHING = ClientServerConfig(
    server_command=[sys.executable, str(Path(__file__).with_name("crashing_server.py"))],
    client_factory=make_client,
    server_env={**SERVER_ENV, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
)


@pytest.mark.parametrize("spec", ["visual_studio_code", "neovim@latest"])
async def test_handler_failures_are_logged_not_fatal(tmp_path, spec: str):
    async with running_server(spec, tmp_path, CRASHING) as client:
        doc = Doc(client, tmp_path / "run.tune.yaml", CONFIG).open()
        assert any(d.code == "TL101" for d in await doc.diagnostics())

        # A failing request handler answers (null) instead of killing the server.
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=doc.uri),
                position=types.Position(2, 2),
            )
        )
        assert hover is None
        await until(
            lambda: any("injected hover failure" in m.message for m in client.log_messages),
            what="the hover failure in window/logMessage",
        )

        # The lint fails: logged to the client, and no stale diagnostics remain.
        doc.replace(CONFIG + "# BOOM\n")
        assert await doc.diagnostics() == []
        await until(
            lambda: any(
                "injected lint failure" in m.message and m.type == types.MessageType.Error
                for m in client.log_messages
            ),
            what="the lint failure in window/logMessage",
        )

        # Still serving.
        doc.replace(CONFIG)
        assert any(d.code == "TL101" for d in await doc.diagnostics())
