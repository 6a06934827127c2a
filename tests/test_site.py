"""The mkdocs build: what a reader gets, offline safety, incremental writes, safe failure.

mkdocs takes about a second per build here, so the mini wiki is built once per module and
most tests read that one site.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from wiki import site as site_module
from wiki.corpus import Wiki, load_wiki
from wiki.errors import ContentErrors
from wiki.settings import Settings, load_settings
from wiki.site import BUILD_DIR_NAME, BuildReport, build_site, write_tree

MINI = Path(__file__).parent / "fixtures" / "mini"
OUR_PAGES = ("index.html", "claims.html", "graph.html", "concepts", "theses", "sources")


class Links(HTMLParser):
    """hrefs, srcs and ids of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.ids: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append(value)
            if name == "id" and value:
                self.ids.add(value)


def is_javascript(url: str) -> bool:
    return re.sub(r"[\x00-\x20]", "", url).lower().startswith("javascript:")


def settings_for(project: Path, root: Path) -> Settings:
    return load_settings(project, root=root)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Wiki, Settings, BuildReport]:
    project = tmp_path_factory.mktemp("project")
    settings = settings_for(project, MINI)
    wiki = load_wiki(MINI)
    return wiki, settings, build_site(wiki, settings, strict=True)


def article(html_text: str) -> str:
    return re.search(r"<article.*?</article>", html_text, flags=re.DOTALL).group(0)


def tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        path.relative_to(folder).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_mtime_ns,
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_build_reports_pages_written_and_timings(built) -> None:
    wiki, settings, report = built
    assert report.out == settings.out and (settings.out / "index.html").is_file()
    assert report.pages_written >= len(wiki.pages) + 7 and report.pages_unchanged == 0
    assert report.site_rebuilt and report.compile_seconds > 0 and report.mkdocs_seconds > 0


def test_concept_page_shows_claims_grades_benchmarks_backlinks_and_theses(built) -> None:
    wiki, settings, _ = built
    page = article((settings.out / "concepts" / "jepa.html").read_text(encoding="utf-8"))
    for claim in wiki.pages["jepa"].model.claims:
        grade = claim.evidence.grade.value
        assert re.search(
            rf'<h3 id="claim:{claim.id}">{claim.id}'
            rf'<a class="headerlink" href="#claim:{claim.id}"[^>]*>'
            rf'.*?</h3>\s*<p><span class="wiki-badge wiki-grade-{grade}">{grade}</span>',
            page,
        )
    assert re.search(r"<td[^>]*>77\.3&nbsp;% top-1</td>", page)
    backlinks = page.split('id="backlinks"')[1].split("<h2")[0]
    assert {f"{page_id}.html" for page_id in wiki.backlinks("jepa")} == {
        url.rsplit("/", 1)[-1] for url in Links(backlinks).urls if not url.startswith("#")
    }
    theses = page.split('id="theses-that-depend-on-this-concept"')[1]
    assert {f"{thesis}.html" for thesis in wiki.theses_depending_on("jepa")} == {
        url.rsplit("/", 1)[-1] for url in Links(theses).urls if not url.startswith("#")
    }


def test_every_link_in_the_site_resolves(built) -> None:
    _, settings, _ = built
    site = settings.out
    pages = [p for p in site.rglob("*.html") if p.relative_to(site).parts[0] in OUR_PAGES]
    ids = {page: Links(page.read_text(encoding="utf-8")).ids for page in pages}
    checked = 0
    for page in pages:
        for url in Links(page.read_text(encoding="utf-8")).urls:
            parts = urlsplit(url)
            if parts.scheme or url.startswith("//"):
                continue  # external links to papers are fine
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.exists(), f"{page.relative_to(site)}: {url}"
            if parts.fragment and target.suffix == ".html":
                target_ids = ids.get(target) or Links(target.read_text(encoding="utf-8")).ids
                assert parts.fragment in target_ids, f"{page.relative_to(site)}: {url}"
            checked += 1
    assert checked > 100


def test_graph_nodes_are_links_into_the_site(built) -> None:
    _, settings, _ = built
    graph = (settings.out / "graph.html").read_text(encoding="utf-8")
    svg = re.search(r'<svg[^>]*class="wiki-depgraph".*?</svg>', graph, flags=re.DOTALL).group(0)
    hrefs = re.findall(r'<a href="([^"]+)">', svg)
    assert "concepts/jepa.html#claim:lewm-stable" in hrefs
    assert all((settings.out / href.split("#")[0]).is_file() for href in hrefs)


EXTERNAL_ASSET = re.compile(
    r"<script[^>]+src=[\"']?(https?:)?//"
    r"|<link[^>]+href=[\"']?(https?:)?//"
    r"|<(img|iframe|source|video|audio)[^>]+src=[\"']?(https?:)?//"
    r"|fonts\.googleapis|fonts\.gstatic|unpkg\.com|cdn\.jsdelivr|cdnjs",
    re.IGNORECASE,
)
CSS_EXTERNAL = re.compile(r"@import\s+(url\()?[\"']?(https?:)?//|url\([\"']?(https?:)?//", re.I)


def test_site_loads_no_external_scripts_styles_or_fonts(built) -> None:
    _, settings, _ = built
    html_files = list(settings.out.rglob("*.html"))
    assert len(html_files) > 10
    for path in html_files:
        found = EXTERNAL_ASSET.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path}: {found.group(0)}"
    for path in settings.out.rglob("*.css"):
        found = CSS_EXTERNAL.search(path.read_text(encoding="utf-8"))
        assert found is None, f"{path}: {found.group(0)}"


def test_the_external_asset_check_can_fail() -> None:
    assert EXTERNAL_ASSET.search('<script src="https://unpkg.com/x.js"></script>')
    assert EXTERNAL_ASSET.search('<link rel="stylesheet" href="https://fonts.googleapis.com/css">')
    assert CSS_EXTERNAL.search("@import url('https://example.org/a.css');")


def test_mkdocs_config_is_offline_with_a_short_nav(built) -> None:
    wiki, settings, _ = built
    config = yaml.safe_load((settings.project_dir / BUILD_DIR_NAME / "mkdocs.yml").read_text())
    assert config["theme"]["name"] == "material" and config["theme"]["font"] is False
    assert config["use_directory_urls"] is False
    assert config["site_name"] == settings.title
    nav_files = [next(iter(entry.values())) for entry in config["nav"]]
    assert all("/" not in path for path in nav_files)  # index pages only
    assert len(nav_files) < len(wiki.pages)


def test_rebuild_with_nothing_changed_writes_no_markdown(built) -> None:
    wiki, settings, _ = built
    docs = settings.project_dir / BUILD_DIR_NAME / "docs"
    before, site_before = tree_digest(docs), tree_digest(settings.out)
    report = build_site(wiki, settings, strict=True)
    assert report.pages_written == 0 and report.pages_deleted == 0
    assert report.pages_unchanged == len(before)
    assert tree_digest(docs) == before  # same content and same modification times
    assert not report.site_rebuilt and tree_digest(settings.out) == site_before


def test_forced_rebuild_runs_mkdocs_but_still_writes_no_markdown(built) -> None:
    wiki, settings, _ = built
    docs = settings.project_dir / BUILD_DIR_NAME / "docs"
    before = tree_digest(docs)
    report = build_site(wiki, settings, strict=True, force=True)
    assert report.site_rebuilt and report.pages_written == 0
    assert tree_digest(docs) == before
    leftovers = [p.name for p in settings.out.parent.iterdir() if p.name.startswith(".site.")]
    assert leftovers == []


def test_write_tree_writes_only_changed_files_and_deletes_stale_ones(tmp_path: Path) -> None:
    first = write_tree(tmp_path, {"a.md": "A", "d/b.md": "B", "d/c.md": "C"})
    assert (first.written, first.unchanged, first.deleted) == (3, 0, 0)
    mtime = (tmp_path / "a.md").stat().st_mtime_ns
    second = write_tree(tmp_path, {"a.md": "A", "d/b.md": "B2"})
    assert (second.written, second.unchanged, second.deleted) == (1, 1, 1)
    assert (tmp_path / "a.md").stat().st_mtime_ns == mtime
    assert (tmp_path / "d" / "b.md").read_text() == "B2" and not (tmp_path / "d" / "c.md").exists()
    write_tree(tmp_path, {"a.md": "A"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]  # empty folder removed


def test_failed_build_leaves_the_previous_site_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(shutil.copytree(MINI, tmp_path / "content"))
    settings = settings_for(tmp_path / "project", root)
    settings.project_dir.mkdir()
    build_site(load_wiki(root), settings, strict=True)
    before = tree_digest(settings.out)

    # Prose reaches mkdocs as finished HTML, so content no longer makes mkdocs warn: a page
    # with a broken Markdown link stands in for whatever else might (a template, a plugin).
    render_pages = site_module.render_pages

    def render_with_a_broken_link(*args, **kwargs):
        pages = render_pages(*args, **kwargs)
        pages["sources/lewm.md"] += "\nSee [the notes](missing-notes.md).\n"
        return pages

    monkeypatch.setattr(site_module, "render_pages", render_with_a_broken_link, raising=True)
    with pytest.raises(ContentErrors) as failure:
        site_module.build_site(load_wiki(root), settings, strict=True)

    [error] = failure.value.errors
    assert error.path == root / "sources" / "lewm.yaml"
    assert "missing-notes.md" in error.message
    assert tree_digest(settings.out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.")] == []


def test_raw_html_in_prose_appears_escaped_in_the_site(write_pages, tmp_path: Path) -> None:
    root = write_pages(
        {
            "topic.yaml": """
                kind: concept
                title: "Topic </title><script>alert('title')</script>"
                status: emerging
                summary: "Summary <script>alert(1)</script> and <img src=x onerror=alert(2)>"
                sections:
                  - heading: "<b>Heading</b>"
                    text: "[click](javascript:alert(3)) and `<script>` in code"
                claims:
                  - id: a-claim
                    statement: "Statement <iframe src=//evil.example></iframe>"
                    evidence: {grade: weak, sources: [paper]}
                benchmarks:
                  - {metric: "<script>m</script>", value: 1, system: "<s>", source: paper}
            """,
            "paper.yaml": """
                kind: source
                title: A paper
                year: 2024
                url: "javascript:alert(4)"
            """,
        }
    )
    settings = settings_for(tmp_path / "project", root)
    settings.project_dir.mkdir()
    with pytest.raises(ContentErrors) as refused:  # `wiki check` refuses both URLs ...
        load_wiki(root)
    assert sorted(error.line for error in refused.value.errors) == [4, 7]
    build_site(refused.value.wiki, settings, strict=True)  # ... and the renderer defuses them

    page = (settings.out / "concepts" / "topic.html").read_text(encoding="utf-8")
    body = article(page)
    assert "<script" not in body and "<iframe" not in body and "<img" not in body
    assert not any(is_javascript(url) for url in Links(body).urls)
    shown = body.replace("&#60;", "&lt;").replace("&#62;", "&gt;")  # either escape is text
    assert "Summary &lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<code>&lt;script&gt;</code>" in body or "<code>&#60;script&#62;</code>" in body
    assert "<script>alert('title')" not in page  # nor in <title>, header or search data
    assert "</title><script>" not in page
    source = article((settings.out / "sources" / "paper.html").read_text(encoding="utf-8"))
    assert not any(is_javascript(url) for url in Links(source).urls)
    assert "javascript:alert(4)" in source  # shown as text


class AllIds(HTMLParser):
    """Every id attribute of a page, duplicates kept."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.extend(value for name, value in attrs if name == "id" and value)


def test_claim_ids_equal_to_heading_anchors_give_no_duplicate_ids(
    write_pages, tmp_path: Path
) -> None:
    claims = ["changelog", "key-claims", "backlinks", "core-insight", "the-topic", "runs"]
    claim_yaml = "".join(
        f"  - id: {claim}\n    statement: s\n    evidence: {{grade: weak, sources: [paper]}}\n"
        for claim in claims
    )
    root = write_pages(
        {
            "topic.yaml": "kind: concept\ntitle: The topic\nstatus: emerging\n"
            "summary: See [[changelog]] and [[runs]].\n"
            "sections:\n  - {heading: Core insight, text: t}\n"
            f"claims:\n{claim_yaml}"
            "changelog:\n  - {date: 2026-01-01, note: n}\n",
            "paper.yaml": "kind: source\ntitle: A paper\nyear: 2024\n",
        }
    )
    settings = settings_for(tmp_path / "project", root)
    settings.project_dir.mkdir()
    build_site(load_wiki(root), settings, strict=True)

    page = (settings.out / "concepts" / "topic.html").read_text(encoding="utf-8")
    ids = AllIds(page).ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {"changelog", "key-claims", "backlinks", "core-insight"} <= set(ids)  # headings
    hrefs = Links(article(page)).urls
    for claim in ("changelog", "runs"):  # [[claim]] lands on the claim, not the heading
        assert f"#claim:{claim}" in hrefs and f"claim:{claim}" in ids
