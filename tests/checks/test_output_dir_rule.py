"""TL603 unsafe-output-dir: fires on the project, its parents, home, / and system folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

OPTIONS = LintOptions(settings=Settings())


def _native(output_dir: str) -> str:
    return f"model:\n  name: x\noutput:\n  dir: {output_dir!r}\n"


def _tl603(text: str, path: Path | str | None) -> list[tuple[int, int, str, str]]:
    result = lint_text(text, path, OPTIONS)
    return [
        (d.range.start.line + 1, d.range.start.column + 1, d.severity, d.message)
        for d in result.diagnostics
        if d.code == "TL603"
    ]


@pytest.mark.parametrize(
    ("output_dir", "why"),
    [
        (".", "the config's own folder"),
        ("./", "the config's own folder"),
        ("sub/..", "the config's own folder"),
        ("..", "a parent of the config's folder"),
        ("../..", "a parent of the config's folder"),
        ("~", "your home folder"),
        ("/", "the filesystem root"),
        ("/etc/runs", "inside the system folder /etc"),
        ("/usr", "inside the system folder /usr"),
        ("/opt", "a shared system folder"),
        ("~/.ssh", "a hidden system folder"),
        (".git", "a hidden system folder"),
    ],
)
def test_fires_on_unsafe_folders(tmp_path: Path, output_dir: str, why: str) -> None:
    found = _tl603(_native(output_dir), tmp_path / "project" / "cfg.tune.yaml")
    assert len(found) == 1, found
    line, column, severity, message = found[0]
    assert (line, column, severity) == (4, 8, "error")
    assert why in message
    assert "runs/<name>" in message


def test_absolute_paths_compare_with_the_config_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    config = project / "cfg.tune.yaml"
    assert "the config's own folder" in _tl603(_native(str(project)), config)[0][3]
    assert "a parent of the config's folder" in _tl603(_native(str(tmp_path)), config)[0][3]
    assert _tl603(_native(str(project / "runs" / "x")), config) == []
    assert _tl603(_native(str(tmp_path / "elsewhere")), config) == []


@pytest.mark.parametrize("output_dir", ["runs/x", "../sibling/out", "~/runs/x", "/data/runs"])
def test_silent_on_a_folder_of_its_own(tmp_path: Path, output_dir: str) -> None:
    assert _tl603(_native(output_dir), tmp_path / "cfg.tune.yaml") == []


def test_without_a_file_only_relative_reach_up_is_known() -> None:
    assert [f[:3] for f in _tl603(_native("."), None)] == [(4, 8, "error")]
    assert _tl603(_native("out"), None) == []


def test_other_formats_get_a_warning(tmp_path: Path) -> None:
    text = (
        "base_model: NousResearch/Llama-3.2-1B\nadapter: lora\nlora_r: 8\n"
        "datasets:\n  - path: data.jsonl\n    type: alpaca\noutput_dir: ./\n"
    )
    found = _tl603(text, tmp_path / "axolotl.yaml")
    assert [(f[0], f[2]) for f in found] == [(7, "warning")]
    assert "it is the folder the trainer starts in" in found[0][3]
