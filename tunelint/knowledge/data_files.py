"""tunelint's data files (TOML: GPU and model catalogs, architectures; JSON: the framework
option tables), parsed once.

The TOML stays the one source people edit. Parsing it with tomllib is most of a cold
`tunelint check` once the rules run, so the parsed content is kept in the cache folder in
`marshal` form (the fastest loader Python has, and one that runs no code), keyed on the
file's bytes and the Python version: an edited file is parsed again, never read stale."""

from __future__ import annotations

import hashlib
import marshal
import sys
from functools import cache
from pathlib import Path
from typing import Any

from tunelint.knowledge.disk_cache import cache_file, write_atomic

DATA = Path(__file__).parent / "data"


def _cached_name(name: str, raw: bytes) -> str:
    digest = hashlib.sha256(raw)
    digest.update(f"{sys.version_info[:2]}|{marshal.version}".encode())
    return f"{Path(name).stem}-{digest.hexdigest()[:24]}.marshal"


def parse(raw: bytes, suffix: str = ".toml") -> dict[str, Any]:
    if suffix == ".json":
        import json

        return json.loads(raw.decode("utf-8"))
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    return tomllib.loads(raw.decode("utf-8"))


def load(name: str) -> dict[str, Any]:
    """The content of data/<name> (e.g. "gpus.toml"). Callers must not mutate it."""
    return load_file(DATA / name)


@cache
def load_file(source: Path) -> dict[str, Any]:
    """The content of a TOML (or JSON: the option tables) data file shipped with tunelint.
    Callers must not mutate it."""
    raw = source.read_bytes()
    try:
        path = cache_file("data", _cached_name(source.name, raw))
    except (OSError, RuntimeError):  # no home folder to put a cache in
        return parse(raw, source.suffix)
    try:
        found = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        found = None
    if isinstance(found, dict):
        return found
    data = parse(raw, source.suffix)
    try:
        blob = marshal.dumps(data)
    except ValueError:  # a value marshal cannot hold (a TOML date): keep parsing
        return data
    write_atomic(path, blob)
    return data
