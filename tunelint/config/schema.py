"""The published JSON Schema of the native format, generated from the Plan models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tunelint.config.plan import Plan

SCHEMA_ID = "https://raw.githubusercontent.com/tunelint/tunelint/main/schemas/tunelint.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "tunelint.schema.json"


def plan_json_schema() -> dict[str, Any]:
    schema = Plan.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    return json.dumps(plan_json_schema(), indent=2, ensure_ascii=False) + "\n"
