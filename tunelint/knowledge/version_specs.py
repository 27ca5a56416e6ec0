"""Version numbers and requirement specifiers (`==1.2`, `>=0.20,<1`, `~=4.46`), read without
`packaging` so the lint path stays light. Shared by the option tables (knowledge/options.py)
and the version a config is written for (config/versions.py)."""

from __future__ import annotations

import re
from functools import lru_cache

_RELEASE = re.compile(r"\d+(?:\.\d+)*")
CLAUSE = re.compile(r"(===|==|~=|!=|>=|<=|>|<)\s*([0-9][0-9A-Za-z.*+!-]*)")


@lru_cache(maxsize=4096)
def version_tuple(text: str) -> tuple[int, ...]:
    """`1.2.3rc1` -> (1, 2, 3); trailing zeros dropped so 0.20 == 0.20.0."""
    match = _RELEASE.search(text)
    parts = [int(p) for p in match.group(0).split(".")] if match else [0]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _allows(spec: list[tuple[str, str]], version: str) -> bool:
    v = version_tuple(version)
    for op, raw in spec:
        wildcard = raw.endswith(".*")
        bound = version_tuple(raw.removesuffix(".*"))
        if op in ("==", "===", "!=") and wildcard:
            same = (v + (0,) * len(bound))[: len(bound)] == bound
            ok = same if op != "!=" else not same
        elif op in ("==", "==="):
            ok = v == bound
        elif op == "!=":
            ok = v != bound
        elif op == ">=":
            ok = v >= bound
        elif op == ">":
            ok = v > bound
        elif op == "<=":
            ok = v <= bound
        elif op == "<":
            ok = v < bound
        else:  # ~=X.Y[.Z]: >= X.Y[.Z] and the same release prefix up to the last part
            parts = raw.split(".")
            prefix = version_tuple(".".join(parts[:-1])) if len(parts) > 1 else ()
            padded = v + (0,) * len(prefix)
            ok = v >= bound and padded[: len(prefix)] == prefix
        if not ok:
            return False
    return True


def version_from_spec(spec_text: str, known: tuple[str, ...]) -> str | None:
    """The version a requirement's specifier selects (see the module docstring); None when
    it states none (a bare name, a URL) and `known` is empty."""
    spec = [(op, raw) for op, raw in CLAUSE.findall(spec_text.split(";", 1)[0])]
    for op, raw in spec:
        if op in ("==", "===") and not raw.endswith(".*"):
            return raw
    allowed = [v for v in known if _allows(spec, v)]
    if allowed:
        return max(allowed, key=version_tuple)
    lower = [raw for op, raw in spec if op in (">=", "~=", ">", "==")]
    return lower[0].removesuffix(".*") if lower else None
