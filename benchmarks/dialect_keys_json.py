"""Completion and hover in JSON dialect files (issue 11 item 7), through the real server:
a 300-line axolotl JSON config (a long dataset list) and a DeepSpeed JSON, with the key
being typed half-written (`"gradient_acc`: the file does not parse, completion reads the
last lint that parsed), a nested section's keys, enum values and hover; plus the JSON
cursor alone (tunelint.server.json_cursor) on 300- and 5,000-line texts, in process.

Targets (DESIGN.md): requests well under the 50 ms p95 of a 300-line config. Prints
numbers; asserts nothing.

    .venv/bin/python benchmarks/dialect_keys_json.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from lsp_latency import Bench, percentile, request_latency  # noqa: E402
from lsprotocol import types  # noqa: E402

from tunelint.config.positions import Position  # noqa: E402
from tunelint.server.json_cursor import json_context  # noqa: E402

DEEPSPEED = {
    "train_micro_batch_size_per_gpu": "auto",
    "gradient_accumulation_steps": "auto",
    "bf16": {"enabled": "auto"},
    "zero_optimization": {
        "stage": 3,
        "offload_param": {"device": "cpu", "pin_memory": True},
        "overlap_comm": True,
        "stage3_gather_16bit_weights_on_model_save": True,
    },
}


def axolotl_json(lines: int) -> str:
    """An axolotl config as JSON of about `lines` lines: real keys, then datasets."""
    data: dict[str, object] = {
        "base_model": "NousResearch/Meta-Llama-3-8B",
        "adapter": "lora",
        "lora_r": 16,
        "rl": "dpo",
        "micro_batch_size": 2,
        "output_dir": "./out",
        "datasets": [],
    }
    datasets: list[dict[str, str]] = data["datasets"]  # type: ignore[assignment]
    while len(json.dumps(data, indent=2).splitlines()) < lines:
        datasets.append({"path": f"org/dataset-{len(datasets)}", "type": "alpaca"})
    return json.dumps(data, indent=2) + "\n"


def half_typed(text: str, before: str, typed: str) -> tuple[str, types.Position]:
    """`text` with `typed` inserted on a new line before the line holding `before`, and
    the position at the end of what was typed."""
    lines = text.split("\n")
    index = next(i for i, line in enumerate(lines) if before in line)
    lines.insert(index, "  " + typed)
    return "\n".join(lines), types.Position(line=index, character=2 + len(typed))


def cursor_ms(text: str, pos: Position, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        json_context(text, pos)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


async def server_numbers(rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "tunelint.toml").write_text("")
        bench = Bench("neovim@v0.7.0", root)
        await bench.start()
        valid = axolotl_json(300)
        uri = bench.open("lora.json", valid)
        await bench.wait_published(uri, 1)
        ident = types.TextDocumentIdentifier(uri=uri)

        def complete(position: types.Position) -> object:
            return bench.client.text_document_completion_async(
                types.CompletionParams(text_document=ident, position=position)
            )

        def hover(position: types.Position) -> object:
            return bench.client.text_document_hover_async(
                types.HoverParams(text_document=ident, position=position)
            )

        out["hover_key_300"] = await request_latency(
            lambda: hover(types.Position(line=4, character=4)), rounds
        )  # `rl`
        out["values_300"] = await request_latency(
            lambda: complete(types.Position(line=4, character=9)), rounds
        )  # the value of `rl`
        # The key half-typed: the text no longer parses (its lint is run by the hover).
        broken, at = half_typed(valid, '"datasets"', '"gradient_acc')
        bench.version += 1
        bench.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=bench.version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=broken)],
            )
        )
        await hover(types.Position(line=0, character=0))
        out["keys_half_typed_300"] = await request_latency(lambda: complete(at), rounds)
        ds = bench.open("ds_z3.json", json.dumps(DEEPSPEED, indent=2) + "\n")
        await bench.wait_published(ds, 1)
        ident = types.TextDocumentIdentifier(uri=ds)
        out["keys_zero_section"] = await request_latency(
            lambda: complete(types.Position(line=8, character=4)), rounds
        )  # before `"offload_param"`, inside zero_optimization
        await bench.stop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    print("JSON cursor alone (ms), key half-typed before the dataset list:")
    for lines in (300, 5000):
        text, at = half_typed(axolotl_json(lines), '"datasets"', '"gradient_acc')
        samples = cursor_ms(text, Position(at.line, at.character), args.rounds)
        print(
            f"  {lines:5d} lines: p50 {percentile(samples, 50):6.2f}  p95 {percentile(samples, 95):6.2f}"
        )
    results = asyncio.run(server_numbers(args.rounds))
    print("language server, JSON dialect files (ms):")
    print(f"  {'measurement':22s} {'p50':>7s} {'p95':>7s}")
    for key, samples in results.items():
        p50, p95 = percentile(samples, 50), percentile(samples, 95)
        print(f"  {key:22s} {p50:7.1f} {p95:7.1f}  p95/50ms {p95 / 50:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
