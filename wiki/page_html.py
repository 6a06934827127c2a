"""Generated pages to HTML without Python-Markdown, where the HTML is the one it writes.

After `wiki.html_blocks` and `wiki.markdown_stash` have done their work, a concept,
source or entity page that `wiki build` generated is a short list of shapes: headings
(some with an attr_list id), finished HTML blocks, one-line raw HTML blocks and comments,
a paragraph of inline tags and plain text, and `???` folds (pymdownx.details) holding
HTML blocks or flat lists of links. Python-Markdown still spent ~8 ms a page on them
(block parsing, inline patterns over every text node, the TOC, serializing), a third of
a dense wiki's mkdocs time. `page_html` writes the same HTML directly, with the TOC
tokens, title and anchor ids mkdocs' own `Page.render` collects, using Python-Markdown's
own `slugify`, `unique`, `strip_tags` and `nest_toc_tokens` for the ids and the TOC.

Anything else (a line of another shape, inline Markdown syntax in a heading or a
paragraph, an HTML id mkdocs would collect, a link to a file that is not in the site,
another Markdown extension or another TOC option in mkdocs.yml) returns None, and the
page goes through Python-Markdown as before: slower, never different.
`tests/test_page_html.py` renders every page of the shipped wiki and of a dense
generated one both ways and compares content, TOC, title, anchors and links.
"""

from __future__ import annotations

import functools
import logging
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from markdown.extensions.toc import nest_toc_tokens, slugify, strip_tags, unique

from wiki.html_blocks import built_url, direct_html, inline_html, prerender_blocks
from wiki.markdown_stash import CLOSER, FOLD_INDENT, GENERATED_MARK, OPENERS
from wiki.prose_parser import UrlKind, url_kind

# The Markdown set-up this module writes the HTML of: mkdocs' defaults, the `wiki` plugin's
# additions (`wiki.mkdocs_plugin.PAGE_EXTENSIONS`) and permalinks on headings, no more.
KNOWN_EXTENSIONS = frozenset(
    {"toc", "tables", "fenced_code", "admonition", "attr_list", "pymdownx.details"}
    | {"wiki.markdown_stash"}
)
KNOWN_CONFIGS: tuple[dict[str, Any], ...] = ({}, {"toc": {"permalink": True}})
PERMALINK = '<a class="headerlink" href="#{id}" title="Permanent link">&para;</a>'

_HEADING = re.compile(r"(#{1,6}) +([^\n]*?)(?: +\{ *#([A-Za-z][\w:.-]*) *\})? *")
# with a title: an empty one means something else to each extension
_FOLD = re.compile(r'\?\?\?(\+)? ([\w-]+(?: +[\w-]+)*) +"([^"\n]+)" *')
_ADMONITION = re.compile(r'!!! ([\w-]+(?: +[\w-]+)*) +"([^"\n]+)" *')
_CODE_SPAN = re.compile(r"`([^`\s&<>](?:[^`\n&<>]*[^`\s&<>])?)`")
# text Python-Markdown passes through as it is: no inline syntax, no entity, no tag
_PLAIN = re.compile(r"[^\\`*_\[\]!<>&~|{}#\x00-\x1f\x7f]*")
_INLINE_TAG = re.compile(r'</?(?:span|em|strong|code|a)(?: [a-z-]+="[^"<>&]*")*>')
_RAW_LINE = re.compile(r'<(p|div)(?: [a-z-]+(?:="[^"]*"|=\'[^\']*\')?)*>.*</\1>')
_COMMENT_LINE = re.compile(r"<!--(?:(?!-->).)*-->")
# a paragraph, not a list item, a heading, a quote or code
_PARAGRAPH_START = re.compile(r"[A-Za-z](?![0-9]*[.)] )")
_PARAGRAPH_LINE = re.compile(r"[A-Za-z(\[]")
_ANCHOR_ATTRIBUTE = re.compile(r"\s(?:id|name)\s*=", re.I)
_MD_LINK_URL = re.compile(r"\]\(([^\s()]+)")


class NotPlain(Exception):
    """The page has a shape this module does not write: Python-Markdown renders it."""


@dataclass
class RenderedPage:
    """What mkdocs' `Page.render` leaves on a page, for `Page` to take over."""

    content: str
    toc_tokens: list[dict[str, Any]]
    title: str | None
    anchor_ids: set[str]
    links_to_anchors: dict[Any, dict[str, str]] = field(default_factory=dict)


def config_is_known(config: Any) -> bool:
    """Whether mkdocs.yml's Markdown set-up is the one this module writes HTML for."""
    extensions = config["markdown_extensions"]
    if not all(isinstance(name, str) for name in extensions):
        return False  # an extension object: nobody knows what it does
    if set(extensions) != KNOWN_EXTENSIONS or len(extensions) != len(KNOWN_EXTENSIONS):
        return False
    return dict(config["mdx_configs"] or {}) in KNOWN_CONFIGS


def render_page(markdown: str, page_file: Any, files: Any, permalinks: bool) -> RenderedPage | None:
    """The page's HTML and what mkdocs reads off it, or None when Python-Markdown must
    render it (see the module docstring). `page_file` is the page's mkdocs File and
    `files` the site's, to resolve links as mkdocs does."""
    if GENERATED_MARK not in markdown:
        return None
    try:
        return _Writer(page_file, files, permalinks).page(prerender_blocks(markdown))
    except NotPlain:
        return None


class _Writer:
    def __init__(self, page_file: Any, files: Any, permalinks: bool) -> None:
        self.page_file = page_file
        self.files = files
        self.permalinks = permalinks
        self.links_to_anchors: dict[Any, dict[str, str]] = {}

    def page(self, markdown: str) -> RenderedPage:
        lines = markdown.split("\n")
        pieces: list[str | _Heading] = []
        self.blocks(lines, pieces, in_fold=False)
        headings = [piece for piece in pieces if isinstance(piece, _Heading)]
        used = {heading.id for heading in headings if heading.id is not None}
        counters: dict[str, int] = {}
        tokens = []
        for heading in headings:
            if heading.id is None:
                heading.id = unique(slugify(heading.text, "-"), used, counters)
            tokens.append(
                {
                    "level": heading.level,
                    "id": heading.id,
                    "name": strip_tags(heading.text),
                    "html": heading.text,
                    "data-toc-label": "",
                }
            )
        if self.permalinks:  # mkdocs' link processor reads each permalink as a self-link
            for heading in headings:
                assert heading.id is not None
                self.links_to_anchors.setdefault(self.page_file, {}).setdefault(
                    heading.id, f"#{heading.id}"
                )
        first = pieces[0] if pieces else None
        title = first.text if isinstance(first, _Heading) and first.level == 1 else None
        content = "\n".join(
            piece.html(self.permalinks) if isinstance(piece, _Heading) else piece
            for piece in pieces
        )
        return RenderedPage(
            content=content,
            toc_tokens=nest_toc_tokens(tokens),
            title=title,
            anchor_ids={heading.id for heading in headings if heading.id is not None},
            links_to_anchors=self.links_to_anchors,
        )

    def blocks(self, lines: list[str], out: list[str | _Heading], in_fold: bool) -> None:
        """Append the HTML of `lines` (blocks separated by blank lines) to `out`."""
        index, count = 0, len(lines)
        while index < count:
            line = lines[index]
            if not line.strip():
                index += 1
                continue
            if index > 0 and lines[index - 1].strip():
                raise NotPlain("a block that does not start after a blank line")
            if line in OPENERS:
                end = _block_end(lines, index)
                out.append("\n".join(lines[index : end + 1]))
                index = end + 1
                continue
            end = _chunk_end(lines, index)
            chunk = lines[index:end]
            if not in_fold and (fold := _FOLD.fullmatch(line)):
                end = _fold_end(lines, index + 1)
                out.append(self.fold(fold, lines[index + 1 : end]))
            elif not in_fold and (admonition := _ADMONITION.fullmatch(line)):
                end = _fold_end(lines, index + 1)
                out.append(self.admonition(admonition, lines[index + 1 : end]))
            elif line.startswith("<span") or _PARAGRAPH_START.match(line):
                out.append(self.paragraph(chunk))
            elif in_fold and line.startswith("- "):
                following = next((later for later in lines[end:] if later.strip()), "")
                if following.startswith(("- ", " ", "\t")):
                    raise NotPlain("a loose list, or an item's indented paragraph")
                out.append(self.plain_list(chunk))
            elif len(chunk) > 1:
                raise NotPlain("a block of several lines")
            elif not in_fold and (heading := _HEADING.fullmatch(line)):
                out.append(_heading(heading))
            elif not in_fold and (_RAW_LINE.fullmatch(line) or _COMMENT_LINE.fullmatch(line)):
                if _ANCHOR_ATTRIBUTE.search(line):
                    raise NotPlain("an HTML id mkdocs would collect")
                out.append(line + "\n")
            else:
                raise NotPlain(f"a line of another shape: {line[:40]!r}")
            index = end

    def fold(self, fold: re.Match[str], content: list[str]) -> str:
        """A `???` fold (pymdownx.details) as a `<details>` element."""
        opened, classes, title = fold.groups()
        attributes = f' class="{" ".join(classes.split())}"' + (' open="open"' if opened else "")
        body = self.indented(content)
        return f"<details{attributes}>\n<summary>{_plain(title)}</summary>\n{body}\n</details>"

    def admonition(self, admonition: re.Match[str], content: list[str]) -> str:
        """A `!!!` admonition as Python-Markdown's admonition extension writes it."""
        classes, title = admonition.groups()
        body = self.indented(content)
        return (
            f'<div class="admonition {" ".join(classes.split())}">\n'
            f'<p class="admonition-title">{_plain(title)}</p>\n{body}\n</div>'
        )

    def indented(self, content: list[str]) -> str:
        """The HTML of a fold's or an admonition's content, indented by four spaces."""
        if not any(line.strip() for line in content):
            raise NotPlain("a fold without content")
        dedented = [line[len(FOLD_INDENT) :] for line in content]
        if dedented[0].strip():
            dedented.insert(0, "")
        inner: list[str | _Heading] = []
        self.blocks(dedented, inner, in_fold=True)
        return "\n".join(piece for piece in inner if isinstance(piece, str))

    def paragraph(self, chunk: list[str]) -> str:
        """Lines of text, simple inline tags, entities, code spans and links, as `<p>`."""
        for number, line in enumerate(chunk):
            if line != line.rstrip() or line.startswith((" ", "\t")):
                raise NotPlain("a line break or indented code")
            if _ANCHOR_ATTRIBUTE.search(line):
                raise NotPlain("an HTML id mkdocs would collect")
            if number > 0 and not _PARAGRAPH_LINE.match(line):
                raise NotPlain("a line that may start another block")
        text = "\n".join(chunk)
        html = inline_html(_CODE_SPAN.sub(r"<code>\1</code>", text))
        if html is None:
            raise NotPlain("inline syntax")
        for url in _MD_LINK_URL.findall(text):
            self.resolve(url.split('"')[0])
        return f"<p>{html}</p>"

    def plain_list(self, chunk: list[str]) -> str:
        """A flat list of plain text and links, as Python-Markdown and mkdocs write it."""
        block = "\n".join(chunk)
        html = direct_html(block)
        if html is None or "<ul>" not in html[:4]:
            raise NotPlain("a list that needs Markdown parsing")
        for url in _MD_LINK_URL.findall(block):
            self.resolve(url.split('"')[0])
        return html.rstrip("\n")

    def resolve(self, url: str) -> None:
        """Check a local link as mkdocs' link processor does; record links to anchors."""
        if url_kind(url) is not UrlKind.LOCAL:
            return
        path, _, anchor = url.partition("#")
        if not path.endswith(".md") or "%" in path or "?" in path:
            raise NotPlain("a link mkdocs reads differently")
        target_path = posixpath.normpath(
            posixpath.join(posixpath.dirname(self.page_file.src_uri), path)
        )
        target = self.files.get_file_from_path(target_path)
        if target is None or not target.inclusion.is_included():
            raise NotPlain("a link to a file that is not in the site: mkdocs warns")
        if built_url(path) != target.url_relative_to(self.page_file):
            raise NotPlain("a link mkdocs writes differently")
        if anchor:
            self.links_to_anchors.setdefault(target, {}).setdefault(anchor, url)


@dataclass
class _Heading:
    level: int
    text: str
    id: str | None

    def html(self, permalinks: bool) -> str:
        link = PERMALINK.format(id=self.id) if permalinks else ""
        return f'<h{self.level} id="{self.id}">{self.text}{link}</h{self.level}>'


def _heading(match: re.Match[str]) -> _Heading:
    hashes, text, heading_id = match.groups()
    text = _plain(text.rstrip("#").strip())
    if not text:
        raise NotPlain("an empty heading")
    return _Heading(len(hashes), text, heading_id)


def _plain(text: str) -> str:
    if not _PLAIN.fullmatch(text) or text != text.strip() or "  " in text:
        raise NotPlain("inline syntax")
    return text


def _chunk_end(lines: list[str], start: int) -> int:
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    return end


def _block_end(lines: list[str], start: int) -> int:
    """The closing line of a finished HTML block (as `wiki.markdown_stash` finds it)."""
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            break
        if line == CLOSER and (index + 1 == len(lines) or not lines[index + 1].strip()):
            return index
    raise NotPlain("an HTML block the stash would not take")


def _fold_end(lines: list[str], start: int) -> int:
    """The end of a fold's content: indented lines and the blank lines between them."""
    end = start
    last = start
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(FOLD_INDENT)):
        if lines[end].strip():
            last = end + 1
        end += 1
    return last


def use_generated_html(page: Any, config: Any) -> None:
    """Let `page` (a mkdocs Page) be written by `render_page` when mkdocs.yml's Markdown
    set-up is the known one: its class becomes `GeneratedPage`, which falls back to
    mkdocs' own rendering page by page. A subclass from another plugin is left alone."""
    from mkdocs.structure.pages import Page

    if type(page) is Page and config_is_known(config):
        page.__class__ = _generated_page_class()


@functools.cache
def _generated_page_class() -> type:
    from mkdocs.structure.pages import Page
    from mkdocs.structure.toc import get_toc

    pages_log = logging.getLogger("mkdocs.structure.pages")

    class GeneratedPage(Page):
        """A page whose generated Markdown `render_page` writes to HTML where it can."""

        def render(self, config: Any, files: Any) -> None:
            rendered = None
            if self.markdown is not None and config_is_known(config):
                toc = dict(config["mdx_configs"] or {}).get("toc", {})
                permalinks = toc.get("permalink") is True
                rendered = render_page(self.markdown, self.file, files, permalinks)
            if rendered is None:
                super().render(config, files)
                return
            self.content = rendered.content
            self.toc = get_toc(rendered.toc_tokens)  # type: ignore[arg-type]
            self._title_from_render = rendered.title
            self.present_anchor_ids = rendered.anchor_ids
            if pages_log.getEffectiveLevel() > logging.DEBUG:  # as mkdocs' Page.render
                self.links_to_anchors = rendered.links_to_anchors

    return GeneratedPage
