"""Attacks from the adversarial run (issue 10), reproduced through the `tunelint` CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tunelint import cli
from tunelint.commands import check

SHARED = Path(__file__).resolve().parents[2] / "shared"
HF = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"  # shaped like a token, not a real one
AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BAD = "model:\n  name: x\nprecision: fp16  # keep me\nhardware:\n  gpu: A100-80GB\n"
FIXED = BAD.replace("fp16", "bf16")


def tunelint(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [sys.executable, "-m", "tunelint.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        out.args,
        out.returncode,
        out.stdout.decode("utf-8", "replace"),
        out.stderr.decode("utf-8", "replace"),
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tunelint.toml").write_text("")  # no settings leak from above
    return tmp_path


def _no_traceback(out: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in out.stdout + out.stderr, out.stderr


# 10.1: a secret is never printed -----------------------------------------------------------


SECRET_CONFIG = (
    "model:\n"
    "  name: x\n"
    f"  {HF}: 1\n"  # a token used as a key
    f"# pasted for later: {HF[:-1]}9\n"  # a token in a comment
    "precision: fp16\n"
    "hardware:\n"
    "  gpu: A100-80GB\n"
    f"hub_token: {HF[:-2]}xy\n"
    f"aws_secret_access_key: {AWS}\n"
)


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "github"])
def test_no_secret_in_any_output(project: Path, fmt: str) -> None:
    (project / "s.tune.yaml").write_text(SECRET_CONFIG)
    out = tunelint("check", "s.tune.yaml", "--format", fmt, cwd=project)
    _no_traceback(out)
    both = out.stdout + out.stderr
    assert "TL602" in both and "TL901" in both
    assert HF[3:12] not in both and AWS[3:] not in both and "EXAMPLEKEY" not in both


def test_tokens_in_keys_comments_and_aws_secrets_are_flagged(project: Path) -> None:
    (project / "s.tune.yaml").write_text(SECRET_CONFIG)
    out = tunelint("check", "s.tune.yaml", "--format", "json", cwd=project)
    lines = sorted((d["line"] - 1) for d in json.loads(out.stdout) if d["code"] == "TL602")
    assert lines == [2, 3, 7, 8]  # the key, the comment, hub_token, the AWS secret (0-based)
    clean = SECRET_CONFIG.replace(AWS, "${AWS_SECRET_ACCESS_KEY}")
    (project / "c.tune.yaml").write_text(clean)
    out = tunelint("check", "c.tune.yaml", "--format", "json", cwd=project)
    assert 8 not in [(d["line"] - 1) for d in json.loads(out.stdout) if d["code"] == "TL602"]


def test_diff_context_lines_mask_secrets(project: Path) -> None:
    (project / "s.tune.yaml").write_text(SECRET_CONFIG)
    out = tunelint("check", "--diff", "s.tune.yaml", cwd=project)
    assert "-precision: fp16\n+precision: bf16\n" in out.stdout
    assert " hub_token: hf_********\n" in out.stdout  # a context line, masked
    assert HF[3:12] not in out.stdout and "EXAMPLEKEY" not in out.stdout


# 10.3: one line model ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("odd", "newline"),
    [("\u2028", "\n"), ("\x85", "\n"), ("\u2029", "\r\n"), ("\u2028", "\r"), ("\x85", "\r")],
)
def test_cli_fix_with_odd_line_breaks_changes_only_the_value(
    project: Path, odd: str, newline: str
) -> None:
    lines = [
        "model:",
        f'  name: "Qwen/Qwen2.5-7B{odd}x{odd}"',
        f"  revision: 'a{odd}b'",
        "precision: fp16",
        "hardware:",
        "  gpu: A100-80GB",
        "",
    ]
    text = newline.join(lines)
    path = project / "odd.tune.yaml"
    path.write_bytes(text.encode("utf-8"))
    out = tunelint("check", "--fix", "odd.tune.yaml", "--format", "concise", cwd=project)
    _no_traceback(out)
    assert path.read_bytes().decode("utf-8") == text.replace("fp16", "bf16")
    report = tunelint("check", "odd.tune.yaml", "--select", "TL101", "--gpu", "T4", cwd=project)
    assert report.returncode == 0
    # The excerpt is the editor's line 4, not a YAML 1.1 line cut at the odd character.
    (project / "again.tune.yaml").write_bytes(text.encode("utf-8"))
    shown = tunelint("check", "again.tune.yaml", "--select", "TL101", cwd=project).stdout
    assert "again.tune.yaml:4:12: TL101" in shown and "4 | precision: fp16\n" in shown


# 10.4: isolation, huge integers, symlink trees ---------------------------------------------


def test_huge_integer_does_not_stop_the_run(project: Path) -> None:
    (project / "a_huge.tune.yaml").write_text("training:\n  epochs: " + "9" * 5000 + "\n")
    (project / "b_bad.tune.yaml").write_text(BAD)
    out = tunelint("check", ".", "--format", "concise", "--fail-on", "warning", cwd=project)
    _no_traceback(out)
    assert "b_bad.tune.yaml:3:12: TL101" in out.stdout
    assert "a_huge.tune.yaml" in out.stdout and out.returncode == 1


def test_one_files_crash_is_that_files_finding(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.tune.yaml").write_text(BAD)
    (project / "b.tune.yaml").write_text(BAD)
    real = check.lint_text

    def flaky(text: str, path: str | None = None, options: object = None) -> object:
        if path is not None and path.endswith("a.tune.yaml"):
            raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")
        return real(text, path, options)  # type: ignore[arg-type]

    monkeypatch.setattr(check, "lint_text", flaky)
    monkeypatch.chdir(project)
    status = cli.main(["check", "a.tune.yaml", "b.tune.yaml", "--format", "concise"])
    out = capsys.readouterr().out
    assert "a.tune.yaml:1:1: TL999 tunelint failed on this file: ValueError" in out
    assert "b.tune.yaml:3:12: TL101" in out and status == 0  # two warnings, nothing unread


def test_symlink_loops_end_and_each_real_file_once(project: Path) -> None:
    tree = project / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.tune.yaml").write_text(BAD)
    (tree / "sub" / "up").symlink_to("..")
    (tree / "sub" / "up2").symlink_to("../..")
    (tree / "sub" / "loop").symlink_to("loop")  # a link to itself
    (tree / "sub" / "alias.tune.yaml").symlink_to("../a.tune.yaml")
    (tree / "sub" / "deep").mkdir()
    for i in range(12):  # exponential without real paths: every link re-enters the tree
        (tree / "sub" / "deep" / f"l{i}").symlink_to("../..")
    out = tunelint("check", "tree", "--format", "json", cwd=project)
    _no_traceback(out)
    files = [d["path"] for d in json.loads(out.stdout) if d["code"] == "TL101"]
    assert files == [str(Path("tree") / "a.tune.yaml")]


# 10.5 / 14.1: a broken file is never silently passed ---------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "code", "line"),
    [
        (
            "axolotl.yml",
            "base_model: x\nadapter: lora\nlora_r: 8\n  bad: [1\nmicro_batch_size: 1\n",
            "TL900",
            4,
        ),
        (
            "ds_config.json",
            '{\n  "train_batch_size": 8,\n  "fp16": {"enabled": true},,\n}\n',
            "TL900",
            3,
        ),
        ("deep.json", '{"train_batch_size": 8, "x": ' + "[" * 3000 + "]" * 3000 + "}", "TL905", 1),
        ("unclosed.yaml", "base_model: x\nlist: [1, 2\nnext: 3\nlast: 4\n", "TL900", 3),
        (
            "bomb.yaml",
            "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n"
                for p, c in zip("abcde", "bcdef", strict=True)
            ),
            "TL905",
            1,
        ),
    ],
)
def test_broken_files_fail_in_every_format(
    project: Path, name: str, text: str, code: str, line: int
) -> None:
    (project / name).write_text(text)
    out = tunelint("check", name, "--format", "json", cwd=project)
    _no_traceback(out)
    found = [(d["code"], d["line"]) for d in json.loads(out.stdout)]
    assert (code, line) in found and out.returncode == 1


def test_tagged_yaml_is_valid_and_skipped_loudly(project: Path) -> None:
    mkdocs = SHARED / "corpus" / "nonconfig" / "allenai__open-instruct__mkdocs.yml"
    if not mkdocs.exists():  # pragma: no cover - the shared corpus is outside the repo
        pytest.skip("shared corpus not present")
    (project / "mkdocs.yml").write_bytes(mkdocs.read_bytes())
    (project / "k8s.yaml").write_text("apiVersion: v1\nkind: Pod\nvalue: !ENV [HOME]\n")
    named = tunelint("check", "mkdocs.yml", cwd=project)
    assert named.returncode == 0 and "TL900" not in named.stdout
    assert "mkdocs.yml: skipped: not a fine-tuning config" in named.stderr
    assert "1 skipped" in named.stdout
    folder = tunelint("check", ".", cwd=project)
    assert "skipped" not in folder.stderr and "2 skipped" in folder.stdout
    verbose = tunelint("check", ".", "--verbose", cwd=project)
    assert "k8s.yaml: skipped" in verbose.stderr and "mkdocs.yml: skipped" in verbose.stderr


# 10.6: the 1 MiB cap bounds cost ---------------------------------------------------------------


def test_half_a_million_items_stop_at_the_node_cap(project: Path) -> None:
    (project / "flow.yaml").write_text("a: [" + ",".join(["1"] * 500_000) + "]\n")
    out = tunelint("check", "flow.yaml", cwd=project)
    _no_traceback(out)
    assert out.returncode == 1
    assert "flow.yaml:1:" in out.stdout and "TL905 more than 50,000 values" in out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) < 200  # no megabyte excerpt


# 10.7: input edges -------------------------------------------------------------------------


def test_invalid_utf8_on_stdin(project: Path) -> None:
    out = tunelint("check", "-", cwd=project, stdin=b"model:\n  name: \xff\xfe\n")
    _no_traceback(out)
    assert out.returncode == 2 and "<stdin>:2:9: not UTF-8" in out.stderr
    assert "All checks passed" not in out.stdout
    detect = tunelint("detect", "-", cwd=project, stdin=b"model:\n  name: \xff\xfe\n")
    _no_traceback(detect)
    assert detect.returncode == 2 and "<stdin>:2:9: not UTF-8" in detect.stderr


def test_fix_skips_a_read_only_file_and_goes_on(project: Path) -> None:
    (project / "a.tune.yaml").write_text(BAD)
    (project / "b.tune.yaml").write_text(BAD)
    (project / "a.tune.yaml").chmod(stat.S_IRUSR | stat.S_IRGRP)
    out = tunelint("check", "--fix", "a.tune.yaml", "b.tune.yaml", cwd=project)
    _no_traceback(out)
    assert out.returncode == 2 and "a.tune.yaml: read-only; fixes not written" in out.stderr
    assert (project / "a.tune.yaml").read_text() == BAD
    assert (project / "b.tune.yaml").read_text() == FIXED


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xef\xbb\xbf", "utf-8"),
        (b"", "utf-8"),
    ],
)
def test_fix_keeps_the_encoding_and_bom(project: Path, bom: bytes, codec: str) -> None:
    path = project / "enc.tune.yaml"
    path.write_bytes(bom + BAD.replace("x\n", "Qwen-é\n", 1).encode(codec))
    mode = 0o640
    path.chmod(mode)
    out = tunelint("check", "--fix", "enc.tune.yaml", cwd=project)
    _no_traceback(out)
    assert path.read_bytes() == bom + FIXED.replace("x\n", "Qwen-é\n", 1).encode(codec)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert [p.name for p in project.iterdir() if p.name.endswith(".tmp")] == []


def test_fix_does_not_overwrite_an_edit_made_while_it_ran(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "a.tune.yaml"
    path.write_text(BAD)
    real = check.fix_text

    def slow(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        path.write_text(BAD + "# saved by the editor meanwhile\n")
        return result

    monkeypatch.setattr(check, "fix_text", slow)
    monkeypatch.chdir(project)
    assert cli.main(["check", "--fix", "a.tune.yaml"]) == 2
    assert "changed while tunelint ran" in capsys.readouterr().err
    assert path.read_text() == BAD + "# saved by the editor meanwhile\n"


def test_fix_through_a_link_keeps_the_link(project: Path) -> None:
    (project / "real.tune.yaml").write_text(BAD)
    (project / "link.tune.yaml").symlink_to("real.tune.yaml")
    tunelint("check", "--fix", "link.tune.yaml", cwd=project)
    assert (project / "link.tune.yaml").is_symlink()
    assert (project / "real.tune.yaml").read_text() == FIXED


def test_unknown_dialect_is_a_usage_error(project: Path) -> None:
    (project / "a.tune.yaml").write_text(BAD)
    for command in ("check", "fix", "estimate"):
        out = tunelint(command, "a.tune.yaml", "--dialect", "nonsense", cwd=project)
        assert out.returncode == 2, command
        assert "unknown dialect 'nonsense'" in out.stderr and "axolotl" in out.stderr


def test_control_characters_in_keys_are_escaped(project: Path) -> None:
    # YAML escapes in a quoted key give the key real ESC and newline characters.
    text = 'model:\n  name: x\n  "evil\\x1b[2J\\nkey": 1\n'
    (project / "e.tune.yaml").write_text(text)
    out = tunelint("check", "e.tune.yaml", cwd=project)
    assert "\x1b" not in out.stdout
    assert "unknown key `evil\\x1b[2J\\nkey`" in out.stdout
    # A raw control character is not YAML: reported where it is, and printed escaped.
    (project / "raw.tune.yaml").write_text("model:\n  name: x\n  a\x1b]0;t\x07: 2\n")
    out = tunelint("check", "raw.tune.yaml", cwd=project)
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "raw.tune.yaml:3:4: TL900" in out.stdout and "3 |   a\\x1b]0;t\\x07: 2" in out.stdout


def test_io_error_never_says_all_checks_passed(project: Path) -> None:
    (project / "good.tune.yaml").write_text(FIXED)
    out = tunelint("check", "good.tune.yaml", "missing.yaml", cwd=project)
    assert out.returncode == 2 and "All checks passed" not in out.stdout
    assert "1 could not be read" in out.stdout
    (project / "bin.yaml").write_bytes(b"a: \xff\n")
    out = tunelint("check", "good.tune.yaml", "bin.yaml", cwd=project)
    assert out.returncode == 2 and "All checks passed" not in out.stdout


def test_merge_keys_are_read_as_pyyaml_does(project: Path) -> None:
    text = (
        "defaults: &base\n  gpu: A100-80GB\n  count: 1\n"
        "model:\n  name: x\nprecision: fp16\nhardware:\n  <<: *base\n  count: 2\n"
    )
    (project / "m.tune.yaml").write_text(text)
    out = tunelint("check", "m.tune.yaml", "--format", "json", cwd=project)
    found = {(d["code"], (d["line"] - 1)) for d in json.loads(out.stdout)}
    assert ("TL101", 5) in found  # the GPU came through the merge
    assert not any(code == "TL900" for code, _ in found)
    assert ("TL901", 0) in found  # `defaults` itself is not a native key
    if os.name == "posix":
        fixed = tunelint("check", "--fix", "m.tune.yaml", cwd=project)
        _no_traceback(fixed)
        assert (project / "m.tune.yaml").read_text() == text.replace("fp16", "bf16")
