"""`tunelint init` from the command line: flags, exit codes, no overwrite, no hang."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASE = ("--goal", "improve-existing", "--model", "meta-llama/Llama-3.2-1B", "--gpu", "RTX 4090")


def tunelint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunelint.cli", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,  # not a terminal: never prompts
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tunelint.toml").write_text("")  # no settings leak from above
    return tmp_path


def test_flags_write_a_config_that_checks_clean(project: Path) -> None:
    out = tunelint("init", *BASE, cwd=project)
    assert out.returncode == 0, out.stderr
    written = project / "llama-3-2-1b-dpo.tune.yaml"
    assert f"wrote {written.name}" in out.stdout
    assert "dpo" in out.stdout and "TL202" in out.stdout
    text = written.read_text()
    assert "kind: dpo  # TL202" in text and "precision: bf16  # TL101/TL104" in text
    check = tunelint("check", written.name, "--fail-on", "info", cwd=project)
    assert check.returncode == 0 and "All checks passed!" in check.stdout, check.stdout


@pytest.mark.parametrize("fmt", ["axolotl", "llamafactory", "trl"])
def test_other_formats_with_their_settings(project: Path, fmt: str) -> None:
    sub = project / fmt
    out = tunelint("init", *BASE, "--format", fmt, "--output", f"{fmt}/cfg.yaml", cwd=project)
    assert out.returncode == 0, out.stderr
    assert (sub / "cfg.yaml").is_file() and (sub / "tunelint.toml").is_file()
    assert 'gpu = "RTX 4090"' in (sub / "tunelint.toml").read_text()
    detect = tunelint("detect", f"{fmt}/cfg.yaml", cwd=project)
    assert fmt in detect.stdout
    check = tunelint("check", fmt, "--fail-on", "info", "--format", "json", cwd=project)
    assert check.returncode == 0 and check.stdout.strip() == "[]", check.stdout


def test_never_overwrites_without_force(project: Path) -> None:
    target = project / "mine.tune.yaml"
    target.write_text("# mine\n")
    out = tunelint("init", *BASE, "--output", "mine.tune.yaml", cwd=project)
    assert out.returncode == 1 and "exists" in out.stderr and "--force" in out.stderr
    assert target.read_text() == "# mine\n"
    forced = tunelint("init", *BASE, "--output", "mine.tune.yaml", "--force", cwd=project)
    assert forced.returncode == 0 and "kind: dpo" in target.read_text()


def test_companion_in_the_way_blocks_the_write(project: Path) -> None:
    (project / "sub").mkdir()
    (project / "sub" / "tunelint.toml").write_text('gpu = "T4"\n')
    out = tunelint("init", *BASE, "--format", "axolotl", "-o", "sub/a.yml", cwd=project)
    assert out.returncode == 1 and "tunelint.toml exists" in out.stderr
    assert not (project / "sub" / "a.yml").exists()


def test_missing_required_answer_off_a_terminal_is_a_usage_error(project: Path) -> None:
    out = tunelint("init", "--model", "meta-llama/Llama-3.2-1B", cwd=project)
    assert out.returncode == 2
    assert "missing --goal, --gpu" in out.stderr and "not a terminal" in out.stderr
    assert list(project.iterdir()) == [project / "tunelint.toml"]


def test_bad_answers_are_usage_errors(project: Path) -> None:
    out = tunelint("init", *BASE[:4], "--gpu", "RTX 4091", cwd=project)
    assert out.returncode == 2 and "did you mean RTX 4090" in out.stderr
    assert "Traceback" not in out.stderr
    assert tunelint("init", *BASE, "--gpu-count", "0", cwd=project).returncode == 2


def test_nothing_fits_writes_nothing(project: Path) -> None:
    out = tunelint(
        "init",
        "--goal",
        "new-capability",
        "--model",
        "meta-llama/Llama-3.1-70B",
        "--gpu",
        "RTX 3060-8GB",
        cwd=project,
    )
    assert out.returncode == 1
    assert "nothing written" in out.stderr and "does not fit RTX 3060-8GB" in out.stderr
    assert "what would fit:" in out.stderr and "--model" in out.stderr
    assert list(project.iterdir()) == [project / "tunelint.toml"]


def test_same_settings_file_is_not_in_the_way(project: Path) -> None:
    args = (*BASE, "--format", "trl")
    assert tunelint("init", *args, "-o", "c/one.yaml", cwd=project).returncode == 0
    second = tunelint("init", *args, "-o", "c/two.yaml", cwd=project)
    assert second.returncode == 0, second.stderr  # the same tunelint.toml: shared, kept
    assert tunelint("check", "c", "--fail-on", "info", cwd=project).returncode == 0


def test_choices_list_what_each_question_accepts(project: Path) -> None:
    import json

    out = tunelint("init", "--choices", cwd=project)
    assert out.returncode == 0
    choices = json.loads(out.stdout)
    assert choices["goal"] == ["new-capability", "improve-existing"]
    assert set(choices["format"]) == {"native", "axolotl", "llamafactory", "trl"}
    assert "RTX 4090" in choices["gpu"] and "meta-llama/Llama-3.1-8B" in choices["model"]
