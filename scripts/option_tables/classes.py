"""Read dataclass and pydantic config classes (fields, types, defaults, choices, docs) with
`ast`: no framework is imported, so any release of any framework can be read here."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

HELP_LIMIT = 400  # characters of help text kept for hover; the rest is in the framework docs
_DEPRECATED = re.compile(
    r"(?:`|--|^|\s)(?P<key>[a-z_][a-z0-9_]*)`?\s+(?:argument\s+)?(?:is|are|has been|have been)\s+"
    r"(?:now\s+)?(?:deprecated|no longer supported|removed)",
)
_USE = re.compile(r"\b[Uu]se\s+(?:the\s+)?[`'\"]?(?:--)?(?P<new>[a-z_][a-z0-9_]*)[`'\"]?")


@dataclass
class FieldInfo:
    name: str
    type: str = ""
    default: Any = None
    default_expr: str | None = None  # the source text when the default is not a literal
    choices: list[Any] | None = None
    enum: bool = False  # choices of an Enum the framework converts the value to (raises)
    help: str = ""
    alias: str | None = None
    alias_choices: list[str] = field(default_factory=list)  # AliasChoices("a", "b")
    deprecated: bool = False
    renamed_to: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.default_expr is not None:
            out["default_expr"] = self.default_expr
        else:
            out["default"] = self.default
        for key in ("choices", "alias", "renamed_to"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.help:
            out["help"] = self.help
        if self.deprecated:
            out["deprecated"] = True
        if self.enum:
            out["enum"] = True
        return out


@dataclass
class ClassInfo:
    name: str
    module: str
    bases: list[str]
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    strings: list[str] = field(default_factory=list)  # messages in its methods (deprecations)
    forbids_extra: bool = False
    populate_by_name: bool = False  # pydantic takes a field's name as well as its alias
    is_enum: bool = False
    decorators: list[str] = field(default_factory=list)
    enum_values: list[Any] = field(default_factory=list)


def parse(source: str) -> ast.Module:
    """Parse framework source; its invalid escape sequences are its own business."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def literal(node: ast.AST) -> tuple[bool, Any]:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    if isinstance(value, (tuple, set, frozenset)):
        value = list(value)
    return True, value


def string_of(node: ast.AST) -> str | None:
    """A string constant, an implicit concatenation, or an f-string's literal parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = string_of(node.left), string_of(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _help(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= HELP_LIMIT else text[: HELP_LIMIT - 1].rstrip() + "…"


def _keywords(call: ast.Call) -> dict[str, ast.AST]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _dict_items(node: ast.AST | None) -> dict[str, ast.AST]:
    if not isinstance(node, ast.Dict):
        return {}
    return {
        k.value: v
        for k, v in zip(node.keys, node.values, strict=True)
        if isinstance(k, ast.Constant) and isinstance(k.value, str)
    }


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def literal_choices(annotation: ast.AST) -> list[Any] | None:
    """The values of every `Literal[...]` in an annotation."""
    values: list[Any] = []
    found = False
    for node in ast.walk(annotation):
        if isinstance(node, ast.Subscript) and _call_name(node.value) == "Literal":
            found = True
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            for item in items:
                ok, value = literal(item)
                if ok:
                    values.append(value)
    return values if found else None


def read_field(name: str, annotation: ast.AST, value: ast.AST | None) -> FieldInfo:
    info = FieldInfo(name=name, type=ast.unparse(annotation))
    info.choices = literal_choices(annotation)
    default: ast.AST | None = value
    if isinstance(value, ast.Call) and _call_name(value) in {"field", "Field"}:
        kw = _keywords(value)
        default = kw.get("default", value.args[0] if value.args else None)
        if default is None and "default_factory" in kw:
            factory = kw["default_factory"]
            info.default_expr = f"{ast.unparse(factory)}()"
        metadata = _dict_items(kw.get("metadata"))
        extra = _dict_items(kw.get("json_schema_extra"))
        text = string_of(
            metadata.get("help")
            or kw.get("description")
            or extra.get("description")
            or ast.Constant("")
        )
        info.help = _help(text or "")
        if "choices" in metadata:
            ok, choices = literal(metadata["choices"])
            if ok and isinstance(choices, list):
                info.choices = choices
        alias = kw.get("alias") or kw.get("validation_alias")
        if isinstance(alias, ast.Constant) and isinstance(alias.value, str):
            info.alias = alias.value
        elif isinstance(alias, ast.Call) and _call_name(alias) == "AliasChoices":
            info.alias_choices = [
                a.value
                for a in alias.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
        for marker in (kw.get("deprecated"), extra.get("deprecated")):
            if marker is not None and not (isinstance(marker, ast.Constant) and not marker.value):
                info.deprecated = True
        new = string_of(extra.get("new_param") or ast.Constant(None))
        if new and re.fullmatch(r"[a-z_][a-z0-9_]*", new):
            info.renamed_to = new
    if default is not None and info.default_expr is None:
        ok, value_ = literal(default)
        if ok:
            info.default = value_
        else:
            info.default_expr = ast.unparse(default)
    if "deprecated" in info.help.lower()[:120]:
        info.deprecated = True
        match = _USE.search(info.help)
        if match and match.group("new") != name:
            info.renamed_to = info.renamed_to or match.group("new")
    return info


def module_statements(tree: ast.Module) -> list[ast.stmt]:
    """Module-level statements, also those inside module-level if/try/with blocks."""
    out: list[ast.stmt] = []
    todo = list(tree.body)
    while todo:
        stmt = todo.pop(0)
        out.append(stmt)
        if isinstance(stmt, (ast.If, ast.Try, ast.With)):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(stmt, block, []):
                    todo.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])
    return out


def read_classes(tree: ast.Module, module: str) -> dict[str, ClassInfo]:
    """Every class of a module with its annotated fields and the strings of its methods."""
    out: dict[str, ClassInfo] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [ast.unparse(b).split("[")[0] for b in node.bases]
        info = ClassInfo(node.name, module, bases)
        info.decorators = [_call_name(d) for d in node.decorator_list]
        info.is_enum = any(
            b.split(".")[-1] in {"Enum", "ExplicitEnum", "StrEnum", "IntEnum"} for b in bases
        )
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                name = stmt.target.id
                if name.startswith("_") or name == "model_config":
                    continue
                if "ClassVar" in ast.unparse(stmt.annotation):
                    continue
                info.fields[name] = read_field(name, stmt.annotation, stmt.value)
            elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if not isinstance(target, ast.Name):
                    continue
                if target.id == "model_config":
                    text = ast.unparse(stmt.value)
                    info.forbids_extra = "'forbid'" in text or '"forbid"' in text
                    info.populate_by_name = bool(
                        re.search(r"populate_by_name['\"]?\s*[=:]\s*True", text)
                    )
                elif info.is_enum and not target.id.startswith("_"):
                    ok, value = literal(stmt.value)
                    if ok and isinstance(value, (str, int)):
                        info.enum_values.append(value)
                    elif ok and isinstance(value, list) and value:
                        info.enum_values.extend(v for v in value if isinstance(v, str))
            elif isinstance(stmt, ast.FunctionDef):
                for sub in ast.walk(stmt):
                    text = (
                        string_of(sub) if isinstance(sub, (ast.Constant, ast.JoinedStr)) else None
                    )
                    if text and len(text) > 12:
                        info.strings.append(text)
        # Field docstrings (DeepSpeed writes `"""Deprecated, please use ``x``"""` after a field).
        for prev, stmt in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(prev, ast.AnnAssign)
                and isinstance(prev.target, ast.Name)
                and prev.target.id in info.fields
                and isinstance(stmt, ast.Expr)
            ):
                text = string_of(stmt.value)
                current = info.fields[prev.target.id]
                if text and not current.help:
                    current.help = _help(text)
        out[node.name] = info
    return out


def deprecations(messages: list[str], known: set[str]) -> dict[str, str | None]:
    """Keys that warning/error messages call deprecated, with the key they say to use."""
    out: dict[str, str | None] = {}
    for message in messages:
        for match in _DEPRECATED.finditer(message):
            key = match.group("key")
            # "using `X` for `key` is deprecated" deprecates a value of `key`, not `key`.
            if key not in known or message[: match.start() + 1].rstrip("`- ").endswith(" for"):
                continue
            use = _USE.search(message, match.end())
            new = use.group("new") if use else None
            out[key] = new if new in known and new != key else out.get(key)
    return out


def imports(tree: ast.Module) -> dict[str, str]:
    """Local name -> `module:Name` for `from module import Name [as local]`."""
    statements = module_statements(tree)
    out: dict[str, str] = {}
    for node in statements:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                out[alias.asname or alias.name] = f"{node.module}:{alias.name}"
    # `Base = Seq2SeqTrainingArguments` (LLaMA-Factory picks its base class in an if/else;
    # the plain branch comes last and wins).
    for node in statements:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Name)
            and node.value.id in out
        ):
            out[node.targets[0].id] = out[node.value.id]
    return out
