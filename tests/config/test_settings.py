"""Project settings found by walking up: GPU, selection, severities, per-file ignores."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelint.config.settings import SettingsError, clear_settings_cache, find_settings
from tunelint.lint import LintOptions, lint_file

CONFIG = "model:\n  name: x\nprecision: fp16\npeft:\n  kind: full\n"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_settings_cache()


def _codes(path: Path, **options: object) -> list[str]:
    return [d.code for d in lint_file(path, LintOptions(**options)).diagnostics]  # type: ignore[arg-type]


def test_pyproject_gpu_and_walk_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tunelint]\ngpu = "A100-80GB"\n')
    nested = tmp_path / "configs" / "exp"
    nested.mkdir(parents=True)
    cfg = nested / "a.tune.yaml"
    cfg.write_text(CONFIG)
    assert find_settings(cfg).gpu == "A100-80GB"
    assert _codes(cfg) == ["TL101", "TL301"]


def test_tunelint_toml_wins_and_selects(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tunelint]\ngpu = "T4"\n')
    (tmp_path / "tunelint.toml").write_text(
        'gpu = "H100"\nignore = ["TL3"]\n[severity]\nTL101 = "error"\n'
    )
    cfg = tmp_path / "a.tune.yaml"
    cfg.write_text(CONFIG)
    result = lint_file(cfg)
    assert [(d.code, d.severity) for d in result.diagnostics] == [("TL101", "error")]


def test_select_prefix_and_more_specific_wins(tmp_path: Path) -> None:
    cfg = tmp_path / "a.tune.yaml"
    cfg.write_text(CONFIG + "hardware:\n  gpu: A100\n")
    assert _codes(cfg, select=("TL1",)) == ["TL101"]
    assert _codes(cfg, ignore=("TL3",), select=("TL301", "TL1")) == ["TL101", "TL301"]


def test_per_file_ignores(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text(
        'gpu = "A100"\n[per-file-ignores]\n"legacy/*.yaml" = ["TL101"]\n'
    )
    (tmp_path / "legacy").mkdir()
    old = tmp_path / "legacy" / "old.tune.yaml"
    old.write_text(CONFIG)
    new = tmp_path / "new.tune.yaml"
    new.write_text(CONFIG)
    assert "TL101" not in _codes(old)
    assert "TL101" in _codes(new)


def test_cli_gpu_is_used_when_config_has_none(tmp_path: Path) -> None:
    cfg = tmp_path / "a.tune.yaml"
    cfg.write_text(CONFIG)
    assert "TL101" in _codes(cfg, gpu="RTX 4090")
    assert "TL907" in _codes(cfg)


def test_bad_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text("gpuu = 'A100'\n")
    with pytest.raises(SettingsError, match="unknown setting 'gpuu'"):
        find_settings(tmp_path)


def test_intent_from_settings_reaches_the_rules(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text('[intent]\ngoal = "improve-existing"\n')
    cfg = tmp_path / "a.tune.yaml"
    cfg.write_text("model:\n  name: x\nmethod:\n  kind: ppo\n  reward_model: org/rm\n")
    assert "TL202" in _codes(cfg)
    # The file's own intent wins over the project's.
    cfg.write_text(cfg.read_text() + "intent:\n  goal: new-capability\n")
    assert "TL202" not in _codes(cfg)


def test_bad_intent_in_settings_is_reported_in_the_file(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text('[intent]\ngoal = "world-peace"\n')
    cfg = tmp_path / "a.tune.yaml"
    cfg.write_text("model:\n  name: x\n")
    assert "TL902" in _codes(cfg)


def test_a_pyproject_without_tunelint_settings_is_not_parsed(tmp_path: Path) -> None:
    # Another tool's pyproject.toml holds nothing of ours: it is not parsed, so even a
    # broken one does not stop linting (and a cold check skips the TOML parser).
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nbroken = [\n')
    cfg = tmp_path / "a.tune.yaml"
    cfg.write_text(CONFIG)
    assert find_settings(cfg).gpu is None and find_settings(cfg).source is None
    clear_settings_cache()
    (tmp_path / "pyproject.toml").write_text('[tool.tunelint]\ngpu = "T4"\nbroken = [\n')
    with pytest.raises(SettingsError, match="cannot read settings"):
        find_settings(cfg)
