"""Hub look-ups that never block a keystroke (issue 11, item 4).

The server runs the model Hub in "background" mode: a lint that meets a model it does not
know yet gets TL400 ("fetching the config.json … from the Hugging Face Hub") at once, and
`lookup_model` starts one fetch per repo. After each lint the server joins that fetch
(`fetch_in_background` de-duplicates) with a callback; when the answer arrives, the documents
naming the repo are linted again and their diagnostics re-published (push) or refreshed
(pull). The `offline` setting, TUNELINT_OFFLINE or HF_HUB_OFFLINE turn the network off.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tunelint.knowledge import model_hub
from tunelint.knowledge.model_hub import HubAnswer, NetworkMode
from tunelint.knowledge.models import lookup_model
from tunelint.lint import LintResult
from tunelint.server.settings import ServerSettings


def network_mode(settings: ServerSettings, path: str | None = None) -> NetworkMode:
    """Background fetches, unless the user turned the network off: the editor's setting,
    the environment, or `offline = true` in the project settings of the file at `path`."""
    if settings.offline or model_hub.offline_by_environment() or _project_offline(path):
        return "off"
    return "background"


def _project_offline(path: str | None) -> bool:
    if path is None:
        return False
    from tunelint.config.settings import SettingsError, find_settings

    try:
        return find_settings(Path(path)).offline  # cached per folder
    except (SettingsError, OSError, ValueError):
        return False  # a broken settings file is reported by the lint itself


def _search_paths(result: LintResult) -> tuple[Path, ...]:
    # As the memory report resolves the model: relative to the config's folder first.
    file = result.context.file if result.context is not None else None
    return (file.parent,) if file is not None else ()


def hub_names(result: LintResult) -> tuple[str, ...]:
    """The Hub ids the config names (policy, then reward model), each once."""
    plan = result.plan
    if plan is None:
        return ()
    names = (plan.model.name.strip(), (plan.method.reward_model or "").strip())
    return tuple(dict.fromkeys(n for n in names if n and model_hub.is_hub_id(n)))


def follow_up(
    result: LintResult | None, on_answer: Callable[[str, HubAnswer], None], mode: NetworkMode
) -> tuple[tuple[str, ...], bool]:
    """After a lint: the repos whose Hub answer is still on its way (`on_answer` is called
    for each when it arrives), and whether the lint is already stale (an answer came in
    between the lint's look-up and now, so the lint saw "fetching" but the answer is here).

    Only lints that looked the model up matter: the memory report is computed when a GPU
    is known (the memory rules read it); without one no fetch was started.
    """
    if result is None or result.context is None or result.context.gpu is None:
        return (), False
    if mode != "background":  # the document's own mode (the global one is per lint)
        return (), False
    report = result.context.estimate  # computed by the lint's memory rules: cached
    search = _search_paths(result)
    waiting: list[str] = []
    stale = False
    policy = result.plan.model.name.strip() if result.plan is not None else ""
    for name in hub_names(result):
        now = lookup_model(name, search, blocking=False)
        if now.pending:
            # joins the lint's fetch: of this repo, or of the base an adapter repo names
            repo = now.waiting_for or name
            model_hub.fetch_in_background(repo, on_answer)
            waiting.append(repo)
        elif name == policy and report is not None:
            # The lint had no estimate; the look-up now differs: the answer arrived between.
            missed = (
                report.estimate is None
                and report.model is None  # resolved, yet not estimated (Mamba): nothing to wait for
                and (now.spec is not None or now.reason != report.reason)
            )
            stale = stale or missed
    return tuple(waiting), stale
