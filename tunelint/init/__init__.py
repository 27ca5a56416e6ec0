"""`tunelint init`: the source article's decision (goal, GPU, needs -> method, PEFT, precision,
memory strategy) as a config written right the first time.

The API the CLI and the language server share: `decide(InitAnswers) -> Decision | NoFit`,
then `write_config(decision, format) -> str` (plus `companion_files` for what sits beside it),
or `write_decision(decision, path, force=...)` to lint and write them all.
"""

from __future__ import annotations

from tunelint.init.answers import FORMATS, InitAnswers, InitError
from tunelint.init.decide import Decision, NoFit, decide
from tunelint.init.verify import NotWritten, write_decision
from tunelint.init.writers import companion_files, write_config

__all__ = [
    "FORMATS",
    "Decision",
    "InitAnswers",
    "InitError",
    "NoFit",
    "NotWritten",
    "companion_files",
    "decide",
    "write_config",
    "write_decision",
]
