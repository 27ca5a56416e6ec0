"""The Plan's validator for the lint path: pydantic_core's engine and the Plan's core schema,
kept on disk between runs, without importing pydantic.

The Plan is declared as pydantic models (tunelint.config.plan). Importing pydantic and
building the models' validators costs more than the rest of a `tunelint check` of one
file. The first run on a machine builds the schema through pydantic as it always does,
turns it into plain data (each model class, default factory and validator function named
instead of referenced; the JSON-Schema metadata dropped) and stores it with `marshal` in
tunelint's cache folder, keyed on the versions of Python, pydantic and pydantic-core and
a hash of plan.py and the tunelint modules it imports. Later runs load that data, name
plain classes for the models (tunelint.config.plan_objects) and give it to pydantic_core's
compiled `SchemaValidator`, loaded without the rest of the package (its `__init__` imports
the typing helpers pydantic needs and the lint path does not).

A stale, foreign or broken file is never read as valid: its key does not match, or
loading it fails and the schema is built through pydantic again. Deleting the file is
always safe. An unwritable cache folder costs only speed.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import importlib.machinery
import importlib.util
import marshal
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from tunelint.config import plan_objects, plan_values
from tunelint.config.plan_objects import PlanObject
from tunelint.knowledge.disk_cache import cache_file, write_atomic

PLAN_SOURCE = Path(__file__).with_name("plan.py")
FORMAT = 2  # of the stored data; bump when _to_data changes
_PACKAGE = "pydantic_core"
_CORE = f"{_PACKAGE}._pydantic_core"
# The schema keys a validator never reads that may hold functions (JSON Schema hooks).
_DROPPED = frozenset({"metadata", "serialization"})
_REFS = frozenset({"ref", "schema_ref"})  # a schema's name and a reference to one
_MARK = "$tunelint"  # a dict {_MARK: kind, "name": ...} stands for a class or function


@dataclass(frozen=True)
class PlanValidator:
    """The Plan's validator and the classes it builds."""

    core: Any  # pydantic_core.SchemaValidator
    classes: dict[str, type[PlanObject]]
    error: type[Exception]  # pydantic_core.ValidationError

    @property
    def plan(self) -> type[PlanObject]:
        return self.classes["Plan"]

    def validate(self, data: Any) -> Any:
        """A validated Plan object; raises `self.error` when the data is invalid."""
        return self.core.validate_python(data)


class _BindCoreOnImport:
    """A meta-path finder that stays until pydantic_core itself is imported (by pydantic,
    the runner, a test) after its engine was loaded alone: it lets the normal finder load
    the package and binds the engine as the package's `_pydantic_core` attribute, as a
    normal import of the submodule would have."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != _PACKAGE:
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        loader = spec.loader if spec is not None else None
        if loader is None:
            return spec
        run = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            if _CORE in sys.modules:
                setattr(module, "_pydantic_core", sys.modules[_CORE])  # noqa: B010

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def core_module() -> ModuleType:
    """pydantic_core's compiled engine, without running pydantic_core's `__init__` unless
    something has imported it already."""
    loaded = sys.modules.get(_CORE)
    if loaded is not None:
        return loaded
    package = importlib.util.find_spec(_PACKAGE)
    locations = package.submodule_search_locations if package is not None else None
    spec = importlib.machinery.PathFinder.find_spec(_CORE, locations) if locations else None
    if spec is None or spec.loader is None:  # an unusual install: import it the usual way
        return importlib.import_module(_CORE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_CORE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_CORE]
        raise
    sys.meta_path.insert(0, _BindCoreOnImport())
    return module


_TUNELINT_IMPORT = re.compile(rb"^\s*(?:from|import)\s+(tunelint(?:\.\w+)*)", re.MULTILINE)


def schema_sources() -> list[Path]:
    """plan.py and the tunelint modules it imports (types or validators of the Plan may
    come from them): a change to any of them invalidates the cache."""
    found = [PLAN_SOURCE]
    for name in _TUNELINT_IMPORT.findall(PLAN_SOURCE.read_bytes()):
        spec = importlib.util.find_spec(name.decode())
        if spec is not None and spec.origin and spec.has_location:
            found.append(Path(spec.origin))
    return found


def _pydantic_version_source() -> bytes:
    """pydantic's version.py as text (it holds VERSION), read without importing pydantic."""
    spec = importlib.util.find_spec("pydantic")
    if spec is None or not spec.origin:
        raise RuntimeError("pydantic is not installed")
    return Path(spec.origin).with_name("version.py").read_bytes()


def cache_key() -> str:
    digest = hashlib.sha256()
    core = core_module()
    for part in (sys.version, str(FORMAT), core.__version__, getattr(core, "__file__", "")):
        digest.update(part.encode() + b"\0")
    digest.update(_pydantic_version_source() + b"\0")
    for source in schema_sources():
        digest.update(source.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def cache_path() -> Path:
    return cache_file("plan-validators", f"{cache_key()}.marshal")


def _stable_ref(ref: str) -> str:
    # pydantic ends a model's ref with the class's id(): the same model gets the same ref
    # in every process without it (class names are unique in plan.py).
    return re.sub(r":\d+$", "", ref)


def _to_data(node: Any, models: dict[type, str]) -> Any:
    """The core schema as plain data: model classes and validator functions by name."""
    if isinstance(node, dict):
        return {
            k: _stable_ref(v) if k in _REFS else _to_data(v, models)
            for k, v in node.items()
            if k not in _DROPPED
        }
    if isinstance(node, list | tuple):
        return type(node)(_to_data(item, models) for item in node)
    if isinstance(node, type) and node in models:
        return {_MARK: "class", "name": models[node]}
    if callable(node) and getattr(node, "__module__", None) == plan_values.__name__:
        return {_MARK: "function", "name": node.__name__}
    if isinstance(node, type) and getattr(builtins, node.__name__, None) is node:
        return {_MARK: "builtin", "name": node.__name__}  # a default factory: list, dict
    if node is None or isinstance(node, str | int | float | bool | bytes):
        return node
    raise TypeError(f"the Plan's core schema holds {node!r}, which cannot be stored")


def build_data() -> dict[str, Any]:
    """The Plan's core schema as plain data, built through pydantic."""
    from pydantic import BaseModel

    from tunelint.config import plan

    models = {
        value: value.__qualname__
        for value in vars(plan).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == plan.__name__
        and value is not plan.Section
    }
    plan.Plan.model_rebuild()
    return _to_data(plan.Plan.__pydantic_core_schema__, models)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        stored = marshal.loads(path.read_bytes())
    except Exception:  # missing, truncated, or written by another version: rebuild
        return None
    if not isinstance(stored, dict) or stored.get("type") != "model":
        return None
    return stored


def _model_nodes(node: Any, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every `model` schema in `node`, outermost first."""
    if isinstance(node, dict):
        if node.get("type") == "model":
            found.append(node)
        for value in node.values():
            _model_nodes(value, found)
    elif isinstance(node, list | tuple):
        for item in node:
            _model_nodes(item, found)
    return found


def _field_model(schema: Any) -> str | None:
    """The model a field holds, through defaults and nullable wrappers (None: a value)."""
    while isinstance(schema, dict):
        if schema.get("type") == "model":
            return schema["cls"]["name"]
        schema = schema.get("schema")
    return None


def _materialize(data: dict[str, Any], core: ModuleType) -> PlanValidator:
    """Plain classes for the models, and the data's names resolved to them."""
    classes: dict[str, type[PlanObject]] = {}
    field_models: dict[str, dict[str, str]] = {}
    for node in _model_nodes(data, []):
        name = node["cls"]["name"]
        fields = node["schema"]["fields"]
        aliases = {
            key: field["validation_alias"]
            for key, field in fields.items()
            if isinstance(field.get("validation_alias"), str)
        }
        classes[name] = plan_objects.make_class(name, tuple(fields), aliases, __name__)
        field_models[name] = {
            key: model for key, field in fields.items() if (model := _field_model(field))
        }
    for name, held in field_models.items():
        for key, model in held.items():
            classes[name]._sections[key] = classes[model]
            alias = classes[name]._aliases.get(key)
            if alias:
                classes[name]._sections[alias] = classes[model]
    schemas: dict[str, dict[str, Any]] = {}  # each model's resolved schema
    validators: dict[str, Any] = {}  # a section's own validator, built when first needed

    def factory(name: str) -> Any:
        # A section's default: the section validated from nothing, as pydantic's
        # `default_factory=Section` does.
        def default() -> Any:
            if name not in validators:
                validators[name] = core.SchemaValidator(schemas[name])
            return validators[name].validate_python({})

        return default

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            kind = node.get(_MARK)
            if kind == "class":
                return classes[node["name"]]
            if kind == "function":
                return getattr(plan_values, node["name"])
            if kind == "builtin":
                return getattr(builtins, node["name"])
            resolved = {key: resolve(value) for key, value in node.items()}
            made = node.get("default_factory")
            if isinstance(made, dict) and made.get(_MARK) == "class":
                resolved["default_factory"] = factory(made["name"])
            return resolved
        if isinstance(node, list | tuple):
            return type(node)(resolve(item) for item in node)
        return node

    schema = resolve(data)
    schemas.update((node["cls"].__name__, node) for node in _model_nodes(schema, []))
    return PlanValidator(core.SchemaValidator(schema), classes, core.ValidationError)


_validator: PlanValidator | None = None


def validator() -> PlanValidator:
    """The Plan's validator: from the cache, else built through pydantic and cached."""
    global _validator
    if _validator is not None:
        return _validator
    core = core_module()
    try:
        path: Path | None = cache_path()
    except (OSError, RuntimeError):  # plan.py unreadable, or no home for a cache
        path = None
    data = _load(path) if path is not None else None
    if data is not None:
        with contextlib.suppress(Exception):  # data that is no schema of ours: rebuilt below
            _validator = _materialize(data, core)
            return _validator
    data = build_data()
    if path is not None:
        with contextlib.suppress(ValueError):  # unmarshallable: not cached
            write_atomic(path, marshal.dumps(data))
    _validator = _materialize(data, core)
    return _validator


def install() -> None:
    """Load the validator now (a parent process about to fork workers calls it)."""
    validator()


def __getattr__(name: str) -> type[PlanObject]:
    # The Plan's plain classes by name (`tunelint.config.plan_validators.Plan`): pickle and
    # copy find them here. Not for dunders: the import system probes `__path__` and such.
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return validator().classes[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
