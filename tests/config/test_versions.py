"""The framework version a config is written for: settings, requirements found walking up,
else the newest known release."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelint.config.settings import SettingsError, clear_settings_cache, find_settings
from tunelint.config.versions import (
    clear_versions_cache,
    resolve_version,
    version_from_spec,
    version_tuple,
)
from tunelint.knowledge.options import table, unknown_keys

KNOWN = ("0.12.2", "0.16.1", "0.19.1", "0.20.0", "1.0.0")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_settings_cache()
    clear_versions_cache()


def _config(root: Path, *parts: str) -> Path:
    folder = root.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sft.yaml"
    path.write_text("model_name_or_path: x\n")
    return path


def test_version_tuple_compares_releases() -> None:
    assert version_tuple("0.20") == version_tuple("0.20.0")
    assert version_tuple("0.9.10") > version_tuple("0.9.9")
    assert version_tuple("1.0.0rc1") == (1,)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("==0.18.2", "0.18.2"),  # an exact pin wins, known or not
        (">=0.16", "1.0.0"),  # newest known release the range allows
        (">=0.16,<0.20", "0.19.1"),
        ("~=0.19.0", "0.19.1"),
        ("~=0.16", "0.20.0"),  # ~=0.16 is >=0.16, ==0.*
        ("==0.16.*", "0.16.1"),
        (">=2.0", "2.0"),  # above every known release: the range's lower bound
        ("", "1.0.0"),  # a bare name: newest known
        ("!=0.20.0,<1", "0.19.1"),
        ("!=0.19.*,<0.20", "0.16.1"),
        (">=0.12 ; python_version >= '3.10'", "1.0.0"),
    ],
)
def test_version_from_spec(spec: str, expected: str) -> None:
    assert version_from_spec(spec, KNOWN) == expected


def test_requirements_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# training\ntransformers>=4.46\nTRL==0.18.2  # pinned\n"
    )
    cfg = _config(tmp_path, "configs", "sft")
    found = resolve_version("trl", cfg)
    assert found is not None
    assert (found.version, found.source) == ("0.18.2", str(tmp_path.resolve() / "requirements.txt"))
    assert found.exact


def test_nearest_file_wins_and_other_requirement_files_count(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("trl==0.12.2\n")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "requirements-train.txt").write_text("trl>=0.16,<0.20\n")
    found = resolve_version("trl", _config(tmp_path, "exp"))
    assert found is not None and found.version == "0.19.1"
    assert not found.exact  # chosen from a range: an assumption


def test_pyproject_dependencies_and_poetry(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["accelerate==1.6.0"]\n'
        '[project.optional-dependencies]\ntrain = ["trl[peft]~=0.19.0"]\n'
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.11"\ntrl = "0.16.1"\n'
    )
    found_a = resolve_version("trl", _config(tmp_path, "a"))
    assert found_a is not None and found_a.version == "0.19.1"
    accelerate = resolve_version("accelerate", _config(tmp_path, "a"))
    assert accelerate is not None and accelerate.version == "1.6.0"
    found_b = resolve_version("trl", _config(tmp_path, "b"))
    assert found_b is not None and found_b.version == "0.16.1"


def test_setup_py_install_requires_is_read_not_run(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(
        "import sys; sys.exit('never run')\n"
        "from setuptools import setup\n"
        "setup(name='x', install_requires=['transformers==4.56.2', 'deepspeed>=0.15'])\n"
    )
    found = resolve_version("transformers", _config(tmp_path))
    assert found is not None and found.version == "4.56.2"
    assert found.source.endswith("setup.py")


def test_settings_win_over_requirements(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("trl==0.12.2\n")
    (tmp_path / "pyproject.toml").write_text('[tool.tunelint.versions]\ntrl = "0.18"\n')
    cfg = _config(tmp_path)
    settings = find_settings(cfg)
    assert settings.versions == {"trl": "0.18"}
    found = resolve_version("trl", cfg, settings)
    assert found is not None and (found.version, found.exact) == ("0.18", True)
    assert found.source.endswith("pyproject.toml")


def test_settings_framework_names_are_matched_loosely(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text('[versions]\nLLaMA-Factory = "0.9.2"\n')
    cfg = _config(tmp_path)
    found = resolve_version("llamafactory", cfg, find_settings(cfg))
    assert found is not None and (found.version, found.exact) == ("0.9.2", True)


def test_settings_versions_must_be_strings(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text("[versions]\ntrl = 0.18\n")
    with pytest.raises(SettingsError, match="versions maps frameworks to version strings"):
        find_settings(tmp_path)


def test_nothing_stated_gives_the_newest_known(tmp_path: Path) -> None:
    found = resolve_version("trl", _config(tmp_path, "lonely"))
    assert found is not None
    if tmp_path.anchor and any((p / "requirements.txt").exists() for p in tmp_path.parents):
        pytest.skip("a requirements file above the temp folder decides")
    assert (found.version, found.source, found.exact) == (
        table("trl").newest,
        "newest known",
        False,
    )
    assert resolve_version("no-such-framework", None) is None


def test_resolved_version_drives_renamed_key_findings(tmp_path: Path) -> None:
    """A key valid in the pinned release is not flagged; removed in it, it is."""
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "requirements.txt").write_text("trl==0.18.2\n")
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "requirements.txt").write_text("trl>=0.20\n")
    kinds = {}
    for name in ("old", "new"):
        found = resolve_version("trl", _config(tmp_path, name))
        assert found is not None
        kinds[name] = [p.kind for p in unknown_keys("trl", ["max_seq_length"], found.version)]
    assert kinds == {"old": ["deprecated"], "new": ["removed"]}


def test_a_removed_key_on_an_assumed_version_is_no_error(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("trl>=0.20\n")
    found = resolve_version("trl", _config(tmp_path))
    assert found is not None and not found.exact
    pinned = unknown_keys("trl", ["max_seq_length"], found.version)
    assumed = unknown_keys("trl", ["max_seq_length"], found.version, version_assumed=True)
    assert [(p.kind, p.severity) for p in pinned] == [("removed", "error")]
    assert [(p.kind, p.severity) for p in assumed] == [("removed", "warning")]
    # A typo is wrong on every version: its severity does not rest on the version.
    typo = unknown_keys("trl", ["lerning_rate"], found.version, version_assumed=True)
    assert [(p.kind, p.severity) for p in typo] == [("unknown", "error")]
