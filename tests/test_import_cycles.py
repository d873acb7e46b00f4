"""No import cycles between the modules of the payvand package (core, sdk, plugins).

The graph is read from the source with `ast`: every `import` and `from ... import`, at module
level or inside a function (a function-level import hides a cycle, it does not break it).
`from package import name` counts as an import of `package.name` when that is a module, else
of `package`. Imports under `if TYPE_CHECKING:` are left out: they never run, they only name
types for the checker. Each cycle found is listed with its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import payvand.core
import payvand.plugins
import payvand.sdk

PACKAGE = "payvand"
#: The subpackages of `payvand` (setuptools maps each to its own folder) and their folders.
ROOTS = {name: Path(module.__file__ or "").resolve().parent
         for name, module in (("core", payvand.core), ("plugins", payvand.plugins), ("sdk", payvand.sdk))}

def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (packages by their `__init__`)."""
    found: dict[str, Path] = {}
    for top, root in ROOTS.items():
        for path in root.rglob("*.py"):
            parts = [PACKAGE, top, *path.relative_to(root).with_suffix("").parts]
            if not all(part.isidentifier() for part in parts):
                continue  # not importable by name (e.g. a migration `0001_initial.py`)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(node: ast.AST) -> bool:
    """True for `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` except the bodies of `if TYPE_CHECKING:` blocks (their `else` kept)."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if _is_type_checking(node):
            assert isinstance(node, ast.If)
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (anywhere in its source)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _runtime_nodes(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                source = _resolve(name, path.name == "__init__.py", node)
                for alias in node.names:
                    child = f"{source}.{alias.name}"
                    targets.append(child if child in modules else source)
            for target in targets:
                while target and target not in modules:  # `import a.b.c` of a name: the nearest module
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith(PACKAGE + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(start: str) -> None:
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_graph_sees_function_level_imports_but_not_type_checking_ones() -> None:
    """The reader finds an import inside a function (runtime -> migrations.runner is one) and
    leaves out `if TYPE_CHECKING:` imports (listing.args names listing.spec's types so)."""
    graph = import_graph()
    assert "payvand.core.migrations.runner" in graph["payvand.core.runtime"]
    assert "payvand.core.web.i18n" in graph["payvand.core.web.pages.customer"]
    assert "payvand.core.listing.spec" not in graph["payvand.core.listing.args"]


def test_cycles_are_found() -> None:
    """The cycle finder itself reports a cycle (and not an acyclic chain)."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    """No module of payvand imports itself back, directly or through others."""
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(cycle) for cycle in found)
