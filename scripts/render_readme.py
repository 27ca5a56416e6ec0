"""Regenerate the generated parts of README.md (rule reference, real command output).

python scripts/render_readme.py          # rewrite README.md
python scripts/render_readme.py --check  # exit 1 when README.md is stale (used by tests)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
RULES_DOC = REPO / "docs" / "rules.md"  # the target of every diagnostic's code_description link


def _run(*args: str, cwd: Path = REPO) -> str:
    # Offline: the output must not depend on what the Hub answers today.
    env = {**os.environ, "NO_COLOR": "1", "HF_HUB_OFFLINE": "1", "TUNELINT_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "tunelint.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return out.stdout.rstrip() + "\n"


def editors_section() -> str:
    """docs/editors.md, one heading level down and with links relative to the repo root."""
    lines = (REPO / "docs" / "editors.md").read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    fenced = False
    for line in lines[1:]:  # its title is the README's section heading
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            line = "#" + line
        out.append(line.replace("](../", "]("))
    return "\n".join(out).strip() + "\n"


INIT_ARGS = ("--goal", "improve-existing", "--model", "Qwen/Qwen2.5-7B-Instruct", "--gpu", "A10G")


def init_section() -> str:
    """A real `tunelint init` session (in a scratch folder) and the config it wrote."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        shown = " ".join(f"'{a}'" if " " in a else a for a in INIT_ARGS)
        session = _run("init", *INIT_ARGS, "--output", "qwen-dpo.tune.yaml", cwd=folder)
        written = (folder / "qwen-dpo.tune.yaml").read_text(encoding="utf-8")
    return (
        f"```console\n$ tunelint init {shown} --output qwen-dpo.tune.yaml\n{session}```\n\n"
        f"`qwen-dpo.tune.yaml`:\n\n```yaml\n{written}```\n"
    )


def sections() -> dict[str, str]:
    sys.path.insert(0, str(REPO))
    from tunelint.checks.registry import all_rules
    from tunelint.commands.rules import rules_markdown

    return {
        "editors": editors_section(),
        "init-output": init_section(),
        "rules": rules_markdown(all_rules()),
        "check-output": "```console\n$ tunelint check examples/ --format concise\n"
        + _run("check", "examples/", "--format", "concise")
        + "```\n",
        "detect-output": "```console\n$ tunelint detect examples/dialects\n"
        + _run("detect", "examples/dialects")
        + "```\n",
        "estimate-output": "```console\n$ tunelint estimate examples/rules/tl402-does-not-fit.tune.yaml\n"
        + _run("estimate", "examples/rules/tl402-does-not-fit.tune.yaml")
        + "```\n",
        "diff-output": "```console\n$ tunelint check --diff examples/rules/tl101-fp16-on-ampere.tune.yaml\n"
        + _run("check", "--diff", "examples/rules/tl101-fp16-on-ampere.tune.yaml")
        + "```\n",
    }


def render(text: str) -> str:
    for name, body in sections().items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    return text


def rules_doc() -> str:
    rules = sections()["rules"]  # puts the repository on sys.path
    from tunelint.checks.rule import SEVERITY_DOC

    return (
        "# tunelint rules\n\nGenerated from the rules' own documentation by "
        "`scripts/render_readme.py`; `tunelint explain CODE` prints the same text.\n\n"
        + SEVERITY_DOC
        + "\n"
        + rules
    )


def main() -> int:
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    doc = rules_doc()
    if "--check" in sys.argv:
        stale = [
            p.name
            for p, new in ((README, fresh), (RULES_DOC, doc))
            if not p.is_file() or p.read_text(encoding="utf-8") != new
        ]
        if stale:
            print(f"{', '.join(stale)} stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    RULES_DOC.parent.mkdir(exist_ok=True)
    RULES_DOC.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
