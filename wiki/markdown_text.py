"""Prose fields -> HTML that the generated Markdown pages carry through mkdocs untouched.

Prose in a page is Markdown written by people. It is rendered here, once, by markdown-it-py
(`wiki.prose_parser`: raw HTML off, a URL-scheme allow-list, `[[id]]` / `[[id|label]]` as
links to a page or a claim's anchor), never by Python-Markdown:

- `prose_block` wraps the HTML in `<div class="wiki-prose">` between blank lines, a raw HTML
  block that Python-Markdown passes through without reading it;
- `prose_inline` renders inline Markdown only (for a list item or a table cell), where
  Python-Markdown does read the text between tags.

Both write every character of text and attribute values that Markdown or HTML could read
as syntax as a numeric entity (`*` -> `&#42;`), so whatever reads the result next sees tags
that markdown-it made and plain text, nothing else; a code block's newlines are entities
too, so a block holds no blank line that could end the raw HTML block early. The result is
a pure function of the text, the link targets and `allow_remote_images`.

Remote images are shown as links unless allowed (the check reports them as errors anyway);
local `.md` links point at the built `.html` file, as mkdocs itself would write them.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import Any

from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict

from wiki.prose_parser import LinkTarget, Resolver, UrlKind, rendering_parser, url_kind

__all__ = ["LinkTarget", "Resolver", "code_text", "plain_text", "prose_block", "prose_inline"]

# Characters no Markdown flavour or HTML parser reads as syntax; all others become entities.
KEPT_PUNCTUATION = frozenset(" .,;?/()%'-")
ATTRIBUTE_SPECIALS = frozenset('"&<>|`\\')
_ATTRIBUTE_SPECIAL = re.compile("[" + re.escape("".join(sorted(ATTRIBUTE_SPECIALS))) + "]")
HTML_SUFFIX = ".html"  # mkdocs builds with use_directory_urls: false (see wiki.site)

PLAIN_SPECIALS = re.compile(r"([\\`*_\[\]{}|#])")
PLAIN_LINE_START = re.compile(r"^(\s*)([-+]|\d+[.)])")


def prose_block(text: str, resolve: Resolver, *, allow_remote_images: bool = False) -> str:
    """HTML for a prose field placed on its own, as a raw HTML block between blank lines."""
    env = _env(resolve, allow_remote_images)
    rendered = _RENDERER.render(rendering_parser().parse(_normalize(text), env), _OPTIONS, env)
    return f'\n\n<div class="wiki-prose">\n{rendered}</div>\n\n'


def prose_inline(
    text: str, resolve: Resolver, *, table: bool = False, allow_remote_images: bool = False
) -> str:
    """HTML for a prose field placed inside one line (a list item or, with table=True, a
    table cell): inline Markdown only, whitespace and newlines collapsed to single spaces.
    Pipes are always entities, so `table` changes nothing and is kept for the callers."""
    env = _env(resolve, allow_remote_images)
    parser = rendering_parser()
    tokens = parser.parseInline(" ".join(_normalize(text).split()), env)
    return _RENDERER.render(tokens, _OPTIONS, env)


@functools.lru_cache(maxsize=65536)  # the same titles and ids come back on every page
def plain_text(text: str) -> str:
    """Markdown that shows a plain string (a title, a metric name) exactly as written."""
    escaped = html.escape(" ".join(text.split()), quote=False)
    escaped = PLAIN_SPECIALS.sub(r"\\\1", escaped)
    return PLAIN_LINE_START.sub(lambda match: match.group(1) + "\\" + match.group(2), escaped)


def code_text(text: str) -> str:
    """Markdown that shows a plain string as inline code, whatever characters it holds."""
    return "<code>" + entities(text) + "</code>"


def entities(text: str) -> str:
    """`text` with every character that Markdown or HTML could read as syntax (and every
    control character, newline included) written as a numeric entity."""
    return _NOT_KEPT.sub(_entity, text)


# `\w` is str.isalnum() plus '_' (CPython's sre): '_' and everything neither alphanumeric
# nor in KEPT_PUNCTUATION becomes an entity, one regex pass instead of a loop per character.
_NOT_KEPT = re.compile("_|[^\\w" + re.escape("".join(sorted(KEPT_PUNCTUATION))) + "]")


def _entity(match: re.Match[str]) -> str:
    return f"&#{ord(match.group())};"


def attribute_entities(value: str) -> str:
    """An attribute value for a tag Python-Markdown may see inline: what could end the value
    or the tag, split a table row (`|`) or open a code span, written as an entity."""
    if value.isprintable():  # the common case, one regex pass instead of a loop
        return _ATTRIBUTE_SPECIAL.sub(_entity, value)
    return "".join(
        f"&#{ord(character)};"
        if character in ATTRIBUTE_SPECIALS or not character.isprintable()
        else character
        for character in value
    )


def _normalize(text: str) -> str:
    # Python-Markdown uses STX/ETX as its own placeholders; never let prose carry them.
    text = text.replace("\x02", "").replace("\x03", "")
    return text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)


def _env(resolve: Resolver, allow_remote_images: bool) -> dict[str, Any]:
    return {"resolve": resolve, "allow_remote_images": allow_remote_images}


def _built_url(url: str) -> str:
    """A local Markdown link as mkdocs would write it: 'a.md#x' -> 'a.html#x'."""
    path, hash_sign, anchor = url.partition("#")
    if path.endswith(".md"):
        path = path[: -len(".md")] + HTML_SUFFIX
    return path + hash_sign + anchor


class _ProseRenderer(RendererHTML):
    """markdown-it's HTML renderer, writing text, code and attributes through `entities`."""

    @staticmethod
    def renderAttrs(token: Token) -> str:  # noqa: N802 (markdown-it's name)
        return "".join(
            f' {name}="{attribute_entities(str(value))}"' for name, value in token.attrItems()
        )

    def text(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return entities(tokens[idx].content)

    def code_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return f"<code{self.renderAttrs(tokens[idx])}>{entities(tokens[idx].content)}</code>"

    def code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return f"<pre><code>{entities(tokens[idx].content.removesuffix(chr(10)))}</code></pre>\n"

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        language = token.info.strip().split(" ", 1)[0] if token.info else ""
        css_class = f' class="language-{entities(language)}"' if language else ""
        code = entities(token.content.removesuffix("\n"))
        return f"<pre><code{css_class}>{code}</code></pre>\n"

    def softbreak(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        return "\n"

    def link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        href = str(token.attrGet("href") or "")
        if url_kind(href) is UrlKind.LOCAL:
            token.attrSet("href", _built_url(href))
        return self.renderToken(tokens, idx, options, env)

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: Any) -> str:
        token = tokens[idx]
        source = str(token.attrGet("src") or "")
        kind = url_kind(source)
        alt = self.renderInlineAsText(token.children or [], options, env)
        if kind is UrlKind.LOCAL or (kind is UrlKind.REMOTE and env["allow_remote_images"]):
            token.attrSet("alt", alt)
            return self.renderToken(tokens, idx, options, env)
        # Loading it would leave the site (the check reports it): a link the reader may follow.
        return f'<a href="{attribute_entities(source)}">{entities(alt or source)}</a>'


_RENDERER = _ProseRenderer()
_OPTIONS = rendering_parser().options
