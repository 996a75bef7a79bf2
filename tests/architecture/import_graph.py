"""Numbers of the import graph, as ADR 0009 measured them: modules, direct imports, imports that go up
the layers of ``pyproject.toml``, module-level and package-level cycles.

    python -m tests.architecture.import_graph          # the checkout's src/
    PYTHONPATH=/tmp/old/src python -m tests.architecture.import_graph   # another tree (git archive)

Uses grimp, the graph library ``lint-imports`` runs on. Not a test: ``lint-imports`` is the check.
"""

from __future__ import annotations

import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import grimp

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def layer_ranks() -> tuple[dict[str, int], set[int]]:
    """package -> rank in the layers contract (0 = top), and the ranks whose packages are independent."""
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    ranks: dict[str, int] = {}
    independent: set[int] = set()
    for rank, layer in enumerate(layers):
        if "|" in layer:
            independent.add(rank)
        for name in layer.replace(":", "|").split("|"):
            ranks[name.strip().strip("()")] = rank
    return ranks, independent


def cycles(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
    return found


def main() -> int:
    graph = grimp.build_graph("carnet", cache_dir=None)
    modules = sorted(m for m in graph.modules if m != "carnet")
    edges: dict[str, set[str]] = defaultdict(set)
    for module in modules:
        edges[module] = {m for m in graph.find_modules_directly_imported_by(module) if m != "carnet"}
    ranks, independent = layer_ranks()

    def package(module: str) -> str:
        return module.split(".")[1]

    upward: list[tuple[str, str]] = []
    statements = 0
    package_edges: dict[str, set[str]] = defaultdict(set)
    for importer in modules:
        for imported in edges[importer]:
            a, b = package(importer), package(imported)
            if a == b:
                continue
            package_edges[a].add(b)
            ra, rb = ranks.get(a), ranks.get(b)
            if ra is None or rb is None or ra > rb or (ra == rb and ra in independent):
                upward.append((importer, imported))
                statements += len(graph.get_import_details(importer=importer, imported=imported))
    packages = sorted({package(m) for m in modules})
    module_cycles = cycles(modules, edges)
    package_cycles = cycles(packages, package_edges)
    print(f"modules {len(modules)}, direct imports {sum(len(v) for v in edges.values())}")
    print(
        f"upward imports (or into an unlisted package): {len(upward)} module pairs, {statements} statements"
    )
    for importer, imported in sorted(upward):
        print(f"    {importer} -> {imported}")
    print(f"module-level cycles: {len(module_cycles)}")
    for component in module_cycles:
        print(f"    {' <-> '.join(component)}")
    in_cycles = sorted({p for c in package_cycles for p in c})
    print(f"packages in a package-level cycle: {len(in_cycles)} of {len(packages)} {in_cycles}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
