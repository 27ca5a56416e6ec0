"""Completion and hover in JSON dialect files (DeepSpeed, HfArgumentParser files read as TRL
/ TrainingArguments, LLaMA-Factory, accelerate, axolotl) from the option tables, over stdio
with a real LSP client: keys of the object at the cursor (a half-typed `"gradient_acc`
included, while the file does not parse), no key offered twice, enum values, and edits
that leave valid JSON; hover with type, default, docs and the version used."""

from __future__ import annotations

import json

import pytest
from lsp_helpers import Doc, apply_lsp_edits, encoding
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_lsp_hover_completion import complete_at, hover_at

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEEPSPEED = """\
{
  "train_micro_batch_size_per_gpu": "auto",
  "zero_optimization": {
    "stage": 3,
    "offload_param": {"device": "cpu"},
    "overlap_comm": true
  }
}
"""


def _cursor(marked: str) -> tuple[str, int, int]:
    """The text without its `|` marker, and the marker's line and column (ASCII text)."""
    before = marked[: marked.index("|")]
    return marked.replace("|", "", 1), before.count("\n"), len(before.rsplit("\n", 1)[-1])


async def _typed(doc: Doc, marked: str) -> tuple[int, int]:
    """Send the text as typed so far (usually not valid JSON) and have the server lint it
    before the completion request, as a debounced lint does while the user types (a hover
    lints the latest text in every client; an unparseable version publishes nothing)."""
    text, line, column = _cursor(marked)
    doc.replace(text)
    await hover_at(doc.client, doc, 0, 0)
    return line, column


def _apply(client: LanguageClient, text: str, item: types.CompletionItem) -> str:
    assert item.text_edit is not None and isinstance(item.text_edit, types.TextEdit)
    edits = [item.text_edit, *(item.additional_text_edits or [])]
    return apply_lsp_edits(text, edits, encoding(client))


async def _items(
    client: LanguageClient, doc: Doc, line: int, column: int
) -> dict[str, types.CompletionItem]:
    return {i.label: i for i in await complete_at(client, doc, line, column)}


async def test_deepspeed_keys_values_and_valid_edits(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("ds") / "ds_z3.json", DEEPSPEED, "json").open()
    await doc.diagnostics()

    # A half-typed top-level key (no closing quote: the file does not parse meanwhile).
    line, column = await _typed(
        doc, DEEPSPEED.replace('  "zero_optimization"', '  "gradient_acc|\n  "zero_optimization"')
    )
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=types.Position(line=line, character=column),
        )
    )
    assert isinstance(result, types.CompletionList) and result.is_incomplete  # filtered
    items = {i.label: i for i in result.items}
    assert "gradient_accumulation_steps" in items
    assert "bf16" not in items  # the typed characters are not in it, in order
    wanted = items["gradient_accumulation_steps"]
    assert wanted.filter_text == '"gradient_accumulation_steps"'  # the range starts at a quote
    fixed = json.loads(_apply(client, doc.text, wanted))
    assert list(fixed) == [
        "train_micro_batch_size_per_gpu",
        "gradient_accumulation_steps",
        "zero_optimization",
    ]

    # On a new line: every top-level key but those written.
    line, column = await _typed(
        doc, DEEPSPEED.replace('  "zero_optimization"', '  |\n  "zero_optimization"')
    )
    items = await _items(client, doc, line, column)
    assert {"gradient_accumulation_steps", "gradient_clipping", "bf16", "optimizer"} <= set(items)
    assert "train_micro_batch_size_per_gpu" not in items  # already written
    assert "stage" not in items and "device" not in items  # keys of nested sections
    # A section key starts as an object; a key with a literal default starts with it; the
    # member before the next one gets its comma.
    assert json.loads(_apply(client, doc.text, items["bf16"]))["bf16"] == {}
    clipping = json.loads(_apply(client, doc.text, items["gradient_clipping"]))
    assert clipping["gradient_clipping"] == 1.0

    # Inside zero_optimization, on a new line after a member with no comma yet.
    line, column = await _typed(
        doc, DEEPSPEED.replace('"overlap_comm": true', '"overlap_comm": true\n    |')
    )
    inner = await _items(client, doc, line, column)
    assert {"reduce_bucket_size", "contiguous_gradients", "offload_optimizer"} <= set(inner)
    assert not {"stage", "offload_param", "overlap_comm"} & set(inner)  # already written
    assert "train_batch_size" not in inner  # a top-level key
    item = inner["contiguous_gradients"]
    assert item.text_edit is not None and item.text_edit.new_text.startswith(
        '"contiguous_gradients": '
    )
    fixed = json.loads(_apply(client, doc.text, item))  # the comma after `true` comes too
    assert "contiguous_gradients" in fixed["zero_optimization"]

    # Editing an existing key's name: only the quoted name is replaced, its value kept.
    line, column = await _typed(doc, DEEPSPEED.replace('"overlap_comm"', '"overlap_c|"'))
    renamed = (await _items(client, doc, line, column))["overlap_comm"]
    assert renamed.text_edit is not None and renamed.text_edit.new_text == '"overlap_comm"'
    assert json.loads(_apply(client, doc.text, renamed)) == json.loads(DEEPSPEED)

    # Values: an enum of numbers (once each), an enum of strings (quoted) in a nested section.
    line, column = await _typed(doc, DEEPSPEED.replace('"stage": 3', '"stage": |'))
    stages = await complete_at(client, doc, line, column)
    assert [i.label for i in stages] == ["0", "1", "2", "3"]
    assert json.loads(_apply(client, doc.text, stages[2]))["zero_optimization"]["stage"] == 2
    line, column = await _typed(doc, DEEPSPEED.replace('"device": "cpu"', '"device": "nv|"'))
    devices = await _items(client, doc, line, column)
    assert set(devices) == {"none", "cpu", "nvme"}
    assert devices["nvme"].filter_text == '"nvme"'
    fixed = json.loads(_apply(client, doc.text, devices["nvme"]))
    assert fixed["zero_optimization"]["offload_param"] == {"device": "nvme"}


TRAINING_ARGS = """\
{
  "model_name_or_path": "Qwen/Qwen2.5-0.5B",
  "dataset_name": "trl-lib/Capybara",
  "per_device_train_batch_size": 2,
  "learning_rate": 2e-05,
  "lr_scheduler_type": "cosine",
  "output_dir": "out"
}
"""


async def test_hfargumentparser_json_as_trl(client: LanguageClient, tmp_path_factory):
    folder = tmp_path_factory.mktemp("trl")
    (folder / "requirements.txt").write_text("trl==0.19.1\n")
    (folder / "sft_args.json").write_text(TRAINING_ARGS)  # the version is read beside it
    doc = Doc(client, folder / "sft_args.json", TRAINING_ARGS, "json").open()
    await doc.diagnostics()

    # Hover: the key's type, default and docs from TrainingArguments, and the version used.
    text = await hover_at(client, doc, 5, 6)
    assert text is not None
    value = text.contents.value  # type: ignore[union-attr]
    assert "**lr_scheduler_type**" in value and 'Default: `"linear"`' in value
    assert "trl 0.19.1 (pinned" in value

    line, column = await _typed(doc, TRAINING_ARGS.replace('  "output_dir"', '  |\n  "output_dir"'))
    items = await _items(client, doc, line, column)
    # TrainingArguments keys (through SFTConfig), SFTConfig's and ScriptArguments' own.
    assert {"gradient_accumulation_steps", "max_length", "dataset_train_split"} <= set(items)
    assert "learning_rate" not in items and "model_name_or_path" not in items

    line, column = await _typed(
        doc, TRAINING_ARGS.replace('  "output_dir"', '  "gradient_acc|"\n  "output_dir"')
    )
    items = await _items(client, doc, line, column)
    assert "gradient_accumulation_steps" in items and "max_length" not in items
    wanted = items["gradient_accumulation_steps"]
    assert wanted.detail == "int"
    fixed = json.loads(_apply(client, doc.text, wanted))  # `1,`: output_dir follows
    assert fixed["gradient_accumulation_steps"] == 1 and fixed["output_dir"] == "out"

    line, column = await _typed(doc, TRAINING_ARGS.replace('"cosine"', '"cos|"'))
    values = await _items(client, doc, line, column)
    assert {"linear", "cosine", "cosine_with_restarts", "constant"} <= set(values)
    fixed = json.loads(_apply(client, doc.text, values["constant"]))
    assert fixed["lr_scheduler_type"] == "constant"


OTHERS = {
    "llamafactory": (
        "llama3_lora_sft.json",
        {
            "model_name_or_path": "meta-llama/Meta-Llama-3-8B-Instruct",
            "stage": "sft",
            "do_train": True,
            "finetuning_type": "lora",
            "template": "llama3",
            "dataset": "alpaca_en_demo",
            "cutoff_len": 2048,
        },
        "finetuning_type",
        {"lora", "freeze", "full"},
        "lora_rank",
    ),
    "accelerate": (
        "accelerate_config.json",
        {
            "compute_environment": "LOCAL_MACHINE",
            "distributed_type": "MULTI_GPU",
            "mixed_precision": "bf16",
            "num_processes": 2,
        },
        None,  # the table has no allowed values for accelerate's keys
        set(),
        "gpu_ids",
    ),
    "axolotl": (
        "lora.json",
        {
            "base_model": "NousResearch/Meta-Llama-3-8B",
            "adapter": "lora",
            "lora_r": 16,
            "micro_batch_size": 2,
            "sequence_len": 2048,
            "rl": "dpo",
            "datasets": [{"path": "a/b", "type": "alpaca"}],
        },
        "rl",
        {"dpo", "grpo", "kto", "orpo"},
        "gradient_accumulation_steps",
    ),
}


@pytest.mark.parametrize("dialect", sorted(OTHERS))
async def test_other_json_dialects(client: LanguageClient, tmp_path_factory, dialect):
    name, data, enum_key, enum_values, new_key = OTHERS[dialect]
    source = json.dumps(data, indent=2) + "\n"
    doc = Doc(client, tmp_path_factory.mktemp(dialect) / name, source, "json").open()
    await doc.diagnostics()

    if enum_key is not None:
        marked = source.replace(f'"{enum_key}": "{data[enum_key]}"', f'"{enum_key}": |')
        line, column = await _typed(doc, marked)
        values = await _items(client, doc, line, column)
        assert enum_values <= set(values), (dialect, set(values))
        fixed = json.loads(_apply(client, doc.text, values[sorted(enum_values)[0]]))
        assert fixed[enum_key] == sorted(enum_values)[0]

    first = next(iter(data))
    marked = source.replace(f'  "{first}"', f'  "{new_key[:6]}|",\n  "{first}"', 1)
    line, column = await _typed(doc, marked)
    keys = await _items(client, doc, line, column)
    assert new_key in keys and not set(data) & set(keys), dialect
    fixed = json.loads(_apply(client, doc.text, keys[new_key]))
    assert new_key in fixed and all(fixed[k] == v for k, v in data.items())


async def test_axolotl_json_dataset_entry(client: LanguageClient, tmp_path_factory):
    """Inside an object in a list (`datasets[0]`): that section's keys."""
    source = json.dumps(OTHERS["axolotl"][1], indent=2) + "\n"
    doc = Doc(client, tmp_path_factory.mktemp("axd") / "lora.json", source, "json").open()
    await doc.diagnostics()
    line, column = await _typed(doc, source.replace('"type": "alpaca"', '"type": "alpaca", |'))
    items = await _items(client, doc, line, column)
    assert {"split", "data_files"} <= set(items)
    assert "path" not in items and "type" not in items and "base_model" not in items
    fixed = json.loads(_apply(client, doc.text, items["split"]))
    assert "split" in fixed["datasets"][0]
