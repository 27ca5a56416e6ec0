"""Config classes of a package read into option-table sections: a class with its in-package
bases flattened, external bases referenced, Enum choices, deprecations from its messages.

A section is {"keys": {key: info}, "bases": [...], "unknown": ..., "validation": ...}.
`unknown` says what the framework does with a key it does not know (error: it refuses the
config at launch; warning: it ignores the key). `bases` name sections whose keys also apply,
`framework:Section` when they live in another framework's table (TRL -> transformers)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from scripts.option_tables.classes import (
    ClassInfo,
    FieldInfo,
    deprecations,
    imports,
    parse,
    read_classes,
)
from scripts.option_tables.sources import Archive

Table = dict[str, dict[str, Any]]
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Package:
    """The classes of a set of modules, resolvable by name, with their import maps."""

    def __init__(self, archive: Archive, paths: Iterable[str]) -> None:
        self.classes: dict[str, ClassInfo] = {}
        self.defined: dict[str, list[ClassInfo]] = {}  # every definition of a name
        self.imports: dict[str, dict[str, str]] = {}
        self.sources: dict[str, str] = {}
        self.by_name = False  # set by flatten(): the last class read populates by name
        for path in paths:
            source = archive.files[path]
            self.sources[path] = source
            try:
                tree = parse(source)
            except SyntaxError:
                continue
            self.imports[path] = imports(tree)
            for name, info in read_classes(tree, path).items():
                self.defined.setdefault(name, []).append(info)
                # On a name clash the stable module wins over experimental/ and dev/ ones.
                if name not in self.classes or "experimental" in self.classes[name].module:
                    self.classes[name] = info

    def prefer(self, name: str, path: str | None) -> None:
        """Resolve `name` to its definition in file `path` (the one the package exports:
        `exports.defining_file`), whatever other modules define a class of that name."""
        for info in self.defined.get(name, []):
            if info.module == path:
                self.classes[name] = info

    def enums(self) -> dict[str, list[Any]]:
        return {n: c.enum_values for n, c in self.classes.items() if c.is_enum and c.enum_values}

    def flatten(
        self, name: str, external: dict[str, str], sections: frozenset[str] = frozenset()
    ) -> tuple[dict[str, FieldInfo], list[str], list[str], bool]:
        """Fields of a class and its in-package bases (the class's own win), the bases in
        other frameworks or that are sections of their own (`sections`: referenced, not
        copied, to keep tables small), the messages of all their methods, and whether
        extras are refused."""
        fields: dict[str, FieldInfo] = {}
        outside: list[str] = []
        messages: list[str] = []
        forbids = False
        self.by_name = False
        seen: set[str] = set()

        def walk(cls_name: str) -> None:
            nonlocal forbids
            info = self.classes.get(cls_name)
            if info is None or cls_name in seen:
                return
            seen.add(cls_name)
            forbids = forbids or info.forbids_extra
            self.by_name = self.by_name or info.populate_by_name
            messages.extend(info.strings)
            for key, value in info.fields.items():
                fields.setdefault(key, value)
            for base in info.bases:
                short = base.split(".")[-1]
                if short in sections and short != name:
                    outside.append(short)
                    continue
                if short in self.classes:
                    walk(short)
                    continue
                origin = self.imports.get(info.module, {}).get(short, "")
                for module_prefix, framework in external.items():
                    if origin.startswith(module_prefix):
                        outside.append(f"{framework}:{origin.split(':')[1]}")

        walk(name)
        return fields, outside, messages, forbids


_PLAIN = {"Optional", "Union", "None", "str", "int", "float", "bool", "typing"}


def _enum_choices(fields: dict[str, FieldInfo], enums: dict[str, list[Any]], any_str: bool) -> None:
    """Allowed values of fields typed by an Enum of the package. Only when every class the
    type names is such an Enum: `OptimizerNames | CustomOptimizers` with OptimizerNames
    from another package must not shrink to the custom ones. With `any_str` (pydantic),
    `str | SomeEnum` takes any string, so it has no fixed choices."""
    for info in fields.values():
        if info.choices is not None:
            continue
        if any_str and "str" in NAME.findall(info.type):
            continue
        names = set(NAME.findall(info.type)) - _PLAIN
        if not names or not names <= set(enums):
            continue
        values = [v for n in sorted(names) if n in enums for v in enums[n]]
        if values:
            info.choices = values
            info.enum = True


def section_of(
    package: Package,
    name: str,
    unknown: str,
    validation: str,
    external: dict[str, str] | None = None,
    sections: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    fields, outside, messages, forbids = package.flatten(name, external or {}, sections)
    _enum_choices(fields, package.enums(), any_str=validation == "pydantic")
    for key, new in deprecations(messages, set(fields)).items():
        fields[key].deprecated = True
        fields[key].renamed_to = fields[key].renamed_to or new
    for info in fields.values():
        # Help texts say "use `x`" of other things too ("the use of `--y` is preferred").
        if info.renamed_to not in fields:
            info.renamed_to = None
    by_name = package.by_name
    keys: dict[str, Any] = {}
    for key, info in sorted(fields.items()):
        written = info.alias or key  # pydantic reads the alias from the file
        data = info.as_json()
        data.pop("alias", None)
        if info.alias:
            data["field"] = key
            if by_name:  # populate_by_name: the field's own name is taken too
                keys[key] = {**data, "field": key, "alias": info.alias}
        keys[written] = data
        for choice in info.alias_choices:  # validation_alias=AliasChoices(...): any of them
            if choice != written:
                keys.setdefault(choice, {**data, "field": key})
    if validation == "pydantic" and forbids:
        unknown = "error"
    section: dict[str, Any] = {"keys": keys, "unknown": unknown, "validation": validation}
    if outside:
        section["bases"] = outside
    if name in package.classes:  # where the class lived in this release (history.merge)
        section["module"] = package.classes[name].module.removesuffix(".py").replace("/", ".")
    return section


def nested_sections(package: Package, root: str, validation: str, taken: Iterable[str]) -> Table:
    """A section per field of `root` typed by models of the package (`fsdp_config:
    FSDPConfig`, `datasets: list[SFTDataset | DPODataset]`): the union of their keys, named
    by the field's written key."""
    fields, _, _, _ = package.flatten(root, {})
    out: Table = {}
    for key, info in sorted(fields.items()):
        written = info.alias or key
        models = [
            n
            for n in dict.fromkeys(NAME.findall(info.type))
            if n in package.classes
            and package.classes[n].fields
            and not package.classes[n].is_enum
            and n != root
        ]
        if not models or written in taken:
            continue
        keys: dict[str, Any] = {}
        refused = False
        for model in models:
            section = section_of(package, model, "warning", validation)
            for name, data in section["keys"].items():
                keys.setdefault(name, data)
            refused = refused or section["unknown"] == "error"
        out[written] = {
            "keys": keys,
            "unknown": "error" if refused else "warning",
            "validation": validation,
        }
    return out
