"""The text-path helpers of related-file look-up answer what pathlib answers (they replace
Path objects per folder tried), and a reference is still found from folders above."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tunelint.config.dialects.related import exists, folders_up, is_file, resolve_reference


def test_folders_up_is_the_folder_then_its_parents_up_to_the_limit(tmp_path: Path) -> None:
    deep = tmp_path / "a" / "b" / "c"
    expected = [str(p) for p in (deep, *deep.parents)]
    assert folders_up(str(deep), 2) == expected[:3]
    assert folders_up(str(deep), 100) == expected  # stops at the file system root
    assert folders_up("/", 3) == ["/"]


def test_exists_and_is_file_agree_with_pathlib(tmp_path: Path) -> None:
    file = tmp_path / "ds.json"
    file.write_text("{}")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    cases = [
        file,
        tmp_path,
        tmp_path / "missing.json",
        file / "below-a-file.json",  # ENOTDIR
        loop,  # ELOOP
    ]
    got = [(exists(str(p)), is_file(str(p))) for p in cases]
    assert got == [(p.exists(), p.is_file()) for p in cases]
    assert got == [(True, True), (True, False), (False, False), (False, False), (False, False)]
    assert (exists("a\x00b"), is_file("a\x00b")) == (False, False)  # pathlib: False too


def test_an_error_other_than_missing_is_raised_as_pathlib_raises_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "locked" / "x.json"

    def denied(path: object, *args: object, **kwargs: object) -> os.stat_result:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "stat", denied)  # an unreadable folder, also when run as root
    for check in (Path.exists, Path.is_file):
        with pytest.raises(PermissionError):
            check(target)
    for helper in (exists, is_file):
        with pytest.raises(PermissionError):
            helper(str(target))


def test_a_reference_resolves_from_the_nearest_folder_above_that_has_it(tmp_path: Path) -> None:
    config = tmp_path / "project" / "configs" / "sft" / "run.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("deepspeed: ds/z3.json\n")
    assert resolve_reference(str(config), "ds/z3.json") is None
    upper = tmp_path / "project" / "ds" / "z3.json"
    upper.parent.mkdir()
    upper.write_text("{}")
    assert resolve_reference(str(config), "ds/z3.json") == upper
    assert resolve_reference(str(config), "./ds/z3.json") == upper
    nearer = tmp_path / "project" / "configs" / "ds" / "z3.json"
    nearer.parent.mkdir()
    nearer.write_text("{}")
    assert resolve_reference(str(config), "ds/z3.json") == nearer
