"""The lint path's Plan (pydantic_core's validator over the cached core schema, building
plain objects) answers exactly as the pydantic Plan it is derived from: same values, same
fields set, same errors, same members; and `tunelint check` runs it without pydantic."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tunelint.config import plan, plan_validators
from tunelint.config.plan_objects import PlanObject, field_names, section_at, to_model
from tunelint.lint import lint_file

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(
    p for p in (REPO / "examples").rglob("*") if p.suffix in (".yaml", ".yml", ".json")
)
MODELS = [
    value
    for value in vars(plan).values()
    if isinstance(value, type)
    and issubclass(value, BaseModel)
    and value.__module__ == plan.__name__
    and value is not plan.Section
]
CASES: list[dict[str, Any]] = [
    {"model": {"name": "m"}},
    {"model": {"name": "m"}, "hardware": {"gpu": 4090, "count": 2}, "peft": {"kind": "qlora"}},
    {"$schema": "x.json", "model": {"name": "m"}, "data": {"train": "t.jsonl"}},
    {"model": {"name": "m"}, "peft": {"target_modules": ["q_proj", "v_proj"]}},
    {"model": {"name": "m"}, "output": {"report_to": ["tensorboard"]}},
    # invalid: unknown keys, bad values, a missing required field, a wrong section type
    {"model": {"name": "m"}, "training": {"learning_rate": -1, "epoch": 2}},
    {"model": {"name": "m"}, "precision": "fp8", "method": {"kind": "ppo2", "beta": 0}},
    {"model": {}, "data": {"eval": "e"}},
    {"model": {"name": "m"}, "hardware": "A100", "intent": {"tasks": "many"}},
    {"model": {"name": "m"}, "peft": {"target_modules": [1, {"a": 2}]}, "extra": True},
    [],
]


def _dump(value: Any) -> Any:
    """A Plan (plain object or pydantic model) as its fields and the fields set, nested."""
    if isinstance(value, PlanObject):  # its own attributes, never answered by the model
        fields = {name: _dump(vars(value)[name]) for name in type(value)._fields}
        return {"fields": fields, "set": sorted(value.model_fields_set)}
    if isinstance(value, BaseModel):
        fields = {name: _dump(getattr(value, name)) for name in type(value).model_fields}
        return {"fields": fields, "set": sorted(value.model_fields_set)}
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value


def _outcome(validate: Any, error: type[Exception], data: Any) -> Any:
    try:
        return "valid", validate(data)
    except error as exc:
        return "invalid", [
            (e["type"], e["loc"], e["msg"], repr(e.get("input")), e.get("ctx"))
            for e in exc.errors()  # type: ignore[attr-defined]
        ]


def _mapped_data() -> list[Any]:
    found = []
    for path in EXAMPLES:
        result = lint_file(path)
        if result.mapped is not None:
            found.append(result.mapped.data)
    return found


def test_plain_objects_answer_as_the_pydantic_plan() -> None:
    from pydantic import ValidationError

    validator = plan_validators.validator()
    cases = [*CASES, *_mapped_data()]
    assert len(cases) > len(CASES) + 10  # the examples were read
    kinds = set()
    for data in cases:
        ours = _outcome(validator.validate, validator.error, copy.deepcopy(data))
        theirs = _outcome(plan.Plan.model_validate, ValidationError, copy.deepcopy(data))
        kinds.add(ours[0])
        assert ours[0] == theirs[0], data
        if ours[0] == "valid":
            assert _dump(ours[1]) == _dump(theirs[1]), data
            assert to_model(ours[1]) == theirs[1]
        else:
            assert ours[1] == theirs[1], data
    assert kinds == {"valid", "invalid"}


def test_every_member_of_the_models_is_on_the_plain_classes() -> None:
    classes = plan_validators.validator().classes
    assert sorted(classes) == sorted(model.__name__ for model in MODELS)
    sample = plan_validators.validator().validate(
        {"model": {"name": "m"}, "peft": {"kind": "qlora"}}
    )
    real = plan.Plan.model_validate({"model": {"name": "m"}, "peft": {"kind": "qlora"}})
    checked = 0
    for model in MODELS:
        cls = classes[model.__name__]
        assert field_names(cls) == [f.alias or n for n, f in model.model_fields.items()]
        # What the model's own class body adds beyond fields and pydantic's machinery.
        own = {
            name
            for name in vars(model)
            if not name.startswith("_") and name not in vars(BaseModel) and name != "model_config"
        } - set(model.model_fields)
        for name in own:
            assert name in dir(cls), (model.__name__, name)
            if model is plan.Plan:
                assert getattr(sample, name) == getattr(real, name), name
                checked += 1
    assert checked >= 1  # effective_quantization


def test_section_lookup_follows_the_models() -> None:
    root = plan_validators.validator().plan
    assert section_at((), root) is root
    checked = 0
    for name, field in plan.Plan.model_fields.items():
        inner = section_at((name,), root)
        is_section = any(
            isinstance(t, type) and issubclass(t, BaseModel)
            for t in (field.annotation, *getattr(field.annotation, "__args__", ()))
        )
        assert (inner is not None) == is_section, name
        if inner is not None:
            assert field_names(inner) == list(getattr(plan, inner.__name__).model_fields)
            checked += 1
    assert checked >= 8
    assert section_at(("precision",), root) is None
    assert section_at(("nope",), root) is None


def test_pydantic_api_answers_through_the_model() -> None:
    data = {"model": {"name": "m"}, "hardware": {"gpu": 4090}, "$schema": "s.json"}
    ours = plan_validators.validator().validate(data)
    real = plan.Plan.model_validate(data)
    for kwargs in ({}, {"by_alias": True, "exclude_unset": True}, {"mode": "json"}):
        assert ours.model_dump(**kwargs) == real.model_dump(**kwargs)
    assert ours.hardware.model_dump() == real.hardware.model_dump()
    assert isinstance(to_model(ours), plan.Plan) and to_model(real) is real
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert copy.deepcopy(ours) == ours and copy.deepcopy(ours) is not ours
    with pytest.raises(AttributeError):
        ours.no_such_member  # noqa: B018


def test_a_stored_schema_is_the_models_schema(tmp_path: Path) -> None:
    """In step with the model: what a run stores is what pydantic builds now."""
    import marshal

    env = {**os.environ, "TUNELINT_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    probe = "from tunelint.config import plan_validators as v; v.validator()"
    subprocess.run([sys.executable, "-c", probe], env=env, check=True)
    (stored,) = tmp_path.rglob("*.marshal")
    assert marshal.loads(stored.read_bytes()) == plan_validators.build_data()


LAZY = ("tunelint.knowledge.options", "tempfile", "difflib")
MODULES_PROBE = f"""
import json, sys
LAZY = {LAZY!r}
from tunelint.cli import main
code = main(["check", "--quiet", sys.argv[1]])
print(json.dumps([m for m in sys.modules if m.split(".")[0] in
      ("pydantic", "pydantic_core", "typing_extensions", "annotated_types")]))
print(json.dumps([m for m in LAZY if m in sys.modules]))
"""


@pytest.mark.parametrize(
    "name", ["quickstart.tune.yaml", "dialects/axolotl", "rules/tl101-fp16-on-ampere.tune.yaml"]
)
def test_check_imports_only_pydantic_cores_engine(name: str, tmp_path: Path) -> None:
    target = REPO / "examples" / name
    if target.is_dir():
        target = sorted(target.glob("*.y*ml"))[0]
    env = {**os.environ, "TUNELINT_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}

    def modules() -> tuple[list[str], list[str]]:
        out = subprocess.run(
            [sys.executable, "-c", MODULES_PROBE, str(target)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        pydantic_side, others = out.stdout.splitlines()[-2:]
        return json.loads(pydantic_side), json.loads(others)

    assert "pydantic" in modules()[0]  # the first run builds the schema through pydantic
    loaded, others = modules()
    assert loaded == ["pydantic_core._pydantic_core"]  # later runs load it
    # Loaded only when used: the option tables (and difflib, for their suggestions) by a
    # file with framework keys, tempfile to write a cache file or a fix.
    if target.name.endswith(".tune.yaml"):
        assert others == []
    else:
        assert others == ["tunelint.knowledge.options", "difflib"]


def test_pydantic_imported_after_the_engine_alone_works_as_usual(tmp_path: Path) -> None:
    probe = """
import sys
from tunelint.config import plan_validators
plain = plan_validators.validator().validate({"model": {"name": "m"}})
assert "pydantic_core" not in sys.modules  # the engine was loaded alone
import pydantic, pydantic_core
assert pydantic_core._pydantic_core is sys.modules["pydantic_core._pydantic_core"]
class Probe(pydantic.BaseModel):
    a: int
assert Probe(a="3").a == 3
from tunelint.config.plan_objects import to_model
print(to_model(plain).model_dump(exclude_unset=True))
"""
    env = {**os.environ, "TUNELINT_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", "import tunelint.lint"], env=env, check=True)
    for _ in range(2):  # the first run builds the cache (and imports pydantic to do so)
        out = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
        )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{'model': {'name': 'm'}}"
