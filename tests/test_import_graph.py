"""The import graph of ``shnro_lib`` has no cycles, imports inside functions included.

Every module is parsed with :mod:`ast`; every ``import`` and ``from ... import`` anywhere in
the file (module level, functions, ``if TYPE_CHECKING`` blocks) becomes an edge. Relative
imports are resolved against the importing module, and ``from pkg import name`` points to
``pkg.name`` when that is a submodule. An edge to a package means an edge to its
``__init__`` module only: Python also runs the parents' ``__init__`` files, but those are kept
light, and counting them would make every child of a re-exporting package look cyclic.
"""

from __future__ import annotations

import ast
from pathlib import Path

import shnro_lib

ROOT = Path(shnro_lib.__file__).resolve().parent
PACKAGE = "shnro_lib"


def _module_names(root: Path) -> dict[str, Path]:
    """Map every dotted module name of the package to its file."""
    names: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join([PACKAGE, *parts])] = path
    return names


def _resolve_from(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """Absolute module named by a ``from X import ...`` statement in ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of the package imported anywhere in ``tree``."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_from(node, module, is_package)
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                # a submodule is an edge to it; any other name is an edge to ``source`` itself
                found.add(candidate if candidate in known else source)
    edges: set[str] = set()
    for name in found:
        # ``import a.b.c`` or a dotted name that is an attribute: climb to the longest known module.
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            edges.add(name)
    return edges


def import_graph() -> dict[str, set[str]]:
    """Module-to-imported-modules graph of ``shnro_lib``."""
    files = _module_names(ROOT)
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = _targets(tree, module, path.name == "__init__.py", known)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first repeated last), or ``None``."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, pending = stack[-1]
            if not pending:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            nxt = pending.pop()
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph.get(nxt, ()))))
    return None


def test_graph_sees_nested_and_relative_imports():
    graph = import_graph()
    assert len(graph) > 50
    # ``shnro_lib.cli`` imports command modules; some of those only inside functions.
    assert any(target.startswith("shnro_lib.commands") for target in graph["shnro_lib.cli"])
    source = "def f():\n    from ..b import c\n    from . import d\n    import shnro_lib.e.f\n"
    source += "from .. import g\n"
    known = {"shnro_lib", "shnro_lib.a", "shnro_lib.a.d", "shnro_lib.b", "shnro_lib.b.c", "shnro_lib.e"}
    # ``c`` and ``d`` are submodules: no edge to ``shnro_lib.b`` or ``shnro_lib.a``;
    # ``g`` is a name of ``shnro_lib``; ``shnro_lib.e.f`` is an attribute of ``shnro_lib.e``
    assert _targets(ast.parse(source), "shnro_lib.a.x", False, known) == {
        "shnro_lib.b.c",
        "shnro_lib.a.d",
        "shnro_lib.e",
        "shnro_lib",
    }


def test_find_cycle_reports_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_import_graph_is_acyclic():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_report_does_not_import_profiles():
    graph = import_graph()
    offenders = {
        module: sorted(t for t in targets if t.startswith(f"{PACKAGE}.profiles"))
        for module, targets in graph.items()
        if module == f"{PACKAGE}.report" or module.startswith(f"{PACKAGE}.report.")
    }
    offenders = {module: targets for module, targets in offenders.items() if targets}
    assert not offenders, f"report imports profiles: {offenders}"
