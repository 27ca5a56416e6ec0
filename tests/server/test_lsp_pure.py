"""Server pieces without a client: settings parsing, file selection, schema docs, edits."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from tunelint.config.positions import apply_edits
from tunelint.server.edits import minimal_edits
from tunelint.server.files import has_marker, is_declared_config, is_native_name, may_be_config
from tunelint.server.linting import lint_options
from tunelint.server.plan_schema import plan_schema
from tunelint.server.settings import ServerSettings


def test_settings_accept_each_client_shape() -> None:
    section = {"gpu": "T4", "select": ["tl1"], "severity": {"tl101": "Error", "TL103": "off"}}
    for raw in (section, {"tunelint": section}, {"settings": {"tunelint": section}}):
        settings, warnings = ServerSettings.from_client(raw)
        assert warnings == []
        assert settings.gpu == "T4" and settings.select == ("TL1",)
        assert settings.severity == {"TL101": "error", "TL103": "off"}
    options = lint_options(settings)
    assert options.severity == {"TL101": "error"} and "TL103" in options.ignore


def test_bad_settings_warn_and_keep_defaults() -> None:
    settings, warnings = ServerSettings.from_client(
        {"gpu": 3, "select": "TL1, TL2", "severity": {"TL101": "loud"}, "debounceMs": -1}
    )
    assert settings.gpu is None and settings.select == ("TL1", "TL2")
    assert settings.severity == {} and settings.debounce_ms == ServerSettings().debounce_ms
    assert len(warnings) == 3
    assert ServerSettings.from_client(None) == (ServerSettings(), [])
    assert ServerSettings.from_client("nonsense")[1]


@pytest.mark.parametrize(
    ("name", "text", "declared"),
    [
        ("/w/run.tune.yaml", "", True),
        ("/w/tunelint.yml", "", True),
        ("/w/a.yaml", "# tunelint\nmodel: {}\n", True),
        ("/w/a.yaml", "$schema: https://example.org/tunelint.schema.json\n", True),
        ("/w/a.json", '{"$schema": "./schemas/tunelint.schema.json"}', True),
        ("/w/a.yaml", "# yaml-language-server: $schema=../tunelint.schema.json\n", True),
        ("/w/a.yaml", "# tunelint: ignore[TL101] reason\nfp16: true\n", False),
        ("/w/a.json", '{"$schema": "https://json.schemastore.org/package"}', False),
        ("/w/deploy.yaml", "apiVersion: v1\n", False),
    ],
)
def test_declared_configs(name: str, text: str, declared: bool) -> None:
    assert is_declared_config(name, text) is declared


def test_candidates() -> None:
    assert may_be_config("/w/x.yml", "plaintext") and may_be_config("untitled:1", "yaml")
    assert not may_be_config("/w/x.toml", "toml") and not may_be_config("/w/x.py", "python")
    assert is_native_name("C:\\w\\Run.Tune.YAML") and not is_native_name("/w/tune.yaml")
    assert not has_marker("\n" * 30 + "# tunelint\n")  # only near the top


def test_schema_docs() -> None:
    schema = plan_schema()
    precision = schema.field(("precision",))
    assert precision is not None and precision.allowed == ("bf16", "fp16", "fp32")
    lr = schema.field(("training", "learning_rate"))
    assert lr is not None and lr.default == 2e-4 and "(> 0)" in lr.type_label
    assert schema.field(("model",)).is_section and schema.field(("model", "name")).required
    assert schema.field(("nope",)) is None and schema.field(("precision", "x")) is None
    assert [f.name for f in schema.children(("data",))] == ["train", "eval", "format"]
    assert schema.children(("precision",)) == []


def test_minimal_edits_are_word_aligned_and_exact() -> None:
    [edit] = minimal_edits("precision: fp16  # c\n", "precision: bf16  # c\n")
    assert (edit.range.start.column, edit.range.end.column, edit.new_text) == (11, 15, "bf16")
    rng = random.Random(3)
    alphabet = "ab_1 :\n\r😀"
    for _ in range(3000):
        old = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        new = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert apply_edits(old, minimal_edits(old, new)) == new


def test_server_import_path_is_light() -> None:
    """Starting the server and linting never imports the ML stack."""
    code = (
        "import sys\n"
        "from tunelint.server.server import create_server\n"
        "create_server()\n"
        "from tunelint.lint import lint_text\n"
        "lint_text('model:\\n  name: Qwen/Qwen2.5-7B\\nhardware:\\n  gpu: A10G\\n', 'x.tune.yaml')\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'peft', 'trl', 'datasets', "
        "'accelerate') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
