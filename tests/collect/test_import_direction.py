"""The collectors' imports point one way: runner ← base ← collectors ← scan; the lab plugs in from outside.

Read from the source with :mod:`ast`, imports inside functions included (a lazy import
is still a dependency: it only moves the moment it bites), ``if TYPE_CHECKING:`` ones
left out (they never run). So:

* no circle among ``netatlas.collect`` modules;
* the runner (the one door to the system) knows no collector: what it imports from
  ``netatlas.collect`` is only the other doors (:data:`DOORS`);
* no collector module knows the lab (``netatlas.lab``), not even through another
  ``netatlas`` module: the lab hands its vantages to ``scan`` as planners, the same
  seam every platform's collectors use.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "netatlas"

DOORS = frozenset(
    {
        "netatlas.collect.runner",
        "netatlas.collect.dns_query",
        "netatlas.collect.netns_entry",
        "netatlas.collect.nft_tables",
    }
)
"""How the system is reached (commands and files; DNS questions; a thread that enters
namespaces; the netfilter table count that spares a command that would print
nothing): they import no collector."""


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """``netatlas`` modules ``path`` imports anywhere in it (``from pkg import mod`` names the module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):  # `if TYPE_CHECKING:` imports never run
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, one level up per extra dot
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for a in node.names:
                sub = f"{base}.{a.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known}


@cache
def _graph(*, packages: bool = True) -> dict[str, set[str]]:
    """Module → the ``netatlas`` modules it imports.

    Args:
        packages: importing ``netatlas.collect.x`` runs ``netatlas/__init__`` and
            ``netatlas/collect/__init__`` first, so count those too (for what a module
            drags in; not for circles, since a package that imports its own
            submodule is no circle).
    """
    mods = _modules()
    known = set(mods)
    graph = {name: _imports(path, name, known) for name, path in mods.items()}
    if not packages:
        return graph
    for deps in graph.values():
        for dep in list(deps):
            parent = dep.rpartition(".")[0]
            while parent and parent in known:
                deps.add(parent)
                parent = parent.rpartition(".")[0]
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        cur = todo.pop()
        for dep in graph.get(cur, ()):
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return seen


def _collect(graph: dict[str, set[str]]) -> list[str]:
    return sorted(m for m in graph if m == "netatlas.collect" or m.startswith("netatlas.collect."))


def test_the_graph_sees_lazy_imports() -> None:
    graph = _graph()
    # netlink imports netns_entry only inside a function
    assert "netatlas.collect.netns_entry" in graph["netatlas.collect.netlink"]


def test_no_circle_among_collect_modules() -> None:
    graph = _graph(packages=False)
    collect = set(_collect(graph))
    circles = sorted(
        m for m in collect if m != "netatlas.collect" and m in _reach({k: graph[k] & collect for k in collect}, m)
    )
    assert circles == [], f"modules on an import circle: {circles}"


def test_the_runner_knows_no_collector() -> None:
    graph = _graph()
    for door in DOORS:
        reached = {m for m in _reach(graph, door) if m.startswith("netatlas.collect.")}
        assert reached <= DOORS, f"{door} imports {sorted(reached - DOORS)}"


def test_no_collector_knows_the_lab() -> None:
    graph = _graph()
    for mod in _collect(graph):
        lab = sorted(m for m in _reach(graph, mod) if m == "netatlas.lab" or m.startswith("netatlas.lab."))
        assert lab == [], f"{mod} imports the lab: {lab}"
