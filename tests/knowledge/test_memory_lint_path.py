"""The lint path's memory report (what the rules and hover read) reads the DeepSpeed JSON the
config names, relative to the config's folder, as `tunelint estimate` does."""

from __future__ import annotations

import json
from pathlib import Path

from tunelint.knowledge.memory_plan import MemoryReport
from tunelint.lint import lint_file

CONFIG = """\
model:
  name: meta-llama/Llama-3.1-8B
  max_seq_len: 2048
peft:
  kind: full
precision: bf16
hardware:
  gpu: A100-80GB
  count: 4
  distributed: deepspeed-zero2
  deepspeed_config: {ref}
training:
  micro_batch_size: 2
"""


def _report(config: Path) -> MemoryReport:
    ctx = lint_file(config).context
    assert ctx is not None
    report = ctx.estimate
    assert report is not None and report.estimate is not None and report.scenario is not None
    return report


def test_lint_report_reads_the_named_deepspeed_json(tmp_path: Path) -> None:
    ds = {
        "zero_optimization": {
            "stage": 3,
            "overlap_comm": False,
            "reduce_bucket_size": 1000,
            "offload_optimizer": {"device": "cpu"},
        }
    }
    (tmp_path / "ds").mkdir()
    (tmp_path / "ds" / "zero3.json").write_text(json.dumps(ds))
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG.format(ref="ds/zero3.json"))
    report = _report(tmp_path / "cfg.tune.yaml")
    scn = report.scenario
    # The JSON's stage wins over the Plan's zero2, its sizes and offload are read as written.
    assert scn.distributed == "deepspeed-zero3"
    assert scn.zero_bucket_elements == 1000 and scn.zero_overlap_comm is False
    assert scn.offload_optimizer is True
    assert report.estimate.component("optimizer_states") == 0
    assert not any("DeepSpeed config" in a for a in report.estimate.assumptions)


def test_lint_report_says_when_the_json_is_missing_or_unreadable(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG.format(ref="absent.json"))
    missing = _report(tmp_path / "cfg.tune.yaml")
    assert missing.scenario.distributed == "deepspeed-zero2"  # the Plan's, nothing read
    assert (
        "DeepSpeed config absent.json not found: DeepSpeed's defaults assumed"
        in missing.estimate.assumptions
    )
    (tmp_path / "bad.json").write_text("[1, 2]")
    (tmp_path / "bad.tune.yaml").write_text(CONFIG.format(ref="bad.json"))
    bad = _report(tmp_path / "bad.tune.yaml")
    assert "DeepSpeed config bad.json unreadable: DeepSpeed's defaults assumed" in (
        bad.estimate.assumptions
    )
