"""The `tunelint` command: exit codes, output formats, fixes, stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BAD = "model:\n  name: x\nprecision: fp16  # keep me\nhardware:\n  gpu: A100-80GB\n"
GOOD = "model:\n  name: x\nprecision: bf16\nhardware:\n  gpu: A100-80GB\n"


def tunelint(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunelint.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tunelint.toml").write_text("")  # no settings leak from above
    (tmp_path / "bad.tune.yaml").write_text(BAD)
    (tmp_path / "good.tune.yaml").write_text(GOOD)
    (tmp_path / "k8s.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n")
    return tmp_path


def test_text_output_like_ruff(project: Path) -> None:
    out = tunelint("check", "bad.tune.yaml", "--fail-on", "warning", cwd=project)
    assert out.returncode == 1
    assert out.stdout.startswith("bad.tune.yaml:3:12: TL101 [*] fp16 on A100-80GB")
    assert "3 | precision: fp16  # keep me\n  |            ^^^^" in out.stdout
    assert "[*] 1 fixable with `--fix`." in out.stdout


def test_exit_codes(project: Path) -> None:
    assert tunelint("check", "good.tune.yaml", cwd=project).returncode == 0
    assert tunelint("check", "bad.tune.yaml", cwd=project).returncode == 0  # warning < error
    assert tunelint("check", "bad.tune.yaml", "--fail-on", "warning", cwd=project).returncode == 1
    missing = tunelint("check", "nope.yaml", cwd=project)
    assert missing.returncode == 2 and "nope.yaml: no such file" in missing.stderr
    assert tunelint("check", "--format", "xml", cwd=project).returncode == 2


def test_folder_skips_unrelated_yaml(project: Path) -> None:
    out = tunelint("check", ".", "--format", "json", cwd=project)
    data = json.loads(out.stdout)
    assert {d["path"] for d in data} == {"bad.tune.yaml"}
    summary = tunelint("check", ".", cwd=project).stdout
    assert "2 files checked, 1 skipped: not fine-tuning configs" in summary


def test_json_fields(project: Path) -> None:
    out = tunelint("check", "bad.tune.yaml", "--format", "json", cwd=project)
    (item,) = json.loads(out.stdout)
    assert item["line"] == 3 and item["column"] == 12
    assert item["end_line"] == 3 and item["end_column"] == 16
    assert item["code"] == "TL101" and item["severity"] == "warning"
    assert item["fix"]["applicability"] == "safe"
    assert item["fix"]["edits"] == [
        {"line": 3, "column": 12, "end_line": 3, "end_column": 16, "content": "bf16"}
    ]


def test_sarif_and_github(project: Path) -> None:
    sarif = json.loads(tunelint("check", "bad.tune.yaml", "--format", "sarif", cwd=project).stdout)
    result = sarif["runs"][0]["results"][0]
    assert sarif["version"] == "2.1.0" and result["ruleId"] == "TL101"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    gh = tunelint("check", "bad.tune.yaml", "--format", "github", cwd=project).stdout
    assert gh.startswith("::warning file=bad.tune.yaml,line=3,col=12,endLine=3,endColumn=16,")


def test_fix_writes_only_the_span(project: Path) -> None:
    out = tunelint("check", "--fix", "bad.tune.yaml", cwd=project)
    assert out.returncode == 0
    assert (project / "bad.tune.yaml").read_text() == BAD.replace("fp16", "bf16")
    assert "Fixed 1 problem" in out.stdout


def test_diff_writes_nothing(project: Path) -> None:
    out = tunelint("check", "--diff", "bad.tune.yaml", cwd=project)
    assert out.returncode == 1
    assert "-precision: fp16  # keep me\n+precision: bf16  # keep me" in out.stdout
    assert (project / "bad.tune.yaml").read_text() == BAD


def test_stdin(project: Path) -> None:
    out = tunelint(
        "check", "-", "--stdin-filename", "x.tune.yaml", "--format", "json", cwd=project, stdin=BAD
    )
    assert json.loads(out.stdout)[0]["path"] == "x.tune.yaml"
    fixed = tunelint(
        "check", "-", "--fix", "--stdin-filename", "x.tune.yaml", cwd=project, stdin=BAD
    )
    assert fixed.stdout == BAD.replace("fp16", "bf16")


def test_gpu_option_and_unknown_gpu(project: Path) -> None:
    (project / "nogpu.tune.yaml").write_text("model:\n  name: x\nprecision: fp16\n")
    out = tunelint("check", "nogpu.tune.yaml", "--gpu", "RTX 4090", "--format", "json", cwd=project)
    assert [d["code"] for d in json.loads(out.stdout)] == ["TL101"]
    out = tunelint("check", "nogpu.tune.yaml", "--gpu", "RTX 9090", "--format", "json", cwd=project)
    codes = [d["code"] for d in json.loads(out.stdout)]
    assert "TL906" in codes and "TL101" not in codes


def test_garbage_gets_a_position_not_a_traceback(project: Path) -> None:
    (project / "broken.tune.yaml").write_bytes(b"model:\n  name: [x\n\xff\xfe")
    out = tunelint("check", "broken.tune.yaml", cwd=project)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "broken.tune.yaml:3:1: not UTF-8 text" in out.stderr
    (project / "broken2.tune.yaml").write_text("model:\n  name: [x\n")
    out = tunelint("check", "broken2.tune.yaml", cwd=project)
    assert out.returncode == 1 and "broken2.tune.yaml:3:1: TL900" in out.stdout


def test_explain_rules_schema(project: Path) -> None:
    explain = tunelint("explain", "TL101", cwd=project)
    assert explain.returncode == 0 and "## What it checks" in explain.stdout
    assert tunelint("explain", "TL1O1", cwd=project).returncode == 2
    rules = json.loads(tunelint("rules", "--format", "json", cwd=project).stdout)
    assert {"TL101", "TL602", "TL901"} <= {r["code"] for r in rules}
    schema = json.loads(tunelint("schema", cwd=project).stdout)
    assert schema["title"] == "tunelint fine-tuning config"


def test_examples_folder(repo_root: Path) -> None:
    out = tunelint("check", "examples/quickstart.tune.yaml", cwd=repo_root)
    assert out.returncode == 0 and "All checks passed!" in out.stdout


def test_fix_command_is_check_fix(project: Path) -> None:
    out = tunelint("fix", "bad.tune.yaml", cwd=project)
    assert out.returncode == 0 and "Fixed 1 problem" in out.stdout
    assert (project / "bad.tune.yaml").read_text() == BAD.replace("fp16", "bf16")
