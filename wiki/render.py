"""Wiki -> Markdown tree: one jinja2 template per page kind, plus index, claims and graph pages.

`render_pages` returns {relative Markdown path: content}; `wiki.site` writes and publishes
it. Everything a template shows is either in the page's model or derived here from the
wiki graph (backlinks, dependent theses, citing claims), never written by hand.

Layout of the tree:

    index.md                      home: counts per kind, links to the index pages
    concepts.md entities.md sources.md theses.md   one index page per kind
    claims.md                     every claim with its page, grade and sources (or, above
                                  CLAIMS_PER_PAGE claims, a list of claims/<n>.md parts)
    graph.md                      the thesis-dependency graph (inline SVG)
    runs.md                       every recorded run (the ledger), anchors run-<key>
    plots/<name>.svg              plots of recorded runs (only with evidence)
    assets/graph-data.js          the whole graph, loaded by the graph page only
    concepts/<id>.md entities/<id>.md sources/<id>.md theses/<id>.md
"""

from __future__ import annotations

import functools
import posixpath
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from wiki.corpus import Wiki
from wiki.graph_data import plain_statement
from wiki.load import LoadedPage
from wiki.markdown_text import (
    LinkTarget,
    attribute_entities,
    code_text,
    entities,
    plain_text,
    prose_block,
    prose_inline,
)
from wiki.prose_parser import UrlKind, url_kind
from wiki.schema import GRADE_ORDER, PAGE_KINDS, Concept, Source, Thesis
from wiki.settings import Settings

if TYPE_CHECKING:
    from wiki.depgraph import Mark
    from wiki.render_cache import PageInputs, RenderCache

PACKAGED_TEMPLATES = Path(__file__).resolve().parent / "templates"  # in an installed wheel
SOURCE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"  # in a source checkout
TEMPLATE_DIR = PACKAGED_TEMPLATES if PACKAGED_TEMPLATES.is_dir() else SOURCE_TEMPLATES

KIND_FOLDERS = {
    "concept": "concepts",
    "entity": "entities",
    "source": "sources",
    "thesis": "theses",
}
KIND_TITLES = {"concept": "Concepts", "entity": "Entities", "source": "Sources", "thesis": "Theses"}
HOME_PAGE = "index.md"
CLAIMS_PAGE = "claims.md"
CLAIMS_FOLDER = "claims"  # claims/1.md ... when the index is split
# Above this many claims the claims index is split into parts: a 1,000-page wiki's single
# index was 1.1 MB of Markdown, the one page that dominated the build and the search index.
CLAIMS_PER_PAGE = 300
GRAPH_PAGE = "graph.md"
RUNS_PAGE = "runs.md"
INDEX_PAGES = {kind: f"{folder}.md" for kind, folder in KIND_FOLDERS.items()}
# mkdocs builds with use_directory_urls: false, so page.md becomes page.html (see wiki.site).
HTML_SUFFIX = ".html"


def claim_anchor(claim_id: str) -> str:
    """The HTML id of a claim on its page: 'claim:a-claim'. Heading ids from mkdocs'
    toc never hold a ':', so no heading of the page (a template's 'runs' or 'changelog',
    or an author's section) can take the same id."""
    return f"claim:{claim_id}"


def page_path(kind: str, page_id: str) -> str:
    """Where a page's Markdown lives in the tree, e.g. 'concepts/topic.md'."""
    return f"{KIND_FOLDERS[kind]}/{page_id}.md"


def render_pages(
    wiki: Wiki, settings: Settings, evidence: Any = None, cache: RenderCache | None = None
) -> dict[str, str]:
    """Render every page of the wiki, the index pages, the claims index and the graph page.

    `evidence` is the scoring result of `wiki.scoring` (None: only literature grades show);
    it reaches every template unchanged as the variable `evidence`. With a `cache`
    (`wiki.render_cache`), a page whose inputs are unchanged since the last build is taken
    from it instead of rendered; the result is the same either way.
    """
    from wiki.forked import MIN_ITEMS_TO_FORK, build_processes, map_in_processes
    from wiki.graph_data import GRAPH_DATA_FILE, LocalGraphs, graph_document, graph_script

    environment = template_environment(settings.templates)
    claims_citing = _claims_by_source(wiki)
    benchmarks_by_source = _benchmarks_by_source(wiki)
    made: dict[str, Any] = {}  # the graph document, made only when a page needs it

    def whole_graph() -> dict[str, Any]:
        if "document" not in made:
            made["document"] = graph_document(wiki, evidence)
        return made["document"]

    def local_graphs() -> LocalGraphs:
        if "local" not in made:  # a few pages to render: their neighbourhoods only
            few = len(jobs) < MIN_ITEMS_TO_FORK
            made["local"] = (
                LocalGraphs.of_wiki(wiki, evidence) if few else LocalGraphs(whole_graph())
            )
        return made["local"]

    def local_graph(node_id: str) -> str:
        return local_graphs().html(node_id)

    shared = {
        "wiki": wiki,
        "settings": settings,
        "evidence": evidence,
        "site_title": settings.title,
        "claims_citing": claims_citing,
        "figure_value": WrittenFigures(wiki),
        "local_graph": local_graph,  # each page's neighbourhood, inline
    }
    pages: dict[str, str] = {}
    inputs = cache_inputs(wiki, settings, evidence, cache)
    if inputs is not None and cache is not None:
        environment.bytecode_cache = inputs.bytecode_cache(cache.docs.parent)
    digests: dict[str, str] = {}

    # (path, template, context) of every page to render; rendered below, in processes
    jobs: list[tuple[str, str, Callable[[], dict[str, Any]]]] = []

    def render(path: str, template: str, context: Callable[[], dict[str, Any]]) -> None:
        pages[path] = ""  # keeps the tree's order
        jobs.append((path, template, context))

    def reused(path: str, digest: str | None) -> bool:
        """Take `path` from the cache if it was rendered from the same inputs."""
        if cache is None or digest is None:
            return False
        markdown = cache.cached(path, digest)
        if markdown is None:
            digests[path] = digest
            return False
        pages[path] = markdown
        return True

    def whole_wiki(path: str) -> str | None:
        return inputs.whole_wiki_digest(path) if inputs else None

    if not reused(HOME_PAGE, whole_wiki(HOME_PAGE)):
        render(HOME_PAGE, "home.md.j2", lambda: _home_context(wiki))
    for kind in PAGE_KINDS:
        if not reused(INDEX_PAGES[kind], whole_wiki(INDEX_PAGES[kind])):
            render(
                INDEX_PAGES[kind],
                f"{kind}_index.md.j2",
                functools.partial(_index_context, wiki, kind),
            )
    parts = claims_parts(wiki)
    layout = repr([(part.path, part.first, part.last, part.count) for part in parts])
    if len(parts) == 1:
        groups = parts[0].groups
        if not reused(CLAIMS_PAGE, inputs.claims_digest(groups, "one") if inputs else None):
            render(CLAIMS_PAGE, "claims.md.j2", lambda: _claims_context(groups, [], None))
    else:
        ends = [end for part in parts for end in (part.first, part.last)]
        if not reused(CLAIMS_PAGE, inputs.claims_digest([], layout, ends) if inputs else None):
            render(CLAIMS_PAGE, "claims.md.j2", lambda: _claims_context([], parts, None))
        for part in parts:
            digest = (
                inputs.claims_digest(part.groups, f"{part.number}:{layout}") if inputs else None
            )
            if not reused(part.path, digest):
                render(
                    part.path,
                    "claims.md.j2",
                    functools.partial(_claims_context, part.groups, parts, part),
                )
    graph_digest = inputs.graph_digest() if inputs else None
    if not reused(GRAPH_PAGE, graph_digest):
        render(GRAPH_PAGE, "graph.md.j2", lambda: _graph_context(wiki, evidence))
    if not reused(RUNS_PAGE, whole_wiki(RUNS_PAGE)):
        render(RUNS_PAGE, "runs.md.j2", lambda: _runs_context(evidence))
    special = len(jobs)  # the index pages: the heaviest, rendered first
    for page in wiki.pages.values():
        path = page_path(page.kind, page.id)
        if not reused(path, inputs.page_digest(page) if inputs else None):
            render(
                path,
                f"{page.kind}.md.j2",
                functools.partial(
                    _page_context, wiki, page, benchmarks_by_source, claims_citing, evidence
                ),
            )

    def render_one(job: tuple[str, str, Callable[[], dict[str, Any]]]) -> str:
        path, template, context = job
        links = PageLinks(wiki, path, settings.allow_remote_images)
        text = environment.get_template(template).render(**shared, **links.functions(), **context())
        return _tidy(text)

    # From MIN_ITEMS_TO_FORK pages on, in `build_processes()` processes, each taking the
    # next page nobody has taken (heaviest first), forked once the shared data is made.
    processes = build_processes() if len(jobs) >= MIN_ITEMS_TO_FORK else 1
    weights = None
    if processes > 1:  # what every process reads, made once here before the fork
        local_graphs()
        for template in sorted({template for _, template, _ in jobs}):
            environment.get_template(template)  # compiled once, not in each process
        weights = [
            sys.maxsize if index < special else _size_of(wiki.pages[Path(path).stem].path)
            for index, (path, _, _) in enumerate(jobs)
        ]
    if processes > 1:  # pages travel and wait as UTF-8: a str with one non-ASCII
        # character takes 2 bytes a character, and both processes hold their share of
        # pages until the children are done (at 5,000 pages: ~60 MiB less in each)
        rendered = (
            markdown.decode("utf-8")
            for markdown in map_in_processes(
                lambda job: render_one(job).encode("utf-8"), jobs, processes, weights
            )
        )
    else:
        rendered = (render_one(job) for job in jobs)
    for (path, _, _), markdown in zip(jobs, rendered, strict=True):
        pages[path] = markdown
        if cache is not None and path in digests:
            cache.store(path, digests.pop(path), markdown)
    # the whole graph, for the graph page only (made from what graph.md is made from)
    data_digest = f"{graph_digest}:data" if graph_digest else None
    make_data = lambda: graph_script(whole_graph())  # noqa: E731
    pages[GRAPH_DATA_FILE] = (
        cache.reuse(GRAPH_DATA_FILE, data_digest, make_data) if cache else make_data()
    )
    if evidence is not None:
        pages.update(evidence.files)  # plots of recorded runs
    return pages


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def cache_inputs(
    wiki: Wiki, settings: Settings, evidence: Any, cache: RenderCache | None
) -> PageInputs | None:
    """The page digests for `cache`; None (render everything) without a cache or with user
    templates, which may read any page."""
    if cache is None or settings.templates is not None:
        return None
    from wiki.render_cache import PageInputs

    return PageInputs(wiki, settings, evidence, TEMPLATE_DIR)


def _index_context(wiki: Wiki, kind: str) -> dict[str, Any]:
    return {"pages": wiki.by_kind(kind), "kind": kind}


def _claims_context(groups: Any, parts: list[Any], part: Any) -> dict[str, Any]:
    return {"claims": groups, "parts": parts, "part": part}


def _graph_context(wiki: Wiki, evidence: Any) -> dict[str, Any]:
    svg, drawn_nodes = _graph_svg(wiki, evidence)
    return {"svg": svg, "static_nodes": drawn_nodes}


def _runs_context(evidence: Any) -> dict[str, Any]:
    if evidence is None:
        return {"runs_by_experiment": {}, "code_fingerprint": ""}
    from wiki.evidence import records_by_experiment

    return {
        "runs_by_experiment": records_by_experiment(evidence.records),
        "code_fingerprint": evidence.scores.code_fingerprint,
    }


def template_environment(user_templates: Path | None = None) -> jinja2.Environment:
    """The jinja2 environment for templates/: Markdown output, so no HTML autoescape;
    escaping is explicit (`| text` for plain strings, `prose()` for Markdown fields).

    A template of the same name in `user_templates` (`[tool.wiki] templates`) wins over
    the packaged one; every other template still comes from the package."""
    loaders = [jinja2.FileSystemLoader(TEMPLATE_DIR)]
    if user_templates is not None:
        loaders.insert(0, jinja2.FileSystemLoader(user_templates))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # templates are cached; don't stat each file on every page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["text"] = plain_text
    environment.filters["title_text"] = title_text
    environment.filters["code"] = code_text
    environment.filters["number"] = format_number
    environment.filters["external_link"] = external_link
    environment.globals["GRADE_ORDER"] = GRADE_ORDER
    environment.globals["KIND_TITLES"] = KIND_TITLES
    environment.globals["INDEX_PAGES"] = INDEX_PAGES
    environment.globals["claim_anchor"] = claim_anchor
    return environment


def format_number(value: float) -> str:
    """77.3 -> '77.3', 80.0 -> '80': the shortest form that reads back as the same float."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# A number as an author writes one: digits, a decimal point, an exponent. YAML spellings
# such as `1_000`, `0x1F` or `.inf` are shown in the shortest form instead.
WRITTEN_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


class WrittenFigures:
    """Benchmark values as the YAML writes them: `84.0` shows as '84.0', `84` as '84'.

    The model keeps the float (sorting, fingerprints and scores use it); the text comes
    from the scalar's source, found through the page's node locations. Benchmarks are
    looked up by identity: two pages may cite equal figures written differently.
    """

    def __init__(self, wiki: Wiki) -> None:
        self._written: dict[int, tuple[Any, str]] = {}
        for page in wiki.by_kind("concept"):
            for index, benchmark in enumerate(_concept(page).benchmarks):
                text = page.locations.source_text(("benchmarks", index, "value"))
                if text is not None and WRITTEN_NUMBER.fullmatch(text):
                    self._written[id(benchmark)] = (benchmark, text.lstrip("+"))

    def __call__(self, benchmark: Any) -> str:
        """The benchmark's value as written, else in its shortest form."""
        entry = self._written.get(id(benchmark))
        if entry is not None and entry[0] is benchmark:
            return entry[1]
        return format_number(benchmark.value)


def title_text(text: str) -> str:
    """Markdown for a page title (the H1). mkdocs-material writes the title into <title>
    through `striptags`, which turns `&lt;` back into `<`; a zero-width space after each `<`
    keeps a title like `</title><script>` from closing the element there."""
    return plain_text(text).replace("&lt;", "&lt;\u200b")


def external_link(url: str) -> str:
    """An http(s) or mailto URL as a link (HTML, so no character of it is read as Markdown);
    anything else only as text, never a link (`wiki check` reports it)."""
    if url_kind(url) in (UrlKind.REMOTE, UrlKind.MAILTO):
        return f'<a href="{attribute_entities(url)}">{entities(url)}</a>'
    return plain_text(url)


@dataclass(frozen=True)
class PageLinks:
    """Links from one page of the tree to any page or claim, as relative Markdown paths."""

    wiki: Wiki
    from_path: str
    allow_remote_images: bool = False  # see `[tool.wiki] allow_remote_images`

    def url(self, node_id: str) -> str:
        """Relative URL of a page ('../sources/a-paper.md') or claim ('topic.md#a-claim')."""
        entry = self.wiki.claims.get(node_id)
        page = self.wiki.pages[entry.page_id if entry else node_id]
        target = page_path(page.kind, page.id)
        relative = _relative_path(target, posixpath.dirname(self.from_path))
        if entry is None:
            return relative
        anchor = claim_anchor(node_id)
        return f"#{anchor}" if target == self.from_path else f"{relative}#{anchor}"

    def label(self, node_id: str) -> str:
        """Plain-text name of a page (its title) or claim (its id)."""
        return node_id if node_id in self.wiki.claims else self.wiki.pages[node_id].model.title

    def link(self, node_id: str, label: str | None = None) -> str:
        """A Markdown link to a page or claim; `label` is plain text (escaped here). Its
        hover title previews the target (see `preview`)."""
        preview = self.preview(node_id)
        title = f' "{preview}"' if preview else ""
        return f"[{plain_text(label or self.label(node_id))}]({self.url(node_id)}{title})"

    def preview(self, node_id: str) -> str:
        """What a link's hover shows (the theme's tooltips, from file:// too): a claim's
        statement, a concept's or entity's summary, a thesis's position, a source's title;
        one line of plain text, escaped for a Markdown link title."""
        text = self.preview_text(node_id)
        return plain_text(text).replace('"', "&quot;") if text else ""

    def preview_text(self, node_id: str) -> str:
        """The hover preview as one line of text, unescaped (for an HTML attribute)."""
        entry = self.wiki.claims.get(node_id)
        if entry is not None:
            text = entry.claim.statement
        else:
            model = self.wiki.pages[node_id].model
            text = getattr(model, "summary", "") or getattr(model, "position", "")
            if isinstance(model, Source):
                text = model.title
        return plain_statement(text) if text else ""

    def cite(self, node_id: str) -> str:
        """A compact link for lists of citations: a source shows as its short name and year
        ('DINO (2021)' from `short:`, else 'Name (2025)' for 'Name: a long subtitle') with
        the full title on hover; any other page or claim as `link` does."""
        page = self.wiki.pages.get(node_id)
        if page is None or not isinstance(page.model, Source):
            return self.link(node_id)
        label = f"{source_name(page.model)} ({page.model.year})"
        return f'[{plain_text(label)}]({self.url(node_id)} "{self.preview(node_id)}")'

    def resolve(self, node_id: str) -> LinkTarget | None:
        if node_id not in self.wiki.claims and node_id not in self.wiki.pages:
            return None
        return LinkTarget(self.url(node_id), self.label(node_id), self.preview_text(node_id))

    def prose(self, text: str) -> str:
        """A Markdown prose field as a block of its own."""
        return prose_block(text, self.resolve, allow_remote_images=self.allow_remote_images)

    def prose_inline(self, text: str) -> str:
        """A Markdown prose field inside one line (a list item)."""
        return prose_inline(text, self.resolve, allow_remote_images=self.allow_remote_images)

    def prose_cell(self, text: str) -> str:
        """A Markdown prose field inside a table cell."""
        return prose_inline(
            text, self.resolve, table=True, allow_remote_images=self.allow_remote_images
        )

    def relative(self, tree_path: str) -> str:
        """A path of the tree ('plots/a.svg') relative to this page."""
        return _relative_path(tree_path, posixpath.dirname(self.from_path))

    def functions(self) -> dict[str, Any]:
        return {
            "path": self.from_path,
            "relative": self.relative,
            "runs_url": self.relative(RUNS_PAGE),
            "url": self.url,
            "label": self.label,
            "link": self.link,
            "cite": self.cite,
            "prose": self.prose,
            "prose_inline": self.prose_inline,
            "prose_cell": self.prose_cell,
        }


@functools.lru_cache(maxsize=65536)
def _relative_path(target: str, from_folder: str) -> str:
    # relpath is slow and every page links to many others: cache it.
    return posixpath.relpath(target, from_folder or ".")


SHORT_TITLE_CHARS = 40


def source_name(source: Source) -> str:
    """What a citation calls a source: its `short:` name, else its title shortened."""
    return source.short or short_title(source.title)


def short_title(title: str) -> str:
    """The name before a subtitle ('Name: a long subtitle' -> 'Name'), else the title cut
    at a word boundary."""
    head, colon, _ = title.partition(":")
    if colon and 0 < len(head.strip()) <= SHORT_TITLE_CHARS:
        return head.strip()
    if len(title) <= SHORT_TITLE_CHARS:
        return title
    return title[:SHORT_TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def _page_context(
    wiki: Wiki,
    page: LoadedPage,
    benchmarks_by_source: dict[str, list[tuple[LoadedPage, Any]]],
    claims_citing: dict[str, list[str]],
    evidence: Any = None,
) -> dict[str, Any]:
    """What a page's template needs beyond its model: everything derived from the graph
    (and, for a thesis with evidence, the claims that moved since its review)."""
    context: dict[str, Any] = {
        "page": page,
        "model": page.model,
        "source_file": _display_source(wiki, page),
        "backlinks": sorted(wiki.backlinks(page.id), key=lambda i: _title_key(wiki, i)),
        "dependent_theses": wiki.theses_depending_on(page.id),
    }
    if isinstance(page.model, Concept):
        context["changelog"] = sorted(page.model.changelog, key=lambda e: e.date, reverse=True)
        context["claim_theses"] = {
            claim.id: wiki.theses_depending_on(claim.id) for claim in page.model.claims
        }
    if page.kind == "source":
        context["citing_claims"] = [wiki.claims[claim] for claim in claims_citing.get(page.id, [])]
        context["citing_benchmarks"] = benchmarks_by_source.get(page.id, [])
    if page.kind == "thesis":
        context["claim_moves"] = thesis_moves(wiki, evidence, page.id)
    return context


def _benchmarks_by_source(wiki: Wiki) -> dict[str, list[tuple[LoadedPage, Any]]]:
    """(concept, benchmark) pairs per cited source id, in page order."""
    cited: dict[str, list[tuple[LoadedPage, Any]]] = {}
    for concept in wiki.by_kind("concept"):
        for benchmark in _concept(concept).benchmarks:
            cited.setdefault(benchmark.source, []).append((concept, benchmark))
    return cited


def _claims_by_source(wiki: Wiki) -> dict[str, list[str]]:
    """`wiki.claims_citing` for every source at once (one pass instead of one per source)."""
    citing: dict[str, list[str]] = {}
    for claim_id, entry in wiki.claims.items():
        for source in dict.fromkeys(entry.claim.evidence.sources):
            citing.setdefault(source, []).append(claim_id)
    return {source: sorted(claims) for source, claims in citing.items()}


def _title_key(wiki: Wiki, page_id: str) -> tuple[str, str]:
    return (wiki.pages[page_id].model.title.casefold(), page_id)


def _display_source(wiki: Wiki, page: LoadedPage) -> str:
    try:
        return page.path.relative_to(wiki.root).as_posix()
    except ValueError:
        return page.path.name


@dataclass(frozen=True)
class ClaimMove:
    """A claim a thesis leans on whose grade moved since the thesis was reviewed."""

    claim_id: str
    old: Any  # the Grade at the review (None: statement, sources or benchmarks changed)
    score: Any  # its ClaimScore now: effective grade and verdict
    via: tuple[str, ...]  # the concept or theses it reaches the thesis through, if any


def thesis_moves(wiki: Wiki, evidence: Any, thesis_id: str) -> list[ClaimMove]:
    """Each claim behind a stale thesis (directly, through a concept, or through a stale
    thesis it builds on) whose fingerprint differs from the one its review recorded, with
    the grade it had then. Only hashes are recorded, so the old grade is the one under
    which today's claim hashes to the recorded fingerprint (as `wiki.scoring.staleness`
    explains it); a claim is listed once: as its own dependency if it is one, else through
    the first concept or thesis that leads to it."""
    if evidence is None or thesis_id not in evidence.scores.theses:
        return []
    moves: dict[str, ClaimMove] = {}

    def visit(current: str, via: tuple[str, ...]) -> None:
        thesis = wiki.pages[current].model
        assert isinstance(thesis, Thesis), current  # only theses depend on theses
        recorded = thesis.reviewed.fingerprints if thesis.reviewed else {}
        # Claims it names first, then its concepts, then the theses it builds on.
        order = ("claim", "concept", "thesis")
        for dependency in sorted(thesis.depends_on, key=lambda d: order.index(d.target_kind)):
            target, kind = dependency.target, dependency.target_kind
            if kind == "thesis":
                upstream = evidence.scores.theses.get(target)
                if upstream is not None and upstream.stale and target not in (current, *via):
                    visit(target, (*via, target))
                continue
            if target not in recorded or recorded[target] == evidence.scores.fingerprints.get(
                target
            ):
                continue
            changed = _moved_claims(wiki, evidence, kind, target, recorded[target])
            for claim_id, old in changed:
                through = via if kind == "claim" else (*via, target)
                moves.setdefault(
                    claim_id, ClaimMove(claim_id, old, evidence.claim(claim_id), through)
                )

    visit(thesis_id, ())
    return list(moves.values())


def _moved_claims(
    wiki: Wiki, evidence: Any, kind: str, target: str, recorded: str
) -> list[tuple[str, Any]]:
    """(claim id, old grade) of a claim or concept dependency whose fingerprint changed: the
    claim itself (old grade None when more than its grade changed), or the one claim of the
    concept whose old grade explains the recorded concept fingerprint (none if no grade does)."""
    from wiki.scoring.staleness import moved_concept_claim, old_claim_grade

    claims, fingerprints = evidence.scores.claims, evidence.scores.fingerprints
    if kind == "claim" and target in wiki.claims:
        return [(target, old_claim_grade(wiki, claims, target, recorded))]
    if kind == "concept" and target in wiki.pages:
        moved = moved_concept_claim(wiki, claims, fingerprints, target, recorded)
        return [moved] if moved is not None else []
    return []


RECENT_CHANGES = 10


def _concept(page: LoadedPage) -> Concept:
    assert isinstance(page.model, Concept), page.id  # callers pass concept pages only
    return page.model


def _home_context(wiki: Wiki) -> dict[str, Any]:
    grades = Counter(entry.claim.evidence.grade for entry in wiki.claims.values())
    changes = [
        (entry, page) for page in wiki.by_kind("concept") for entry in _concept(page).changelog
    ]
    changes.sort(key=lambda change: (change[0].date, change[1].id), reverse=True)
    return {
        "theses": wiki.by_kind("thesis"),
        "recent_changes": changes[:RECENT_CHANGES],
        "counts": {kind: len(wiki.by_kind(kind)) for kind in PAGE_KINDS},
        "claim_count": len(wiki.claims),
        "grade_counts": [(grade, grades.get(grade, 0)) for grade in reversed(GRADE_ORDER)],
    }


@dataclass(frozen=True)
class ClaimsPart:
    """One page of a claims index split for size: the pages whose claims it lists."""

    path: str  # 'claims/2.md'
    number: int
    groups: list[tuple[LoadedPage, list[Any]]]

    @property
    def first(self) -> str:
        return self.groups[0][0].id

    @property
    def last(self) -> str:
        return self.groups[-1][0].id

    @property
    def count(self) -> int:
        return sum(len(entries) for _, entries in self.groups)


def claims_parts(wiki: Wiki, per_page: int | None = None) -> list[ClaimsPart]:
    """The claims index as one part (`claims.md` itself) or, above `per_page` claims
    (CLAIMS_PER_PAGE), as parts `claims/1.md`... of whole pages in id order, each holding
    at most `per_page` claims unless one page alone holds more."""
    limit = CLAIMS_PER_PAGE if per_page is None else per_page
    groups = _claims_by_page(wiki)
    if sum(len(entries) for _, entries in groups) <= limit:
        return [ClaimsPart(CLAIMS_PAGE, 1, groups)]
    chunks: list[list[tuple[LoadedPage, list[Any]]]] = [[]]
    held = 0
    for group in groups:
        if chunks[-1] and held + len(group[1]) > limit:
            chunks.append([])
            held = 0
        chunks[-1].append(group)
        held += len(group[1])
    return [
        ClaimsPart(f"{CLAIMS_FOLDER}/{number}.md", number, chunk)
        for number, chunk in enumerate(chunks, 1)
    ]


def _claims_by_page(wiki: Wiki) -> list[tuple[LoadedPage, list[Any]]]:
    """Claims grouped by the page holding them, pages by id, claims in page order."""
    grouped: dict[str, list[Any]] = {}
    for entry in wiki.claims.values():
        grouped.setdefault(entry.page_id, []).append(entry)
    return [
        (wiki.pages[page_id], sorted(entries, key=lambda e: e.index))
        for page_id, entries in sorted(grouped.items())
    ]


# Beyond this many nodes the static drawing (for readers without scripts) is left out: at
# 5,000 generated pages it was 9.7 MB of SVG that the browser parsed before the page showed.
STATIC_GRAPH_MAX_NODES = 400


def _graph_svg(wiki: Wiki, evidence: Any) -> tuple[str, int]:
    """The thesis-dependency graph as inline SVG, node links relative to graph.md; with
    evidence, stale theses and claims' effective grades and verdicts are marked. With its
    node count; no SVG ('') above STATIC_GRAPH_MAX_NODES."""
    from wiki import depgraph  # networkx: only when the graph page is rendered

    links = PageLinks(wiki, GRAPH_PAGE)
    graph = depgraph.thesis_dependency_graph(wiki.graph.digraph)
    if graph.number_of_nodes() > STATIC_GRAPH_MAX_NODES:
        return "", graph.number_of_nodes()
    svg = depgraph.draw_svg(
        graph,
        href=lambda node: _as_html(links.url(node)),
        label=links.label,
        mark=lambda node: _graph_mark(wiki, evidence, node),
    )
    return svg, graph.number_of_nodes()


def _graph_mark(wiki: Wiki, evidence: Any, node: str) -> Mark | None:
    from wiki.depgraph import Mark

    if evidence is None:
        return None
    if node in wiki.claims:
        score = evidence.claim(node)
        grade = score.effective_grade.value
        moved = score.effective_grade is not score.literature_grade
        text = f"{score.literature_grade.value}→{grade}" if moved else grade
        return Mark(f"{text}, {score.verdict.value}", alert=moved)
    if node in evidence.scores.theses and evidence.thesis(node).stale:
        return Mark("STALE", alert=True)
    return None


def _as_html(markdown_url: str) -> str:
    # Raw HTML links are not rewritten by mkdocs, so they must name the built file.
    path, hash_sign, anchor = markdown_url.partition("#")
    if path.endswith(".md"):
        path = path[: -len(".md")] + HTML_SUFFIX
    return path + hash_sign + anchor


BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(markdown: str) -> str:
    """At most one blank line in a row and exactly one newline at the end."""
    return BLANK_LINES.sub("\n\n", markdown).strip() + "\n"
