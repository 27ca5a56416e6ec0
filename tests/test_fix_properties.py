"""Properties of fixes over generated configs (hypothesis): every byte outside the edited spans
is kept, fixing is idempotent, and the result re-parses without the finding."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tunelint.config.positions import LineIndex, apply_edits
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, fix_text, lint_text

OPTIONS = LintOptions(settings=Settings())

comments = st.sampled_from(["", "  # note", "   # keep: this, please", "  #"])
quotes = st.sampled_from(["{}", "'{}'", '"{}"'])
indents = st.sampled_from([2, 4])
gpus = st.sampled_from(["A100-80GB", "T4", "RTX 4090", "V100", "H100", "L4", "A10G"])
precisions = st.sampled_from(["fp16", "bf16", "fp32"])
methods = st.sampled_from(["sft", "dpo", "ppo", "grpo", "reward", "kto"])
pefts = st.sampled_from(["lora", "full", "ia3", "prefix-tuning", "qlora", "adapters"])


@st.composite
def configs(draw: st.DrawFn) -> str:
    ind = " " * draw(indents)
    q = draw(quotes)
    sections: list[str] = [
        f"model:{draw(comments)}\n{ind}name: {q.format('org/model')}{draw(comments)}\n"
        + (f"{ind}trust_remote_code: true\n" if draw(st.booleans()) else "")
    ]
    if draw(st.booleans()):
        sections.append(f"precision: {q.format(draw(precisions))}{draw(comments)}\n")
    if draw(st.booleans()):
        sections.append(f"hardware:\n{ind}gpu: {q.format(draw(gpus))}{draw(comments)}\n")
    if draw(st.booleans()):
        rm = f"{ind}reward_model: org/rm\n" if draw(st.booleans()) else ""
        sections.append(f"method:\n{ind}kind: {draw(methods)}{draw(comments)}\n{rm}")
    if draw(st.booleans()):
        sections.append(f"peft:{draw(comments)}\n{ind}kind: {draw(pefts)}\n")
    if draw(st.booleans()):
        goal = draw(st.sampled_from(["new-capability", "improve-existing"]))
        tasks = draw(st.integers(1, 4))
        sections.append(f"intent:\n{ind}goal: {goal}\n{ind}tasks: {tasks}\n")
    order = draw(st.permutations(range(len(sections))))
    blank = draw(st.sampled_from(["", "\n", "\n# section\n"]))
    return "# generated\n" + blank.join(sections[i] for i in order)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
def test_each_fix_touches_only_its_span(text: str) -> None:
    result = lint_text(text, "gen.tune.yaml", OPTIONS)
    index = LineIndex(text)
    for diag in result.diagnostics:
        if diag.fix is None:
            continue
        spans = sorted(
            (index.offset(e.range.start), index.offset(e.range.end)) for e in diag.fix.edits
        )
        fixed = apply_edits(text, list(diag.fix.edits))
        # Bytes before the first span and after the last span are identical.
        first, last = spans[0][0], spans[-1][1]
        assert fixed[:first] == text[:first]
        assert fixed[len(fixed) - (len(text) - last) :] == text[last:]
        after = lint_text(fixed, "gen.tune.yaml", OPTIONS)
        assert not any(d.code == "TL900" for d in after.diagnostics)
        same = [d for d in after.diagnostics if d.code == diag.code and d.message == diag.message]
        assert same == [], (diag, fixed)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), st.booleans())
def test_fixing_is_idempotent_and_reparses(text: str, unsafe: bool) -> None:
    once = fix_text(text, "gen.tune.yaml", OPTIONS, unsafe=unsafe)
    twice = fix_text(once.text, "gen.tune.yaml", OPTIONS, unsafe=unsafe)
    assert twice.text == once.text and twice.applied == 0
    assert not any(d.code == "TL900" for d in once.result.diagnostics)
    wanted = {"safe", "unsafe"} if unsafe else {"safe"}
    left = [d for d in once.result.diagnostics if d.fix and d.fix.applicability in wanted]
    assert left == []
    # Comments are never lost.
    assert [ln for ln in once.text.splitlines() if "#" in ln and ln.strip().startswith("#")] == [
        ln for ln in text.splitlines() if "#" in ln and ln.strip().startswith("#")
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), st.sampled_from(["\r", "\r\n"]), st.sampled_from(["\u2028", "\x85", "\u2029"]))
def test_fixes_are_the_same_in_every_line_model(text: str, newline: str, odd: str) -> None:
    """CR-only / CRLF line ends and U+2028-like characters inside quoted values (line breaks
    to YAML 1.1, not to editors) change no fix: the same edits, in the file's own line ends."""
    text = text.replace("'org/model'", f"'org/model{odd}'").replace(
        '"org/model"', f'"{odd}org/model"'
    )
    plain = fix_text(text, "gen.tune.yaml", OPTIONS, unsafe=True)
    other = fix_text(text.replace("\n", newline), "gen.tune.yaml", OPTIONS, unsafe=True)
    assert other.applied == plain.applied
    assert other.text == plain.text.replace("\n", newline), (text, other.text)
