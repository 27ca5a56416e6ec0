"""`named_nearby`: whether a config near a DeepSpeed JSON names it. Folder listings are
reused while their folders are unchanged; a file added, renamed or removed is seen."""

from __future__ import annotations

import os
from pathlib import Path

from tunelint.config.dialects.related import named_nearby


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
