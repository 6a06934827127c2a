"""The render cache gives what a cold render gives, and re-renders only pages whose inputs
changed.

Each test renders a small dense generated wiki twice: once through the cache the previous
render left in the build folder, once cold (no cache), and compares the two trees page by
page. `test_the_comparison_can_fail` shows the comparison sees a page the cache kept
although a neighbour's title changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wiki import render, render_cache
from wiki.corpus import load_wiki
from wiki.evidence import gather_evidence
from wiki.ledger import Ledger
from wiki.render import page_path, render_pages
from wiki.render_cache import RenderCache
from wiki.settings import load_settings
from wiki.site import write_tree

REPO = Path(__file__).parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from dense_wiki import dense_pages, write_pages  # noqa: E402

PAGES = dense_pages(30, seed=5)


def cached_and_cold(project: Path) -> tuple[dict[str, str], dict[str, str], RenderCache]:
    """Render `project` through its cache (and record it, as `wiki build` does), and cold."""
    settings = load_settings(project)
    wiki = load_wiki(settings.root)
    evidence = gather_evidence(wiki, Ledger(settings.ledger).records(), settings)
    cache = RenderCache.load(settings.build_dir)
    cached = render_pages(wiki, settings, evidence, cache)
    write_tree(settings.build_dir / "docs", cached)
    cache.save(settings.build_dir)
    return cached, render_pages(wiki, settings, evidence), cache


def differing(left: dict[str, str], right: dict[str, str]) -> list[str]:
    return sorted(path for path in left.keys() | right.keys() if left.get(path) != right.get(path))


def edit(project: Path, page_id: str, old: str, new: str) -> None:
    path = next((project / "pages").rglob(f"{page_id}.yaml"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def linked_from(project: Path, page_id: str) -> list[str]:
    wiki = load_wiki(load_settings(project).root)
    return [page_path(wiki.pages[other].kind, other) for other in wiki.backlinks(page_id)]


def linked_to(project: Path) -> list[str]:
    """Pages concept-3 or its claims refer to, and theses depending on them."""
    wiki = load_wiki(load_settings(project).root)
    nodes = ["concept-3", *wiki.claim_ids_of("concept-3")]
    named = {ref for node in nodes for ref in wiki.graph.references(node)}
    named |= {thesis for node in nodes for thesis in wiki.theses_depending_on(node)}
    return [page_path(wiki.page_of(node).kind, wiki.page_of(node).id) for node in named]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_pages(PAGES, tmp_path / "pages")
    (tmp_path / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n', encoding="utf-8")
    cached, cold, cache = cached_and_cold(tmp_path)  # the first render fills the cache
    assert cache.hits == 0 and cached == cold
    return tmp_path


def test_nothing_changed_takes_every_page_from_the_cache(project: Path) -> None:
    cached, cold, cache = cached_and_cold(project)
    assert cached == cold and list(cached) == list(cold)  # same pages, same order
    # every page, claims.md, graph.md, the graph data, home, 4 kind indexes, runs
    assert cache.hits == len(PAGES) + 9
    assert cache.misses == 0


def test_prose_edit_rerenders_the_page_and_its_neighbours_only(project: Path) -> None:
    edit(project, "concept-3", "Core insight\n  text: ", "Core insight\n  text: Edited prose, ")
    near = {"concepts/concept-3.md", *linked_from(project, "concept-3"), *linked_to(project)}
    cached, cold, cache = cached_and_cold(project)
    assert differing(cached, cold) == []
    assert "concepts/concept-3.md" in cache.rendered
    assert set(cache.rendered) <= near | {"claims.md", "graph.md"}
    assert cache.hits > 0


def test_title_edit_rerenders_the_pages_that_show_it(project: Path) -> None:
    showing = linked_from(project, "concept-4")
    assert showing  # the generated wiki links to it
    edit(project, "concept-4", "title: Concept 4", "title: Renamed concept four")
    cached, cold, cache = cached_and_cold(project)
    assert differing(cached, cold) == []
    assert all("Renamed concept four" in cached[path] for path in showing)


def test_summary_edit_of_a_backlinked_page_equals_cold(project: Path) -> None:
    edit(project, "paper-2", "summary: ", "summary: A new preview, ")
    cached, cold, _ = cached_and_cold(project)
    assert differing(cached, cold) == []


def test_neighbours_cover_what_the_templates_are_given(project: Path) -> None:
    """Every page a template's context names (backlinks, dependent theses, citing claims
    and benchmarks) is among the neighbours whose models the page's digest holds."""
    settings = load_settings(project)
    wiki = load_wiki(settings.root)
    inputs = render_cache.PageInputs(wiki, settings, None, render.TEMPLATE_DIR)
    by_source = render._benchmarks_by_source(wiki)
    citing = render._claims_by_source(wiki)
    for page in wiki.pages.values():
        context = render._page_context(wiki, page, by_source, citing)
        named = {*context["backlinks"], *context["dependent_theses"]}
        named |= {t for theses in context.get("claim_theses", {}).values() for t in theses}
        named |= {entry.page_id for entry in context.get("citing_claims", [])}
        named |= {concept.id for concept, _ in context.get("citing_benchmarks", [])}
        named |= {wiki.page_of(ref).id for ref in wiki.graph.references(page.id)}
        assert named - {page.id} <= inputs.neighbours(page), page.id


def test_the_comparison_can_fail(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no neighbours in the digest, pages showing a renamed page's title are kept
    from the cache: the comparison with a cold render catches them."""
    showing = linked_from(project, "concept-6")
    monkeypatch.setattr(render_cache.PageInputs, "neighbours", lambda self, page: set())
    cached_and_cold(project)  # the cache now holds digests made without neighbours
    edit(project, "concept-6", "title: Concept 6", "title: Concept six, renamed")
    cached, cold, _ = cached_and_cold(project)
    stale = differing(cached, cold)
    assert set(showing) & set(stale)  # pages linking to it still show the old title


def test_a_hand_edited_docs_file_is_rendered_again(project: Path) -> None:
    docs = project / ".wiki-build" / "docs"
    (docs / "concepts" / "concept-5.md").write_text("edited by hand\n", encoding="utf-8")
    cached, cold, cache = cached_and_cold(project)
    assert differing(cached, cold) == []
    assert cache.misses == 1


def test_user_templates_turn_the_cache_off(project: Path) -> None:
    (project / "my-templates").mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.wiki]\nroot = "pages"\ntemplates = "my-templates"\n', encoding="utf-8"
    )
    cached, cold, cache = cached_and_cold(project)
    assert cached == cold
    assert cache.hits == 0 and cache.misses == 0


def test_split_claims_index_rerenders_the_parts_showing_an_edited_claim(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "CLAIMS_PER_PAGE", 10)
    cached_and_cold(project)  # the cache now holds the split index
    edit(project, "concept-7", "statement: 'Claim 0", "statement: 'Edited claim 0")
    cached, cold, cache = cached_and_cold(project)
    assert differing(cached, cold) == []
    parts = [path for path in cached if path.startswith("claims/")]
    edited = [path for path in parts if "Edited claim" in cached[path]]
    assert len(parts) > 2 and len(edited) == 1
    # the part holding it, and parts whose claims link to its page (previews), no others
    assert set(edited) <= set(cache.rendered)
    assert len(set(cache.rendered) & set(parts)) < len(parts)


def test_a_figure_written_differently_is_rendered_again(project: Path) -> None:
    """`89.0` -> `89.00` parses to the same float; the pages show the digits as written."""
    edit(project, "concept-2", "value: 89.0\n", "value: 89.00\n")
    cached, cold, _ = cached_and_cold(project)
    assert differing(cached, cold) == []
    assert "89.00" in cached["concepts/concept-2.md"]


def test_summary_edit_shows_in_the_previews_of_the_claims_index(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Links carry their target's summary as a preview, the claims index's too."""
    for per_page in (1000, 10):  # one claims.md, then claims.md with parts
        monkeypatch.setattr(render, "CLAIMS_PER_PAGE", per_page)
        cached_and_cold(project)
        edit(project, "concept-5", "summary: ", f"summary: Preview {per_page}, ")
        cached, cold, _ = cached_and_cold(project)
        assert differing(cached, cold) == []


def test_section_prose_edit_rerenders_that_page_alone(project: Path) -> None:
    """Other pages show a concept's title, summary, claims and figures, never its sections'
    text: an edit there re-renders the page itself, not the pages linking to it."""
    assert linked_from(project, "concept-3")  # pages that would re-render if it counted
    edit(project, "concept-3", "Core insight\n  text: ", "Core insight\n  text: Edited prose, ")
    cached, cold, cache = cached_and_cold(project)
    assert differing(cached, cold) == []
    assert cache.rendered == ["concepts/concept-3.md"]


def test_a_link_added_in_a_section_shows_in_the_backlinks_of_a_neighbour(
    project: Path,
) -> None:
    """The target already counts the editing page as a neighbour (it links to it), so only
    the editing page's graph edges, part of what it shows others, tell the target that its
    backlinks changed."""
    wiki = load_wiki(load_settings(project).root)
    concepts = [page.id for page in wiki.by_kind("concept")]
    target, source = next(  # the target links to the source; the source not yet to it
        (target, source)
        for target in concepts
        for source in wiki.graph.references(target)
        if source in concepts and target not in wiki.graph.references(source)
    )
    edit(project, source, "Core insight\n  text: ", f"Core insight\n  text: See [[{target}]], ")
    cached, cold, cache = cached_and_cold(project)
    assert differing(cached, cold) == []
    assert page_path("concept", target) in cache.rendered
