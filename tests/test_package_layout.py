"""The package's layout holds: no import cycles, maps that name every module, small
modules, and the trust boundary in the imports (see docs/layout.md). Reads the source
with ``ast`` only (nothing is imported); costs well under a second."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cnnbook"
MAX_LINES = 410  # the "~400 lines"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> list[tuple[str, int]]:
    """The cnnbook modules ``name`` imports, anywhere in it (module level, inside
    functions, under TYPE_CHECKING), with the line of each import."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((sub if sub in MODULES else base, node.lineno))
    return [(m, line) for m, line in found if m in MODULES and m != name]


GRAPH = {name: sorted({m for m, _ in imports(name)}) for name in MODULES}


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
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
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_cycle_finder_finds_cycles():
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": []}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": []}) == []


def test_no_import_cycles():
    found = cycles(GRAPH)
    lines = []
    for component in found:
        edges = [f"{a} -> {b}" for a in component for b in GRAPH[a] if b in component]
        lines.append(f"{' <-> '.join(component)}: {', '.join(edges)}")
    assert not found, f"{len(found)} import cycle(s):\n" + "\n".join(lines)


def test_every_package_map_names_each_of_its_modules():
    missing = []
    for name, path in MODULES.items():
        if path.name != "__init__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        children = sorted(
            {p.stem for p in path.parent.glob("*.py") if p.name != "__init__.py"}
            | {p.name for p in path.parent.iterdir() if (p / "__init__.py").is_file()}
        )
        missing += [f"{name}: {c}" for c in children if not re.search(rf"\b{c}\b", doc)]
    assert not missing, "modules the package's docstring map leaves out:\n" + "\n".join(missing)


def test_no_module_is_over_the_size_limit():
    large = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in MODULES.values()
        if "coursedata" not in path.parts and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not large, f"modules over {MAX_LINES} lines (split them by job): {large}"


def test_the_trust_boundary_in_the_imports():
    wrong = []
    for name in MODULES:
        for target, line in imports(name):
            where = f"{name}:{line} imports {target}"
            if name.startswith("cnnbook.grader.judging") and (
                target.startswith("cnnbook.grader.sandboxed.runner")
                or target.startswith("cnnbook.grader.isolation")
                and target != "cnnbook.grader.isolation.execution"
            ):
                wrong.append(where + " (the judge never runs a notebook)")
            if name.startswith("cnnbook.grader.sandboxed") and target.startswith(
                ("cnnbook.grader.judging", "cnnbook.grader.isolation")
            ):
                wrong.append(where + " (the sandbox side must not reach the judge's side)")
            if name.startswith("cnnbook.grading") and target.startswith("cnnbook.grader"):
                wrong.append(where + " (the student side is copied into the sandbox alone)")
    assert not wrong, "\n".join(wrong)


def test_the_judge_executes_no_notebook():
    for name, path in MODULES.items():
        if name.startswith("cnnbook.grader.judging"):
            text = path.read_text()
            for word in ("nbclient", "NotebookClient", "ExecutePreprocessor", "subprocess"):
                assert word not in text, f"{name} uses {word}"
