"""The package versions each option table is generated from (oldest first).

Several releases per framework, so the tables can say in which version a key was added,
deprecated, renamed or removed. Change a pin here and rerun the generator."""

from __future__ import annotations

# Bump when the generator's output format or extraction changes: it is part of each table's
# content hash, so stale tables fail their test.
GENERATOR_VERSION = "4"

PINS: dict[str, tuple[str, ...]] = {
    "transformers": ("4.46.3", "4.56.2", "5.0.0", "5.8.1", "5.16.1", "5.24.0"),
    "trl": ("0.12.2", "0.16.1", "0.19.1", "0.20.0", "0.24.0", "1.0.0", "1.8.0", "1.16.0"),
    # The index holds axolotl wheels only for 0.5.0 and 0.17+ (the releases between are
    # source distributions); 0.21 declares Python >= 3.12 (hence --python-version 3.12).
    "axolotl": ("0.17.0", "0.19.0", "0.21.0"),
    "llamafactory": ("0.9.1", "0.9.2", "0.9.3", "0.9.4", "0.9.5"),
    "accelerate": ("1.0.1", "1.6.0", "1.15.0"),
    # DeepSpeed ships only source distributions.
    "deepspeed": ("0.15.4", "0.17.6", "0.19.8"),
    "torchtune": ("0.5.0", "0.6.1"),
}

SDIST_ONLY = frozenset({"deepspeed"})
