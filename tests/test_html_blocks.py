"""Lists and tables handed to mkdocs as finished HTML: the same page as Python-Markdown's,
and the fast path without a parser gives what markdown-it gives."""

from __future__ import annotations

import html.parser
from pathlib import Path

import markdown
import pytest

from wiki import html_blocks
from wiki.corpus import load_wiki
from wiki.render import render_pages
from wiki.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
EXTENSIONS = ["toc", "tables", "admonition", "attr_list", "pymdownx.details"]


class _Events(html.parser.HTMLParser):
    """Tags with sorted attributes and text with entities decoded, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []
        self._divs: list[bool] = []  # per open div: is it a wiki-html wrapper (left out)?

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "div":
            self._divs.append(("class", "wiki-html") in attrs)
            if self._divs[-1]:
                return
        attrs = [  # alignment CSS aside; .md links as mkdocs rewrites them
            (name, html_blocks.built_url(value) if name == "href" else value)
            for name, value in attrs
            if name != "style"
        ]
        self.events.append(("start", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._divs and self._divs.pop():
            return
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            if self.events and self.events[-1][0] == "text":
                text = f"{self.events.pop()[1]} {text}"
            self.events.append(("text", text))


def events(page_html: str) -> list[tuple]:
    parser = _Events()
    parser.feed(page_html)
    parser.close()
    return parser.events


def python_markdown(text: str, stash: bool) -> str:
    extensions = [*EXTENSIONS, "wiki.markdown_stash"] if stash else EXTENSIONS
    return markdown.markdown(text, extensions=extensions)


@pytest.fixture(scope="module")
def shipped_pages() -> dict[str, str]:
    settings = load_settings(REPO)
    wiki = load_wiki(settings.root)
    return {k: v for k, v in render_pages(wiki, settings).items() if isinstance(v, str)}


def test_direct_path_gives_what_markdown_it_gives(shipped_pages: dict[str, str]) -> None:
    taken = 0
    for text in shipped_pages.values():
        for block in text.split("\n\n"):
            direct = html_blocks.direct_html(block.strip("\n"))
            if direct is None:
                continue
            taken += 1
            assert events(direct) == events(html_blocks._parser().render(block)), block
    assert taken > 20  # the shipped wiki's lists and tables do take the direct path


def test_pages_read_the_same_with_and_without_prerendered_blocks(
    shipped_pages: dict[str, str],
) -> None:
    """Python-Markdown's HTML of each generated page equals the HTML of the page whose lists
    and tables were rendered beforehand (as tags and text; whitespace aside)."""
    changed = 0
    for path, text in shipped_pages.items():
        prerendered = html_blocks.prerender_blocks(text)
        changed += prerendered != text
        assert events(python_markdown(prerendered, stash=True)) == events(
            python_markdown(text, stash=False)
        ), path
    assert changed > 10


@pytest.mark.parametrize(
    "block",
    [
        "- [a *b*](x.md) c",  # emphasis in a label
        "- a **b**",
        "- a `code`",
        "- see [x](y.md)\n    - nested",
        "| a | b |\n| --- | --- |\n| x \\| y | z |",
        "| a | b |\n| --- | --- |\n| only one |",
        "- ![img](a.png)",
        "- <http://x.example>",
    ],
)
def test_anything_with_inline_syntax_left_goes_to_markdown_it(block: str) -> None:
    assert html_blocks.direct_html(block) is None


def test_links_are_written_as_mkdocs_writes_them() -> None:
    html = html_blocks.direct_html('- [A \\*b\\*](../sources/a.md#claim:x "T") end')
    assert html == (
        '<ul>\n<li><a href="../sources/a.html#claim:x" title="T">A &#42;b&#42;</a> end</li>'
        "\n</ul>\n"
    )


def test_stash_keeps_blocks_that_are_not_finished_html() -> None:
    """A wiki-html div with a blank line inside is left to Python-Markdown, whole."""
    text = 'before\n\n<div class="wiki-html">\n<p>a</p>\n\n<p>b</p>\n</div>\n\nafter\n'
    assert events(python_markdown(text, stash=True)) == events(python_markdown(text, stash=False))


def test_stash_takes_a_block_inside_a_fold() -> None:
    html = '<div class="wiki-html">\n<ul>\n<li>x</li>\n</ul>\n</div>'
    text = '??? note "More"\n\n' + "".join(f"    {line}\n" for line in html.split("\n"))
    out = python_markdown(text, stash=True)
    assert "<details" in out and "<li>x</li>" in out and "<p>" not in out.split("<ul>")[0][-20:]


def test_user_docs_pages_are_not_prerendered() -> None:
    """Only pages carrying the generator's mark are touched (a user's own Markdown is not)."""
    from wiki.markdown_stash import prerender_generated

    user = "# Notes\n\n- [a](b.md)\n"
    assert prerender_generated(user) == user
    generated = "# Page\n\n<!-- Generated by `wiki build`. -->\n\n- [a](b.md)\n"
    assert prerender_generated(generated) != generated
