"""The linked wiki: pages and claims by id, references resolved, every error of a run collected.

`load_wiki` reads the content root, then links: duplicate ids, references to ids
that do not exist or have the wrong kind, `[[links]]` in prose and dependency
cycles between theses are all reported together, each at its file:line:col.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wiki import schema
from wiki.errors import ContentError, ContentErrors, display_path
from wiki.graph import CONTAINS, DEPENDS_ON, WikiGraph
from wiki.load import DEFAULT_MAX_PAGE_BYTES, FieldPath, LoadedPage, did_you_mean, load_tree
from wiki.parse_cache import ParseCache
from wiki.prose_check import url_diagnostics
from wiki.references import LINK_PATTERN, Reference, page_references

__all__ = ["LINK_PATTERN", "ClaimEntry", "Reference", "Wiki", "load_wiki"]

PAGE_KINDS = schema.PAGE_KINDS


@dataclass
class ClaimEntry:
    """A claim with the page that holds it and its position in that page's `claims`."""

    claim: schema.Claim
    page_id: str
    index: int


class Wiki:
    """Every valid page and claim of a content root, linked."""

    def __init__(
        self,
        root: Path,
        pages: dict[str, LoadedPage],
        claims: dict[str, ClaimEntry],
        graph: WikiGraph,
        warnings: list[ContentError] | None = None,
    ) -> None:
        self.root = root
        self.pages = dict(sorted(pages.items()))
        self.claims = claims
        self.graph = graph
        self.warnings = warnings or []

    def by_kind(self, kind: str) -> list[LoadedPage]:
        """Pages of one kind, sorted by id."""
        return [page for page in self.pages.values() if page.kind == kind]

    def kind_of(self, node_id: str) -> str:
        """'concept', 'entity', 'source', 'thesis' or 'claim' (KeyError for an unknown id)."""
        if node_id in self.claims:
            return "claim"
        return self.pages[node_id].kind

    def page_of(self, node_id: str) -> LoadedPage:
        """The page holding a page or claim id."""
        entry = self.claims.get(node_id)
        return self.pages[entry.page_id if entry else node_id]

    def backlinks(self, page_id: str) -> list[str]:
        """Pages whose content refers to this page or one of its claims, itself excluded."""
        ids = [page_id, *self.claim_ids_of(page_id)]
        referring = {self.graph.page_of(ref) for node in ids for ref in self.graph.referrers(node)}
        referring.discard(page_id)
        return sorted(referring)

    def claim_ids_of(self, page_id: str) -> list[str]:
        """Ids of the claims a page holds, in page order."""
        model = self.pages[page_id].model
        return [claim.id for claim in getattr(model, "claims", [])]

    def theses_depending_on(self, node_id: str) -> list[str]:
        """Theses that depend on this page or claim, directly or through other theses."""
        return self.graph.theses_depending_on(node_id)

    def claims_citing(self, source_id: str) -> list[str]:
        """Ids of the claims whose evidence cites `source_id`, sorted."""
        return sorted(
            claim_id
            for claim_id, entry in self.claims.items()
            if source_id in entry.claim.evidence.sources
        )

    def location(self, page_id: str, field_path: FieldPath) -> tuple[Path, int, int]:
        """(file, line, col) of a field of a page, or of its nearest existing ancestor."""
        page = self.pages[page_id]
        return (page.path, *page.locations.at(field_path))


def load_wiki(
    root: Path,
    check_experiments: Callable[[Wiki], list[ContentError]] | None = None,
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
    allow_remote_images: bool = False,
    parse_cache: ParseCache | None = None,
) -> Wiki:
    """Load and link every page under `root`.

    Raises `ContentErrors` holding every error of the run (with the partly linked wiki
    as `.wiki`); `check_experiments(wiki)` adds the experiment checks of `wiki verify`.
    Pages that failed validation are linked from their raw values: their link errors
    are reported in the same run, and what they cite counts as cited. URLs in prose are
    checked (`wiki.prose_check`); remote images are errors unless `allow_remote_images`.
    Files whose text `parse_cache` holds are not parsed again (`wiki build` records it,
    `wiki check` only reads it).
    """
    if not root.is_dir():
        raise FileNotFoundError(f"content root {root} is not a folder")
    loaded = load_tree(root, max_page_bytes, parse_cache)
    errors = list(loaded.errors)
    pages = _unique_pages(loaded.pages, errors)
    claims = _unique_claims(pages, errors)
    references = [
        ref
        for page in pages.values()
        for ref in page_references(page.id, page.kind, page.model, page.path, page.locations)
    ]
    failed_references = [
        ref
        for page in loaded.failed
        for ref in page_references(page.id, page.kind, page.data, page.path, page.locations)
    ]
    wiki = Wiki(root, pages, claims, _build_graph(pages, claims, references))
    known = loaded.unloaded_ids  # ids of files with their own errors: not dangling
    errors.extend(_reference_errors(wiki, [*references, *failed_references], known))
    errors.extend(_cycle_errors(wiki))
    url_errors, url_warnings = url_diagnostics(pages.values(), allow_remote_images)
    errors.extend(url_errors)
    cited_by_failed = {ref.target for ref in failed_references}
    wiki.warnings = sorted(
        [*loaded.warnings, *_warnings(wiki, cited_by_failed), *url_warnings],
        key=ContentError.sort_key,
    )
    if check_experiments is not None:
        errors.extend(check_experiments(wiki))
    if errors:
        raise ContentErrors(errors, wiki)
    return wiki


# --- ids ---------------------------------------------------------------------------------


def _unique_pages(pages: list[LoadedPage], errors: list[ContentError]) -> dict[str, LoadedPage]:
    unique: dict[str, LoadedPage] = {}
    for page in pages:
        first = unique.get(page.id)
        if first is None:
            unique[page.id] = page
            continue
        errors.append(
            ContentError(
                page.path,
                1,
                1,
                f"duplicate page id {page.id!r}: also defined in {display_path(first.path)}",
                "a page id is its file name and must be unique across sub-folders; rename one",
            )
        )
    return dict(sorted(unique.items()))


def _unique_claims(
    pages: dict[str, LoadedPage], errors: list[ContentError]
) -> dict[str, ClaimEntry]:
    claims: dict[str, ClaimEntry] = {}
    for page in pages.values():
        for index, claim in enumerate(getattr(page.model, "claims", [])):
            path = ("claims", index, "id")
            if claim.id in pages:
                errors.append(
                    ContentError(
                        page.path,
                        *page.locations.at(path),
                        f"claim id {claim.id!r} is also a page id"
                        f" ({display_path(pages[claim.id].path)})",
                        "claims and pages share one namespace; rename the claim",
                    )
                )
            elif claim.id in claims:
                first = pages[claims[claim.id].page_id]
                line, _ = first.locations.at(("claims", claims[claim.id].index, "id"))
                errors.append(
                    ContentError(
                        page.path,
                        *page.locations.at(path),
                        f"duplicate claim id {claim.id!r}"
                        f" (first defined in {display_path(first.path)}:{line})",
                        "claim ids are unique across the wiki; rename one",
                    )
                )
            else:
                claims[claim.id] = ClaimEntry(claim, page.id, index)
    return claims


# --- references ----------------------------------------------------------------------------


def _build_graph(
    pages: dict[str, LoadedPage], claims: dict[str, ClaimEntry], references: list[Reference]
) -> WikiGraph:
    graph = WikiGraph()
    kinds = {page_id: page.kind for page_id, page in pages.items()}  # every node, by id
    for page_id, kind in kinds.items():
        graph.add_node(page_id, kind)
    for claim_id, entry in claims.items():
        graph.add_node(claim_id, "claim", entry.page_id)
        kinds[claim_id] = "claim"
    graph.add_references(
        (entry.page_id, claim_id, CONTAINS, None) for claim_id, entry in claims.items()
    )
    graph.add_references(  # wrong-kind references are errors, not edges
        (reference.origin, reference.target, reference.relation, reference.role)
        for reference in references
        if kinds.get(reference.target) in reference.expected
    )
    return graph


def _reference_errors(
    wiki: Wiki, references: list[Reference], unloaded_ids: set[str]
) -> Iterator[ContentError]:
    graph = wiki.graph
    for reference in references:
        target = reference.target
        if target in unloaded_ids or (target in graph and graph.kind(target) in reference.expected):
            continue  # the usual case, decided before any message is worded
        verb = "linked from" if reference.link_text else "referenced by"
        who = f"{reference.origin_kind} {reference.origin!r}"
        if reference.target not in wiki.graph:
            candidates = _ids_of_kinds(wiki, reference.expected) or wiki.graph.nodes()
            yield ContentError(
                reference.path,
                *reference.position(),  # found only for an error: a search in the source
                f"{reference.target!r} {verb} {who} does not exist",
                did_you_mean(reference.target, candidates),
            )
            continue
        actual = wiki.kind_of(reference.target)
        if actual in reference.expected:
            continue
        expected = "page" if len(reference.expected) >= len(PAGE_KINDS) else reference.expected[0]
        hint = None
        if reference.relation == DEPENDS_ON and actual in ("claim", "concept", "thesis"):
            hint = f"write '{actual}: {reference.target}'"
        yield ContentError(
            reference.path,
            *reference.position(),
            f"{reference.target!r} {verb} {who} is a {actual}, not a {expected}",
            hint,
        )


def _ids_of_kinds(wiki: Wiki, kinds: tuple[str, ...]) -> list[str]:
    return [node for node in wiki.graph.nodes() if wiki.graph.kind(node) in kinds]


def _cycle_errors(wiki: Wiki) -> Iterator[ContentError]:
    for cycle in wiki.graph.thesis_cycles():
        first, second = cycle[0], cycle[1]
        page = wiki.pages[first]
        assert isinstance(page.model, schema.Thesis)  # cycles run through theses only
        index = next(i for i, dep in enumerate(page.model.depends_on) if dep.thesis == second)
        yield ContentError(
            page.path,
            *page.locations.at(("depends_on", index, "thesis")),
            f"cycle: {' --> '.join(cycle)}",
            "theses may build on theses, but not in a circle; remove one of these dependencies",
        )


# --- warnings -------------------------------------------------------------------------------


def _warnings(wiki: Wiki, cited_by_failed: set[str]) -> list[ContentError]:
    """Things that are valid but probably unintended; `--strict` makes them errors.

    A source cited only by a page with errors counts as cited: the warning would go
    away by itself once that page is fixed.
    """
    warnings = []
    for page in wiki.by_kind("source"):
        if not wiki.graph.referrers(page.id) and page.id not in cited_by_failed:
            warnings.append(
                ContentError(
                    page.path,
                    *page.locations.at(()),
                    f"source {page.id!r} is not cited or linked by any page",
                    "cite it in a claim's evidence sources, or remove it",
                )
            )
    return sorted(warnings, key=ContentError.sort_key)
