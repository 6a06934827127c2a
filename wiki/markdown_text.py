"""Prose fields -> safe Markdown for the generated site.

Prose in a page is Markdown written by people. Before it reaches mkdocs it is made safe and
linked: raw HTML and entities are escaped so `<script>` shows as text, link targets with a
scheme other than http, https or mailto are defused, and `[[id]]` / `[[id|label]]` become
relative Markdown links to the page (or to a claim's anchor on its page).

Code is the one place where `<` must stay `<`. Rather than guess how Python-Markdown will
pair backticks and fences, code is turned into HTML here (`<code>` / `<pre><code>`) with every
character that Markdown or HTML could read escaped as an entity; whatever backtick or fence
is left over is escaped too. So the output holds no `<` that did not come from this module.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from wiki.corpus import LINK_PATTERN


@dataclass(frozen=True)
class LinkTarget:
    url: str  # relative Markdown path, optionally with '#anchor', e.g. '../sources/a-paper.md'
    label: str  # plain text shown when the link gives none (a page title or a claim id)


# Maps a page or claim id to its LinkTarget, relative to the page being rendered; None for
# an id it does not know (the corpus reports those as content errors before rendering).
Resolver = Callable[[str], LinkTarget | None]


FENCED_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ ]*(?P<lang>[\w#.+-]*)[ ]*\n(?P<code>.*?)\n(?P=fence)[ ]*$",
    re.MULTILINE | re.DOTALL,
)
CODE_SPAN = re.compile(r"(?<!\\)(?P<ticks>`+)(?P<code>[^`\n](?:.*?[^`])??)(?P=ticks)(?!`)")
AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^\s<>`]*)>", re.IGNORECASE)
LINK_DESTINATION = re.compile(r"(\]\([ ]*|^[ ]{0,3}\[[^\]\n]+\]:[ ]*)", re.MULTILINE)
SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
URL_NOISE = re.compile(r"[\x00-\x20\\<]")  # what browsers skip or Markdown drops in a URL
ENTITY_IN_CODE = re.compile(r"[^A-Za-z0-9 ]")

PLAIN_SPECIALS = re.compile(r"([\\`*_\[\]{}|#])")
PLAIN_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])")


def prose_block(text: str, resolve: Resolver) -> str:
    """Markdown for a prose field placed on its own, starting at column 0 between blank lines."""
    text = _normalize(text)
    pieces: list[str] = []
    position = 0
    for fenced in FENCED_BLOCK.finditer(text):
        pieces.append(_inline(text[position : fenced.start()], resolve, table=False))
        pieces.append(_code_block(fenced.group("code"), fenced.group("lang")))
        position = fenced.end()
    pieces.append(_inline(text[position:], resolve, table=False))
    return "".join(pieces).strip("\n")


def prose_inline(text: str, resolve: Resolver, *, table: bool = False) -> str:
    """Markdown for a prose field placed inside one line (a list item or, with table=True,
    a table cell): whitespace and newlines collapse to single spaces, pipes are escaped."""
    return _inline(" ".join(_normalize(text).split()), resolve, table=table)


def plain_text(text: str) -> str:
    """Markdown that shows a plain string (a title, a metric name) exactly as written."""
    escaped = html.escape(" ".join(text.split()), quote=False)
    escaped = PLAIN_SPECIALS.sub(r"\\\1", escaped)
    return PLAIN_LINE_START.sub(lambda match: match.group(1) + "\\" + match.group(2), escaped)


def code_text(text: str) -> str:
    """Markdown that shows a plain string as inline code, whatever characters it holds."""
    return "<code>" + _entities(text) + "</code>"


def _normalize(text: str) -> str:
    # Python-Markdown uses STX/ETX as its own placeholders; never let prose carry them.
    text = text.replace("\x02", "").replace("\x03", "")
    return text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)


def _inline(text: str, resolve: Resolver, *, table: bool) -> str:
    """Text with single-line code spans turned into escaped `<code>` HTML, the rest made safe."""
    pieces: list[str] = []
    position = 0
    for span in CODE_SPAN.finditer(text):
        pieces.append(_safe_text(text[position : span.start()], resolve, table=table))
        pieces.append(code_text(span.group("code").strip()))
        position = span.end()
    pieces.append(_safe_text(text[position:], resolve, table=table))
    return "".join(pieces)


def _code_block(code: str, lang: str) -> str:
    # A raw HTML block: Python-Markdown passes it through without reading it as Markdown.
    css_class = f' class="language-{_entities(lang)}"' if lang else ""
    lines = (_entities(line) for line in code.split("\n"))
    return f"\n\n<pre><code{css_class}>" + "&#10;".join(lines) + "</code></pre>\n\n"


def _entities(code: str) -> str:
    """Every character that HTML or Markdown could read as syntax, as a numeric entity."""
    return ENTITY_IN_CODE.sub(lambda match: f"&#{ord(match.group(0))};", code)


def _safe_text(text: str, resolve: Resolver, *, table: bool) -> str:
    """Text outside code: escape HTML, leftover backticks, braces and unsafe URLs; expand
    wiki links; in a table cell escape pipes."""
    text = _escape_html_keeping_autolinks(text)
    text = text.replace("`", "\\`").replace("~~~", "&#126;~~")  # no code or fence opens later
    text = text.replace("{", "\\{").replace("}", "\\}")  # no attribute lists from prose
    text = _defuse_unsafe_urls(text)
    text = LINK_PATTERN.sub(lambda match: _wiki_link(match, resolve), text)
    return text.replace("|", "\\|") if table else text


def _escape_html_keeping_autolinks(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for autolink in AUTOLINK.finditer(text):
        pieces.append(_escape_html(text[position : autolink.start()]))
        pieces.append("<" + autolink.group(1).replace("&", "&amp;") + ">")
        position = autolink.end()
    pieces.append(_escape_html(text[position:]))
    return "".join(pieces)


def _escape_html(text: str) -> str:
    # '>' stays: it cannot open a tag, and it starts block quotes in Markdown.
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _defuse_unsafe_urls(text: str) -> str:
    """Prefix link destinations whose scheme is not http(s)/mailto, so `javascript:` is inert."""

    def defuse(match: re.Match[str]) -> str:
        rest = text[match.end() : match.end() + 200]
        scheme = SCHEME.match(URL_NOISE.sub("", rest.replace("&lt;", "")))
        if scheme and scheme.group(1).lower() not in SAFE_SCHEMES:
            return match.group(0) + "unsafe-"
        return match.group(0)

    return LINK_DESTINATION.sub(defuse, text)


def _wiki_link(match: re.Match[str], resolve: Resolver) -> str:
    target = resolve(match.group(1).strip())
    if target is None:  # unknown id (the corpus reports it): shown as written
        return match.group(0).replace("[", "\\[").replace("]", "\\]")
    given = (match.group(2) or "").strip()
    label = given if given else plain_text(target.label)
    return f"[{label}]({target.url})"
