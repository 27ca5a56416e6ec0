"""The Plan's pydantic validators, built once and kept on disk between runs.

The Plan's section models are declared with `defer_build=True`: pydantic builds a model's
validator on first use, which costs more than the rest of a `tunelint check` of one file
(pydantic's schema generation in Python, and its plugin loader scanning every installed
package's metadata). `install()` builds them on first use only once per machine: the
validators (pydantic_core `SchemaValidator`s, which pickle) are stored under tunelint's
cache folder, keyed on the versions of Python, pydantic and pydantic-core and a hash of
plan.py's source. A stale, foreign or broken file is never read as valid: its key does not
match, or loading it fails and the validators are built as pydantic builds them. Deleting
the file is always safe.

What the cache leaves out: pydantic plugins (observability hooks found through package
metadata) do not wrap cached validators; serializers and JSON Schemas are still built by
pydantic when first asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import pickle
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tunelint.config import plan
from tunelint.knowledge.disk_cache import cache_file, write_atomic

_installed = False


def _models() -> list[type[BaseModel]]:
    """Every model of plan.py, the Plan first."""
    found = [
        value
        for value in vars(plan).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == plan.__name__
        and value is not plan.Section
    ]
    return sorted(found, key=lambda model: (model is not plan.Plan, model.__qualname__))


_TUNELINT_IMPORT = re.compile(rb"^\s*(?:from|import)\s+(tunelint(?:\.\w+)*)", re.MULTILINE)


def schema_sources() -> list[Path]:
    """plan.py and the tunelint modules it imports (types or validators of the Plan may
    come from them): a change to any of them invalidates the cache."""
    main = Path(plan.__file__)
    found = [main]
    for name in _TUNELINT_IMPORT.findall(main.read_bytes()):
        spec = importlib.util.find_spec(name.decode())
        if spec is not None and spec.origin and spec.has_location:
            found.append(Path(spec.origin))
    return found


def cache_key() -> str:
    import pydantic
    import pydantic_core

    digest = hashlib.sha256()
    for part in (sys.version, pydantic.VERSION, pydantic_core.__version__):
        digest.update(part.encode() + b"\0")
    for source in schema_sources():
        digest.update(source.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def cache_path() -> Path:
    return cache_file("plan-validators", f"{cache_key()}.pickle")


def _load(path: Path) -> dict[str, Any] | None:
    try:
        stored = pickle.loads(path.read_bytes())
    except Exception:  # missing, truncated, or written by another version: rebuild
        return None
    names = [model.__qualname__ for model in _models()]
    if not isinstance(stored, dict) or sorted(stored) != sorted(names):
        return None
    return stored


def _save(path: Path, validators: dict[str, Any]) -> None:
    with contextlib.suppress(pickle.PicklingError, TypeError):
        write_atomic(path, pickle.dumps(validators, protocol=pickle.HIGHEST_PROTOCOL))


def install() -> None:
    """Give every Plan model its validator: from the cache, else built and cached."""
    global _installed
    if _installed:
        return
    _installed = True
    models = _models()
    if all(model.__pydantic_complete__ for model in models):
        return  # already built (by pydantic itself, e.g. after a JSON Schema was asked for)
    try:
        path = cache_path()
    except (OSError, RuntimeError):  # plan.py unreadable, or no home for a cache
        return
    stored = _load(path)
    if stored is not None:
        for model in models:
            model.__pydantic_validator__ = stored[model.__qualname__]
        return
    for model in models:
        model.model_rebuild()
    _save(path, {model.__qualname__: model.__pydantic_validator__ for model in models})
