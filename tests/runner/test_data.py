"""Data loading and checking: every format and file type, and clear errors before any model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runner_support import DATA, config, train

from tunelint.config.plan import Plan
from tunelint.runner import data as data_module
from tunelint.runner.errors import DataError


def _plan(tmp_path: Path, **sections: object) -> Plan:
    return Plan.model_validate(config(tmp_path, **sections))


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("method", "file", "fmt", "expected_format", "columns"),
    [
        ("sft", "sft_chat.jsonl", "chat", "chat", {"messages"}),
        ("sft", "text.jsonl", "text", "text", {"text"}),
        ("sft", "prompt_completion.jsonl", None, "prompt-completion", {"prompt", "completion"}),
        ("dpo", "preference.jsonl", None, "preference", {"prompt", "chosen", "rejected"}),
        ("kto", "unpaired_preference.jsonl", None, "unpaired-preference", {"label"}),
        ("kto", "preference.jsonl", "preference", "preference", {"label"}),
        ("grpo", "prompts.jsonl", None, "prompt", {"prompt"}),
        ("grpo", "sft_chat.jsonl", "chat", "chat", {"prompt"}),
    ],
)
def test_formats_load_in_trl_layout(
    tmp_path: Path,
    method: str,
    file: str,
    fmt: str | None,
    expected_format: str,
    columns: set[str],
) -> None:
    plan = _plan(tmp_path, method={"kind": method}, data={"train": str(DATA / file), "format": fmt})
    loaded = data_module.load_training_data(plan, tmp_path)
    assert loaded.format == expected_format
    assert columns <= set(loaded.train.column_names)
    assert len(loaded.train) > 0


def test_chat_prompt_for_online_rl_drops_the_answer(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        method={"kind": "grpo"},
        data={"train": str(DATA / "sft_chat.jsonl"), "format": "chat"},
    )
    first = data_module.load_training_data(plan, tmp_path).train[0]
    assert [m["role"] for m in first["prompt"]] == ["system", "user"]


def test_missing_field_names_file_record_and_field(tmp_path: Path) -> None:
    rows = [
        {"prompt": "a", "chosen": "b", "rejected": "c"},
        {"prompt": "a", "chosen": "b", "rejected": "c"},
        {"prompt": "a", "chosen": "b"},
    ]
    path = _jsonl(tmp_path / "prefs.jsonl", rows)
    plan = _plan(tmp_path, method={"kind": "dpo"}, data={"train": str(path), "format": None})
    with pytest.raises(DataError) as caught:
        data_module.load_training_data(plan, tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "record 3 (line 3)" in message
    assert "missing field 'rejected'" in message


def test_malformed_data_fails_before_the_model_is_loaded(tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "chat.jsonl", [{"messages": [{"role": "user", "content": "hi"}]}, {}])
    # The model does not exist: if the runner loaded it first, this would be a model error.
    cfg = config(
        tmp_path,
        model={"name": str(tmp_path / "no-such-model")},
        data={"train": str(path), "format": "chat"},
    )
    with pytest.raises(DataError, match=r"record 2 \(line 2\): missing field 'messages'"):
        train(tmp_path, cfg)


def test_invalid_json_line_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "ok"}\n\n{"text": oops}\n', encoding="utf-8")
    plan = _plan(tmp_path, data={"train": str(path), "format": "text"})
    with pytest.raises(DataError, match=r"broken.jsonl: record 2 \(line 3\): invalid JSON"):
        data_module.load_training_data(plan, tmp_path)


def test_wrong_types_and_mixed_layouts_are_reported(tmp_path: Path) -> None:
    rows = [
        {"prompt": "q", "completion": "a", "label": True},
        {"prompt": [{"role": "user", "content": "q"}], "completion": "a", "label": "yes"},
    ]
    path = _jsonl(tmp_path / "kto.jsonl", rows)
    plan = _plan(tmp_path, method={"kind": "kto"}, data={"train": str(path), "format": None})
    with pytest.raises(DataError) as caught:
        data_module.load_training_data(plan, tmp_path)
    message = str(caught.value)
    assert "record 2 (line 2): field 'label' must be true or false" in message
    assert "field 'prompt' is messages but record 1 has string" in message


def test_method_and_format_must_agree(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        method={"kind": "dpo"},
        data={"train": str(DATA / "sft_chat.jsonl"), "format": "chat"},
    )
    with pytest.raises(DataError, match=r"dpo cannot train on data\.format chat"):
        data_module.load_training_data(plan, tmp_path)


def test_missing_file_lists_where_it_looked(tmp_path: Path) -> None:
    plan = _plan(tmp_path, data={"train": "nowhere.jsonl", "format": "text"})
    with pytest.raises(DataError, match=r"data file nowhere\.jsonl not found"):
        data_module.load_training_data(plan, tmp_path)


def test_json_csv_parquet_and_saved_dataset(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    rows = [{"prompt": f"q{i}", "completion": f"a{i}"} for i in range(5)]
    (tmp_path / "d.json").write_text(json.dumps(rows), encoding="utf-8")
    (tmp_path / "d.csv").write_text(
        "prompt,completion\n" + "".join(f"q{i},a{i}\n" for i in range(5)), encoding="utf-8"
    )
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "d.parquet")
    Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    for name in ("d.json", "d.csv", "d.parquet", "saved"):
        plan = _plan(tmp_path, data={"train": name, "format": "prompt-completion"})
        loaded = data_module.load_training_data(plan, tmp_path)
        assert loaded.train.to_list() == rows, name


def test_csv_missing_column_names_the_record(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("prompt,completion\nq,a\nq2,\n", encoding="utf-8")
    plan = _plan(tmp_path, data={"train": "d.csv", "format": "prompt-completion"})
    # An empty CSV cell is a string: only a missing column is an error.
    assert len(data_module.load_training_data(plan, tmp_path).train) == 2
    (tmp_path / "e.csv").write_text("prompt\nq\n", encoding="utf-8")
    plan = _plan(tmp_path, data={"train": "e.csv", "format": "prompt-completion"})
    with pytest.raises(DataError, match=r"e\.csv: record 1: missing field 'completion'"):
        data_module.load_training_data(plan, tmp_path)


def test_multitask_records_need_a_known_task(tmp_path: Path) -> None:
    rows = [
        {"task": "math", "messages": [{"role": "user", "content": "1+1"}]},
        {"task": "poetry", "messages": [{"role": "user", "content": "a poem"}]},
    ]
    path = _jsonl(tmp_path / "mt.jsonl", rows)
    plan = _plan(
        tmp_path,
        peft={"kind": "adapters", "task_names": ["math", "geography"]},
        data={"train": str(path), "format": "chat"},
    )
    with pytest.raises(DataError, match=r"record 2 \(line 2\): field 'task' is 'poetry'"):
        data_module.load_training_data(plan, tmp_path, ["math", "geography"])
