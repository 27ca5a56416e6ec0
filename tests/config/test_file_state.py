"""`file_state`: answers about files on disk, kept only while a run declares the files
fixed (one `tunelint check` that writes nothing), asked afresh otherwise (the server)."""

from __future__ import annotations

import os
from pathlib import Path

from tunelint.config import file_state
from tunelint.config.file_state import files_fixed


def test_outside_a_fixed_run_every_answer_is_fresh(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    assert not file_state.is_file(path) and not file_state.exists(path)
    path.write_text("x: 1\n")
    assert file_state.is_file(path) and not file_state.is_dir(path)
    path.unlink()
    assert not file_state.is_file(path)


def test_within_a_fixed_run_the_first_answer_holds_and_is_forgotten_after(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.yaml"
    link = tmp_path / "link.yaml"
    with files_fixed():
        assert file_state.fixed()
        assert not file_state.is_file(path)
        path.write_text("x: 1\n")
        assert not file_state.is_file(path)  # as the run first saw it
        assert file_state.is_dir(tmp_path)
        os.symlink(path, link)
        assert file_state.realpath(link) == os.path.realpath(path)
        link.unlink()
        assert file_state.realpath(link) == os.path.realpath(path)
    assert not file_state.fixed()
    assert file_state.is_file(path)
    assert file_state.realpath(link) == os.path.realpath(link)


def test_an_inner_fixed_run_keeps_the_outer_answers(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    with files_fixed():
        assert not file_state.is_file(path)
        with files_fixed():
            pass
        assert file_state.fixed()
        path.write_text("x: 1\n")
        assert not file_state.is_file(path)
    assert file_state.is_file(path)


def test_each_outermost_fixed_run_has_its_own_number() -> None:
    with files_fixed():
        first = file_state.run_number()
        with files_fixed():
            assert file_state.run_number() == first
    with files_fixed():
        assert file_state.run_number() == first + 1
