"""Minimal text edits: only the edited span changes."""

from __future__ import annotations

from tunelint.config.document import parse_document
from tunelint.config.edits import remove_key, render_value, set_value
from tunelint.config.positions import apply_edits


def _set(text: str, path: tuple[str, ...], value: object, name: str = "c.yaml") -> str:
    doc = parse_document(text, name)
    edits = set_value(doc, path, value)
    assert edits is not None
    return apply_edits(text, edits)


def _remove(text: str, path: tuple[str, ...], name: str = "c.yaml") -> str:
    doc = parse_document(text, name)
    edits = remove_key(doc, path)
    assert edits is not None
    return apply_edits(text, edits)


def test_replace_scalar_keeps_comment_and_quotes_elsewhere() -> None:
    text = "a: 'x'   # keep\nprecision: \"fp16\"  # why\n\nz: 1\n"
    assert _set(text, ("precision",), "bf16") == "a: 'x'   # keep\nprecision: bf16  # why\n\nz: 1\n"


def test_insert_into_existing_section_at_its_indent() -> None:
    text = "model:\n    name: x  # c\n\n# trailing\ntraining:\n    epochs: 1\n"
    out = _set(text, ("model", "trust_remote_code"), False)
    assert (
        out
        == "model:\n    name: x  # c\n    trust_remote_code: false\n\n# trailing\ntraining:\n    epochs: 1\n"
    )


def test_insert_creates_missing_section() -> None:
    text = "model:\n  name: x\n"
    assert _set(text, ("peft", "kind"), "lora") == "model:\n  name: x\npeft:\n  kind: lora\n"


def test_insert_into_json_keeps_layout() -> None:
    text = '{\n  "model": {"name": "x"},\n  "n": 1\n}\n'
    out = _set(text, ("precision",), "bf16", "c.json")
    assert out == '{\n  "model": {"name": "x"},\n  "n": 1,\n  "precision": "bf16"\n}\n'
    out = _set(text, ("model", "revision"), "main", "c.json")
    assert out == '{\n  "model": {"name": "x", "revision": "main"},\n  "n": 1\n}\n'


def test_remove_block_entry_takes_its_lines() -> None:
    text = "a: 1\nfp16: true  # old\nds:\n  stage: 2\n  x: 1\nb: 2\n"
    assert _remove(text, ("fp16",)) == "a: 1\nds:\n  stage: 2\n  x: 1\nb: 2\n"
    assert _remove(text, ("ds",)) == "a: 1\nfp16: true  # old\nb: 2\n"
    assert _remove("a: 1\nb: 2", ("b",)) == "a: 1"


def test_remove_json_member() -> None:
    text = '{"a": 1, "b": 2, "c": 3}'
    assert _remove(text, ("b",), "c.json") == '{"a": 1, "c": 3}'
    assert _remove(text, ("c",), "c.json") == '{"a": 1, "b": 2}'


def test_rendered_values_survive_yaml11_loaders() -> None:
    assert render_value(2e-5) == "2.0e-05"
    assert render_value("yes") == '"yes"' and render_value("bf16") == "bf16"
    assert render_value(["q_proj", "v_proj"]) == "[q_proj, v_proj]"
    assert render_value("has: colon") == '"has: colon"'
