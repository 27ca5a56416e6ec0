"""Training data: read local files, check every record, shape it the way TRL expects.

Everything here runs before any model is loaded, so a malformed file costs a second, not a
model download. Files: JSONL, JSON (a list of records), CSV, Parquet, or a folder written by
`datasets.Dataset.save_to_disk`. Record layouts (`data.format`):

| format                | fields                    | methods                             |
|-----------------------|---------------------------|-------------------------------------|
| `text`                | text                      | sft                                 |
| `prompt-completion`   | prompt, completion        | sft; grpo/rloo use the prompt       |
| `chat`                | messages                  | sft; grpo/rloo: all but last answer |
| `preference`          | prompt, chosen, rejected  | dpo, orpo, reward; kto (unpaired)   |
| `unpaired-preference` | prompt, completion, label | kto                                 |

`prompt`, `completion`, `chosen` and `rejected` are a string or a list of chat messages
(`{"role": ..., "content": ...}`). Multi-task runs (`peft.kind: adapters`) also need a
`task` field naming the task each record belongs to.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner.errors import DataError

if TYPE_CHECKING:
    from datasets import Dataset

    from tunelint.config.plan import Plan

# Internal format for online RL (grpo/rloo): only a prompt is needed.
PROMPT_ONLY = "prompt"

FORMAT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "prompt-completion": ("prompt", "completion"),
    "chat": ("messages",),
    "preference": ("prompt", "chosen", "rejected"),
    "unpaired-preference": ("prompt", "completion", "label"),
    PROMPT_ONLY: ("prompt",),
}

METHOD_FORMATS: dict[str, tuple[str, ...]] = {
    "sft": ("text", "prompt-completion", "chat"),
    "dpo": ("preference",),
    "orpo": ("preference",),
    "reward": ("preference",),
    "kto": ("unpaired-preference", "preference"),
    "grpo": (PROMPT_ONLY, "prompt-completion", "chat"),
    "rloo": (PROMPT_ONLY, "prompt-completion", "chat"),
}

TASK_FIELD = "task"
MAX_REPORTED_PROBLEMS = 5
SUPPORTED_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record."""

    record: int  # 1-based
    message: str
    line: int | None = None  # 1-based line in a JSONL file


@dataclass(frozen=True)
class Records:
    """Raw records of one data file, each with where it came from."""

    path: Path
    rows: list[dict[str, Any]]
    lines: list[int | None]  # per row: its 1-based line (JSONL) or None


@dataclass
class TrainingData:
    """Checked datasets in TRL's layout, plus the per-task split for multi-task runs."""

    format: str
    train: Dataset
    eval: Dataset | None
    train_by_task: dict[str, Dataset] | None = None


def resolve_format(plan: Plan, first_record: dict[str, Any] | None) -> str:
    """The record layout to expect: `data.format`, else inferred from the method and data."""
    method = plan.method.kind
    allowed = METHOD_FORMATS.get(method)
    if allowed is None:
        raise DataError(f"method.kind {method!r} has no data layout the runner knows")
    declared = plan.data.format if plan.data else None
    if declared is not None:
        if declared not in allowed:
            raise DataError(
                f"method.kind {method} cannot train on data.format {declared}: it needs "
                + " or ".join(_describe(f) for f in allowed)
            )
        return PROMPT_ONLY if method in ("grpo", "rloo") and declared != "chat" else declared
    if method != "sft":
        if method == "kto" and first_record is not None and "chosen" in first_record:
            return "preference"
        return allowed[0]
    if first_record is not None:
        if "messages" in first_record:
            return "chat"
        if "text" in first_record:
            return "text"
        if "prompt" in first_record and "completion" in first_record:
            return "prompt-completion"
    raise DataError(
        "cannot tell the layout of the SFT data: set data.format to text, prompt-completion or "
        "chat (records with a `text`, `prompt`+`completion` or `messages` field)"
    )


def _describe(fmt: str) -> str:
    return f"{fmt} ({', '.join(FORMAT_FIELDS[fmt])})"


def resolve_data_path(raw: str, base_dir: Path) -> Path:
    """A data path from the config: relative to the config's folder, else to the CWD."""
    path = Path(raw).expanduser()
    candidates = [path] if path.is_absolute() else [base_dir / path, Path.cwd() / path]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise DataError(
        f"data file {raw} not found (looked in {', '.join(str(c) for c in candidates)})"
    )


def read_records(path: Path) -> Records:
    """Read every record of a local data file or saved `datasets` folder."""
    if path.is_dir():
        return _read_saved_dataset(path)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise DataError(
        f"{path}: unsupported data file type {suffix or '(none)'}; use "
        + ", ".join(SUPPORTED_SUFFIXES)
        + " or a folder saved with datasets' save_to_disk"
    )


def _read_jsonl(path: Path) -> Records:
    rows: list[dict[str, Any]] = []
    lines: list[int | None] = []
    with path.open(encoding="utf-8", errors="strict") as handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(
                        f"{path}: record {len(rows) + 1} (line {number}): invalid JSON: {exc.msg} "
                        f"at column {exc.colno}"
                    ) from None
                if not isinstance(value, dict):
                    raise DataError(
                        f"{path}: record {len(rows) + 1} (line {number}): expected a JSON object, "
                        f"got {type(value).__name__}"
                    )
                rows.append(value)
                lines.append(number)
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return Records(path, rows, lines)


def _read_json(path: Path) -> Records:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError:
        # Many `.json` files are really JSON Lines; datasets reads them that way too.
        return _read_jsonl(path)
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise DataError(f"{path}: expected a JSON list of records (or one key holding it)")
        value = lists[0]
    if not isinstance(value, list):
        raise DataError(f"{path}: expected a JSON list of records, got {type(value).__name__}")
    for index, row in enumerate(value, start=1):
        if not isinstance(row, dict):
            raise DataError(
                f"{path}: record {index}: expected a JSON object, got {type(row).__name__}"
            )
    return Records(path, value, [None] * len(value))


def _read_csv(path: Path) -> Records:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [dict(row) for row in csv.DictReader(handle)]
    # CSV cells are strings: decode JSON-looking ones (message lists) and booleans.
    for row in rows:
        for key, cell in row.items():
            if isinstance(cell, str) and cell[:1] in "[{":
                with contextlib.suppress(json.JSONDecodeError):
                    row[key] = json.loads(cell)
            elif key == "label" and isinstance(cell, str):
                lowered = cell.strip().lower()
                if lowered in ("true", "1"):
                    row[key] = True
                elif lowered in ("false", "0"):
                    row[key] = False
    return Records(path, rows, [None] * len(rows))


def _read_parquet(path: Path) -> Records:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise DataError(f"{path}: cannot read Parquet: {exc}") from None
    return Records(path, rows, [None] * len(rows))


def _read_saved_dataset(path: Path) -> Records:
    from datasets import DatasetDict, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise DataError(
            f"{path}: a folder, but not one saved with datasets' save_to_disk ({exc})"
        ) from None
    if isinstance(loaded, DatasetDict):
        if "train" in loaded:
            loaded = loaded["train"]
        elif len(loaded) == 1:
            loaded = next(iter(loaded.values()))
        else:
            raise DataError(f"{path}: a DatasetDict without a `train` split ({list(loaded)})")
    rows = loaded.to_list()
    return Records(path, rows, [None] * len(rows))


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(m, dict) and "role" in m and "content" in m for m in value)
    )


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if _is_messages(value):
        return "messages"
    return "invalid"


def _check_record(row: dict[str, Any], fmt: str, task_names: Sequence[str] | None) -> Iterator[str]:
    for field in FORMAT_FIELDS[fmt]:
        if field not in row or row[field] is None:
            yield f"missing field {field!r} (format {fmt} needs {', '.join(FORMAT_FIELDS[fmt])})"
            continue
        value = row[field]
        if field == "text" and not isinstance(value, str):
            yield f"field 'text' must be a string, got {type(value).__name__}"
        elif field == "messages" and not _is_messages(value):
            yield "field 'messages' must be a non-empty list of {role, content} objects"
        elif field == "label" and not isinstance(value, bool):
            yield f"field 'label' must be true or false, got {value!r}"
        elif field in ("prompt", "completion", "chosen", "rejected") and _kind(value) == "invalid":
            yield f"field {field!r} must be a string or a list of {{role, content}} messages"
    if task_names is not None:
        task = row.get(TASK_FIELD)
        if task is None:
            yield f"missing field {TASK_FIELD!r} (multi-task adapters: one of {', '.join(task_names)})"
        elif task not in task_names:
            yield f"field {TASK_FIELD!r} is {task!r}, not one of peft.task_names ({', '.join(task_names)})"


def check_records(
    records: Records, fmt: str, task_names: Sequence[str] | None = None
) -> list[Problem]:
    """Every problem of every record (field missing, wrong type, mixed string/messages)."""
    problems: list[Problem] = []
    first_kind: dict[str, tuple[str, int]] = {}
    for index, row in enumerate(records.rows, start=1):
        line = records.lines[index - 1]
        for message in _check_record(row, fmt, task_names):
            problems.append(Problem(index, message, line))
        # Arrow needs one type per column: a string here and messages there cannot load.
        for field in ("prompt", "completion", "chosen", "rejected"):
            if field not in FORMAT_FIELDS[fmt] or field not in row:
                continue
            kind = _kind(row[field])
            if kind == "invalid":
                continue
            seen = first_kind.setdefault(field, (kind, index))
            if seen[0] != kind:
                problems.append(
                    Problem(
                        index,
                        f"field {field!r} is {kind} but record {seen[1]} has {seen[0]}: "
                        "use one layout for the whole file",
                        line,
                    )
                )
    if not records.rows:
        problems.append(Problem(0, "no records"))
    return problems


def format_problems(path: Path, problems: list[Problem]) -> str:
    """A readable error naming the file, the record numbers and the fields."""
    shown = []
    for problem in problems[:MAX_REPORTED_PROBLEMS]:
        if problem.record == 0:
            shown.append(f"{path}: {problem.message}")
            continue
        where = f"record {problem.record}"
        if problem.line is not None:
            where += f" (line {problem.line})"
        shown.append(f"{path}: {where}: {problem.message}")
    more = len(problems) - len(shown)
    if more > 0:
        shown.append(f"... and {more} more problem(s) in {path}")
    return "\n".join(shown)


def _chat_to_prompt(row: dict[str, Any]) -> dict[str, Any]:
    messages = list(row["messages"])
    while messages and messages[-1].get("role") == "assistant":
        messages.pop()
    out = {k: v for k, v in row.items() if k != "messages"}
    out["prompt"] = messages
    return out


def build_dataset(records: Records, fmt: str, method: str) -> Dataset:
    """A `datasets.Dataset` in TRL's layout for `method` from checked records."""
    from datasets import Dataset

    if method in ("grpo", "rloo"):
        # Extra columns reach reward functions as keyword arguments, so keep them.
        rows = [_chat_to_prompt(r) if fmt == "chat" else dict(r) for r in records.rows]
    else:
        rows = [{field: r[field] for field in FORMAT_FIELDS[fmt]} for r in records.rows]
    try:
        dataset = Dataset.from_list(rows)
    except Exception as exc:  # pyarrow type errors for values the checks let through
        raise DataError(f"{records.path}: cannot build a dataset: {exc}") from None
    if method == "kto" and fmt == "preference":
        from trl import unpair_preference_dataset

        dataset = unpair_preference_dataset(dataset)
    return dataset


def load_checked_records(
    raw_path: str, plan: Plan, base_dir: Path, task_names: Sequence[str] | None = None
) -> tuple[Records, str]:
    """Read and check one data file; raise `DataError` listing its problems."""
    path = resolve_data_path(raw_path, base_dir)
    records = read_records(path)
    fmt = resolve_format(plan, records.rows[0] if records.rows else None)
    problems = check_records(records, fmt, task_names)
    if problems:
        raise DataError(format_problems(path, problems))
    return records, fmt


def load_training_data(
    plan: Plan, base_dir: Path, task_names: Sequence[str] | None = None
) -> TrainingData:
    """Read, check and shape the Plan's train (and eval) data; no model is touched."""
    if plan.data is None:
        raise DataError("the config has no `data` section: set data.train to a data file")
    method = plan.method.kind
    train_records, fmt = load_checked_records(plan.data.train, plan, base_dir, task_names)
    eval_dataset = None
    if plan.data.eval:
        eval_records, eval_fmt = load_checked_records(plan.data.eval, plan, base_dir, task_names)
        if eval_fmt != fmt:
            raise DataError(f"{eval_records.path}: eval data is {eval_fmt} but train data is {fmt}")
        eval_dataset = build_dataset(eval_records, fmt, method)
    train = build_dataset(train_records, fmt, method)
    by_task = None
    if task_names is not None:
        by_task = {}
        for name in task_names:
            subset = Records(
                train_records.path,
                [r for r in train_records.rows if r.get(TASK_FIELD) == name],
                [],
            )
            if not subset.rows:
                raise DataError(
                    f"{train_records.path}: no records with {TASK_FIELD}: {name} "
                    "(each task needs training data for its adapter)"
                )
            by_task[name] = build_dataset(subset, fmt, method)
    return TrainingData(format=fmt, train=train, eval=eval_dataset, train_by_task=by_task)
