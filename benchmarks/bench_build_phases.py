"""Where a one-edit `wiki build` spends its time, phase by phase, on a dense generated wiki.

usage: python benchmarks/bench_build_phases.py [--pages 1000] [--out benchmarks/build_phases.md]

Builds the wiki cold with the CLI (a fresh process, so the render cache and the site
exist), edits one concept's prose as `bench_wiki.py` does, then runs the same steps as
`wiki build` in one process with a timer around each: imports, load (split into parsing
and validating the files, URL checks of prose, the rest: references, graph, link
checks), scoring, rendering the Markdown (with how many pages the render cache gave),
the graph data, writing the tree, and mkdocs. Seconds are wall time of one run on
whatever machine runs it; the load average is recorded with them.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from bench_wiki import edit_one_concept  # noqa: E402
from dense_wiki import dense_pages, write_pages  # noqa: E402

PHASES: dict[str, float] = {}


def timed_phase(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def edit_build(project: Path) -> tuple[dict[str, float], Any]:
    """One `wiki build` after an edit, in this process, timed phase by phase."""
    started = time.perf_counter()
    from wiki import corpus, graph_data, site
    from wiki.corpus import load_wiki
    from wiki.evidence import gather_evidence
    from wiki.ledger import Ledger
    from wiki.settings import load_settings

    PHASES["imports"] = time.perf_counter() - started
    corpus.load_tree = timed_phase("load: parse + validate files", corpus.load_tree)
    corpus.url_diagnostics = timed_phase("load: URL checks of prose", corpus.url_diagnostics)
    site.render_pages = timed_phase("render Markdown", site.render_pages)
    graph_data.graph_document = timed_phase("graph data", graph_data.graph_document)
    site.write_tree = timed_phase("write tree", site.write_tree)
    site.publish_site = timed_phase("mkdocs (changed pages)", site.publish_site)

    settings = load_settings(project)
    started = time.perf_counter()
    wiki = load_wiki(settings.root)
    PHASES["load (all)"] = time.perf_counter() - started
    started = time.perf_counter()
    evidence = gather_evidence(wiki, Ledger(settings.ledger).records(), settings)
    PHASES["score"] = time.perf_counter() - started
    started = time.perf_counter()
    report = site.build_site(wiki, settings, evidence=evidence)
    PHASES["build_site (all)"] = time.perf_counter() - started
    return PHASES, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=HERE / "build_phases.md")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "wiki"
        write_pages(dense_pages(args.pages), project / "pages")
        (project / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n', encoding="utf-8")
        subprocess.run([sys.executable, "-m", "wiki", "build"], cwd=project, check=True)
        edit_one_concept(project / "pages", "section")
        os.chdir(project)
        phases, report = edit_build(project)
    load = phases.pop("load (all)")
    parse = phases.pop("load: parse + validate files")
    urls = phases.pop("load: URL checks of prose")
    build = phases.pop("build_site (all)")
    inside = sum(phases.get(name, 0.0) for name in ("render Markdown", "graph data", "write tree"))
    mkdocs = phases.get("mkdocs (changed pages)", 0.0)
    rows = [
        ("imports", phases["imports"]),
        ("load: parse + validate files", parse),
        ("load: URL checks of prose", urls),
        ("load: references, graph, link checks", load - parse - urls),
        ("score (evidence)", phases["score"]),
        (
            f"render Markdown ({report.markdown_reused} pages from the render cache)",
            phases["render Markdown"],
        ),
        ("graph data", phases.get("graph data", 0.0)),
        ("write tree", phases["write tree"]),
        ("assets, config, stamp", build - inside - mkdocs),
        (f"mkdocs ({report.pages_rendered} pages to HTML)", mkdocs),
    ]
    total = sum(seconds for _, seconds in rows)
    lines = [
        f"# One-edit `wiki build` by phase, {args.pages} dense pages",
        "",
        f"`python benchmarks/bench_build_phases.py --pages {args.pages}`, in one process after a"
        f" cold CLI build; load average before: {' '.join(f'{x:.2f}' for x in load_before)},"
        f" after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}. Interpreter start-up"
        " (~0.1 s) is not included.",
        "",
        "| phase | seconds | share |",
        "|---|---|---|",
        *(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |" for name, seconds in rows),
        f"| total | {total:.2f} | |",
    ]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
