"""Loading, linking and scoring stay modules with one job each: small, without import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

WIKI = Path(__file__).parent.parent / "wiki"
# The content side of the compiler: finding, reading, validating and linking pages.
CONTENT_MODULES = [
    "discover",
    "located_yaml",
    "read_pages",
    "schema_errors",
    "load",
    "schema",
    "references",
    "corpus",
    "graph",
    "errors",
]
# Scoring: verdicts, grades, history, staleness and the runs a link plans.
SCORING_MODULES = [
    "planning",
    "scoring/__init__",
    "scoring/types",
    "scoring/uncertainty",
    "scoring/verdicts",
    "scoring/grades",
    "scoring/history",
    "scoring/staleness",
    "scoring/wiki_scores",
]


def module_level_imports(module: str) -> set[str]:
    """wiki modules imported at module level (imports inside functions are deferred on purpose)."""
    tree = ast.parse((WIKI / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "wiki":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("wiki."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("wiki."))
    return found


def every_wiki_import(module: str) -> set[str]:
    """Dotted wiki modules imported anywhere in a module: in functions and TYPE_CHECKING too."""
    tree = ast.parse((WIKI / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("wiki"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("wiki"))
    return found


def dotted(module: str) -> str:
    return "wiki." + module.removesuffix("/__init__").replace("/", ".")


def test_content_modules_stay_under_400_lines() -> None:
    sizes = {name: len((WIKI / f"{name}.py").read_text().splitlines()) for name in CONTENT_MODULES}
    assert {name: size for name, size in sizes.items() if size > 400} == {}


def test_content_modules_import_each_other_without_a_cycle() -> None:
    graph = nx.DiGraph()
    for module in CONTENT_MODULES:
        graph.add_node(module)
        graph.add_edges_from((module, imported) for imported in module_level_imports(module))
    assert list(nx.simple_cycles(graph)) == []


def test_scoring_modules_stay_under_400_lines() -> None:
    sizes = {name: len((WIKI / f"{name}.py").read_text().splitlines()) for name in SCORING_MODULES}
    assert {name: size for name, size in sizes.items() if size > 400} == {}


def test_scoring_modules_import_each_other_without_a_cycle() -> None:
    names = {dotted(module) for module in SCORING_MODULES}
    graph = nx.DiGraph()
    for module in SCORING_MODULES:
        graph.add_node(dotted(module))
        imported = every_wiki_import(module) & names
        graph.add_edges_from((dotted(module), target) for target in imported)
    assert list(nx.simple_cycles(graph)) == []


def test_scoring_modules_are_the_whole_scoring_package() -> None:
    on_disk = {f"scoring/{path.stem}" for path in (WIKI / "scoring").glob("*.py")}
    assert on_disk == {name for name in SCORING_MODULES if name.startswith("scoring/")}


def test_wiki_check_imports_neither_jsonschema_nor_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, wiki.cli, wiki.corpus;"
        "print(sorted(m for m in ('jsonschema', 'torch', 'check_jsonschema') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]", result.stderr
