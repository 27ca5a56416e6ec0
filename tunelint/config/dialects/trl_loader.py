"""How a TRL-format YAML file is loaded, from the evidence beside it: what the project's
scripts call on it.

Both loaders start with `yaml.safe_load`, so `2e-5` is the string '2e-5' (YAML 1.1); they
differ in what happens next:
- `TrlParser.parse_args_and_config` (the `trl` CLI, alignment-handbook since July 2025,
  open-r1, most TRL example scripts; trl/scripts/utils.py at 1.16, and
  trl/commands/cli_utils.py since 0.9) makes each value the default of its argparse option,
  and argparse converts a string default with the option's type: '2e-5' arrives as 2e-05.
  (TRL 0.8's YamlConfigParser.merge_dataclasses set the values unconverted.)
- `HfArgumentParser.parse_yaml_file` (alignment-handbook's H4ArgumentParser until July 2025,
  many training scripts) passes the values to the dataclasses as loaded: the string stays.

The project's Python and shell files are searched for these calls: from the config's folder
up to the project root (the nearest folder with .git, pyproject.toml, setup.py or
setup.cfg, at most MAX_LEVELS_UP above), or only the config's folder and the one above when
no root is found. Files the config itself names (`dataset_mixer`, handbook's old
DataArguments; `dataset_mixture`, TRL's DatasetMixtureConfig read by TrlParser scripts)
decide where no script does. Otherwise the loader is unknown. A project's scripts are read
once per process (a long-running server sees script edits after a restart).

The same scan says whether the file's model-loading keys (ModelConfig's `load_in_4bit`,
`dtype`, `use_peft`...) take effect: the `trl` CLI and TRL's example scripts build the model
from them with `get_quantization_config` / `get_peft_config` (trl/scripts/*.py at 1.16); a
project's own script may pass only the model name to the trainer, and then they do nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tunelint.config import file_state
from tunelint.config.dialects.related import exists, folders_up, is_file

MAX_LEVELS_UP = 4
MAX_FILES = 400  # scripts read per project: a config's project, not a monorepo
MAX_FOLDERS = 2000  # folders listed per project (data folders hold no scripts)
MAX_BYTES = 256 * 1024
_ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
_SKIP_DIRS = {"node_modules", "venv", "site-packages", "__pycache__", "build", "dist", "wandb"}
_SUFFIXES = (".py", ".sh")
# A call, not an import: `from trl import TrlParser` alone says nothing.
_CONVERTS = re.compile(
    r"(?<!class )\bTrlParser\s*\(|\.parse_args_and_config\s*\("
    r"|(?:^|[\s;&|(])trl\s+(?:sft|dpo|grpo|rloo|kto|reward|orpo|gkd|xpo|nash_md)\b[^\n]*--config",
    re.MULTILINE,
)
_PASSES_STRINGS = re.compile(r"(?<!class )\bH4ArgumentParser\s*\(|\.parse_yaml_file\s*\(")
# Words one of the patterns needs: a file without them is skipped without a regex scan.
_CONVERTS_WORDS = ("TrlParser", "parse_args_and_config", "--config")
_PASSES_WORDS = ("H4ArgumentParser", "parse_yaml_file")
# The model built from ModelConfig's keys: TRL's helpers, or the `trl` CLI itself.
_MODEL_KEYS_APPLIED = re.compile(
    r"\bget_quantization_config\s*\(|\bget_peft_config\s*\("
    r"|(?:^|[\s;&|(])trl\s+(?:sft|dpo|grpo|rloo|kto|reward|orpo|gkd|xpo|nash_md)\b[^\n]*--config",
    re.MULTILINE,
)
_MODEL_KEYS_WORDS = ("get_quantization_config", "get_peft_config", "--config")


@dataclass(frozen=True, slots=True)
class LoaderEvidence:
    converts: bool  # True: values reach the trainer converted by the field's type
    why: str  # what said so, for messages
    model_keys_applied: str | None = None  # the script that builds the model from ModelConfig


def loader_evidence(config_file: str, keys: set[str]) -> LoaderEvidence | None:
    """What says how the file at `config_file` is loaded; None when nothing does."""
    found = _from_scripts(config_file)
    if found is not None and found.why:
        return found
    if "dataset_mixer" in keys:
        return LoaderEvidence(False, "`dataset_mixer` (alignment-handbook's H4ArgumentParser)")
    if "dataset_mixture" in keys:
        return LoaderEvidence(True, "`dataset_mixture` (read by TrlParser scripts)")
    return None


def model_keys_evidence(config_file: str) -> str | None:
    """The project script (or `trl` CLI line) that builds the model from the file's
    ModelConfig keys; None when none is found (or the file has no project around it)."""
    found = _from_scripts(config_file)
    return found.model_keys_applied if found is not None else None


def _from_scripts(config_file: str) -> LoaderEvidence | None:
    if config_file.startswith("<"):
        return None
    try:
        path = file_state.realpath(config_file)
        if not is_file(path):
            return None  # a buffer or a test text: its neighbours are not its project's
    except OSError:
        return None
    folder = os.path.dirname(path)
    root = _project_root(folder)
    if root is not None:
        return _scan((root,), True)
    # No project root: the config's folder and the one above, not below.
    return _scan((folder, os.path.dirname(folder)), False)


def _project_root(folder: str) -> str | None:
    for candidate in folders_up(folder, MAX_LEVELS_UP):
        try:
            if any(exists(os.path.join(candidate, marker)) for marker in _ROOT_MARKERS):
                return candidate
        except OSError:  # an unreadable folder ends the search
            return None
    return None


@lru_cache(maxsize=64)
def _scan(folders: tuple[str, ...], recursive: bool) -> LoaderEvidence | None:
    converts: list[str] = []
    passes: list[str] = []
    applied: list[str] = []
    for script in _scripts(folders, recursive):
        try:
            with open(script, encoding="utf-8", errors="replace") as handle:
                text = handle.read(MAX_BYTES)
        except OSError:
            continue
        name = os.path.relpath(script, folders[0])
        if any(w in text for w in _CONVERTS_WORDS) and _CONVERTS.search(text):
            converts.append(name)
        if any(w in text for w in _PASSES_WORDS) and _PASSES_STRINGS.search(text):
            passes.append(name)
        if any(w in text for w in _MODEL_KEYS_WORDS) and _MODEL_KEYS_APPLIED.search(text):
            applied.append(name)
    model_keys = applied[0] if applied else None
    if converts and not passes:
        return LoaderEvidence(True, f"{converts[0]} (TrlParser / the `trl` CLI)", model_keys)
    if passes and not converts:
        return LoaderEvidence(False, f"{passes[0]} (HfArgumentParser.parse_yaml_file)", model_keys)
    # None, or both: the script that reads this file is not known (the model keys may be).
    return LoaderEvidence(False, "", model_keys) if model_keys else None


def _scripts(folders: tuple[str, ...], recursive: bool) -> list[Path]:
    found: list[Path] = []
    listed = 0
    for top in folders:
        for folder, dirs, files in os.walk(top):
            listed += 1
            if listed > MAX_FOLDERS:
                return found
            dirs[:] = (
                sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
                if recursive
                else []
            )
            for name in sorted(files):
                if name.endswith(_SUFFIXES):
                    found.append(Path(folder) / name)
                    if len(found) >= MAX_FILES:
                        return found
    return found
