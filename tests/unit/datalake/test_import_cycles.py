"""No import cycles in plugins/datalake: every module's imports, at the top or inside a
function, read with ast (nothing is imported), as a graph of datalake modules; any cycle in
it fails, naming the modules in order."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "plugins" / "datalake"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """datalake module -> the datalake modules it imports (`from pkg import module` counts as
    an import of the module; `from module import name`, of the module)."""
    paths = {module_name(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base
                    for alias in node.names
                ]
            for target in targets:
                while (
                    target and target not in paths
                ):  # `import datalake.hourly.lake.x` -> the module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_find_cycles_reports_a_cycle_and_only_it():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_import_graph_reads_lazy_and_package_imports(tmp_path):
    package = tmp_path / "datalake"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "one.py").write_text("def f():\n    from datalake.sub import two\n")
    (package / "sub" / "two.py").write_text("from datalake.sub.one import f\n")
    graph = import_graph(package)
    assert graph["datalake.sub.one"] == {"datalake.sub.two"}
    assert graph["datalake.sub.two"] == {"datalake.sub.one"}
    assert find_cycles(graph) == [["datalake.sub.one", "datalake.sub.two"]]


def test_plugins_datalake_has_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_layers_import_downwards_only():
    """The shared layers (hourly/, validation/) import no stream; a stream imports no other."""
    forbidden = {
        "datalake.hourly": ("datalake.entity", "datalake.workflow"),
        "datalake.validation": ("datalake.entity", "datalake.workflow", "datalake.hourly"),
        "datalake.entity": ("datalake.workflow",),
        "datalake.workflow": ("datalake.entity",),
    }
    wrong = sorted(
        (module, target)
        for module, targets in import_graph().items()
        for layer, banned in forbidden.items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if any(target == b or target.startswith(b + ".") for b in banned)
    )
    assert wrong == []
