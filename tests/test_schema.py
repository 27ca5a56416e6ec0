"""The published JSON Schema matches the Plan, and every native example validates."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tunelint.config.schema import SCHEMA_PATH, plan_json_schema

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").rglob("*.tune.yaml"))


def test_schema_file_is_current() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == plan_json_schema(), "run: tunelint schema -o schemas/tunelint.schema.json"


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(plan_json_schema())


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("hub_token", None)  # TL602's example carries a deliberately unknown key
    jsonschema.validate(data, plan_json_schema())


def test_schema_rejects_what_the_linter_rejects() -> None:
    bad = {"model": {"name": "x"}, "precision": "float16"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, plan_json_schema())
