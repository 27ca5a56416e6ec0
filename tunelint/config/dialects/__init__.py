"""Config formats tunelint reads. Each dialect module maps its keys onto the Plan."""

from __future__ import annotations

from tunelint.config.dialects.accelerate import AccelerateDialect
from tunelint.config.dialects.axolotl import AxolotlDialect
from tunelint.config.dialects.base import Dialect, MappedConfig
from tunelint.config.dialects.deepspeed import DeepSpeedDialect
from tunelint.config.dialects.llamafactory import LlamaFactoryDialect
from tunelint.config.dialects.native import NativeDialect
from tunelint.config.dialects.torchtune import TorchtuneDialect
from tunelint.config.dialects.trl import TrlDialect

# Order breaks ties: more specific formats first. Dialect modules register here.
DIALECTS: list[Dialect] = [
    NativeDialect(),
    TorchtuneDialect(),
    DeepSpeedDialect(),
    AccelerateDialect(),
    LlamaFactoryDialect(),
    AxolotlDialect(),
    TrlDialect(),
]

# Below this confidence a file is not treated as a config at all (never linted).
MIN_CONFIDENCE = 0.5


def get_dialect(name: str) -> Dialect | None:
    return next((d for d in DIALECTS if d.name == name), None)


__all__ = ["DIALECTS", "MIN_CONFIDENCE", "Dialect", "MappedConfig", "get_dialect"]
