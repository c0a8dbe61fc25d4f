"""`lecture_utils` has no import cycles: the module-level imports between its modules form a DAG."""
from __future__ import annotations

import ast
from pathlib import Path

import lecture_utils

PACKAGE_DIR = Path(lecture_utils.__file__).resolve().parent


def _module_name(path: Path) -> str:
    """lecture_utils/scaling/fitting.py -> lecture_utils.scaling.fitting; a package's __init__ is the package."""
    parts = ("lecture_utils", *path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(tree: ast.Module):
    """Import statements run when the module is imported: top level and inside top-level if/try/with blocks."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                continue  # typing-only imports never run
            for field in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, field, []):
                    todo.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])


def import_graph(everywhere: bool = False) -> dict[str, set[str]]:
    """{module: lecture_utils modules it imports at module level (or anywhere, inside functions too)}."""
    files = {_module_name(p): p for p in PACKAGE_DIR.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        base = name.split(".") if is_package else name.split(".")[:-1]
        targets = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = ([n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))] if everywhere
                 else _module_level_imports(tree))
        for node in nodes:
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                root = ".".join(base[: len(base) - node.level + 1]) if node.level else ""
                mod = ".".join(p for p in (root, node.module or "") if p)
                # `from pkg import sub` depends on the submodule `sub`; `from mod import name` on `mod`
                candidates = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in files else mod for a in node.names]
            for cand in candidates:
                while cand and cand not in files:  # `import a.b.c` resolves to the deepest existing module
                    cand = cand.rpartition(".")[0]
                if cand.startswith("lecture_utils") and cand != name:
                    targets.add(cand)
        graph[name] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None for a DAG."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_lecture_utils_has_no_import_cycles():
    graph = import_graph()
    assert len(graph) > 20 and "lecture_utils.flops" in graph  # the walk found the package
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_flops_and_facts_do_not_import_each_other_even_inside_functions():
    graph = import_graph(everywhere=True)
    assert not ("lecture_utils.flops" in graph["lecture_utils.facts"] and "lecture_utils.facts" in graph["lecture_utils.flops"])
