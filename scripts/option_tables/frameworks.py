"""One extractor per framework: the option table of one release, read from its source with
`ast` (scripts/option_tables/sections.py turns config classes into sections)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from typing import Any

from scripts.option_tables.classes import (
    literal,
    parse,
    string_of,
)
from scripts.option_tables.exports import defining_file
from scripts.option_tables.sections import (
    NAME,
    Package,
    Table,
    nested_sections,
    section_of,
)
from scripts.option_tables.sources import Archive


def transformers(archive: Archive) -> Table:
    paths = [
        p
        for p in (
            "transformers/training_args.py",
            "transformers/training_args_seq2seq.py",
            "transformers/trainer_utils.py",
            "transformers/debug_utils.py",
        )
        if p in archive.files
    ]
    package = Package(archive, paths)
    # HfArgumentParser.parse_yaml_file/parse_json_file/parse_dict default to
    # allow_extra_keys=False and raise on a key no dataclass field takes.
    return {
        name: section_of(package, name, "error", "dataclass")
        for name in ("TrainingArguments", "Seq2SeqTrainingArguments")
        if name in package.classes
    }


def trl(archive: Archive) -> Table:
    # Only modules that define dataclasses (a text test first: parsing all of TRL is slow).
    paths = [
        p
        for p in archive.glob("trl/")
        if ("/_" not in p or p.endswith("_config.py")) and "@dataclass" in archive.files[p]
    ]
    package = Package(archive, paths)
    external = {"transformers": "transformers"}
    # TrlParser (trl/scripts/utils.py) refuses config keys no dataclass takes.
    table: Table = {}
    names = frozenset(
        name
        for name, info in package.classes.items()
        if "dataclass" in info.decorators
        and not name.startswith("_")
        and (name.endswith("Config") or name == "ScriptArguments")
    )
    for name in sorted(names):
        # The class `from trl import Name` gives, where several modules define one (TRL
        # 0.12: trl/utils.py's ScriptArguments, not those of its example scripts).
        package.prefer(name, defining_file(archive, "trl/__init__.py", name))
    for name in sorted(names):
        table[name] = section_of(package, name, "error", "dataclass", external, names)
    # `trl sft --config x.yaml` parses the file into the script's dataclasses together.
    for path in archive.glob("trl/scripts/") + archive.glob("trl/commands/scripts/"):
        classes = [c for c in _parser_classes(archive.files[path]) if c in table]
        if classes:
            table[path.rsplit("/", 1)[1].removesuffix(".py")] = {
                "keys": {},
                "unknown": "error",
                "validation": "dataclass",
                "bases": classes,
            }
    return table


def _parser_classes(source: str) -> list[str]:
    """The dataclasses a script hands TrlParser: `TrlParser((A, B))`, `dataclass_types = (A, B)`."""
    for node in ast.walk(parse(source)):
        value = None
        if isinstance(node, ast.Call) and _name_of(node.func) == "TrlParser" and node.args:
            value = node.args[0]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "dataclass_types" for t in node.targets
        ):
            value = node.value
        if isinstance(value, (ast.Tuple, ast.List)):
            return [ast.unparse(e) for e in value.elts]
    return []


def _name_of(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _class_list(source: str, variable: str) -> list[str]:
    for node in parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets)
            and isinstance(node.value, (ast.List, ast.Tuple))
        ):
            return [ast.unparse(e) for e in node.value.elts]
    return []


def llamafactory(archive: Archive) -> Table:
    package = Package(archive, archive.glob("llamafactory/hparams/"))
    external = {"transformers": "transformers"}
    parser = archive.files.get("llamafactory/hparams/parser.py", "")
    table: Table = {}
    # `llamafactory-cli train x.yaml` parses one flat dict into these dataclasses with
    # HfArgumentParser.parse_dict(allow_extra_keys=False) unless ALLOW_EXTRA_ARGS is set.
    for command, variable in (
        ("train", "_TRAIN_ARGS"),
        ("infer", "_INFER_ARGS"),
        ("eval", "_EVAL_ARGS"),
    ):
        classes = _class_list(parser, variable)
        for name in classes:
            if name not in table and name in package.classes:
                table[name] = section_of(package, name, "error", "dataclass", external)
        if classes:
            table[command] = {
                "keys": {},
                "unknown": "error",
                "validation": "dataclass",
                "bases": [c for c in classes if c in table],
            }
    return table


def axolotl(archive: Archive) -> Table:
    package = Package(archive, archive.glob("axolotl/utils/schemas/"))
    # pydantic's default is extra="ignore": AxolotlInputConfig drops a key it does not know.
    table = {"config": section_of(package, "AxolotlInputConfig", "warning", "pydantic")}
    table.update(nested_sections(package, "AxolotlInputConfig", "pydantic", table))
    # A plugin listed under `plugins:` (axolotl.integrations.<name>.SomePlugin) merges its
    # args models into the config schema: one section per integration package.
    args = [p for p in archive.glob("axolotl/integrations/") if p.endswith("/args.py")]
    plugins = Package(archive, [*archive.glob("axolotl/utils/schemas/"), *args])
    for path in args:
        own = [n for n, c in plugins.classes.items() if c.module == path and c.fields]
        merged: dict[str, Any] = {}
        for name in own:
            merged.update(section_of(plugins, name, "warning", "pydantic")["keys"])
        if merged:
            module = path.removesuffix("/args.py").replace("/", ".")
            table[f"plugin:{module}"] = {
                "keys": merged,
                "unknown": "warning",
                "validation": "pydantic",
            }
    return table


def _dict_keys(source: str, suffix: str) -> dict[str, set[str]]:
    """`name["key"] = ...` assignments in a module, for dict variables ending in `suffix`."""
    out: dict[str, set[str]] = {}
    for node in ast.walk(parse(source)):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            target, key = node.value, node.slice
            if (
                isinstance(target, ast.Name)
                and target.id.endswith(suffix)
                and isinstance(key, ast.Constant)
                and isinstance(key.value, str)
            ):
                out.setdefault(target.id, set()).add(key.value)
    return out


def accelerate(archive: Archive) -> Table:
    package = Package(archive, ["accelerate/commands/config/config_args.py"])
    # BaseConfig.from_yaml_file/from_json_file raise ValueError on keys no field takes.
    table: Table = {
        "config": section_of(package, "ClusterConfig", "error", "dataclass"),
        "sagemaker": section_of(package, "SageMakerConfig", "error", "dataclass"),
    }
    # The plugin dicts (fsdp_config, deepspeed_config, ...) are what `accelerate config`
    # writes; `accelerate launch` copies them onto its arguments and ignores others.
    # `accelerate launch` also takes every option of its argument group (fsdp_args ->
    # fsdp_config), including ones the questionnaire stopped writing.
    cluster = archive.files.get("accelerate/commands/config/cluster.py", "")
    plugin_keys = {n: {k: "" for k in ks} for n, ks in _dict_keys(cluster, "_config").items()}
    launch = archive.files.get("accelerate/commands/launch.py", "")
    for group, options in _launch_options(launch).items():
        name = group.removesuffix("_args") + "_config"
        if name in plugin_keys:
            # launch.py prefixes `fsdp_`/`fp8_`/`dynamo_` onto an unprefixed key of these
            # dicts before matching its arguments: both spellings are taken.
            prefix = _LAUNCH_PREFIX.get(name)
            for key, text in options.items():
                names = [key]
                if prefix and key.startswith(prefix):
                    names.append(key.removeprefix(prefix))
                for each in names:
                    if plugin_keys[name].get(each, "") == "":
                        plugin_keys[name][each] = text
    for name, keys in sorted(plugin_keys.items()):
        if name in table["config"]["keys"]:
            table[name] = {
                "keys": {
                    k: {"type": "", **({"help": h} if h else {})} for k, h in sorted(keys.items())
                },
                "unknown": "warning",
                "validation": "dict",
            }
    return table


_LAUNCH_PREFIX = {"fsdp_config": "fsdp_", "fp8_config": "fp8_", "dynamo_config": "dynamo_"}


def _launch_options(source: str) -> dict[str, dict[str, str]]:
    """`group.add_argument("--name", help=...)` calls: {group variable: {name: help}}."""
    out: dict[str, dict[str, str]] = {}
    if not source:
        return out
    for node in ast.walk(parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_argument"
            and isinstance(node.func.value, ast.Name)
            and node.args
        ):
            flag = string_of(node.args[0]) or ""
            if not flag.startswith("--"):
                continue
            text = next((string_of(k.value) for k in node.keywords if k.arg == "help"), None)
            key = flag[2:].replace("-", "_")
            out.setdefault(node.func.value.id, {})[key] = " ".join((text or "").split())[:400]
    return out


def _constants(archive: Archive, paths: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in paths:
        own: dict[str, Any] = {}  # the last assignment in a module is the one in force
        for node in parse(archive.files[path]).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id.isupper():
                    ok, value = literal(node.value)
                    if ok:
                        own[target.id] = value
        for name, value in own.items():
            out.setdefault(name, value)
    return out


_TOP_LEVEL = {"param_dict", "ds_config"}


def _deepspeed_reads(source: str, constants: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Keys read from the top-level dict (`param_dict`, `ds_config`) and from
    `param_dict[SECTION]`. Returns {section: {key: default}} with "" for the top level."""
    tree = parse(source)
    # `{k: param_dict.get(k) for k in ("tensorboard", "wandb")}`: the loop names keys.
    loops: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension) and isinstance(node.target, ast.Name):
            ok, values = literal(node.iter)
            if ok and isinstance(values, list) and all(isinstance(v, str) for v in values):
                loops[node.target.id] = values

    def keys_of(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found = [node.value]
        elif isinstance(node, ast.Name) and isinstance(constants.get(node.id), str):
            found = [constants[node.id]]
        elif isinstance(node, ast.Name):
            found = loops.get(node.id, [])
        else:
            found = []
        return [k for k in found if NAME.fullmatch(k)]

    def where(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Call) and _is_keys(node):
            node = node.func.value  # type: ignore[attr-defined]
        if isinstance(node, ast.Name) and node.id in _TOP_LEVEL:
            return [""]
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in _TOP_LEVEL
        ):
            return keys_of(node.slice)
        return []

    out: dict[str, dict[str, Any]] = {}

    def add(sections: list[str], keys: list[str], default: Any = None) -> None:
        for section in sections:
            for key in keys:
                out.setdefault(section, {}).setdefault(key, default)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if len(node.args) >= 2 and where(node.args[0]) and keys_of(node.args[1]):
                # get_scalar_param(param_dict, KEY, DEFAULT) and helpers of the same shape
                default = None
                if len(node.args) >= 3:
                    arg = node.args[2]
                    if isinstance(arg, ast.Name) and arg.id in constants:
                        default = constants[arg.id]
                    else:
                        default = literal(arg)[1]
                add(where(node.args[0]), keys_of(node.args[1]), default)
            elif name == "get" and isinstance(func, ast.Attribute) and node.args:
                add(where(func.value), keys_of(node.args[0]))
        elif isinstance(node, ast.Subscript):
            add(where(node.value), keys_of(node.slice))
        elif (
            isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In)
        ):
            add(where(node.comparators[0]), keys_of(node.left))
    return out


def _is_keys(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute) and node.func.attr == "keys"


def _model_sections(source: str, constants: dict[str, Any], models: set[str]) -> dict[str, str]:
    """{key: model class} for `Model(**param_dict.get(KEY, {}))`, also through a variable
    (`d = param_dict.get(FP16, {})` ... `DeepSpeedFP16Config(**d)`)."""

    def key_of(node: ast.AST) -> str | None:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get" and node.args and _is_top(node.func.value):
                node = node.args[0]
            else:
                return None
        elif isinstance(node, ast.Subscript) and _is_top(node.value):
            node = node.slice
        else:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and isinstance(constants.get(node.id), str):
            return constants[node.id]
        return None

    out: dict[str, str] = {}
    for function in ast.walk(parse(source)):
        if not isinstance(function, (ast.FunctionDef, ast.Module)):
            continue
        variables: dict[str, str] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, key = node.targets[0], key_of(node.value)
                if isinstance(target, ast.Name) and key:
                    variables.setdefault(target.id, key)
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and _name_of(node.func) in models:
                for kw in node.keywords:
                    if kw.arg is None:
                        value = kw.value
                        key = (
                            variables.get(value.id)
                            if isinstance(value, ast.Name)
                            else key_of(value)
                        )
                        if key:
                            out.setdefault(key, _name_of(node.func))
    return out


def _is_top(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in _TOP_LEVEL


def deepspeed(archive: Archive) -> Table:
    constant_paths = [p for p in archive.glob("deepspeed/") if p.endswith("constants.py")]
    readers = [
        p
        for p in archive.glob("deepspeed/")
        if p.endswith(("/config.py", "_config.py"))
        # inference/ has its own config; module_inject/ reads nested dicts named param_dict.
        and "/inference/" not in p
        and "/module_inject/" not in p
    ]
    constants = _constants(archive, ["deepspeed/runtime/constants.py", *constant_paths])
    # DeepSpeedConfig reads the keys it knows from the dict and ignores the rest.
    sections: dict[str, dict[str, Any]] = {}
    for path in readers:
        local = {**constants, **_constants(archive, [path])}
        for section, keys in _deepspeed_reads(archive.files[path], local).items():
            merged = sections.setdefault(section, {})
            for key, default in keys.items():
                if merged.get(key) is None:
                    merged[key] = default
    table: Table = {}
    for section, keys in sorted(sections.items()):
        table[section or "config"] = {
            "keys": {k: {"type": "", "default": d} for k, d in sorted(keys.items())},
            "unknown": "warning",
            "validation": "dict",
        }
    # Sections parsed into pydantic models (DeepSpeedConfigModel: extra="forbid"): the ZeRO
    # ones, and every `Model(**param_dict.get(KEY))` the readers build (fp16, compile...).
    package = Package(
        archive,
        [p for p in ("deepspeed/runtime/config_utils.py", *readers) if p in archive.files],
    )
    models = {
        "zero_optimization": "DeepSpeedZeroConfig",
        "offload_param": "DeepSpeedZeroOffloadParamConfig",
        "offload_optimizer": "DeepSpeedZeroOffloadOptimizerConfig",
    }
    for path in readers:
        local = {**constants, **_constants(archive, [path])}
        found = _model_sections(archive.files[path], local, set(package.classes))
        for key, cls in found.items():
            models.setdefault(key, cls)
    for section, cls in sorted(models.items()):
        if cls not in package.classes:
            continue
        model = section_of(package, cls, "error", "pydantic")
        if not model["keys"]:
            continue
        # Keys the dict readers know but the model does not list stay known (as dict keys).
        for key, info in table.get(section, {}).get("keys", {}).items():
            model["keys"].setdefault(key, info)
        table[section] = model
    if "DeepSpeedZeroConfig" in package.classes:
        table.update(nested_sections(package, "DeepSpeedZeroConfig", "pydantic", table))
    return table


def _cfg_reads(source: str, constants: dict[str, str]) -> dict[str, Any]:
    """Top-level keys a torchtune recipe reads: `cfg.key`, `cfg.get("key", d)`, `cfg["key"]`,
    `cfg.get(PROFILER_KEY)` with the constant's value from torchtune's own modules."""
    out: dict[str, Any] = {}
    methods = {"get", "pop", "keys", "items", "values", "copy"}
    for node in ast.walk(parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if (
                isinstance(receiver, ast.Name)
                and receiver.id == "cfg"
                and node.func.attr == "get"
                and node.args
            ):
                first = node.args[0]
                key = string_of(first)
                if key is None and isinstance(first, ast.Name):
                    key = constants.get(first.id)
                if key:
                    default = literal(node.args[1])[1] if len(node.args) > 1 else None
                    out.setdefault(key, default)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "cfg" and node.attr not in methods:
                out.setdefault(node.attr, None)
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "cfg"
            and isinstance(node.slice, ast.Constant)
        ):
            out.setdefault(str(node.slice.value), None)
    return out


def torchtune(archive: Archive) -> Table:
    table: Table = {}
    # recipes/*.py and recipes/dev/*.py (their configs ship in recipes/configs/dev/).
    recipes = [
        p
        for p in archive.glob("recipes/")
        if (p.count("/") == 1 or p.startswith("recipes/dev/")) and not p.endswith("__init__.py")
    ]
    # `X_KEY = "x"` constants of torchtune/training, read by text (parsing all of torchtune
    # for a few constants is slow).
    constant = re.compile(r"^([A-Z][A-Z0-9_]*_KEY)\s*=\s*[\"'](\w+)[\"']", re.M)
    constants = {
        name: value
        for path in archive.glob("torchtune/training/")
        for name, value in constant.findall(archive.files[path])
    }
    for path in recipes:
        keys = _cfg_reads(archive.files[path], constants)
        if keys:
            # OmegaConf hands the recipe the whole file; keys it never reads are ignored.
            table[path.removeprefix("recipes/").removesuffix(".py")] = {
                "keys": {k: {"type": "", "default": d} for k, d in sorted(keys.items())},
                "unknown": "warning",
                "validation": "dict",
            }
    if table:
        # A config does not name its recipe (the `tune run` command line does): any recipe.
        table["any"] = {
            "keys": {},
            "unknown": "warning",
            "validation": "dict",
            "bases": sorted(table),
        }
    return table


# Values a framework's config may hold that the program launching it replaces first: a
# DeepSpeed config used through the HF Trainer or accelerate says "auto" and gets filled from
# the training arguments (transformers/integrations/deepspeed.py HfTrainerDeepSpeedConfig
# .fill_match, accelerate/utils/dataclasses.py DeepSpeedPlugin.fill_match).
PLACEHOLDERS: dict[str, list[str]] = {"deepspeed": ["auto"]}

EXTRACTORS: dict[str, Callable[[Archive], Table]] = {
    "transformers": transformers,
    "trl": trl,
    "axolotl": axolotl,
    "llamafactory": llamafactory,
    "accelerate": accelerate,
    "deepspeed": deepspeed,
    "torchtune": torchtune,
}

__all__ = ["EXTRACTORS", "PLACEHOLDERS", "Table"]
