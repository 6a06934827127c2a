"""`wiki.search_index` gives the sections material's own search parser gives.

Compared on every page of a built dense wiki (the HTML mkdocs hands the search plugin),
on hand-written HTML with material's corner cases (excluded blocks, nested headings,
permalinks, `pre`, empty kept tags) and on random HTML; markup the fast tokenizer does
not read like `html.parser` falls back to material's parser.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from material.plugins.search.plugin import Parser

from wiki.search_index import Sections, Unsupported, _feed, parse_sections

REPO = Path(__file__).parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from dense_wiki import dense_pages, write_pages  # noqa: E402


def material(html: str) -> list[tuple]:
    parser = Parser()
    parser.feed(html)
    parser.close()
    return sections(parser)


def sections(parser) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [
        (s.id, list(s.title), list(s.text), s.depth, s.el.tag, s.is_excluded()) for s in parser.data
    ]


def outcome(read, html: str) -> object:  # type: ignore[no-untyped-def]
    """What `read` gives for `html`, or the error it raises: material's parser raises
    ValueError on some nestings of excluded blocks, and so must ours."""
    try:
        return read(html)
    except ValueError as error:
        return ("ValueError", str(error))


def fast(html: str) -> list[tuple]:
    """Our tokenizer and steps only (no fallback): raises Unsupported where it falls back."""
    parser = Sections()
    _feed(parser, html)
    return sections(parser)


@pytest.fixture(scope="module")
def page_html(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """src_uri -> the HTML of each page of a built dense wiki, as the search plugin sees it."""
    from mkdocs.commands import build as steps
    from mkdocs.config import load_config
    from mkdocs.structure.pages import Page

    from wiki.corpus import load_wiki
    from wiki.settings import load_settings
    from wiki.site import build_site

    project = tmp_path_factory.mktemp("search")
    write_pages(dense_pages(40, seed=11), project / "pages")
    (project / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n', encoding="utf-8")
    settings = load_settings(project)
    build_site(load_wiki(settings.root), settings)
    config = load_config(str(project / ".wiki-build" / "mkdocs.yml"), site_dir=str(project / "x"))
    config = config.plugins.on_config(config)
    files = config.plugins.on_files(steps.get_files(config), config=config)
    html = {}
    for file in files.documentation_pages():
        Page(None, file, config)
        steps._populate_page(file.page, config, files)
        html[file.src_uri] = file.page.content
    return html


def test_every_page_of_a_dense_wiki_gives_materials_sections(page_html: dict[str, str]) -> None:
    assert len(page_html) > 40
    for uri, html in page_html.items():
        assert fast(html) == material(html), uri  # no fallback on generated pages


CORNERS = [
    "",
    "plain text & more &amp; &lt;b&gt; &#58; &unknown; a&b",
    "<p>before</p><h1 id='t'>Title <a class=\"headerlink\" href='#t'>¶</a></h1><p>x</p>",
    '<h2 id="a">A</h2><div data-search-exclude><p>hidden <div>inner</div> after</p></div><p>y</p>',
    '<div class="linenodiv"><pre>1\n2</pre></div><pre><code>  keep\n  spaces </code></pre>',
    "<ul><li></li><li> </li><li><code>x</code></li></ul><p> <sub> </sub> </p>",
    "<section><h3 id='n'>Nested</h3><p>in</p></section><p>out</p><h4 id='m'>M</h4>",
    "<p>a<br>b<br/>c<img src='x.png' alt=\"y\"/><span/>d</p>",
    "<h2 id='e'><code>code</code> in <em>title</em></h2><p>t</p>",
    "<!-- a comment --><p>x</p><!-- -- >y<p>z</p> <!--x--->",
    "<script>var a = '<p>';</script><style>p{}</style><p>after</p><object><p>o</p></object>",
    "<P CLASS='A'>Upper</P><H2 ID='U'>Up</H2>",
    '<p title="a > b">gt in attribute</p><p data-x=\'{"k": "<v>"}\'>json</p>',
    "<h1 id='x'>One</h1><h1 id='x'>Two</h1>",
    "<p>unclosed <em>tags",
    "</p>stray end<p>ok</p>",
]


@pytest.mark.parametrize("html", CORNERS)
def test_corner_cases_give_materials_sections(html: str) -> None:
    assert outcome(fast, html) == outcome(material, html)
    assert outcome(lambda h: sections(parse_sections(h)), html) == outcome(material, html)


FALLBACKS = ["a < b", "<p class=bare>x</p>", "<!DOCTYPE html><p>x</p>", "<p>x", "<?pi?><p/>"]


@pytest.mark.parametrize("html", FALLBACKS)
def test_markup_read_otherwise_falls_back_to_materials_parser(html: str) -> None:
    if html == "<p>x":
        assert fast(html) == material(html)  # an unclosed element is fine
        return
    with pytest.raises(Unsupported):
        fast(html)
    assert sections(parse_sections(html)) == material(html)


TAGS = ["p", "div", "h1", "h2", "h3", "pre", "code", "li", "ul", "a", "em", "script", "span"]
ATTRIBUTES = ['id="s{n}"', 'class="headerlink"', "data-search-exclude", 'class="linenodiv"', ""]
TEXTS = ["word", " ", "\n", "a &amp; b", "  two  words\n", "&lt;x&gt;", ""]


def random_html(rng: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rng.randrange(1, 5)):
        choice = rng.random()
        if choice < 0.4 or depth > 3:
            out.append(rng.choice(TEXTS))
        elif choice < 0.9:
            tag = rng.choice(TAGS)
            attribute = rng.choice(ATTRIBUTES).format(n=rng.randrange(5))
            inner = "x" if tag == "script" else random_html(rng, depth + 1)
            close = f"</{tag}>" if rng.random() < 0.9 else ""
            out.append(f"<{tag}{' ' if attribute else ''}{attribute}>{inner}{close}")
        else:
            out.append(rng.choice(["<br>", "<hr/>", "<img src='a'>", "</em>", "<!--c-->"]))
    return "".join(out)


def test_random_html_gives_materials_sections() -> None:
    rng = random.Random(10)
    compared = 0
    for _ in range(3000):
        html = random_html(rng)
        expected = outcome(material, html)
        assert outcome(lambda h: sections(parse_sections(h)), html) == expected, html
        try:
            assert outcome(fast, html) == expected, html
        except Unsupported:  # e.g. an unclosed <script>: material's parser read it above
            continue
        compared += isinstance(expected, list)
    assert compared > 2000  # most of them through our own tokenizer


def test_the_comparison_can_fail() -> None:
    """Reading the excluded attribute's block as text changes the sections."""
    html = "<p>a</p><div data-search-exclude><p>secret</p></div>"
    parser = Sections()
    parser.handle_starttag = lambda tag, attrs: Sections.handle_starttag(  # type: ignore[method-assign]
        parser, tag, [(k, v) for k, v in attrs if k != "data-search-exclude"]
    )
    _feed(parser, html)
    assert sections(parser) != material(html)


def test_another_material_version_keeps_materials_own_reading(monkeypatch) -> None:
    from material.plugins.search.plugin import SearchIndex

    import wiki.search_index as search_index

    assert search_index.mirrors_installed_material()  # the version this suite runs with
    changed = {**search_index.MIRRORED, ("Parser", "handle_data"): "0" * 16}
    monkeypatch.setattr(search_index, "MIRRORED", changed)
    index = SearchIndex.__new__(SearchIndex)
    assert not search_index.install(index)
    assert type(index) is SearchIndex
