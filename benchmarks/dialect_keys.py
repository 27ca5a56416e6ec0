"""The option tables' cost in dialect files (issue 11): what the first lint of each dialect
pays to load its table (a fresh process per sample, with and without the key rules), and
the language server on a 300-line axolotl config: didChange -> diagnostics, hover on a key
and completion of keys and values, all answered from the tables.

Targets (DESIGN.md): diagnostics p95 < 50 ms on a 300-line config; the tables load per
dialect on first use. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/dialect_keys.py [--rounds 40] [--samples 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from lsp_latency import Bench, cpu_ms, percentile, push_latency, request_latency  # noqa: E402
from lsprotocol import types  # noqa: E402

KEY_RULES = "TL510,TL920,TL921"
SAMPLES = {
    "axolotl": (
        "lora.yml",
        "base_model: NousResearch/Meta-Llama-3-8B\nadapter: lora\nlora_r: 16\n"
        "micro_batch_size: 2\ndatasets:\n  - path: a/b\n    type: alpaca\noutput_dir: out\n",
    ),
    "trl": (
        "sft_config.yaml",
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: trl-lib/Capybara\n"
        "learning_rate: 2.0e-5\nmax_seq_length: 2048\noutput_dir: out\n",
    ),
    "deepspeed": (
        "ds_z2.json",
        '{"train_micro_batch_size_per_gpu": "auto", "zero_optimization": {"stage": 2}}\n',
    ),
}
FIRST_LINT = """\
import sys, time
from tunelint.checks.registry import all_rules
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text
all_rules()
ignore = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else ()
text = open(sys.argv[1]).read()
began = time.perf_counter()
lint_text(text, sys.argv[2], LintOptions(settings=Settings(), ignore=ignore))
print((time.perf_counter() - began) * 1000)
"""


def first_lint_ms(path: Path, ignore: str | None) -> float:
    args = [sys.executable, "-c", FIRST_LINT, str(path), path.name]
    if ignore:
        args.append(ignore)
    out = subprocess.run(args, capture_output=True, text=True, check=True, cwd=REPO)
    return float(out.stdout.strip())


def axolotl_config(lines: int) -> str:
    """An axolotl config of `lines` lines: real keys, then a long dataset list."""
    head = (
        "# benchmark: axolotl LoRA with many datasets\n"
        "base_model: NousResearch/Meta-Llama-3-8B\n"
        "adapter: lora\n"
        "lora_r: 16\n"
        "lr_scheduler: cosine\n"
        "gradient_acumulation_steps: 4\n"
        "micro_batch_size: 2\n"
        "output_dir: ./out\n"
        "datasets:\n"
    )
    body = []
    while head.count("\n") + len(body) < lines:
        n = len(body) // 2
        body += [f"  - path: org/dataset-{n}\n", "    type: alpaca\n"]
    return head + "".join(body)


async def server_numbers(rounds: int) -> dict[str, list[float] | float]:
    results: dict[str, list[float] | float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "tunelint.toml").write_text("")
        bench = Bench("neovim@v0.7.0", root)
        await bench.start()
        text = axolotl_config(300)
        uri = bench.open("lora.yml", text)
        await bench.wait_published(uri, 1)
        before = cpu_ms(bench.pid)
        results["push_300"] = await push_latency(bench, uri, 0, rounds)
        results["cpu_per_edit"] = (cpu_ms(bench.pid) - before) / rounds
        ident = types.TextDocumentIdentifier(uri=uri)

        def hover() -> object:  # `lr_scheduler`, a key the Plan has no field for
            return bench.client.text_document_hover_async(
                types.HoverParams(text_document=ident, position=types.Position(4, 3))
            )

        def keys() -> object:  # top-level key completion at the start of `output_dir`
            return bench.client.text_document_completion_async(
                types.CompletionParams(text_document=ident, position=types.Position(7, 0))
            )

        def values() -> object:  # the value of `adapter`
            return bench.client.text_document_completion_async(
                types.CompletionParams(text_document=ident, position=types.Position(2, 9))
            )

        results["hover_300"] = await request_latency(hover, rounds)
        results["complete_keys_300"] = await request_latency(keys, rounds)
        results["complete_values_300"] = await request_latency(values, rounds)
        await bench.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    print(f"first lint in a fresh process (median of {args.samples}), table loaded on the way:")
    with tempfile.TemporaryDirectory() as tmp:
        for dialect, (name, text) in SAMPLES.items():
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            with_rules = statistics.median(first_lint_ms(path, None) for _ in range(args.samples))
            without = statistics.median(first_lint_ms(path, KEY_RULES) for _ in range(args.samples))
            print(
                f"  {dialect:10s}: {with_rules:6.1f} ms with the key rules, {without:6.1f} ms "
                f"without ({with_rules - without:+.1f} ms)"
            )
    results = asyncio.run(server_numbers(args.rounds))
    print("language server, 300-line axolotl config (ms):")
    print(f"  {'measurement':20s} {'p50':>7s} {'p95':>7s}")
    for key, samples in results.items():
        if isinstance(samples, list):
            p50, p95 = percentile(samples, 50), percentile(samples, 95)
            mark = f"  p95/target {p95 / 50:.2f}" if key == "push_300" else ""
            print(f"  {key:20s} {p50:7.1f} {p95:7.1f}{mark}")
    print(f"  server CPU per edit (lint included): {results['cpu_per_edit']:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
