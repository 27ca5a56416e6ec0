"""`named_nearby`: whether a config near a DeepSpeed JSON names it. Folder listings are
reused while their folders are unchanged; a file added, renamed or removed is seen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tunelint.config.dialects.related import named_nearby
from tunelint.config.file_state import files_fixed


def _bump(folder: Path) -> None:
    """A folder's mtime a second later: entry changes within one clock tick keep it."""
    stat = folder.stat()
    os.utime(folder, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_config_that_names_the_file_is_found_in_its_folder_or_one_below_the_parent(
    tmp_path: Path,
) -> None:
    ds = tmp_path / "run" / "configs" / "ds_z3.json"
    ds.parent.mkdir(parents=True)
    ds.write_text('{"train_batch_size": "auto"}\n')
    assert not named_nearby(ds)
    other = tmp_path / "run" / "train" / "sft.yaml"  # under the parent folder, one level down
    other.parent.mkdir()
    other.write_text("deepspeed: configs/ds_z3.json\n")
    _bump(tmp_path / "run")
    assert named_nearby(ds)


def test_a_new_removed_or_edited_config_is_seen_after_the_folder_was_listed(
    tmp_path: Path,
) -> None:
    ds = tmp_path / "ds.json"
    ds.write_text('{"zero_optimization": {"stage": 3}}\n')
    (tmp_path / "pyproject.toml").write_text("")  # a project root: its folder only
    unrelated = tmp_path / "eval.yaml"
    unrelated.write_text("tasks: [mmlu]\n")
    assert not named_nearby(ds)  # the folder is listed and remembered now
    train = tmp_path / "train.yaml"
    train.write_text("deepspeed: ds.json\n")
    _bump(tmp_path)
    assert named_nearby(ds)
    train.unlink()
    _bump(tmp_path)
    assert not named_nearby(ds)
    unrelated.write_text("deepspeed: ./ds.json\n")  # same folder entries: an edited text
    os.utime(unrelated, ns=(0, unrelated.stat().st_mtime_ns + 1_000_000_000))
    assert named_nearby(ds)


def test_text_not_on_disk_has_nothing_near_it(tmp_path: Path) -> None:
    assert not named_nearby(tmp_path / "missing.json")


def test_only_the_first_configs_listed_are_read_and_the_file_itself_never_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("")  # a project root: its folder only
    ds = tmp_path / "b_ds.json"
    ds.write_text('{"note": "b_ds.json"}\n')  # names itself: not a use
    monkeypatch.setattr("tunelint.config.dialects.related.NEARBY_MAX_FILES", 2)
    (tmp_path / "a.yaml").write_text("x: 1\n")
    (tmp_path / "c.yaml").write_text("y: 2\n")
    late = tmp_path / "d.yaml"  # the third other config: past the limit
    late.write_text("deepspeed: b_ds.json\n")
    assert not named_nearby(ds)
    (tmp_path / "c.yaml").write_text("deepspeed: ./b_ds.json\n")  # the second: within it
    os.utime(tmp_path / "c.yaml", ns=(0, (tmp_path / "c.yaml").stat().st_mtime_ns + 10**9))
    assert named_nearby(ds)


def test_a_run_that_fixes_the_files_reads_them_once(tmp_path: Path) -> None:
    ds = tmp_path / "ds.json"
    ds.write_text("{}\n")
    (tmp_path / "pyproject.toml").write_text("")
    train = tmp_path / "train.yaml"
    train.write_text("epochs: 1\n")
    with files_fixed():
        assert not named_nearby(ds)
        train.write_text("deepspeed: ds.json\n")
        os.utime(train, ns=(0, train.stat().st_mtime_ns + 10**9))
        assert not named_nearby(ds)  # the tree as the run first read it
    assert named_nearby(ds)  # outside such a run, the change is seen


def test_the_next_fixed_run_sees_what_changed_between_runs(tmp_path: Path) -> None:
    ds = tmp_path / "ds.json"
    ds.write_text("{}\n")
    (tmp_path / "pyproject.toml").write_text("")
    train = tmp_path / "train.yaml"
    train.write_text("epochs: 1\n")
    with files_fixed():
        assert not named_nearby(ds)
    train.write_text("deepspeed: ds.json\n")
    os.utime(train, ns=(0, train.stat().st_mtime_ns + 10**9))
    with files_fixed():
        assert named_nearby(ds)
        train.write_text("epochs: 1\n")
        assert named_nearby(ds)  # within the run: as it was read
