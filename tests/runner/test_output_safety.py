"""`tunelint run --overwrite` never deletes the user's files (issue 10, item 2).

The attack: `output.dir: .` in a project with README.md and a package folder, run with
`--overwrite` (and `--force`): the project must come out byte for byte as it went in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runner_support import config, write_config

from tunelint.cli import main
from tunelint.runner.manifest import MANIFEST


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _project(root: Path) -> Path:
    project = root / "project"
    (project / "mypackage").mkdir(parents=True)
    (project / "mypackage" / "__init__.py").write_text("VERSION = '1.0'\n", encoding="utf-8")
    (project / "README.md").write_text("# my project\n", encoding="utf-8")
    return project


@pytest.mark.parametrize("output_dir", [".", "..", "~"])
def test_overwrite_into_the_project_is_refused_and_nothing_changes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    output_dir: str,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # `~` is the folder holding the project
    project = _project(tmp_path)
    path = write_config(project / "cfg.tune.yaml", config(tmp_path, output={"dir": output_dir}))
    before = _snapshot(tmp_path)

    # The lint refuses it first (TL603 is an error) ...
    assert main(["run", str(path), "--overwrite", "--max-steps", "1"]) == 1
    captured = capsys.readouterr()
    assert "TL603" in captured.out
    assert "refusing to train" in captured.err
    # ... and the runner refuses it even when the lint is overruled.
    assert main(["run", str(path), "--overwrite", "--force", "--max-steps", "1"]) == 1
    err = capsys.readouterr().err
    assert "cannot hold a run's outputs" in err
    assert "Nothing was written or deleted" in err
    assert "Traceback" not in err
    assert _snapshot(tmp_path) == before


def test_overwrite_of_a_folder_no_run_wrote_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A docs folder: not the project root, but the user's files all the same.
    project = _project(tmp_path)
    docs = project / "docs"
    docs.mkdir()
    (docs / "README.md").write_text("# docs\n", encoding="utf-8")
    (docs / "guide").mkdir()
    (docs / "guide" / "index.md").write_text("guide\n", encoding="utf-8")
    path = write_config(project / "cfg.tune.yaml", config(tmp_path, output={"dir": "docs"}))
    before = _snapshot(project)
    assert main(["run", str(path), "--overwrite", "--max-steps", "1"]) == 1
    err = capsys.readouterr().err
    assert "which no run wrote" in err
    assert "README.md, guide" in err
    assert _snapshot(project) == before


def test_overwrite_replaces_only_what_the_previous_run_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, training={"max_steps": 2, "save_steps": 1})
    path = write_config(tmp_path / "cfg.tune.yaml", cfg)
    out = tmp_path / "out"
    assert main(["run", str(path)]) == 0
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["status"] == "finished"
    written = sorted(p.name for p in out.iterdir() if p.name != MANIFEST)
    assert manifest["entries"] == written
    assert {"checkpoint-1", "checkpoint-2", "adapter_model.safetensors"} <= set(written)

    # The user keeps a note in the output folder: --overwrite must not take it.
    (out / "notes.txt").write_text("lr 1e-3 looked best\n", encoding="utf-8")
    before = _snapshot(out)
    assert main(["run", str(path), "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "notes.txt, which no run wrote" in err
    assert _snapshot(out) == before

    (out / "notes.txt").unlink()
    assert main(["run", str(path), "--overwrite", "--max-steps", "1"]) == 0
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-1"]
    second = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert second["entries"] == sorted(p.name for p in out.iterdir() if p.name != MANIFEST)


def test_a_link_to_the_project_is_refused_like_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    (project / "latest-run").symlink_to(project, target_is_directory=True)
    path = write_config(project / "cfg.tune.yaml", config(tmp_path, output={"dir": "latest-run"}))
    before = _snapshot(project)
    assert main(["run", str(path), "--overwrite", "--max-steps", "1"]) == 1
    err = capsys.readouterr().err
    assert f"output.dir {project} cannot hold a run's outputs: it is the config's own folder" in err
    assert _snapshot(project) == before
