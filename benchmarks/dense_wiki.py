"""A dense generated wiki for benchmarks and determinism tests, and the same content as Markdown.

`dense_pages(n)` follows the mix the build-performance issue measured on: 60% concepts
(3 claims, 2 benchmarks, 3 related pages, prose with `[[links]]` each), 25% sources, 10%
theses, 5% entities. `plain_markdown_project` writes the same information as plain
Markdown for mkdocs-material with an index-only nav: the floor `wiki build` is compared to.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import yaml

GRADES = ("strong", "moderate", "weak", "speculative")
STATUSES = ("emerging", "active-frontier", "established", "contested")


def dense_pages(count: int, seed: int = 0) -> dict[str, dict]:
    """Page id -> YAML document of a generated wiki of `count` pages."""
    rng = random.Random(seed)
    n_sources = max(1, count * 25 // 100)
    n_theses = max(1, count * 10 // 100)
    n_entities = max(1, count * 5 // 100)
    n_concepts = max(2, count - n_sources - n_theses - n_entities)
    sources = [f"paper-{i}" for i in range(n_sources)]
    concepts = [f"concept-{i}" for i in range(n_concepts)]
    pages: dict[str, dict] = {}
    for i, source in enumerate(sources):
        pages[source] = {
            "kind": "source",
            "title": f"Paper {i}: a study of representation {i % 97}",
            "authors": [f"Author {rng.randrange(500)}", f"Author {rng.randrange(500)}"],
            "year": 2015 + i % 11,
            "url": f"https://arxiv.org/abs/2601.{i:05d}",
            "summary": f"Generated paper {i}, about [[{rng.choice(concepts)}]].",
        }
    for i, concept in enumerate(concepts):
        pages[concept] = _concept(i, concept, concepts, sources, rng)
    for i in range(n_entities):
        pages[f"lab-{i}"] = {
            "kind": "entity",
            "title": f"Lab {i}",
            "type": "organization" if i % 2 else "person",
            "summary": f"Works on [[{rng.choice(concepts)}]].",
            "links": [{"page": rng.choice(concepts), "note": "Publishes on it."}],
        }
    for i in range(n_theses):
        deps = [
            {"claim": f"{rng.choice(concepts)}-c{rng.randrange(3)}", "role": "supports"},
            {"claim": f"{rng.choice(concepts)}-c{rng.randrange(3)}", "role": "challenges"},
            {"concept": rng.choice(concepts)},
        ]
        if i > 0:
            deps.append({"thesis": f"thesis-{rng.randrange(i)}"})
        pages[f"thesis-{i}"] = {
            "kind": "thesis",
            "title": f"Thesis {i}",
            "position": f"Position {i} leans on [[{deps[0]['claim']}]]. " + _prose(rng, concepts),
            "confidence": ("high", "medium", "low")[i % 3],
            "depends_on": deps,
        }
    return pages


def _concept(i: int, concept: str, concepts: list[str], sources: list[str], rng) -> dict:
    related = rng.sample([c for c in concepts if c != concept], k=min(3, len(concepts) - 1))
    return {
        "kind": "concept",
        "title": f"Concept {i}",
        "status": STATUSES[i % len(STATUSES)],
        "summary": _prose(rng, concepts),
        "sections": [
            {"heading": "Core insight", "text": _prose(rng, concepts)},
            {"heading": "Details", "text": _prose(rng, concepts) + "\n\n" + _prose(rng, concepts)},
        ],
        "claims": [
            {
                "id": f"{concept}-c{j}",
                "statement": f"Claim {j} of concept {i}: " + _prose(rng, concepts, words=12),
                "evidence": {"grade": GRADES[(i + j) % 4], "sources": rng.sample(sources, k=2)},
            }
            for j in range(3)
        ],
        "benchmarks": [
            {
                "metric": f"Benchmark {k}",
                "value": round(50 + rng.random() * 40, 1),
                "unit": "% top-1",
                "system": f"System {i}",
                "source": rng.choice(sources),
            }
            for k in range(2)
        ],
        "open_questions": [f"Does it hold for [[{rng.choice(concepts)}]]?"],
        "related": [{"page": page, "note": "Shares a mechanism."} for page in related],
        "changelog": [{"date": "2026-01-01", "note": "Generated.", "sources": [sources[0]]}],
    }


def _prose(rng, concepts: list[str], words: int = 40) -> str:
    """A paragraph with a few `[[links]]` and some emphasis, like real pages."""
    vocabulary = ("latent", "predictor", "encoder", "collapse", "energy", "planning", "world")
    out = []
    for n in range(words):
        if n % 13 == 5:
            out.append(f"[[{rng.choice(concepts)}]]")
        elif n % 17 == 3:
            out.append(f"*{rng.choice(vocabulary)}*")
        else:
            out.append(rng.choice(vocabulary))
    return " ".join(out) + "."


def write_pages(pages: dict[str, dict], root: Path) -> None:
    """One YAML file per page under `root`, in kind folders as the shipped wiki does."""
    for page_id, document in pages.items():
        folder = root / f"{document['kind']}s"
        folder.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
        (folder / f"{page_id}.yaml").write_text(text, encoding="utf-8")


def plain_markdown_project(pages: dict[str, dict], project: Path) -> None:
    """The same information as plain Markdown pages for mkdocs-material, index-only nav."""
    docs = project / "docs"
    links = _PlainLinks(pages)
    for page_id, document in pages.items():
        path = docs / f"{document['kind']}s" / f"{page_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_plain_page(document, links), encoding="utf-8")
    index = ["# Index", ""]
    index += [f"- [{page_id}]({links.kind_of[page_id]}s/{page_id}.md)" for page_id in sorted(pages)]
    (docs / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    config = {
        "site_name": "Plain",
        "use_directory_urls": False,
        "theme": {"name": "material", "font": False},
        "plugins": ["search"],
        "markdown_extensions": [{"toc": {"permalink": True}}, "tables", "admonition"],
        "nav": [{"Index": "index.md"}],
        "validation": {"nav": {"omitted_files": "ignore"}},
    }
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


class _PlainLinks:
    """Relative Markdown links between the plain pages (claims are anchors on their page)."""

    def __init__(self, pages: dict[str, dict]) -> None:
        self.kind_of = {page_id: document["kind"] for page_id, document in pages.items()}
        self.claim_page = {
            claim["id"]: page_id
            for page_id, document in pages.items()
            for claim in document.get("claims", [])
        }

    def to(self, target: str) -> str:
        page = self.claim_page.get(target, target)
        anchor = f"#{target}" if target in self.claim_page else ""
        return f"[{target}](../{self.kind_of[page]}s/{page}.md{anchor})"

    def prose(self, text: str) -> str:
        return re.sub(r"\[\[([^\]|]+)\]\]", lambda match: self.to(match[1]), text)


def _plain_page(document: dict, links: _PlainLinks) -> str:
    lines = [f"# {document['title']}", ""]
    for key in ("summary", "position"):
        if key in document:
            lines += [links.prose(document[key]), ""]
    for section in document.get("sections", []):
        lines += [f"## {section['heading']}", "", links.prose(section["text"]), ""]
    if document.get("claims"):
        lines += ["## Claims", ""]
        for claim in document["claims"]:
            cited = ", ".join(links.to(source) for source in claim["evidence"]["sources"])
            grade = claim["evidence"]["grade"]
            lines += [f"### {claim['id']}", "", links.prose(claim["statement"]), ""]
            lines += [f"Grade: {grade}. Sources: {cited}.", ""]
    if document.get("benchmarks"):
        lines += ["## Benchmarks", "", "| metric | value | system | source |", "|---|---|---|---|"]
        for row in document["benchmarks"]:
            cells = (row["metric"], row["value"], row["system"], links.to(row["source"]))
            lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
        lines.append("")
    for key, heading in (("related", "Related"), ("links", "Links")):
        if document.get(key):
            lines += [f"## {heading}", ""]
            lines += [f"- {links.to(item['page'])}: {item['note']}" for item in document[key]]
            lines.append("")
    if document.get("depends_on"):
        lines += ["## Depends on", ""]
        lines += [f"- {links.to(next(iter(dep.values())))}" for dep in document["depends_on"]]
        lines.append("")
    return "\n".join(lines)
