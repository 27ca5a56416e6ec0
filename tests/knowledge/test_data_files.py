"""The TOML data files read through the marshal cache give exactly what tomllib gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelint.knowledge import data_files

NAMES = sorted(p.name for p in data_files.DATA.glob("*.toml"))


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNELINT_CACHE_DIR", str(tmp_path))
    data_files.load_file.cache_clear()
    yield
    data_files.load_file.cache_clear()


def test_every_data_file_is_covered() -> None:
    assert {"gpus.toml", "models.toml", "architectures.toml"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_cached_content_equals_the_toml(name: str, tmp_path: Path) -> None:
    expected = data_files.parse((data_files.DATA / name).read_bytes())
    assert data_files.load(name) == expected  # parsed, then stored
    stored = list((tmp_path / "data").glob(f"{Path(name).stem}-*.marshal"))
    assert len(stored) == 1
    data_files.load_file.cache_clear()
    assert data_files.load(name) == expected  # read back from the cache


def test_a_broken_cache_file_is_parsed_again(tmp_path: Path) -> None:
    data_files.load("gpus.toml")
    (stored,) = (tmp_path / "data").glob("gpus-*.marshal")
    stored.write_bytes(b"\x00garbage")
    data_files.load_file.cache_clear()
    expected = data_files.parse((data_files.DATA / "gpus.toml").read_bytes())
    assert data_files.load("gpus.toml") == expected


def test_the_cache_name_follows_the_content() -> None:
    raw = (data_files.DATA / "gpus.toml").read_bytes()
    assert data_files._cached_name("gpus.toml", raw) == data_files._cached_name("gpus.toml", raw)
    assert data_files._cached_name("gpus.toml", raw) != data_files._cached_name(
        "gpus.toml", raw + b"\n# edited\n"
    )


def test_an_unwritable_cache_folder_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    monkeypatch.setenv("TUNELINT_CACHE_DIR", str(blocker))
    expected = data_files.parse((data_files.DATA / "models.toml").read_bytes())
    assert data_files.load("models.toml") == expected
    assert blocker.is_file()
