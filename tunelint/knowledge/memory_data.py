"""What the data says: the longest training sample of a local data file, in tokens.

Without packing, a collator that pads to the longest sample of the batch (TRL's
DataCollatorForLanguageModeling, transformers' DataCollatorWithPadding) makes the peak batch
the one holding the longest sample, truncated at max_seq_len: that length, not max_seq_len,
sizes the activations.

Counted with the model's own tokenizer (its tokenizer.json) when it is on disk (a local
model folder or the Hugging Face cache) and the `tokenizers` package imports (a Rust
library, no ML stack); otherwise characters / CHARS_PER_TOKEN. Chat templates and special
tokens add a few tokens per turn that the file's text does not show.

Only a bounded prefix is read (MAX_BYTES, MAX_RECORDS) so lint stays fast; results are
cached per (path, mtime, size, tokenizer).
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# OpenAI, "What are tokens and how to count them?" (help.openai.com): one token is about
# 4 characters of common English text. Code and other languages run shorter per token.
CHARS_PER_TOKEN = 4.0
MAX_BYTES = 50 * 1024**2
MAX_RECORDS = 100_000
_PAIR = ("chosen", "rejected")


@dataclass(frozen=True, slots=True)
class DataLengths:
    """The longest sample of the part of the file read, and how it was counted."""

    longest_tokens: int
    records: int
    complete: bool  # the whole file was read
    counted_with: str  # "the model's tokenizer" or "4.0 characters per token"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def sample_texts(record: Any) -> list[str]:
    """The sequences one record becomes: prompt + chosen and prompt + rejected for a
    preference pair (each its own sequence), else all its text in one."""
    if isinstance(record, dict) and all(k in record for k in _PAIR):
        rest = {k: v for k, v in record.items() if k not in _PAIR}
        prompt = "\n".join(_strings(rest))
        return ["\n".join([prompt, *_strings(record[k])]) for k in _PAIR]
    return ["\n".join(_strings(record))]


def _records(path: Path) -> tuple[list[Any], bool]:
    """Records of a JSONL, JSON or CSV file, up to MAX_BYTES / MAX_RECORDS; (records, whole)."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if suffix == ".json" and size <= MAX_BYTES:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data if isinstance(data, list) else [data]
        return rows[:MAX_RECORDS], len(rows) <= MAX_RECORDS
    out: list[Any] = []
    read = 0
    with path.open(encoding="utf-8", newline="") as fh:
        if suffix == ".csv":
            for row in csv.DictReader(fh):
                out.append(row)
                read += sum(len(v or "") for v in row.values())
                if len(out) >= MAX_RECORDS or read >= MAX_BYTES:
                    return out, False
            return out, True
        for line in fh:  # JSONL (and a .json file too large to parse whole)
            read += len(line)
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
            if len(out) >= MAX_RECORDS or read >= MAX_BYTES:
                return out, False
    return out, True


def tokenizer_available() -> bool:
    return importlib.util.find_spec("tokenizers") is not None


@lru_cache(maxsize=32)
def _measure(path: str, mtime_ns: int, size: int, tokenizer: str | None) -> DataLengths | None:
    try:
        records, complete = _records(Path(path))
    except (OSError, UnicodeError, ValueError, csv.Error):
        return None
    texts = [t for r in records for t in sample_texts(r)]
    if not texts:
        return None
    if tokenizer is not None:
        from tokenizers import Tokenizer  # Rust tokenizers only: no torch, no transformers

        try:
            encoded = Tokenizer.from_file(tokenizer).encode_batch(texts)
        except Exception:  # a tokenizer file this version cannot read: fall back to chars
            encoded = None
        if encoded is not None:
            longest = max(len(e.ids) for e in encoded)
            return DataLengths(longest, len(records), complete, "the model's tokenizer")
    longest = max(round(len(t) / CHARS_PER_TOKEN) for t in texts)
    return DataLengths(longest, len(records), complete, f"{CHARS_PER_TOKEN} characters per token")


def data_lengths(path: Path, tokenizer: Path | None = None) -> DataLengths | None:
    """The longest sample of a local JSONL/JSON/CSV data file (None: unreadable or empty)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    if path.suffix.lower() not in (".jsonl", ".json", ".csv"):
        return None
    tok = str(tokenizer) if tokenizer is not None and tokenizer_available() else None
    return _measure(str(path), stat.st_mtime_ns, stat.st_size, tok)


def find_tokenizer(model: str, search_paths: tuple[Path | str, ...] = ()) -> Path | None:
    """The model's tokenizer.json on disk: a local model folder, else the HF cache."""
    from tunelint.knowledge.models import hf_cache_dirs

    raw = Path(model).expanduser()
    folders = [raw] if raw.is_absolute() else [Path(p) / raw for p in search_paths] + [raw]
    try:
        for folder in folders:
            if (folder / "tokenizer.json").is_file():
                return folder / "tokenizer.json"
        repo = "models--" + model.strip().replace("/", "--")
        for root in hf_cache_dirs():
            found = sorted((root / repo / "snapshots").glob("*/tokenizer.json"))
            if found:
                return found[-1]
    except (OSError, ValueError):
        return None
    return None
