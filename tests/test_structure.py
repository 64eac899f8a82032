"""The shape of the source: no import cycles (counting imports made only for type checking or inside
functions), and no module past 450 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import kiosk

ROOT = Path(kiosk.__file__).parent
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the kiosk modules it imports anywhere in its source (top level, functions, TYPE_CHECKING)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # ``from kiosk.core import effects`` imports the module kiosk.core.effects
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("kiosk"):
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_no_import_cycles_anywhere_in_kiosk() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_sees_a_cycle_through_a_type_checking_import() -> None:
    graph = import_graph()
    graph["kiosk.core.model"].add("kiosk.core.register")  # as a TYPE_CHECKING import would add it
    assert find_cycle(graph) is not None


def test_imports_under_type_checking_and_in_functions_count() -> None:
    graph = import_graph()
    assert "kiosk.shell.till" in graph["kiosk.shell.loop"]  # imported for type checking only
    assert "kiosk.outputs.print_worker" in graph["kiosk.shell.devices"]  # imported inside a function


def test_no_module_is_longer_than_450_lines() -> None:
    long = {str(path.relative_to(ROOT.parent)): n for path in ROOT.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}
