"""House rules of the code base, checked on the source itself.

Each rule is one the README's layout section and CONTRIBUTING.md promise: layers only
import downward, no import cycles, no private names across modules, typed archive
parameters, short functions, and dependencies declared exactly as imported.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("extractors", "storage", "flows")
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts and "versions" in path.parts:
                continue  # Alembic revisions are generated
            found[_module_name(path)] = (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


SOURCES = _sources()


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _imports(tree: ast.Module) -> list[tuple[ast.AST, str, list[str]]]:
    """``(node, module, names)`` for every absolute import outside ``if TYPE_CHECKING:``."""
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    out = []
    for node in ast.walk(tree):
        if _in_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            out.extend((node, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node, node.module, [alias.name for alias in node.names]))
    return out


def _resolve(module: str, names: list[str]) -> list[str]:
    """Project modules an import statement loads (``from pkg import sub`` loads ``pkg.sub``)."""
    targets = []
    for name in names:
        if f"{module}.{name}" in SOURCES:
            targets.append(f"{module}.{name}")
    if module in SOURCES and len(targets) < len(names or [None]):
        targets.append(module)
    return targets


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in SOURCES}
    for name, (_, tree) in SOURCES.items():
        for _, module, names in _imports(tree):
            if module.split(".")[0] in PACKAGES:
                graph[name].update(t for t in _resolve(module, names) if t != name)
    return graph


def test_layers_only_import_downward():
    order = {"extractors": 0, "storage": 1, "flows": 2}
    wrong = [f"{src} imports {dst}" for src, dsts in _graph().items() for dst in dsts
             if order[dst.split(".")[0]] > order[src.split(".")[0]]]
    assert not wrong, wrong


def test_extractors_are_pure():
    forbidden = {"sqlalchemy", "prefect", "httpx", "psycopg", "alembic", "click", "warcio", "requests"}
    wrong = [f"{name} imports {module}" for name, (_, tree) in SOURCES.items() if name.startswith("extractors")
             for _, module, _ in _imports(tree) if module.split(".")[0] in forbidden]
    assert not wrong, wrong


def test_no_import_cycles():
    graph = _graph()
    # Package __init__ modules that only re-export are edges too; a cycle through them is still a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strongconnect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in graph:
        if node not in index:
            strongconnect(node)
    assert not cycles, cycles


def test_no_private_names_imported_across_modules():
    wrong = [f"{name}: from {module} import {n}" for name, (_, tree) in SOURCES.items()
             for _, module, names in _imports(tree) if module.split(".")[0] in PACKAGES
             for n in names if n.startswith("_") and not n.startswith("__")]
    assert not wrong, wrong


def _functions(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_archive_parameters_are_typed():
    wrong = []
    for name, (_, tree) in SOURCES.items():
        for fn in _functions(tree):
            for arg in fn.args.args + fn.args.kwonlyargs:
                if arg.arg == "archive" and (arg.annotation is None or ast.unparse(arg.annotation) in ("Any", "object")):
                    wrong.append(f"{name}.{fn.name}")
    assert not wrong, wrong


def test_long_functions_say_why():
    """A function over the limit must say in its docstring why it is long (the word 'long')."""
    wrong = []
    for name, (_, tree) in SOURCES.items():
        for fn in _functions(tree):
            length = fn.end_lineno - fn.lineno + 1
            doc = ast.get_docstring(fn) or ""
            if length > MAX_FUNCTION_LINES and not re.search(r"\blong\b", doc, re.I):
                wrong.append(f"{name}.{fn.name} ({length} lines)")
    assert not wrong, wrong


def test_record_and_table_classes_do_not_share_names():
    def classes(prefix: str) -> set[str]:
        return {node.name for name, (_, tree) in SOURCES.items() if name.startswith(prefix)
                for node in tree.body if isinstance(node, ast.ClassDef)}

    records = {node.name for node in SOURCES["extractors.record"][1].body if isinstance(node, ast.ClassDef)}
    tables = {node.name for node in SOURCES["storage.models"][1].body if isinstance(node, ast.ClassDef)}
    assert records and tables and not records & tables, records & tables
    assert classes("extractors")  # the walk saw the package


# Declared but never imported, on purpose: each with its reason (the README says the same).
NOT_IMPORTED = {
    "fastapi": "upper bound only: Prefect's server passes an argument FastAPI 0.155 removed",
    "psycopg": "the PostgreSQL driver SQLAlchemy loads from a postgresql:// URL",
    "lxml_html_clean": "trafilatura imports lxml.html.clean, which lives in this package since lxml 5.2",
}


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = list(project["dependencies"]) + list(project.get("optional-dependencies", {}).get("dask", []))
    return {re.split(r"[\s<>=!\[;~]", dep, maxsplit=1)[0].lower().replace("-", "_") for dep in deps}


def _imported_distributions() -> dict[str, str]:
    dists = packages_distributions()
    found = {}
    for name, (_, tree) in SOURCES.items():
        for _, module, _ in _imports(tree):
            top = module.split(".")[0]
            if top in PACKAGES or top in sys.stdlib_module_names:
                continue
            for dist in dists.get(top, [top]):
                found[dist.lower().replace("-", "_")] = name
    return found


@pytest.mark.parametrize("direction", ["imported-is-declared", "declared-is-imported"])
def test_dependencies_declared_exactly_as_imported(direction):
    declared = _declared()
    imported = _imported_distributions()
    if direction == "imported-is-declared":
        missing = {dist: where for dist, where in imported.items() if dist not in declared}
        assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    else:
        unused = declared - set(imported) - set(NOT_IMPORTED)
        assert not unused, f"declared but never imported: {sorted(unused)}"
