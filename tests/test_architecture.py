"""The layers stay layered: an import walk over every tunelint module (by `ast`, nothing run).

config/ and knowledge/ are the model; checks/ reads the model; server/ and runner/ consume
both. Imports point down only, the lint path never pulls in the ML stack, and no two
modules import each other in a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tunelint"
ML_STACK = ("torch", "transformers", "peft", "trl")
# Layer -> layers it must never import from (inside functions too).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "tunelint.config": ("tunelint.checks", "tunelint.server", "tunelint.runner"),
    "tunelint.knowledge": ("tunelint.checks", "tunelint.server", "tunelint.runner"),
    "tunelint.checks": ("tunelint.server", "tunelint.runner"),
}
# The lint path: what `tunelint check` and the server load (never the ML stack).
LINT_PATH = (
    "tunelint.config",
    "tunelint.checks",
    "tunelint.knowledge",
    "tunelint.lint",
    "tunelint.cli",
    "tunelint.server",
    "tunelint.reporters",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


class Imports:
    """Every module's imports: all of them, and those executed at import time."""

    def __init__(self) -> None:
        self.modules: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
        self.all: dict[str, set[str]] = {}
        self.top: dict[str, set[str]] = {}
        self.runtime: dict[str, set[str]] = {}  # all but `if TYPE_CHECKING:` imports
        for name, path in self.modules.items():
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            is_package = path.name == "__init__.py"
            self.all[name], self.top[name], self.runtime[name] = set(), set(), set()
            self._visit(tree, name, is_package, top=True)

    def _targets(self, node: ast.Import | ast.ImportFrom, name: str, pkg: bool) -> set[str]:
        if isinstance(node, ast.Import):
            return {alias.name for alias in node.names}
        base = _resolve(name, pkg, node)
        found = set()
        for alias in node.names:  # `from tunelint.checks import rule` imports a module
            sub = f"{base}.{alias.name}"
            found.add(sub if sub in self.modules else base)
        return found

    def _visit(
        self, node: ast.AST, name: str, pkg: bool, top: bool, typing_only: bool = False
    ) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                targets = self._targets(child, name, pkg)
                self.all[name] |= targets
                if not typing_only:
                    self.runtime[name] |= targets
                if top:
                    self.top[name] |= targets
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                self._visit(child, name, pkg, top=False, typing_only=typing_only)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                # Never executed: no circle, but still a dependency for the layer rules.
                self._visit(child, name, pkg, top=False, typing_only=True)
                for stmt in child.orelse:
                    self._visit(stmt, name, pkg, top=top, typing_only=typing_only)
            else:
                self._visit(child, name, pkg, top=top, typing_only=typing_only)

    def internal(self, targets: set[str]) -> set[str]:
        """The tunelint modules among `targets` (a package import names its __init__)."""
        return {t for t in targets if t in self.modules}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@pytest.fixture(scope="module")
def imports() -> Imports:
    return Imports()


def layer_violations(imports: Imports) -> list[str]:
    found = []
    for module, targets in imports.all.items():
        for layer, banned in FORBIDDEN.items():
            if not _under(module, layer):
                continue
            for target in sorted(targets):
                if any(_under(target, b) for b in banned):
                    found.append(f"{module} imports {target}")
    return found


def ml_violations(imports: Imports) -> list[str]:
    found = []
    for module, targets in imports.all.items():
        if not any(_under(module, p) for p in LINT_PATH):
            continue
        for target in sorted(targets):
            if any(_under(target, ml) for ml in ML_STACK):
                found.append(f"{module} imports {target}")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def _module_graph(imports: Imports, which: dict[str, set[str]]) -> dict[str, set[str]]:
    """Module -> tunelint modules it imports; a package's own __init__ does not count as a
    parent of its submodules (importing `a.b` runs `a`, but `a` need not import `a.b`)."""
    return {m: imports.internal(t) - {m} for m, t in which.items()}


def test_walk_sees_every_module(imports: Imports) -> None:
    assert "tunelint.lint" in imports.modules
    assert "tunelint.config.plan" in imports.modules
    assert any(_under(t, "tunelint.config") for t in imports.all["tunelint.lint"])


def test_model_and_checks_import_only_downwards(imports: Imports) -> None:
    assert layer_violations(imports) == []


def test_lint_path_never_imports_the_ml_stack(imports: Imports) -> None:
    assert ml_violations(imports) == []


def test_no_import_circle(imports: Imports) -> None:
    # Module level: a circle there makes import order matter. Inside functions too, a
    # circle means two modules that each need the other: the layering is wrong. Imports
    # under `if TYPE_CHECKING:` only name types for annotations (a handler names the server
    # it is registered on): they never run, so they make no circle.
    assert cycles(_module_graph(imports, imports.top)) == []
    assert cycles(_module_graph(imports, imports.runtime)) == []


def test_the_checks_catch_what_they_claim() -> None:
    """The helpers above find a planted violation and a planted circle."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    planted = Imports.__new__(Imports)
    planted.modules = {"tunelint.config.x": PACKAGE, "tunelint.checks.y": PACKAGE}
    planted.all = {
        "tunelint.config.x": {"tunelint.checks.y", "torch.nn"},
        "tunelint.checks.y": {"tunelint.config.x"},
    }
    planted.top = planted.all
    assert layer_violations(planted) == ["tunelint.config.x imports tunelint.checks.y"]
    assert ml_violations(planted) == ["tunelint.config.x imports torch.nn"]
