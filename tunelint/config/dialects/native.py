"""tunelint's own format (`*.tune.yaml`, `tunelint.yaml`): the Plan written out directly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.facts import TUNELINT, DialectFacts
from tunelint.config.dialects.rendering import rename_key, render_fix
from tunelint.config.document import Document, Mapping
from tunelint.config.edits import remove_key, set_value
from tunelint.config.plan_edits import DialectKey, PlanEdit, RenameKey, SetValue
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceLocation, SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

NATIVE_FILENAMES = re.compile(r"(^|[\\/])(tunelint\.(ya?ml|json)|[^\\/]+\.tune\.(ya?ml|json))$")
# `# tunelint` marks the native format; `# tunelint: ignore[...]` is a suppression, in any format.
_MARKER = re.compile(r"^\s*#\s*tunelint\b(?!\s*:\s*ignore)", re.MULTILINE)
_SECTIONS = {"intent", "method", "peft", "precision", "hardware", "training", "data", "output"}


def _in_plan_words(root: Mapping) -> bool:
    """Every top-level key is a Plan section (a near miss counts: a typo in a native file),
    and most keys of each section are the Plan's own fields."""
    import difflib

    from tunelint.config import plan_validators
    from tunelint.config.plan_objects import field_names, section_at

    sections = _SECTIONS | {"model", "$schema"}
    names = root.keys()  # the document's Mapping, not a dict
    for key in names:
        if key not in sections and not difflib.get_close_matches(key, sections, n=1, cutoff=0.75):
            return False
    plan_class = plan_validators.validator().plan
    for key in names:
        node = root.get(key)
        cls = section_at((key,), plan_class) if key in sections else None
        if cls is None or node is None or not isinstance(node.value, Mapping):
            continue
        written = list(node.value.keys())
        known = set(field_names(cls))
        if written and sum(k in known for k in written) * 2 < len(written):
            return False  # e.g. `training:` holding TrainingArguments' keys
    return True


def _walk(node: Mapping, prefix: tuple[str, ...], source_map: SourceMap) -> None:
    for entry in node.entries:
        path = (*prefix, str(entry.key.value))
        source_map.add(path, SourceLocation(entry.key.range, entry.value.range))
        if isinstance(entry.value, Mapping):
            _walk(entry.value, path, source_map)


class NativeDialect:
    name = "native"
    label = "tunelint"

    def detect(self, doc: Document) -> float:
        # Each pattern needs a word most files lack: a substring test spares them the scans.
        name = doc.filename
        if ("tunelint." in name or ".tune." in name) and NATIVE_FILENAMES.search(name):
            return 1.0
        head = doc.text[:2048]
        if "tunelint" in head and (_MARKER.search(head) or "$schema" in head):
            return 1.0
        root = doc.root
        if not isinstance(root, Mapping):
            return 0.0
        model = root.get("model")
        keys = set(root.keys())
        if model is None or not isinstance(model.value, Mapping) or not model.value.get("name"):
            return 0.0
        # By content alone (no native name, marker or $schema) the file must be written in
        # the Plan's words: projects' own nested configs (model/data/training plus `lora`,
        # `reward`, `grpo`... or HF TrainingArguments under `training`) are theirs, not ours.
        if not _in_plan_words(root):
            return 0.0
        return 0.9 if keys & _SECTIONS else 0.5

    def map(self, doc: Document) -> MappedConfig:
        source_map = SourceMap()
        root = doc.root
        if isinstance(root, Mapping):
            _walk(root, (), source_map)
            data = root.plain()
        else:
            data = {}
        # tunelint's own runner trains with TRL: rules about TRL's trainers apply.
        written = frozenset(
            (section, key)
            for section, values in (data.items() if isinstance(data, dict) else ())
            for key in (values if isinstance(values, dict) else {None: None})
            if key is not None
        ) | frozenset((k,) for k in (data if isinstance(data, dict) else {}))
        return MappedConfig(
            data=data,
            source_map=source_map,
            facts=DialectFacts(
                trainer="trl", loader=TUNELINT, written=written, paths_from_config_folder=True
            ),
        )

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, _render_edit)


def _render_edit(doc: Document, edit: PlanEdit) -> list[TextEdit] | None:
    """The Plan written out: a Plan path is the key path."""
    path = edit.path
    if isinstance(path, DialectKey):
        return None
    if isinstance(edit, SetValue):
        return set_value(doc, path, edit.value)
    if isinstance(edit, RenameKey):
        return rename_key(doc, path, edit.new_key)
    return remove_key(doc, path)
