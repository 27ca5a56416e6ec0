"""The Plan's validators come from a disk cache after the first run, and behave exactly as
the validators pydantic builds itself. Each case runs in a fresh interpreter: which
validators a process holds is per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from tunelint.config import plan_validators
from tunelint.config.source_map import SourceMap
from tunelint.config.validate import build_plan
path = plan_validators.cache_path()
existed = path.exists()
good, good_problems = build_plan({"model": {"name": "m"}, "peft": {"r": 8}}, SourceMap())
bad, problems = build_plan(
    {"model": {"name": "m"}, "training": {"learning_rate": -1, "epoch": 2}}, SourceMap()
)
print(json.dumps({
    "existed": existed,
    "exists": path.exists(),
    "plugin_loader": "pydantic.plugin._loader" in sys.modules,
    "good": good.peft.r if good else None,
    "good_problems": len(good_problems),
    "defaults": good.training.learning_rate if good else None,
    "problems": sorted((p.kind, ".".join(p.path), p.message) for p in problems),
    "bad_kept": bad.model.name if bad else None,
}))
"""


def _probe(cache: Path) -> dict[str, object]:
    env = {**os.environ, "TUNELINT_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_first_run_builds_and_stores_then_later_runs_load(tmp_path: Path) -> None:
    first = _probe(tmp_path)
    assert first["existed"] is False and first["exists"] is True
    second = _probe(tmp_path)
    assert second["existed"] is True
    # Loaded validators skip pydantic's schema building (and its plugin scan) entirely.
    assert second["plugin_loader"] is False
    assert first["plugin_loader"] is True
    # Same answers from built and loaded validators, problems included.
    for key in ("good", "good_problems", "defaults", "problems", "bad_kept"):
        assert second[key] == first[key], key
    assert first["good"] == 8 and first["defaults"] == 2e-4 and first["bad_kept"] == "m"
    kinds = [problem[0] for problem in first["problems"]]  # type: ignore[union-attr]
    assert kinds == ["invalid-value", "unknown-key"]


def test_a_broken_cache_file_is_rebuilt(tmp_path: Path) -> None:
    reference = _probe(tmp_path / "fresh")
    files = list((tmp_path / "fresh").rglob("*.marshal"))
    assert len(files) == 1
    broken = tmp_path / "broken" / files[0].relative_to(tmp_path / "fresh")
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\x80\x05not marshal data")
    again = _probe(tmp_path / "broken")
    assert again["existed"] is True and again["plugin_loader"] is True  # rebuilt
    assert again["problems"] == reference["problems"] and again["good"] == 8
    assert broken.read_bytes() != b"\x80\x05not marshal data"  # and replaced


def test_the_key_covers_plan_py_and_the_tunelint_modules_it_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tunelint.config import plan, plan_validators

    assert plan_validators.schema_sources()[0] == Path(plan.__file__)
    # The vocabulary plan.py imports (Literal types, the gpu validator) is in the key.
    assert "plan_values.py" in [p.name for p in plan_validators.schema_sources()]
    before = plan_validators.cache_key()
    # A plan.py that imports a tunelint module: that module's source joins the key.
    fake = tmp_path / "plan.py"
    fake.write_text("from tunelint.config.positions import Range\nimport pydantic\n")
    monkeypatch.setattr(plan_validators, "PLAN_SOURCE", fake)
    sources = plan_validators.schema_sources()
    assert [p.name for p in sources] == ["plan.py", "positions.py"]
    with_import = plan_validators.cache_key()
    assert with_import != before
    fake.write_text("from tunelint.config.positions import Range\nimport pydantic\n# edited\n")
    assert plan_validators.cache_key() not in (before, with_import)


def test_an_unwritable_cache_folder_still_validates(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be\n")
    result = _probe(blocker)
    assert result["existed"] is False and result["exists"] is False
    assert result["good"] == 8 and result["bad_kept"] == "m"
    kinds = [problem[0] for problem in result["problems"]]  # type: ignore[union-attr]
    assert kinds == ["invalid-value", "unknown-key"]


def test_a_cache_file_of_the_wrong_shape_is_rebuilt(tmp_path: Path) -> None:
    import marshal

    reference = _probe(tmp_path / "fresh")
    (stored,) = (tmp_path / "fresh").rglob("*.marshal")
    odd = tmp_path / "odd" / stored.relative_to(tmp_path / "fresh")
    odd.parent.mkdir(parents=True)
    odd.write_bytes(marshal.dumps({"type": "model", "cls": "not a schema of ours"}))
    again = _probe(tmp_path / "odd")
    assert again["existed"] is True and again["plugin_loader"] is True  # rebuilt
    assert again["problems"] == reference["problems"] and again["good"] == 8
    assert marshal.loads(odd.read_bytes()) == marshal.loads(stored.read_bytes())  # replaced
