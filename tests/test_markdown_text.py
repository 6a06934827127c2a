"""Prose -> safe HTML inside Markdown: escaping, code, unsafe URLs, remote images, [[links]].

Rendered with Python-Markdown and the extensions the site uses (plus attr_list and
md_in_html, which a later config might turn on, and pymdownx extensions that read more
characters as syntax), then read back with html.parser.
"""

from __future__ import annotations

import functools
import html
import html as htmllib
import random
import re
from html.parser import HTMLParser

import markdown
import pytest

from wiki.corpus import LINK_PATTERN
from wiki.markdown_text import LinkTarget, code_text, plain_text, prose_block, prose_inline
from wiki.mkdocs_config import mkdocs_config
from wiki.prose_parser import LINK_PATTERN as PARSER_LINK_PATTERN

PAGES = {"jepa": LinkTarget("../concepts/jepa.md", "JEPA <the *architecture*>")}
CLAIMS = {"lewm-stable": LinkTarget("../concepts/jepa.md#lewm-stable", "lewm-stable")}


def resolve(node_id: str) -> LinkTarget | None:
    return PAGES.get(node_id) or CLAIMS.get(node_id)


# Extensions a user's mkdocs.yml often adds, each reading more characters as syntax.
PYMDOWNX = ["pymdownx.mark", "pymdownx.caret", "pymdownx.tilde", "pymdownx.magiclink"]
PYMDOWNX += ["pymdownx.emoji", "pymdownx.critic", "pymdownx.arithmatex", "pymdownx.betterem"]


def site_extensions() -> tuple[list[str], dict[str, dict]]:
    """The site's Markdown extensions (names and configs), plus two a config might add."""
    names, configs = ["attr_list", "md_in_html", *PYMDOWNX], {}
    for extension in mkdocs_config("t")["markdown_extensions"]:
        if isinstance(extension, dict):
            configs.update(extension)
            names.extend(extension)
        else:
            names.append(extension)
    return names, configs


@functools.cache
def site_markdown() -> markdown.Markdown:
    names, configs = site_extensions()
    return markdown.Markdown(extensions=names, extension_configs=configs)


def to_html(markdown_text: str) -> str:
    return site_markdown().reset().convert(markdown_text)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML fragment."""

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


SAFE_TAGS = {"p", "a", "code", "pre", "em", "strong", "ul", "ol", "li", "blockquote", "hr", "br"}
SAFE_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "img", "table", "thead", "tbody", "tr", "th"}
SAFE_TAGS |= {"td", "div"}  # div: admonitions
SAFE_SCHEMES = {"http", "https", "mailto"}
URL_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)


def url_scheme(url: str) -> str | None:
    """The scheme a browser reads from an href: leading controls/spaces and tabs/newlines
    are ignored (WHATWG URL parsing)."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("\x00- ")
    match = URL_SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def assert_safe(fragment: str) -> None:
    for tag, attributes in Elements(fragment).tags:
        assert tag in SAFE_TAGS, f"unexpected <{tag}> in {fragment!r}"
        for name, value in attributes.items():
            assert not name.startswith("on"), f"event handler {name} in {fragment!r}"
            assert name in {"href", "src", "alt", "title", "class", "id", "style"}, name
            if name in {"href", "src"}:
                scheme = url_scheme(value or "")
                assert scheme is None or scheme in SAFE_SCHEMES, f"{value!r} in {fragment!r}"
            if name == "src":
                assert scheme is None and not (value or "").startswith("//"), fragment


def test_raw_html_in_prose_shows_as_text() -> None:
    source = 'Before <script>alert(1)</script> after <img src=x onerror="alert(2)"> & done'
    rendered = to_html(prose_block(source, resolve))
    assert "<script" not in rendered and "<img" not in rendered
    assert "".join(Elements(rendered).text).strip() == source


def test_entities_in_prose_are_shown_as_written() -> None:
    rendered = to_html(prose_block("R&D, &lt;b&gt; and &#106;", resolve))
    assert "".join(Elements(rendered).text).strip() == "R&D, &lt;b&gt; and &#106;"


def test_inline_code_keeps_angle_brackets_visible() -> None:
    rendered = to_html(prose_block("Use `x < y and <b>` or ``a`b``.", resolve))
    codes = [html.unescape(code) for code in _code_texts(rendered)]
    assert codes == ["x < y and <b>", "a`b"]
    assert "<b>" not in rendered


def test_fenced_code_block_is_shown_literally() -> None:
    code = "if a < b:\n\n    print('<script>')"
    rendered = to_html(prose_block(f"Intro.\n\n```python\n{code}\n```\n\nAfter.", resolve))
    assert '<pre><code class="language-python">' in rendered
    assert html.unescape(_code_texts(rendered)[0]) == code
    assert "<script" not in rendered


def test_unclosed_fence_does_not_swallow_following_text() -> None:
    first = prose_block("```\n<b>open fence", resolve)  # CommonMark: code to the field's end
    second = prose_block("Later paragraph with <i>tag</i>", resolve)
    rendered = to_html(first + "\n\n" + second)
    assert "<b>" not in rendered and "<i>" not in rendered
    assert Elements(rendered).tags.count(("pre", {})) == 1
    assert "<p>Later paragraph with &#60;i&#62;tag&#60;/i&#62;</p>" in rendered


def test_prose_block_is_raw_html_with_no_blank_line_inside() -> None:
    block = prose_block("Para one.\n\n```\na\n\n\nb\n```\n\n- item\n\nPara two.", resolve)
    inner = block.strip("\n")
    assert inner.startswith('<div class="wiki-prose">') and inner.endswith("</div>")
    assert "\n\n" not in inner  # a blank line would end the raw HTML block early


@pytest.mark.parametrize(
    "text",
    [
        r"\[x\](javascript:alert(1))",  # text that Python-Markdown alone would make a link
        r"\*not emphasis\*",
        r"\`not code\`",
        "a :smile: ==mark== $x$ ^sup^ ~~del~~ {++ins++} @user #12",
    ],
)
def test_text_between_tags_holds_nothing_markdown_reads_as_syntax(text: str) -> None:
    for rendered in (to_html(prose_block(text, resolve)), to_html(prose_inline(text, resolve))):
        assert_safe(rendered)
        assert [tag for tag, _ in Elements(rendered).tags if tag not in {"p", "div"}] == []


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x]( javascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](java\\script:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "![x](data:text/html,<script>alert(1)</script>)",
        "[x][r]\n\n[r]: vbscript:msgbox(1)",
        "<javascript:alert(1)>",
    ],
)
def test_unsafe_link_schemes_are_defused(link: str) -> None:
    assert_safe(to_html(prose_block(link, resolve)))


def test_safe_links_stay_links() -> None:
    rendered = to_html(
        prose_block("[paper](https://arxiv.org/abs/1) and <https://x.org/?a&b>", resolve)
    )
    hrefs = [attributes["href"] for tag, attributes in Elements(rendered).tags if tag == "a"]
    assert hrefs == ["https://arxiv.org/abs/1", "https://x.org/?a&b"]


def test_braces_cannot_add_attributes() -> None:
    rendered = to_html(
        prose_block("A paragraph {: onclick=alert(1) #x }\n\n# H {onclick=y}", resolve)
    )
    assert_safe(rendered)
    assert all("onclick" not in attributes for _, attributes in Elements(rendered).tags)


def links_of(rendered: str) -> list[tuple[str | None, str]]:
    """(href, text) of every <a> of a fragment."""

    class Anchors(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.found: list[list] = []
            self.open = False

        def handle_starttag(self, tag: str, attrs: list) -> None:
            if tag == "a":
                self.found.append([dict(attrs).get("href"), ""])
                self.open = True

        def handle_endtag(self, tag: str) -> None:
            self.open = self.open and tag != "a"

        def handle_data(self, data: str) -> None:
            if self.open:
                self.found[-1][1] += data

    parser = Anchors()
    parser.feed(rendered)
    return [(href, text) for href, text in parser.found]


def test_wiki_links_become_relative_links_to_the_built_pages() -> None:
    text = "See [[jepa]], [[jepa|the *family*]] and claim [[ lewm-stable ]]."
    rendered = to_html(prose_block(text, resolve))
    assert links_of(rendered) == [
        ("../concepts/jepa.html", "JEPA <the *architecture*>"),
        ("../concepts/jepa.html", "the family"),
        ("../concepts/jepa.html#lewm-stable", "lewm-stable"),
    ]
    assert "<em>family</em>" in rendered  # a label is inline Markdown


def test_wiki_link_with_empty_label_uses_the_title() -> None:
    rendered = to_html("- " + prose_inline("[[jepa|]]", resolve))
    assert links_of(rendered) == [("../concepts/jepa.html", "JEPA <the *architecture*>")]


def test_local_markdown_links_point_at_built_pages() -> None:
    rendered = to_html(prose_block("[notes](../notes/a.md#part) and [top](#top)", resolve))
    assert links_of(rendered) == [("../notes/a.html#part", "notes"), ("#top", "top")]


def test_unknown_wiki_link_is_shown_as_written() -> None:
    rendered = to_html(prose_block("Missing [[nope]] here.", resolve))
    assert "<a" not in rendered
    assert "".join(Elements(rendered).text).strip() == "Missing [[nope]] here."


def test_wiki_links_inside_code_stay_literal() -> None:
    rendered = to_html(prose_block("`[[jepa]]`", resolve))
    assert "<a" not in rendered and "[[jepa]]" in html.unescape(rendered)


def test_wiki_link_pattern_is_the_corpus_pattern() -> None:
    # Render and check must agree on what a link is, or a checked link could render as text.
    assert LINK_PATTERN is PARSER_LINK_PATTERN
    assert LINK_PATTERN.fullmatch("[[ jepa | a label ]]").group(1, 2) == ("jepa", "a label")


def test_inline_prose_is_one_line_and_table_safe() -> None:
    cell = prose_inline("first line\nsecond | with pipe `a|b` [[jepa|J]]", resolve, table=True)
    assert "\n" not in cell
    rendered = to_html(f"| A | B |\n| --- | --- |\n| {cell} | end |")
    cells = rendered.count("<td>")
    assert cells == 2, rendered


def test_plain_text_shows_exactly_what_was_written() -> None:
    title = "C# <b>*not bold*</b> [x] | _y_ `z` 1. {a}"
    rendered = to_html("# " + plain_text(title))
    assert "".join(Elements(rendered).text).removesuffix("¶") == title  # ¶: toc permalink


def test_plain_text_at_line_start_does_not_start_a_list() -> None:
    rendered = to_html(plain_text("1. First") + "\n\n" + plain_text("- dash"))
    assert "<ol>" not in rendered and "<ul>" not in rendered


def test_code_text_shows_any_string_as_code() -> None:
    rendered = to_html(code_text("a` <script>alert(1)</script> `b"))
    assert [html.unescape(code) for code in _code_texts(rendered)] == [
        "a` <script>alert(1)</script> `b"
    ]


FRAGMENTS = [
    "<script>alert(1)</script>",
    "`",
    "``",
    "```",
    "~~~",
    "\n",
    "\n\n",
    "    ",
    "<div>",
    "</div>",
    "<!--",
    "-->",
    "[[jepa]]",
    "[[lewm-stable|x]]",
    "[a](javascript:alert(1))",
    "](",
    "\\",
    "{: onclick=x}",
    "&#60;",
    "> ",
    "# ",
    "- ",
    "|",
    "text",
    "<https://ok.org>",
    '<a href="javascript:x">',
    "<style>",
    "\t",
    "\r",
    "\x02",
    "![i](http://h.example/a.png)",
    "![i](//h.example/a.png)",
    "![r]",
    "[r]: http://h.example/r.png",
    "[r]: javascript:alert(1)",
    "![",
    "](data:image/png;base64,AA)",
]


def test_random_mixtures_of_markup_never_produce_unsafe_html() -> None:
    generator = random.Random(20261126)
    for _ in range(400):
        text = "".join(generator.choice(FRAGMENTS) for _ in range(generator.randint(1, 14)))
        assert_safe(to_html(prose_block(text, resolve)))
        assert_safe(to_html("- " + prose_inline(text, resolve)))
        cell = prose_inline(text, resolve, table=True)
        assert_safe(to_html(f"| A |\n| --- |\n| {cell} |"))


def _code_texts(rendered: str) -> list[str]:
    return re.findall(r"<code[^>]*>(.*?)</code>", rendered, flags=re.DOTALL)


def test_entities_keep_exactly_the_alphanumerics_and_the_kept_punctuation() -> None:
    """The one-regex `entities` against its definition, on random text of every plane."""
    import random

    from wiki.markdown_text import KEPT_PUNCTUATION, entities

    def by_definition(text: str) -> str:
        return "".join(c if c.isalnum() or c in KEPT_PUNCTUATION else f"&#{ord(c)};" for c in text)

    rng = random.Random(0)
    for _ in range(20_000):
        text = "".join(
            chr(rng.choice([rng.randrange(128), rng.randrange(128, 0xD000), 0x1D7CE, 0x5F]))
            for _ in range(8)
        )
        assert entities(text) == by_definition(text), repr(text)


def test_a_wiki_link_carries_its_targets_preview_as_an_escaped_hover_title() -> None:
    preview = 'Predicts "embeddings" <not pixels> & more'
    previewed = LinkTarget("../concepts/jepa.md", "JEPA", preview)
    html = to_html(prose_block("See [[jepa]].", lambda node_id: previewed))
    titles = re.findall(r'<a href="[^"]*" title="([^"]*)">JEPA</a>', html)
    assert len(titles) == 1 and "<" not in titles[0]  # escaped: no attribute breaks out
    assert htmllib.unescape(titles[0]) == preview
    assert "title=" not in to_html(prose_block("See [[jepa]].", resolve))  # none given, none shown


def test_attribute_entities_fast_path_writes_what_the_character_loop_writes() -> None:
    from wiki.markdown_text import ATTRIBUTE_SPECIALS, attribute_entities

    def by_character(value: str) -> str:
        return "".join(
            f"&#{ord(c)};" if c in ATTRIBUTE_SPECIALS or not c.isprintable() else c for c in value
        )

    samples = ["plain title", 'a "quoted" <b> & |pipe| `code` \\ end', "tab\there", "é…→ ok"]
    samples += ["".join(chr(c) for c in range(start, start + 64)) for start in range(0, 512, 64)]
    for value in samples:
        assert attribute_entities(value) == by_character(value)
