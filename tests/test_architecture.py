"""The house: stages are subpackages, imports run one way (down the stages), and there is no import circle.

Every ``from .x import`` / ``import symconv.x`` in the package is read with :mod:`ast`, including imports
inside functions (a lazy import is still an arrow); only Jupyter ``_repr_*`` hooks may look upward.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "symconv"

# The stages, lowest first; a module may import its own stage and the stages below it. The wording tables
# (every sentence, per language) sit at the bottom with the errors: rule names and verdicts are worded there.
STAGES = ("errors", "wording", "derivation", "proof", "homework", "grading", "report", "cli")
# Top-level modules that are public names of a stage's modules (README: symconv.numeric, symconv.inputs).
FACADES = {"numeric": "derivation", "inputs": "homework", "__main__": "cli", "__init__": "public"}


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def _in_repr_hook(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef) and node.name.startswith("_repr_"):
            return True
    return False


def imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found: set[str] = set()
        for node in ast.walk(tree):
            if _in_repr_hook(node, parents):
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    root = resolve(name, path.name == "__init__.py", node.level, node.module)
                else:
                    root = node.module or ""
                targets = [root] + [f"{root}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "public"
    top = parts[1]
    return FACADES.get(top, top)


def test_stages_are_subpackages():
    for s in STAGES:
        assert (PACKAGE / f"{s}.py").exists() or (PACKAGE / s / "__init__.py").exists(), s
    loose = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in STAGES and p.stem not in FACADES)
    assert loose == [], f"modules outside any stage: {loose}"


def test_arrows_run_down_the_stages():
    order = {s: k for k, s in enumerate(STAGES)}
    wrong = []
    for module, targets in imports().items():
        here = stage(module)
        if here == "public":
            continue
        for t in targets:
            there = stage(t)
            if there == "public" or order[there] > order[here]:
                wrong.append(f"{module} -> {t}")
    assert wrong == [], "imports that run up the stages:\n" + "\n".join(sorted(wrong))


def test_no_import_circle():
    graph = imports()
    # A module's package __init__ is imported with it; count that arrow too.
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                cycle.extend(path[path.index(t):] + [t] if t in path else [m, t])
                return True
            if state.get(t) is None and visit(t, path + [t]):
                return True
        state[m] = 2
        return False
    for m in sorted(graph):
        if state.get(m) is None and visit(m, [m]):
            break
    assert not cycle, "import circle: " + " -> ".join(cycle)


@pytest.mark.parametrize("fake,expect", [({"a": {"b"}, "b": {"a"}}, True), ({"a": {"b"}, "b": set()}, False)])
def test_the_cycle_finder_finds_cycles(fake, expect, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "imports", lambda: fake)
    if expect:
        with pytest.raises(AssertionError, match="import circle: a -> b -> a"):
            test_no_import_circle()
    else:
        test_no_import_circle()
