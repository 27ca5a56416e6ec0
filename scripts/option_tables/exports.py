"""Where a package's public name is defined: `from trl import ScriptArguments` followed
through the package's imports to the module whose class it is.

A name may be defined by several modules of one release (TRL 0.12 has a `ScriptArguments`
in trl/utils.py, the one `trl` exports, and others in its example scripts), and the module
that exports it moves between releases (trl/utils.py in 0.12, trl/scripts/utils.py from
0.16 on): the option table reads the class the framework's launcher imports."""

from __future__ import annotations

import ast

from scripts.option_tables.classes import module_statements, parse
from scripts.option_tables.sources import Archive


def _module_file(archive: Archive, importer: str, level: int, module: str | None) -> str | None:
    """The file of `from <.. level><module> import ...` written in file `importer`."""
    if level:
        parts = importer.split("/")[:-1]  # the importer's package folder
        if level > 1:
            parts = parts[: len(parts) - (level - 1)]
    else:
        parts = []
    if module:
        parts += module.split(".")
    base = "/".join(parts)
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in archive.files:
            return candidate
    return None


def defining_file(archive: Archive, path: str, name: str, depth: int = 0) -> str | None:
    """The file defining class `name` as file `path` exposes it (a package's __init__.py
    re-exporting it, or the module itself), following `from X import name [as alias]`."""
    source = archive.files.get(path)
    if source is None or depth > 8:
        return None
    try:
        statements = module_statements(parse(source))
    except SyntaxError:
        return None
    if any(isinstance(s, ast.ClassDef) and s.name == name for s in statements):
        return path
    for statement in statements:
        if not isinstance(statement, ast.ImportFrom):
            continue
        for alias in statement.names:
            if (alias.asname or alias.name) != name:
                continue
            target = _module_file(archive, path, statement.level, statement.module)
            found = target and defining_file(archive, target, alias.name, depth + 1)
            if found:
                return found
    return None
