"""Benchmark the compiler on a generated wiki: check, cold build, no-change rebuild.

usage: python benchmarks/bench_wiki.py [--pages 1000] [--out benchmarks/wiki.md]

Generates N synthetic pages (concepts with claims and links, sources, theses)
in a temporary folder, then times the `wiki` CLI on them in fresh processes,
so start-up (imports) is part of the figure, as a user sees it.
"""

from __future__ import annotations

import argparse
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
WIKI = [sys.executable, "-m", "wiki"]


def synthetic_pages(count: int, seed: int = 0) -> dict[str, dict]:
    """Page id -> YAML document: ~10% sources, ~5% theses, the rest concepts."""
    rng = random.Random(seed)
    n_sources = max(1, count // 10)
    n_theses = max(1, count // 20)
    n_concepts = count - n_sources - n_theses
    sources = [f"paper-{i}" for i in range(n_sources)]
    concepts = [f"concept-{i}" for i in range(n_concepts)]
    pages: dict[str, dict] = {}
    for i, source in enumerate(sources):
        pages[source] = {
            "kind": "source",
            "title": f"Paper {i}",
            "authors": ["A. Author", "B. Author"],
            "year": 2020 + i % 6,
            "url": f"https://arxiv.org/abs/2601.{i:05d}",
            "summary": f"Synthetic paper {i}.",
        }
    for i, concept in enumerate(concepts):
        neighbours = rng.sample(concepts, k=min(3, len(concepts)))
        pages[concept] = {
            "kind": "concept",
            "title": f"Concept {i}",
            "status": "emerging",
            "summary": f"Concept {i} relates to [[{neighbours[0]}]] and [[{neighbours[1]}]].",
            "sections": [{"heading": "Overview", "text": "Some prose. " * 20}],
            "claims": [
                {
                    "id": f"{concept}-claim-{j}",
                    "statement": f"Claim {j} of concept {i}.",
                    "evidence": {"grade": "moderate", "sources": rng.sample(sources, k=1)},
                }
                for j in range(2)
            ],
            "benchmarks": [
                {"metric": "accuracy", "value": 50 + i % 50, "system": "S", "source": sources[0]}
            ],
            "open_questions": ["Does it scale?"],
            "related": [{"page": n, "note": "related"} for n in neighbours if n != concept],
            "changelog": [{"date": "2026-01-01", "note": "Generated."}],
        }
    for i in range(n_theses):
        deps = [{"claim": f"{rng.choice(concepts)}-claim-0"}, {"concept": rng.choice(concepts)}]
        if i > 0:
            deps.append({"thesis": f"thesis-{i - 1}"})
        pages[f"thesis-{i}"] = {
            "kind": "thesis",
            "title": f"Thesis {i}",
            "position": "A position.",
            "confidence": "medium",
            "depends_on": deps,
        }
    return pages


def write_pages(pages: dict[str, dict], root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for page_id, doc in pages.items():
        (root / f"{page_id}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=HERE / "wiki.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        write_pages(synthetic_pages(args.pages), project / "pages")
        root = ["--root", "pages"]
        out = ["--out", "site"]
        rows = [
            ("wiki check", *timed([*WIKI, "check", *root], project)),
            ("wiki build (cold)", *timed([*WIKI, "build", *root, *out], project)),
            ("wiki build (nothing changed)", *timed([*WIKI, "build", *root, *out], project)),
        ]
        markdown_files = sum(1 for _ in (project / ".wiki-build").rglob("*.md"))

    lines = [
        f"# wiki compiler on {args.pages} generated pages",
        "",
        f"`python benchmarks/bench_wiki.py --pages {args.pages}` on {platform.machine()},"
        f" Python {platform.python_version()}; each command in a fresh process.",
        "",
        "| command | seconds | its last line |",
        "|---|---|---|",
        *(f"| {name} | {seconds:.2f} | {last} |" for name, seconds, last in rows),
        "",
        f"Markdown files generated: {markdown_files}.",
    ]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
