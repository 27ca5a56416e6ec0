"""Plan-shaped data -> Plan, with structural findings placed through the source map.

Invalid fields are reported and dropped so that the rest of the Plan still gets checked."""

from __future__ import annotations

import copy
import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from tunelint.checks.finding import Finding, Fix
from tunelint.config.plan import Plan
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

_MAX_ROUNDS = 4


def model_at(path: tuple[str, ...]) -> type[BaseModel] | None:
    """The pydantic section model that holds the keys under `path` (() is the Plan)."""
    model: type[BaseModel] = Plan
    for part in path:
        field = model.model_fields.get(part)
        if field is None:
            field = next((f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return None
        inner = _section_type(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _section_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _section_type(arg)
            if found is not None:
                return found
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _delete(data: Any, loc: tuple[str, ...]) -> bool:
    node = data
    for part in loc[:-1]:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]
        return True
    return False


def _dotted(loc: tuple[str, ...]) -> str:
    return ".".join(loc) if loc else "(top level)"


def _finding_for(error: dict[str, Any], source_map: SourceMap, dialect: str) -> Finding:
    loc = tuple(str(p) for p in error["loc"])
    kind = error["type"]
    native = dialect == "native"
    where = source_map.get(loc)
    written = where.dialect_key if where is not None and where.dialect_key else _dotted(loc)
    if kind == "extra_forbidden":
        parent = model_at(loc[:-1])
        known = field_names(parent) if parent is not None else []
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        message = f"unknown key `{loc[-1]}`"
        if loc[:-1]:
            message += f" in `{_dotted(loc[:-1])}`"
        fix = None
        if close:
            message += f"; did you mean `{close[0]}`?"
            if where is not None and native:
                fix = Fix(
                    f"Rename to `{close[0]}`",
                    "unsafe",
                    text_edits=(TextEdit(where.key, close[0]),),
                )
        elif known:
            message += f" (expected one of: {', '.join(known)})"
        return Finding("TL901", message, loc, fix, range=where.key if where else None)
    if kind == "missing":
        return Finding("TL903", f"missing required field `{_dotted(loc)}`", loc)
    message = error["msg"]
    given = error.get("input")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        close = difflib.get_close_matches(str(given), choices, n=1, cutoff=0.5)
        message = f"`{given}` is not one of {', '.join(choices)}"
        if close:
            message += f"; did you mean `{close[0]}`?"
    elif isinstance(given, (str, int, float, bool)) or given is None:
        message = f"{message} (got {given!r})"
    return Finding("TL902", f"`{written}`: {message}", loc)


def build_plan(
    data: dict[str, Any], source_map: SourceMap, dialect: str = "native"
) -> tuple[Plan | None, list[Finding]]:
    """Validate; report each problem once; drop what is invalid and keep the rest."""
    try:  # the common case: valid as written, nothing to drop
        return Plan.model_validate(data), []
    except ValidationError:
        pass
    findings: list[Finding] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    work = copy.deepcopy(data)
    for _ in range(_MAX_ROUNDS):
        try:
            return Plan.model_validate(work), findings
        except ValidationError as exc:
            progressed = False
            for error in exc.errors():
                loc = tuple(str(p) for p in error["loc"])
                key = (error["type"], loc)
                if key not in seen:
                    seen.add(key)
                    findings.append(_finding_for(error, source_map, dialect))
                if error["type"] == "missing":
                    # An optional section with a missing required field is dropped whole.
                    if len(loc) > 1 and loc[0] != "model" and _delete(work, loc[:1]):
                        progressed = True
                    continue
                # Drop the offending value; for a bad list item drop the whole list.
                while loc and not _delete(work, loc):
                    loc = loc[:-1]
                progressed = progressed or bool(loc)
            if not progressed:
                break
    return None, findings
