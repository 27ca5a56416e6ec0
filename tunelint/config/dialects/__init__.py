"""Config formats tunelint reads. Each dialect module maps its keys onto the Plan."""

from __future__ import annotations

from tunelint.config.dialects.base import Dialect, MappedConfig
from tunelint.config.dialects.native import NativeDialect

# Order breaks ties: more specific formats first. Dialect modules register here.
DIALECTS: list[Dialect] = [NativeDialect()]

# Below this confidence a file is not treated as a config at all (never linted).
MIN_CONFIDENCE = 0.5


def get_dialect(name: str) -> Dialect | None:
    return next((d for d in DIALECTS if d.name == name), None)


__all__ = ["DIALECTS", "MIN_CONFIDENCE", "Dialect", "MappedConfig", "get_dialect"]
