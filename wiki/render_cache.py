"""Render cache: a page's Markdown is rendered again only when something it reads changed.

`wiki.render.render_pages` asks `RenderCache.cached(path, digest)` before rendering a page
and `store`s what it rendered. The digest (`PageInputs`) is a hash of everything the
packaged templates read for that page:

- the global key: the source of the `wiki` package and of the templates, the versions of
  the libraries rendering goes through, the settings, the content root, and a digest of
  the evidence (scores without content fingerprints, grade history, runs, plots, protocol
  cards) -- any change there re-renders every page;
- the page's own model (its JSON), id, kind, file name and file text (some values show as
  written: a figure's digits);
- for every page it can show something of (its neighbours), the hash of what other pages
  can show of it (`shown_hash`): its model less the text of its concept sections (only
  its own page shows that; section headings stay in), the benchmark figures as written,
  and its and its claims' edges in the graph (backlinks and local graphs). So a prose edit
  of a section re-renders that page alone, not every page linking to it. The
  neighbours are found generously: every id named anywhere in the page's JSON (links in
  prose, related pages, sources, dependencies), the graph's references and referrers of the
  page and its claims (backlinks), the theses depending on them, the claims citing a
  source and the concepts citing it in a benchmark; a claim stands for the page holding it.
  A neighbour that appears or disappears changes the digest too.

Index pages: a page of the claims index (`claims.md`, or its parts `claims/<n>.md`) hashes
every page's id, kind and title and every claim's page, how the index is split, the
claims of the pages it lists and the model hashes of those pages and of every page their
claims name (a link shows its target's preview); `graph.md`
(and the graph data file) hashes the wiki graph's nodes and edges, every title and every
claim. The home page, the kind index pages and the runs page read the whole wiki: their
digest holds what every page shows of itself to others (`shown_hash`), so a section edit
leaves them cached and a title or summary edit renders them again.

The cached Markdown is the file the last build wrote into the docs tree; a hit re-reads
it and checks its hash, so a tree edited or half-written since is rendered again. User
templates (`[tool.wiki] templates`) may read any page through `wiki`: with them the cache
is off and every page is rendered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from wiki.corpus import Wiki
from wiki.load import LoadedPage
from wiki.schema import Claim
from wiki.settings import Settings

CACHE_FILE = "render-cache.json"  # in the build folder: {path: [input digest, output hash]}
CACHE_FORMAT = 1
TEMPLATE_CACHE = "template-cache"  # in the build folder: compiled templates (jinja2 bytecode)
PACKAGE_DIR = Path(__file__).resolve().parent
VERSIONED = ("jinja2", "markdown-it-py", "mdit-py-plugins", "pydantic", "networkx")
# Any run of slug characters in a page's JSON that equals an id makes that id a neighbour.
SECTION_TEXT = {"sections": {"__all__": {"text"}}}  # what only a concept's own page shows
_CLAIMS_JSON = TypeAdapter(list[Claim])  # a page's claims as JSON, in pydantic's core
ID_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[-.][A-Za-z0-9_]+)*")


def _sha(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _folder_text(folder: Path, pattern: str) -> Iterable[str]:
    for path in sorted(folder.rglob(pattern)):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path.relative_to(folder).as_posix()
            yield hashlib.sha256(path.read_bytes()).hexdigest()


def code_key(template_dir: Path) -> str:
    """The rendering code: the `wiki` package's source, the templates, library versions."""
    versions = []
    for package in VERSIONED:
        try:
            versions.append(f"{package}={metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package}=none")
    return _sha(
        f"format={CACHE_FORMAT}",
        *_folder_text(PACKAGE_DIR, "*.py"),
        *_folder_text(template_dir, "*"),
        *versions,
    )


def evidence_key(wiki: Wiki, evidence: Any) -> str:
    """Everything of the evidence a template can show (dataclass reprs: deterministic).
    A repr holding an object address would differ every build: then nothing is a hit."""
    if evidence is None:
        return "no-evidence"
    experiments = sorted(
        {link.experiment for entry in wiki.claims.values() for link in entry.claim.experiments}
    )
    text = repr(
        (
            _without_fingerprints(evidence.scores),
            evidence.history,
            evidence.records,
            sorted(evidence.plots.items()),
            sorted(evidence.files.items()),
            [(name, evidence.protocol(name)) for name in experiments],
        )
    )
    return _sha(text)


def _without_fingerprints(scores: Any) -> Any:
    """Scores less the content fingerprints of claims and pages: no template shows them,
    and they are functions of page models, which the page digests hold already (so a claim
    edit does not re-render every page). What they decide (staleness) stays in."""
    from wiki.scoring.types import WikiScores

    if not isinstance(scores, WikiScores):
        return scores
    claims = {
        claim_id: dataclasses.replace(score, fingerprint="")
        for claim_id, score in scores.claims.items()
    }
    return dataclasses.replace(scores, fingerprints={}, claims=claims)


@dataclass
class PageInputs:
    """Digests of what each page's rendering reads (see the module docstring)."""

    wiki: Wiki
    settings: Settings
    evidence: Any
    template_dir: Path
    code: str = ""
    global_key: str = ""
    page_json: dict[str, str] = field(default_factory=dict)
    page_hash: dict[str, str] = field(default_factory=dict)
    _shown_hash: dict[str, str] = field(default_factory=dict)  # see shown_hash
    _around: dict[str, set[str]] = field(default_factory=dict)  # see _index_wiki
    _titles: str = ""
    _holder_of: dict[str, str] = field(default_factory=dict)  # page or claim id -> page id
    _claims_text: dict[str, str] = field(default_factory=dict)
    _edge_rows: dict[str, list[str]] = field(default_factory=dict)  # see _edges

    def __post_init__(self) -> None:
        self.code = code_key(self.template_dir)
        self.global_key = _sha(
            self.code,
            repr(self.settings),
            str(self.wiki.root),
            evidence_key(self.wiki, self.evidence),
        )
        self._holder_of = {page_id: page_id for page_id in self.wiki.pages}
        self._holder_of.update((claim, entry.page_id) for claim, entry in self.wiki.claims.items())
        for page in self.wiki.pages.values():
            text = page.model.model_dump_json()
            self.page_json[page.id] = text
            # the file's text too: templates show some values as written (a figure's digits)
            written = hashlib.sha256(page.locations.source.encode("utf-8", "surrogatepass"))
            self.page_hash[page.id] = _sha(
                page.id, page.kind, str(page.path), text, written.hexdigest()
            )

    def bytecode_cache(self, build_dir: Path) -> Any:
        """Compiled templates kept between builds. jinja2 checks each against its source;
        the folder is named after the code key, as the environment's options are code."""
        import shutil

        import jinja2

        folder = build_dir / TEMPLATE_CACHE / self.code[:16]
        for other in folder.parent.glob("*"):
            if other != folder:
                shutil.rmtree(other, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return jinja2.FileSystemBytecodeCache(str(folder))

    def neighbours(self, page: LoadedPage) -> set[str]:
        """Ids of the pages whose content this page's rendering can show (a superset of
        what its template context names: backlinks, dependent theses, citing claims and
        benchmarks; `tests/test_render_cache.py` checks that)."""
        if not self._around:
            self._index_wiki()
        named: set[str] = set(ID_TOKEN.findall(self.page_json[page.id]))
        graph = self.wiki.graph
        for node in (page.id, *self.wiki.claim_ids_of(page.id)):
            if node in graph:
                named.update(graph.references(node))
                named.update(graph.referrers(node))
        named.update(self._around.get(page.id, ()))
        holder_of = self._holder_of
        holders = {holder_of.get(node, "") for node in named}
        holders.discard("")
        holders.discard(page.id)
        return holders

    def _index_wiki(self) -> None:
        """Per page, in one pass: the theses depending on it or its claims (directly or
        through other theses), and the pages citing it in a claim or a benchmark."""
        wiki, around = self.wiki, self._around
        around[""] = set()  # marks the index as built
        graph = wiki.graph
        for thesis in wiki.by_kind("thesis"):
            # everything the thesis refers to, directly or through theses it refers to
            # (any reference, not only depends_on: more than needed is safe)
            seen, frontier = {thesis.id}, [thesis.id]
            while frontier:
                node = frontier.pop()
                for target in graph.references(node) if node in graph else ():
                    holder = self._holder_of.get(target)
                    if holder is not None:
                        around.setdefault(holder, set()).add(thesis.id)
                    is_thesis = holder == target and wiki.pages[target].kind == "thesis"
                    if is_thesis and target not in seen:
                        seen.add(target)
                        frontier.append(target)
        for entry in wiki.claims.values():
            for source in entry.claim.evidence.sources:
                around.setdefault(source, set()).add(entry.page_id)
        for concept in wiki.by_kind("concept"):
            for benchmark in getattr(concept.model, "benchmarks", []):
                around.setdefault(benchmark.source, set()).add(concept.id)

    def page_digest(self, page: LoadedPage) -> str:
        around = sorted(self.neighbours(page))
        return _sha(
            self.global_key,
            "page",
            self.page_hash[page.id],
            *(f"{other}={self.shown_hash(other)}" for other in around),
        )

    def shown_hash(self, page_id: str) -> str:
        """What pages other than `page_id`'s own can show of it: its model without the text
        of its concept sections (templates read another page's title, summary or
        position, claims, benchmarks, confidence: never its sections' text), its benchmark
        figures as written, and the graph edges from it and its claims (a link added in a
        section changes backlinks and local graphs)."""
        found = self._shown_hash.get(page_id)
        if found is not None:
            return found
        page = self.wiki.pages[page_id]
        if getattr(page.model, "sections", None):
            text = page.model.model_dump_json(exclude=SECTION_TEXT)
        else:
            text = self.page_json[page_id]
        figures = [
            page.locations.source_text(("benchmarks", index, "value")) or ""
            for index in range(len(getattr(page.model, "benchmarks", ())))
        ]
        edges = [
            row for node in (page_id, *self.wiki.claim_ids_of(page_id)) for row in self._edges(node)
        ]
        found = _sha(page.id, page.kind, str(page.path), text, *figures, *edges)
        self._shown_hash[page_id] = found
        return found

    def _edges(self, node: str) -> list[str]:
        """`node` and its data, then its outgoing edges and theirs, as text (sorted); made
        for every node of the graph at once (the graph page's digest reads them all)."""
        if not self._edge_rows:
            graph = self.wiki.graph  # read as its digraph holds it, without networkx
            for name in graph.nodes():
                rows = [f"{name}\0{sorted(graph.attributes(name).items())!r}"]
                for target, data in sorted(graph.outgoing(name).items()):
                    relations = ",".join(sorted(data.get("relations", ())))
                    others = ""  # most edges carry relations only (19,000 of them at 1,000)
                    if len(data) > ("relations" in data):
                        others = repr(sorted((k, v) for k, v in data.items() if k != "relations"))
                    rows.append(f"\t{target}\0{relations}\0{others}")
                self._edge_rows[name] = rows
        return self._edge_rows.get(node, [])

    def whole_wiki_digest(self, path: str) -> str:
        """A page reading the whole wiki (home, kind index, runs): every page's id and
        what it shows of itself to others, in page order, and every claim's page."""
        return _sha(
            self.global_key,
            "wiki",
            path,
            self.titles_key(),
            *(f"{page_id}={self.shown_hash(page_id)}" for page_id in self.wiki.pages),
        )

    def titles_key(self) -> str:
        """Every page's id, kind and title (and a source's year), every claim's page: what
        links and citations to them show."""
        if not self._titles:
            self._titles = _sha(
                *(
                    f"{page.id}\0{page.kind}\0{page.model.title}\0{getattr(page.model, 'year', '')}"
                    for page in self.wiki.pages.values()
                ),
                *(f"{claim}\0{entry.page_id}" for claim, entry in self.wiki.claims.items()),
            )
        return self._titles

    def claims_digest(
        self, groups: list[tuple[LoadedPage, list[Any]]], layout: str, shown: Iterable[str] = ()
    ) -> str:
        """A page of the claims index: the claims of the pages it lists, those pages and
        every page their claims name (links show a title and a preview, citations a
        title and year), `shown` (more pages it links to), and `layout`, how the index is
        split in parts."""
        claims = [self._claims_json(page) for page, _ in groups]
        named = {page.id for page, _ in groups} | set(shown)
        for text in claims:
            named.update(ID_TOKEN.findall(text))
        holders = {self._holder_of.get(node, "") for node in named}
        holders.discard("")
        linked = [f"{other}={self.shown_hash(other)}" for other in sorted(holders)]
        return _sha(self.global_key, "claims", layout, self.titles_key(), *claims, *linked)

    def _claims_json(self, page: LoadedPage) -> str:
        text = self._claims_text.get(page.id)
        if text is None:
            held = getattr(page.model, "claims", [])
            text = f"{page.id}\0{_CLAIMS_JSON.dump_json(held).decode()}"
            self._claims_text[page.id] = text
        return text

    def graph_digest(self) -> str:
        """graph.md and the graph data file: the wiki graph (nodes, edges and their data),
        every title and every claim (the data file shows statements and grades)."""
        rows = [row for node in sorted(self.wiki.graph.nodes()) for row in self._edges(node)]
        claims = [self._claims_json(page) for page in self.wiki.pages.values()]
        return _sha(self.global_key, "graph", self.titles_key(), *rows, *claims)


@dataclass
class RenderCache:
    """Last build's page digests and output hashes, and this build's, for the docs tree."""

    docs: Path  # the Markdown tree the last build wrote
    recorded: dict[str, list[str]] = field(default_factory=dict)
    fresh: dict[str, list[str]] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    rendered: list[str] = field(default_factory=list)  # paths rendered (stored) this build

    @classmethod
    def load(cls, build_dir: Path) -> RenderCache:
        """The cache of the docs tree in `build_dir` (empty when missing or unreadable)."""
        cache = cls(build_dir / "docs")
        try:
            data = json.loads((build_dir / CACHE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cache
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT:
            pages = data.get("pages")
            if isinstance(pages, dict):
                cache.recorded = pages
        return cache

    def cached(self, path: str, digest: str) -> str | None:
        """The Markdown rendered last time for `path`, if it was rendered from `digest`
        and the docs tree still holds exactly it."""
        entry = self.recorded.get(path)
        if entry is None or entry[0] != digest:
            self.misses += 1
            return None
        try:
            data = (self.docs / path).read_bytes()
        except OSError:
            self.misses += 1
            return None
        if hashlib.sha256(data).hexdigest() != entry[1]:
            self.misses += 1
            return None
        self.hits += 1
        self.fresh[path] = entry
        return data.decode("utf-8")

    def reuse(self, path: str, digest: str | None, make: Callable[[], str]) -> str:
        """The cached file for `path` if made from `digest`, else `make()` (then stored)."""
        if digest is None:
            return make()
        found = self.cached(path, digest)
        if found is None:
            found = make()
            self.store(path, digest, found)
        return found

    def store(self, path: str, digest: str, markdown: str) -> None:
        self.rendered.append(path)
        self.fresh[path] = [digest, hashlib.sha256(markdown.encode("utf-8")).hexdigest()]

    def save(self, build_dir: Path) -> None:
        """Record this build's entries (call once the docs tree holds what was rendered)."""
        from wiki.mkdocs_config import write_generated

        if self.fresh == self.recorded:
            return  # nothing rendered anew: leave the file as it is
        data = {"format": CACHE_FORMAT, "pages": dict(sorted(self.fresh.items()))}
        write_generated(build_dir / CACHE_FILE, json.dumps(data).encode("utf-8"))


def forget(build_dir: Path) -> None:
    (build_dir / CACHE_FILE).unlink(missing_ok=True)
