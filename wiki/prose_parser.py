"""The one Markdown parser for prose fields: markdown-it-py, raw HTML off, `[[wiki links]]`.

Rendering (`wiki.markdown_text`) and checking (`wiki.prose_check`) read prose through the
same parse, so what `wiki check` inspects is exactly what the site shows. Two parsers are
built from one recipe and differ only in `validateLink`:

- the rendering parser accepts a link or image only when its URL has no scheme or an
  http, https or mailto one (an allow-list; a `javascript:` link stays plain text);
- the checking parser accepts every URL, so the check sees what an author wrote and can
  name it.

Safety rests on the parser: with `html` disabled, markdown-it emits no tag that did not
come from a Markdown construct, and every URL it emits passed `validateLink`.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from wiki.references import LINK_PATTERN  # the linker's pattern: render and check agree


@dataclass(frozen=True)
class LinkTarget:
    url: str  # relative Markdown path, optionally with '#anchor', e.g. '../sources/a-paper.md'
    label: str  # plain text shown when the link gives none (a page title or a claim id)
    title: str = ""  # plain text the link's hover shows (a claim's statement, a summary)


# Maps a page or claim id to its LinkTarget, relative to the page being rendered; None for
# an id it does not know (the corpus reports those as content errors before rendering).
Resolver = Callable[[str], LinkTarget | None]

WIKI_LINK_MARKUP = "[[]]"  # Token.markup of the link_open token of a [[wiki link]]
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
REMOTE_SCHEMES = frozenset({"http", "https"})


class UrlKind(Enum):
    """What a URL in prose points at, as a browser would read it."""

    LOCAL = "local"  # no scheme and no host: a path or anchor of this site
    REMOTE = "remote"  # another host: http(s)://host, //host, or http:host
    MAILTO = "mailto"
    FORBIDDEN = "forbidden"  # any other scheme (javascript:, data:, file:, ...)


@functools.lru_cache(maxsize=1 << 16)  # a page's links repeat across lists and pages
def url_kind(url: str) -> UrlKind:
    """Classify a URL with the standard library's WHATWG-style splitting (which drops the
    tabs, newlines and leading control characters a browser ignores)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:  # e.g. an invalid IPv6 host: no browser would load it locally either
        return UrlKind.FORBIDDEN
    scheme = parts.scheme.lower()
    if scheme in REMOTE_SCHEMES or (not scheme and parts.netloc):
        # http:host with no slashes still leaves the site when the page is served over https
        return UrlKind.REMOTE
    if scheme == "mailto":
        return UrlKind.MAILTO
    if scheme:
        return UrlKind.FORBIDDEN
    return UrlKind.LOCAL


def allowed_url(url: str) -> bool:
    """The rendering parser's allow-list: no scheme, or http, https or mailto."""
    return url_kind(url) is not UrlKind.FORBIDDEN


@functools.cache
def rendering_parser() -> MarkdownIt:
    """The parser whose tokens become the site's HTML."""
    return _parser(allowed_url)


@functools.cache
def checking_parser() -> MarkdownIt:
    """The same parser accepting every URL, so `wiki check` can report the unsafe ones."""
    return _parser(lambda url: True)


def _parser(validate_link: Callable[[str], bool]) -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    parser.disable("entity")  # `&lt;` in prose shows as written, like raw HTML does
    parser.validateLink = validate_link  # type: ignore[method-assign,assignment]
    parser.inline.ruler.before("link", "wiki_link", _wiki_link_rule)
    return parser


def _wiki_link_rule(state: StateInline, silent: bool) -> bool:
    """`[[id]]` / `[[id|label]]`: a link to the resolved page or claim (the resolver comes in
    `env["resolve"]`), the label parsed as inline Markdown; an unknown id stays as written."""
    if not state.src.startswith("[[", state.pos):
        return False
    match = LINK_PATTERN.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    if not silent:
        resolve: Resolver | None = state.env.get("resolve")
        target = resolve(match.group(1).strip()) if resolve else None
        if target is None:
            state.push("text", "", 0).content = match.group(0)
        else:
            opening = state.push("link_open", "a", 1)
            opening.attrs = {"href": target.url}
            if target.title:
                opening.attrs["title"] = target.title
            opening.markup = WIKI_LINK_MARKUP
            if match.group(2):  # the label, without the spaces around it
                _tokenize_inside(state, match.start(2), match.end(2))
            else:
                state.push("text", "", 0).content = target.label
            state.push("link_close", "a", -1).markup = WIKI_LINK_MARKUP
    state.pos = match.end()
    return True


def _tokenize_inside(state: StateInline, start: int, end: int) -> None:
    saved = state.pos, state.posMax
    state.pos, state.posMax = start, end
    state.linkLevel += 1  # a label is inside a link: no nested links from it
    state.md.inline.tokenize(state)
    state.linkLevel -= 1
    state.pos, state.posMax = saved


def walk(tokens: list[Token]) -> Iterator[Token]:
    """Every token of a parse, inline children included, in document order."""
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)
