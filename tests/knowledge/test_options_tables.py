"""The generated option tables: in step with their generator, and the generator's reading
of framework source (dataclasses, pydantic models, deprecation messages, release history)."""

from __future__ import annotations

import copy
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest

from scripts.gen_option_tables import main as generate
from scripts.option_tables.classes import deprecations, parse, read_classes
from scripts.option_tables.exports import defining_file
from scripts.option_tables.history import merge
from scripts.option_tables.pins import GENERATOR_VERSION, PINS
from scripts.option_tables.sections import Package, section_of
from scripts.option_tables.sources import Archive, archive_path
from tunelint.knowledge.options import DATA_DIR, table_digest, unknown_keys

WHEELS = Path(
    os.environ.get("TUNELINT_OPTION_WHEELS", Path(tempfile.gettempdir()) / "tunelint-option-wheels")
)


def _tables() -> list[Path]:
    return sorted(DATA_DIR.glob("*.json"))


def test_every_pinned_framework_has_a_table() -> None:
    assert sorted(p.stem for p in _tables()) == sorted(PINS)


@pytest.mark.parametrize("path", _tables(), ids=lambda p: p.stem)
def test_embedded_hash_matches_content(path: Path) -> None:
    """A table edited by hand no longer matches the hash the generator wrote into it."""
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["generator"] == GENERATOR_VERSION
    assert data["versions"] == list(PINS[path.stem])
    assert data["sha256"] == table_digest(data)


def test_a_hand_edit_changes_the_hash() -> None:
    data = json.loads((DATA_DIR / "trl.json").read_text(encoding="utf-8"))
    edited = copy.deepcopy(data)
    edited["sections"]["SFTConfig"]["keys"]["max_length"]["default"] = 4096
    assert table_digest(edited) != data["sha256"]


def test_generator_reproduces_the_tables_offline() -> None:
    """Reruns the generator on the pinned archives. They are downloaded by
    `python scripts/gen_option_tables.py` (network); this test is skipped only when the
    archives are not in the wheel folder ($TUNELINT_OPTION_WHEELS, default
    $TMPDIR/tunelint-option-wheels), as in CI without network."""
    missing = [f"{p}=={v}" for p, vs in PINS.items() for v in vs if not archive_path(WHEELS, p, v)]
    if missing:
        pytest.skip(f"pinned archives not available offline in {WHEELS}: {', '.join(missing)}")
    assert generate(["--offline", "--check", "--wheels", str(WHEELS)]) == 0


DATACLASS = """
from dataclasses import dataclass, field
from typing import Literal, Optional
from enum import Enum

class Mode(str, Enum):
    FAST = "fast"
    SLOW = "slow"

@dataclass
class Args(Base):
    lr: float = field(default=2e-5, metadata={"help": "Learning rate."})
    kind: Literal["a", "b"] = "a"
    pick: str = field(default="x", metadata={"choices": ["x", "y"]})
    old_len: Optional[int] = field(default=None, metadata={"help": "Deprecated. Use `new_len` instead."})
    new_len: int = 1024
    cache: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.lr is not None:
            warnings.warn("`lr` is deprecated and will be removed in 2.0. Use `new_len` instead.")
        if isinstance(self.kind, Mode):
            warnings.warn("using `Mode` for `pick` is deprecated")
"""

PYDANTIC = """
class Cfg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overrides: dict | None = Field(default=None, alias="model_config", json_schema_extra={"description": "Overrides."})
    version: int | None = Field(default=None, validation_alias=AliasChoices("fsdp_version", "version"))
    cpu_offload: bool | None = Field(None, json_schema_extra={"deprecated": True, "new_param": "offload_optimizer"})
    offload_optimizer: dict | None = None
"""


def test_dataclass_fields_types_defaults_choices_and_help() -> None:
    classes = read_classes(parse(DATACLASS), "pkg/args.py")
    args = classes["Args"]
    assert args.bases == ["Base"] and "dataclass" in args.decorators
    assert set(args.fields) == {"lr", "kind", "pick", "old_len", "new_len", "cache"}
    assert args.fields["lr"].as_json() == {
        "type": "float",
        "default": 2e-5,
        "help": "Learning rate.",
    }
    assert args.fields["kind"].choices == ["a", "b"]
    assert args.fields["pick"].choices == ["x", "y"]
    assert args.fields["cache"].default_expr == "list()"
    old = args.fields["old_len"]
    assert (old.deprecated, old.renamed_to) == (True, "new_len")
    assert classes["Mode"].is_enum and classes["Mode"].enum_values == ["fast", "slow"]


def test_deprecation_messages_name_the_key_and_its_replacement() -> None:
    args = read_classes(parse(DATACLASS), "pkg/args.py")["Args"]
    # "using `Mode` for `pick` is deprecated" deprecates a value of `pick`, not `pick`.
    assert deprecations(args.strings, set(args.fields)) == {"lr": "new_len"}


def test_pydantic_alias_extra_forbid_and_deprecated_marker() -> None:
    cfg = read_classes(parse(PYDANTIC), "pkg/cfg.py")["Cfg"]
    assert cfg.forbids_extra
    assert cfg.fields["overrides"].alias == "model_config"
    assert cfg.fields["overrides"].help == "Overrides."
    assert cfg.fields["version"].alias_choices == ["fsdp_version", "version"]
    assert (cfg.fields["cpu_offload"].deprecated, cfg.fields["cpu_offload"].renamed_to) == (
        True,
        "offload_optimizer",
    )


def test_merge_records_added_removed_deprecated_and_renamed() -> None:
    def section(**keys: dict) -> dict:
        return {"S": {"keys": keys, "unknown": "error", "validation": "dataclass"}}

    merged = merge(
        {
            "1.0": section(old={"type": "int"}, kept={"type": "int"}),
            "1.1": section(
                old={"type": "int", "deprecated": True, "renamed_to": "new"},
                kept={"type": "int"},
                new={"type": "int"},
            ),
            "1.2": section(kept={"type": "float"}, new={"type": "int"}),
        }
    )
    keys = merged["sections"]["S"]["keys"]
    assert merged["versions"] == ["1.0", "1.1", "1.2"]
    assert keys["old"] == {
        "type": "int",
        "deprecated": "1.1",
        "renamed_to": "new",
        "removed": "1.2",
        "last_seen": "1.1",
    }
    assert keys["new"] == {"type": "int", "added": "1.1"}
    assert keys["kept"] == {"type": "float"}  # the newest release's facts win


def test_a_key_a_later_release_takes_back_is_not_deprecated_there() -> None:
    # TRL's vllm_gpu_memory_utilization: deprecated in 0.16-0.17, a live GRPOConfig field again.
    def section(flag: bool) -> dict:
        key = {"type": "float", **({"deprecated": True} if flag else {})}
        return {"S": {"keys": {"k": key}, "unknown": "error", "validation": "dataclass"}}

    merged = merge({"1.0": section(False), "1.1": section(True), "1.2": section(False)})
    info = merged["sections"]["S"]["keys"]["k"]
    assert (info["deprecated"], info["undeprecated"]) == ("1.1", "1.2")
    still = merge({"1.0": section(True), "1.1": section(False), "1.2": section(True)})
    assert still["sections"]["S"]["keys"]["k"] == {"type": "float", "deprecated": "1.2"}
    written = ["vllm_gpu_memory_utilization", "use_vllm"]
    assert unknown_keys("trl", written, "1.16.0", section="grpo") == []
    old = unknown_keys("trl", written, "0.16.1", section="grpo")
    assert [(p.key, p.kind) for p in old] == [("vllm_gpu_memory_utilization", "deprecated")]


def test_tables_hold_the_upstream_renames() -> None:
    """Renames the frameworks announce in their own deprecation code, read by the generator."""
    trl = json.loads((DATA_DIR / "trl.json").read_text(encoding="utf-8"))["sections"]
    tf = json.loads((DATA_DIR / "transformers.json").read_text(encoding="utf-8"))["sections"]
    max_seq = trl["SFTConfig"]["keys"]["max_seq_length"]
    assert (max_seq["removed"], max_seq["renamed_to"]) == ("0.20.0", "max_length")
    assert trl["ModelConfig"]["keys"]["torch_dtype"]["renamed_to"] == "dtype"
    evaluation = tf["TrainingArguments"]["keys"]["evaluation_strategy"]
    assert (evaluation["renamed_to"], evaluation["removed"]) == ("eval_strategy", "4.56.2")
    assert "deprecated" not in tf["TrainingArguments"]["keys"]["eval_strategy"]


# A package where one public name has several definitions: the one the package exports
# (through a re-export in a sub-package) is the one its launcher parses into.
EXPORTING = {
    "pkg/__init__.py": "from .scripts import ScriptArguments as ScriptArguments\n",
    "pkg/scripts/__init__.py": "if TYPE_CHECKING:\n    from .utils import ScriptArguments\n",
    "pkg/scripts/utils.py": (
        "@dataclass\nclass ScriptArguments:\n    dataset_name: str | None = None\n"
    ),
    "pkg/commands/scripts/ddpo.py": (
        "@dataclass\nclass ScriptArguments:\n    pretrained_model: str = 'sd'\n"
    ),
}


def test_a_public_name_resolves_to_the_class_the_package_exports(tmp_path: Path) -> None:
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, text in EXPORTING.items():
            zf.writestr(name, text)
    archive = Archive(wheel)
    assert defining_file(archive, "pkg/__init__.py", "ScriptArguments") == "pkg/scripts/utils.py"
    assert defining_file(archive, "pkg/__init__.py", "Missing") is None
    # Read in path order, the example script's class comes first; the export wins.
    package = Package(archive, sorted(n for n in EXPORTING if not n.endswith("__init__.py")))
    assert package.classes["ScriptArguments"].module == "pkg/commands/scripts/ddpo.py"
    package.prefer("ScriptArguments", "pkg/scripts/utils.py")
    section = section_of(package, "ScriptArguments", "error", "dataclass")
    assert set(section["keys"]) == {"dataset_name"}
    assert section["module"] == "pkg.scripts.utils"


def test_merge_records_where_a_class_moved() -> None:
    def section(module: str) -> dict:
        return {"S": {"keys": {}, "unknown": "error", "validation": "dataclass", "module": module}}

    merged = merge(
        {"1.0": section("a.utils"), "1.1": section("a.s.utils"), "1.2": section("a.s.utils")}
    )
    assert merged["sections"]["S"]["module"] == "a.s.utils"
    assert merged["sections"]["S"]["modules"] == [["1.0", "a.utils"], ["1.1", "a.s.utils"]]
    still = merge({"1.0": section("a.utils"), "1.1": section("a.utils")})
    assert "modules" not in still["sections"]["S"]


def test_trl_012_script_arguments_from_trl_utils() -> None:
    """TRL 0.12 defined the ScriptArguments `trl sft` parses in trl/utils.py (its example
    scripts had others of that name); from 0.16 it lives in trl/scripts/utils.py."""
    trl = json.loads((DATA_DIR / "trl.json").read_text(encoding="utf-8"))["sections"]
    script = trl["ScriptArguments"]
    assert script["modules"] == [["0.12.2", "trl.utils"], ["0.16.1", "trl.scripts.utils"]]
    for key in ("dataset_name", "dataset_train_split", "dataset_test_split"):
        assert "added" not in script["keys"][key], key  # in 0.12 already
    assert (script["keys"]["config"]["last_seen"], script["keys"]["config"]["removed"]) == (
        "0.12.2",
        "0.16.1",
    )
    assert "pretrained_model" not in script["keys"]  # the DDPO example's own argument
    problems = unknown_keys("trl", ["dataset_name", "dataset_train_split"], "0.12.2", section="sft")
    assert problems == []
