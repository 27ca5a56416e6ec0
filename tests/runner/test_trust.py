"""Trust is per model, a dry run runs no repository code, --reward-func paths are stated
(issue 10, item 10).

The "repository" is a copy of the tiny model whose config names a custom configuration
module that writes a marker file when it is imported: the marker proves code ran.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from runner_support import DATA, config, write_config

from tunelint.cli import main

PROMPTS = {"train": str(DATA / "prompts.jsonl"), "format": None}
EVIL_CONFIG = """\
import os
from pathlib import Path

from transformers import LlamaConfig

Path(os.environ["TUNELINT_TEST_MARKER"]).write_text("repository code ran", encoding="utf-8")


class EvilConfig(LlamaConfig):
    model_type = "llama"
"""


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "code-ran.txt"
    monkeypatch.setenv("TUNELINT_TEST_MARKER", str(path))
    # Dynamic modules are copied into transformers' module cache: keep it in the test's folder.
    import transformers.dynamic_module_utils as dynamic

    monkeypatch.setattr(dynamic, "HF_MODULES_CACHE", str(tmp_path / "hf-modules"))
    return path


@pytest.fixture
def code_repo(tmp_path: Path, tiny_model: Path) -> Path:
    """The tiny model, plus repository code that runs only when trusted."""
    repo = tmp_path / "code-repo"
    shutil.copytree(tiny_model, repo)
    (repo / "configuration_evil.py").write_text(EVIL_CONFIG, encoding="utf-8")
    config_path = repo / "config.json"
    data = json.loads(config_path.read_text(encoding="utf-8"))
    data["auto_map"] = {"AutoConfig": "configuration_evil.EvilConfig"}
    config_path.write_text(json.dumps(data), encoding="utf-8")
    return repo


def test_the_marker_shows_when_repository_code_runs(code_repo: Path, marker: Path) -> None:
    from transformers import AutoConfig

    AutoConfig.from_pretrained(str(code_repo), trust_remote_code=False)
    assert not marker.exists()
    AutoConfig.from_pretrained(str(code_repo), trust_remote_code=True)
    assert marker.read_text(encoding="utf-8") == "repository code ran"


def test_the_policy_trust_does_not_reach_the_reward_model(
    tmp_path: Path, code_repo: Path, marker: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(
        tmp_path,
        model={"name": "tunelint/tiny", "trust_remote_code": True},
        method={"kind": "grpo", "reward_model": str(code_repo), "num_generations": 2},
        training={"max_steps": 1, "micro_batch_size": 2},
        data=PROMPTS,
    )
    path = write_config(tmp_path / "grpo.tune.yaml", cfg)
    assert main(["run", str(path)]) == 0, capsys.readouterr().err
    assert not marker.exists()
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file()


def test_a_dry_run_runs_no_repository_code(
    tmp_path: Path, code_repo: Path, marker: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, model={"name": str(code_repo), "trust_remote_code": True})
    path = write_config(tmp_path / "cfg.tune.yaml", cfg)
    assert main(["run", str(path), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "model.trust_remote_code is not honoured (no repository code runs)" in printed
    assert "dry run: model, data and trainer built" in printed
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


def test_reward_func_file_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project, work = tmp_path / "project", tmp_path / "work"
    project.mkdir()
    work.mkdir()
    function = "def short(prompts, completions, **kwargs):\n    return [0.0 for _ in completions]\n"
    (project / "rewards.py").write_text(function, encoding="utf-8")
    cfg = config(
        tmp_path,
        method={"kind": "grpo", "num_generations": 2},
        training={"micro_batch_size": 2},
        data=PROMPTS,
    )
    path = write_config(project / "grpo.tune.yaml", cfg)
    monkeypatch.chdir(work)

    # Only the config's folder has rewards.py: not taken, and the message says where it looked.
    assert main(["run", str(path), "--dry-run", "--reward-func", "rewards.py:short"]) == 1
    err = capsys.readouterr().err
    assert f"no such file {work / 'rewards.py'}" in err
    assert "read from the working directory" in err

    (work / "rewards.py").write_text(function, encoding="utf-8")
    assert main(["run", str(path), "--dry-run", "--reward-func", "rewards.py:short"]) == 0
    assert f"reward function short from {work / 'rewards.py'}" in capsys.readouterr().out


@pytest.fixture
def custom_arch_repo(code_repo: Path) -> Path:
    """A model whose architecture exists only in its repository's code."""
    config_path = code_repo / "config.json"
    data = json.loads(config_path.read_text(encoding="utf-8"))
    data["model_type"] = "tunelint-test-arch"
    config_path.write_text(json.dumps(data), encoding="utf-8")
    return code_repo


def test_a_dry_run_of_a_model_that_needs_its_code_stops_and_says_why(
    tmp_path: Path, custom_arch_repo: Path, marker: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, model={"name": str(custom_arch_repo), "trust_remote_code": True})
    path = write_config(tmp_path / "cfg.tune.yaml", cfg)
    assert main(["run", str(path), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "dry run stopped before building the model" in printed
    assert "needs Python code from its repository, which was not run" in printed
    assert not marker.exists()


def test_an_untrusted_reward_model_that_needs_its_code_is_refused(
    tmp_path: Path, custom_arch_repo: Path, marker: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(
        tmp_path,
        model={"name": "tunelint/tiny", "trust_remote_code": True},
        method={"kind": "rloo", "reward_model": str(custom_arch_repo), "num_generations": 2},
        training={"max_steps": 1, "micro_batch_size": 2},
        data=PROMPTS,
    )
    path = write_config(tmp_path / "rloo.tune.yaml", cfg)
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"model {custom_arch_repo} needs Python code from its repository" in err
    assert "method.reward_model_trust_remote_code" in err
    assert "Traceback" not in err
    assert not marker.exists()
