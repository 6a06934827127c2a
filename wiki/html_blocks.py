"""Generated Markdown -> the same Markdown with its lists and tables already turned into HTML.

A cold build of a dense wiki spent most of its mkdocs time in Python-Markdown's inline
patterns, over the link-heavy lists and tables the templates write (sources, backlinks,
the claims index). Those blocks need nothing from mkdocs, so they are rendered here, once,
by markdown-it-py into a raw HTML block `<div class="wiki-html">` that Python-Markdown
passes through; `wiki.markdown_stash` hands such blocks (and the prose blocks of
`wiki.markdown_text`) to its HTML stash without even parsing them.

Only blocks whose meaning is the same in both dialects are taken: at the start of a line,
after a blank line, nothing but list items (`- `, nested by four spaces) or a table, no
attr_list braces, no HTML ids (mkdocs collects those as link anchors), no placeholders.
Headings, admonitions and `???` folds stay Markdown, so the TOC, heading anchors and
folds are mkdocs' own. Local links are written as mkdocs would write them: `a.md#x` ->
`a.html#x` (the site builds with `use_directory_urls: false`).
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from wiki.prose_parser import UrlKind, url_kind

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from markdown_it.utils import OptionsDict

HTML_BLOCK_OPEN = '<div class="wiki-html">'
HTML_SUFFIX = ".html"

_LIST_LINE = re.compile(r"(?:    )*- \S")
FOLD_INDENT = "    "  # pymdownx.details: a fold's content is indented by four spaces
# The title line of a `???` fold (pymdownx.details); its content follows, indented.
_FOLD_HEADER = re.compile(r'\?\?\?\+? [a-z]+(?: "[^"\n]*")?')
_TABLE_DELIMITER = re.compile(r"\|(?: *:?-+:? *\|)+")
# What would mean something else to mkdocs than to markdown-it, or must stay visible to it.
_KEEP_AS_MARKDOWN = re.compile(r"\{[:#.]|\{ *[#.]| id=| name=|[\x02\x03]|^ {0,3}[?!]{3}", re.M)


def prerender_blocks(markdown: str) -> str:
    """`markdown` with every plain list and table block replaced by its HTML (see above)."""
    body = markdown.rstrip("\n")
    blocks = body.split("\n\n")
    rendered_blocks = list(blocks)
    for index, block in enumerate(blocks):
        before = blocks[index - 1] if index > 0 else ""
        after = blocks[index + 1] if index + 1 < len(blocks) else ""
        if _FOLD_HEADER.fullmatch(before) and _is_plain_list(block, indent=FOLD_INDENT):
            if not after.startswith(FOLD_INDENT):  # nothing more in the fold
                rendered = _render(textwrap.dedent(block))
                if rendered is not None:
                    rendered_blocks[index] = textwrap.indent(rendered, FOLD_INDENT)
            continue
        if not (_is_plain_list(block) or _is_plain_table(block)):
            continue
        if _continues_a_list(before) or _continues_a_list(after):
            continue  # one loose list over blank lines, or an item's indented paragraph
        rendered = _render(block)
        if rendered is not None:
            rendered_blocks[index] = rendered
    return "\n\n".join(rendered_blocks) + markdown[len(body) :]


def _continues_a_list(block: str) -> bool:
    return block[:1] in (" ", "\t") or bool(re.match(r"(?:[-*+]|\d+[.)])(?: |$)", block))


def _is_plain_list(block: str, indent: str = "") -> bool:
    if not block.startswith(indent + "- ") or _KEEP_AS_MARKDOWN.search(block):
        return False
    return all(
        line.startswith(indent) and _LIST_LINE.match(line, len(indent))
        for line in block.split("\n")
    )


def _is_plain_table(block: str) -> bool:
    if not block.startswith("|") or _KEEP_AS_MARKDOWN.search(block):
        return False
    lines = block.split("\n")
    return (
        len(lines) >= 2
        and bool(_TABLE_DELIMITER.fullmatch(lines[1].strip()))
        and all(line.startswith("|") for line in lines)
    )


def _render(block: str) -> str | None:
    html = direct_html(block)
    if html is None:
        html = _parser().render(block)
    if "\n\n" in html or "\n</div>\n" in html:
        return None  # a blank line or a closing div would end the raw HTML block early
    return f"{HTML_BLOCK_OPEN}\n{html}</div>"


@functools.cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # The templates' own inline HTML (badges, prose already rendered) passes through.
    parser = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    parser.enable("table")
    parser.add_render_rule("link_open", _link_open)
    return parser


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if url_kind(href) is UrlKind.LOCAL:
        token.attrSet("href", built_url(href))
    return str(self.renderToken(tokens, idx, options, env))


def built_url(url: str) -> str:
    """A local Markdown link as mkdocs would write it: 'a.md#x' -> 'a.html#x'."""
    path, hash_sign, anchor = url.partition("#")
    if path.endswith(".md"):
        path = path[: -len(".md")] + HTML_SUFFIX
    return path + hash_sign + anchor


# --- the direct path: blocks with no Markdown inline syntax left once links are HTML ------
#
# The templates' lists and tables are mostly links (`PageLinks.link` / `cite`: a label of
# escaped text, a relative URL, maybe a title), badges and prose already in HTML. Such a
# block is written out here without a parser; markdown-it renders everything else. The
# test pins the two paths to the same HTML on whole generated wikis.

_MD_LINK = re.compile(
    r'(?<![\\!\]])\[((?:[^\[\]\\\n]|\\[!-/:-@\[-`{-~])*)\]\(([^\s()"<>\\&]+)(?: "([^"\n\\]*)")?\)'
)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s+[a-zA-Z_:][-a-zA-Z0-9_.:]*=\"[^\"<>`]*\")*\s*/?>")
# `**plain words**` between spaces (or the ends, or a colon after): strong in every dialect.
_STRONG = re.compile(r"(^| )\*\*([A-Za-z0-9][A-Za-z0-9 .,:;()/-]*[A-Za-z0-9])\*\*(?=$|[ :,.;])")
_INLINE_SYNTAX = re.compile(r"[\\`*_\[\]!<>&~|]")


def direct_html(block: str) -> str | None:
    """The HTML of a flat list or a table whose text needs no inline parsing, else None."""
    lines = block.split("\n")
    if block.startswith("- "):
        if any(not line.startswith("- ") for line in lines):
            return None  # nested lists: markdown-it
        items = [inline_html(line[2:]) for line in lines]
        if any(item is None for item in items):
            return None
        return "<ul>\n" + "".join(f"<li>{item}</li>\n" for item in items) + "</ul>\n"
    return _direct_table(lines)


def _direct_table(lines: list[str]) -> str | None:
    rows = [_cells(line) for line in lines]
    if any(row is None for row in rows) or len(rows) < 2:
        return None
    header, delimiter, *body = rows
    assert header is not None and delimiter is not None
    if len(delimiter) != len(header):
        return None
    styles = [_alignment(cell) for cell in delimiter]
    head = _table_row("th", header, styles)
    if head is None:
        return None
    out = ["<table>\n<thead>\n", head, "</thead>\n"]
    if body:
        out.append("<tbody>\n")
        for row in body:
            assert row is not None
            if len(row) != len(header):
                return None  # markdown-it pads or cuts rows: leave those to it
            cells = _table_row("td", row, styles)
            if cells is None:
                return None
            out.append(cells)
        out.append("</tbody>\n")
    out.append("</table>\n")
    return "".join(out)


def _table_row(tag: str, cells: list[str], styles: list[str]) -> str | None:
    """One `<tr>` of `tag` cells, or None when a cell needs markdown-it."""
    out = ["<tr>\n"]
    for cell, style in zip(cells, styles, strict=True):
        html = inline_html(cell)
        if html is None:
            return None
        out.append(f"<{tag}{style}>{html}</{tag}>\n")
    out.append("</tr>\n")
    return "".join(out)


def _cells(line: str) -> list[str] | None:
    line = line.strip()
    if "\\|" in line or "`" in line or not (line.startswith("|") and line.endswith("|")):
        return None
    return [cell.strip() for cell in line[1:-1].split("|")]


def _alignment(delimiter: str) -> str:
    left, right = delimiter.startswith(":"), delimiter.endswith(":")
    if left and right:
        return ' style="text-align:center"'
    if right:
        return ' style="text-align:right"'
    if left:
        return ' style="text-align:left"'
    return ""


def inline_html(text: str) -> str | None:
    """`text` as HTML when, once its links are HTML, only tags, entities and plain text are
    left; None when any character could still be Markdown syntax."""
    text = _STRONG.sub(r"\1<strong>\2</strong>", _MD_LINK.sub(_link_html, text.strip()))
    if "\x00" in text:
        return None  # a link whose label holds inline syntax: markdown-it
    bare = _ENTITY.sub("", _TAG.sub("", text))
    if _INLINE_SYNTAX.search(bare):
        return None
    return text


def _link_html(match: re.Match[str]) -> str:
    label, url, title = match.groups()
    if _INLINE_SYNTAX.search(_ENTITY.sub("", _ESCAPE.sub("", label))):
        return "\x00"  # emphasis, code or a tag in the label
    label_html = _ESCAPE.sub(lambda escape: f"&#{ord(escape.group(1))};", label)
    href = built_url(url) if url_kind(url) is UrlKind.LOCAL else url
    title_html = ""
    if title is not None:
        if _INLINE_SYNTAX.search(_ENTITY.sub("", title)):
            return "\x00"
        title_html = f' title="{title}"'
    return f'<a href="{href}"{title_html}>{label_html}</a>'
