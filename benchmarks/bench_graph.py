"""What the graph costs each page, and how the graph page behaves, on dense generated wikis.

usage: python benchmarks/bench_graph.py [--pages 1000 5000] [--browser 5000] [--out FILE]

For each size: builds the generated wiki (benchmarks/dense_wiki.py) and reports the bytes
of assets/graph-data.js (loaded by the graph page only), the same document in the
one-file format every page loaded before the split (verbose edges), and each page's
inline neighbourhood (its data-graph attribute: mean, largest, all pages together). With
--browser N and chromium + chromedriver installed, opens the N-page site in headless
Chromium from file:// and reports, for the graph page and a concept page: the time from
navigation start to the first drawn graph (cytoscape instance with nodes; polled every
10 ms), the nodes drawn, the JS heap, and the bytes of every script the page requested.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from dense_wiki import dense_pages, write_pages  # noqa: E402

from wiki.corpus import load_wiki  # noqa: E402
from wiki.graph_data import graph_document  # noqa: E402
from wiki.settings import load_settings  # noqa: E402
from wiki.site import build_site  # noqa: E402

DATA_GRAPH = re.compile(r"data-graph='([^']*)'")


def one_file_format_bytes(document: dict) -> int:
    """Bytes of the graph data as it was before the split: every node and edge a JSON line."""
    lines = ",\n".join(json.dumps(item, sort_keys=True) for item in document["nodes"])
    edges = ",\n".join(json.dumps(item, sort_keys=True) for item in document["edges"])
    return len(f'window.wikiGraphData = {{\n"nodes": [\n{lines}\n],\n"edges": [\n{edges}\n]\n}};\n')


def build(pages: int, folder: Path) -> tuple[Path, dict]:
    root = folder / "pages"
    write_pages(dense_pages(pages), root)
    settings = load_settings(folder, root=root, out=folder / "site")
    wiki = load_wiki(root)
    started = time.perf_counter()
    build_site(wiki, settings)
    seconds = time.perf_counter() - started
    document = graph_document(wiki)
    inline = []
    for html in (settings.out).rglob("*.html"):
        for match in DATA_GRAPH.finditer(html.read_text(encoding="utf-8")):
            inline.append(len(match.group(1).encode("utf-8")))
    sizes = {
        "pages": pages,
        "nodes": len(document["nodes"]),
        "edges": len(document["edges"]),
        "build_s": round(seconds, 1),
        "graph_data_js": (settings.out / "assets" / "graph-data.js").stat().st_size,
        "one_file_before": one_file_format_bytes(document),
        "inline_pages": len(inline),
        "inline_mean": round(sum(inline) / max(1, len(inline))),
        "inline_max": max(inline, default=0),
        "inline_total": sum(inline),
    }
    return settings.out, sizes


def browse(site: Path) -> list[dict]:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    flags = ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000")
    for flag in (*flags, "--enable-precise-memory-info"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(120)
    results = []
    try:
        for page in ("graph.html", "concepts/concept-0.html"):
            driver.get((site / page).resolve().as_uri())
            drawn = None
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                drawn = driver.execute_script(
                    "var g = window.wikiGraphs && window.wikiGraphs[0];"
                    "return g && g.nodes().length ? [performance.now(), g.nodes().length] : null"
                )
                if drawn:
                    break
                time.sleep(0.01)
            heap = driver.execute_script("return performance.memory.usedJSHeapSize")
            timings = driver.execute_script(
                "var t = performance.timing, n = t.navigationStart, marks = {};"
                "performance.getEntriesByType('mark').forEach(m => marks[m.name] = m.startTime);"
                "return [t.responseEnd - n, t.domInteractive - n, t.domContentLoadedEventStart - n,"
                " marks['wiki-graph-start'], marks['wiki-graph-indexed'],"
                " marks['wiki-graph-drawn']]"
            )
            sources = driver.execute_script(
                "return Array.from(document.scripts).map(s => s.src).filter(Boolean)"
            )
            results.append(
                {
                    "page": page,
                    "first_draw_ms": round(drawn[0]) if drawn else None,
                    "nodes_drawn": drawn[1] if drawn else 0,
                    "js_heap_mib": round(heap / 2**20, 1),
                    "html_bytes": (site / page).stat().st_size,
                    "scripts": {
                        Path(src).name: Path(src.removeprefix("file://")).stat().st_size
                        for src in sources
                        if src.startswith("file://")
                    },
                    "timings_ms": dict(
                        zip(
                            (
                                "html loaded",
                                "dom interactive",
                                "dom content loaded",
                                "graph.js start",
                                "graph indexed",
                                "graph drawn",
                            ),
                            [round(t) if t is not None else None for t in timings],
                            strict=True,
                        )
                    ),
                }
            )
    finally:
        driver.quit()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--browser", type=int, default=5000, help="size to open in Chromium")
    parser.add_argument("--out", type=Path, default=HERE / "graph.md")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument("--site", type=Path, help="only open this built site in Chromium")
    args = parser.parse_args()
    if args.site:
        print(json.dumps(browse(args.site), indent=1))
        return
    load_before = os.getloadavg()
    rows, browsed = [], []
    for pages in args.pages:
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.keep / str(pages) if args.keep else Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            site, sizes = build(pages, folder)
            rows.append(sizes)
            print(sizes, flush=True)
            if pages == args.browser and shutil.which("chromium") and shutil.which("chromedriver"):
                browsed = browse(site)
                print(browsed, flush=True)
    lines = [
        "# The graph's cost per page on dense generated wikis",
        "",
        f"`python benchmarks/bench_graph.py --pages {' '.join(map(str, args.pages))}`"
        f" on {platform.machine()}, Python {platform.python_version()}; load average"
        f" {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after.",
        "",
        "Before the split every page loaded the whole graph (the one-file format column);",
        "now only the graph page loads graph-data.js and every other page carries its",
        "neighbourhood inline (bytes of its data-graph attribute).",
        "",
        "| pages | nodes | edges | build s | one file, every page (before) | graph-data.js,"
        " graph page only | inline per page: mean | max | all pages |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['pages']} | {r['nodes']} | {r['edges']} | {r['build_s']} |"
            f" {r['one_file_before']:,} | {r['graph_data_js']:,} | {r['inline_mean']:,} |"
            f" {r['inline_max']:,} | {r['inline_total']:,} |"
        )
    if browsed:
        lines += [
            "",
            f"Headless Chromium, file://, the {args.browser}-page site, 1400 px wide:",
            "",
            "| page | HTML bytes | scripts (bytes) | ms after navigation start: HTML loaded,"
            " DOM interactive, DOM content loaded, graph.js starts, graph indexed, graph drawn |"
            " first draw seen"
            " (polled) | nodes drawn | JS heap MiB |",
            "| --- | ---: | --- | --- | ---: | ---: | ---: |",
        ]
        for b in browsed:
            scripts = ", ".join(f"{name} {size:,}" for name, size in sorted(b["scripts"].items()))
            timings = ", ".join(str(value) for value in b["timings_ms"].values())
            lines.append(
                f"| {b['page']} | {b['html_bytes']:,} | {scripts} | {timings} |"
                f" {b['first_draw_ms']} | {b['nodes_drawn']} | {b['js_heap_mib']} |"
            )
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
