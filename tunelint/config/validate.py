"""Plan-shaped data -> Plan, with structural problems placed through the source map.

Invalid fields are reported and dropped so that the rest of the Plan still gets checked.
Problems carry a kind, not a rule code: the rule engine (tunelint.checks) assigns codes."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from tunelint.config import plan_validators
from tunelint.config.plan_edits import PlanPath
from tunelint.config.plan_objects import field_names, section_at
from tunelint.config.positions import Range
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

ProblemKind = Literal["unknown-key", "invalid-value", "missing-field"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A structural problem of the Plan data, where it was written."""

    kind: ProblemKind
    message: str
    path: PlanPath
    range: Range | None = None  # None: the path's location
    # Unknown key: the field name it most likely meant, where the key can be renamed to it.
    rename_to: str | None = None


_MAX_ROUNDS = 4


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


def _problem_for(error: dict[str, Any], source_map: SourceMap, dialect: str) -> Problem:
    loc = tuple(str(p) for p in error["loc"])
    kind = error["type"]
    native = dialect == "native"
    where = source_map.get(loc)
    written = where.dialect_key if where is not None and where.dialect_key else _dotted(loc)
    if kind == "extra_forbidden":
        import difflib  # only for a config with a problem

        parent = section_at(loc[:-1], plan_validators.validator().plan)
        known = field_names(parent) if parent is not None else []
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        message = f"unknown key `{loc[-1]}`"
        if loc[:-1]:
            message += f" in `{_dotted(loc[:-1])}`"
        rename_to = None
        if close:
            message += f"; did you mean `{close[0]}`?"
            # Other dialects spell the key their own way: the Plan's name would be wrong there.
            rename_to = close[0] if where is not None and native else None
        elif known:
            message += f" (expected one of: {', '.join(known)})"
        return Problem("unknown-key", message, loc, where.key if where else None, rename_to)
    if kind == "missing":
        return Problem("missing-field", f"missing required field `{_dotted(loc)}`", loc)
    message = error["msg"]
    given = error.get("input")
    if kind == "literal_error":
        import difflib

        expected = error.get("ctx", {}).get("expected", "")
        choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        close = difflib.get_close_matches(str(given), choices, n=1, cutoff=0.5)
        message = f"`{given}` is not one of {', '.join(choices)}"
        if close:
            message += f"; did you mean `{close[0]}`?"
    elif isinstance(given, (str, int, float, bool)) or given is None:
        message = f"{message} (got {given!r})"
    return Problem("invalid-value", f"`{written}`: {message}", loc)


def build_plan(
    data: dict[str, Any], source_map: SourceMap, dialect: str = "native"
) -> tuple[Plan | None, list[Problem]]:
    """Validate; report each problem once; drop what is invalid and keep the rest.

    The Plan comes back as the validator's plain objects (tunelint.config.plan_objects),
    which read like the pydantic Plan."""
    validator = plan_validators.validator()
    try:  # the common case: valid as written, nothing to drop
        return validator.validate(data), []
    except validator.error:
        pass
    problems: list[Problem] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    work = copy.deepcopy(data)
    for _ in range(_MAX_ROUNDS):
        try:
            return validator.validate(work), problems
        except validator.error as exc:
            progressed = False
            for error in exc.errors():
                loc = tuple(str(p) for p in error["loc"])
                key = (error["type"], loc)
                if error["type"] == "missing":
                    # An optional section with a missing required field is dropped whole.
                    dropped = len(loc) > 1 and loc[0] != "model" and _delete(work, loc[:1])
                    progressed = progressed or dropped
                    # The required fields are the native format's: another format's file
                    # has its framework's own (a TRL script may read its data its own way),
                    # so a section it leaves incomplete is dropped without a finding.
                    if key not in seen and (dialect == "native" or not dropped):
                        seen.add(key)
                        problems.append(_problem_for(error, source_map, dialect))
                    continue
                if key not in seen:
                    seen.add(key)
                    problems.append(_problem_for(error, source_map, dialect))
                # Drop the offending value; for a bad list item drop the whole list.
                while loc and not _delete(work, loc):
                    loc = loc[:-1]
                progressed = progressed or bool(loc)
            if not progressed:
                break
    return None, problems
