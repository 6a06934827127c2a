"""What `wiki check` says about the URLs in prose and in `url:` fields.

The site promises to work offline and to make no request to another host. Prose is read
with the same parser that renders it (`wiki.prose_parser`, accepting every URL so none is
missed), and every link and image in the token stream is judged:

| what                                         | verdict                                    |
|----------------------------------------------|--------------------------------------------|
| image from another host (http(s)://, //, ...) | error, unless `allow_remote_images = true` |
| image with any other scheme (data:, ...)      | error                                      |
| link with a scheme other than http(s)/mailto  | error                                      |
| link to another host                          | warning (it stays a link)                  |
| link to a path of the site ('notes.md')       | warning: not checked, `[[id]]` is          |

Reference-style links and images, autolinks and images inside `[[id|label]]` labels all
arrive as the same link and image tokens, so one walk covers every form.

Most prose holds no URL at all, and parsing every field of a 10,000-page wiki costs
seconds, so a field is parsed only when it could hold one (`may_hold_urls`).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from wiki.errors import ContentError
from wiki.load import FieldPath, LoadedPage
from wiki.prose_parser import WIKI_LINK_MARKUP, UrlKind, checking_parser, url_kind, walk
from wiki.references import LINK_PATTERN, prose_fields


@dataclass(frozen=True)
class UrlProblem:
    """One questionable URL; `needle` is text to find its place in the field's source."""

    is_error: bool
    needle: str
    message: str
    hint: str


def url_diagnostics(
    pages: Iterable[LoadedPage], allow_remote_images: bool
) -> tuple[list[ContentError], list[ContentError]]:
    """(errors, warnings) about the URLs of every page's prose and `url:` field, located."""
    errors: list[ContentError] = []
    warnings: list[ContentError] = []
    for page in pages:
        found = [
            (path, problem)
            for path, text in _prose_that_may_hold_urls(page)
            for problem in prose_url_problems(text, allow_remote_images=allow_remote_images)
        ]
        url = getattr(page.model, "url", None)
        problem = url_field_problem(url) if url else None
        if problem is not None:
            found.append((("url",), problem))
        for path, problem in found:
            line, col = page.locations.find(path, problem.needle)
            located = ContentError(page.path, line, col, problem.message, problem.hint)
            (errors if problem.is_error else warnings).append(located)
    return errors, warnings


def prose_url_problems(text: str, *, allow_remote_images: bool = False) -> list[UrlProblem]:
    """Every problem with the links and images of one prose field, in document order."""
    if not may_hold_urls(text):
        return []
    problems = []
    for token in walk(checking_parser().parse(text, {})):
        if token.type == "image":
            problem = _image_problem(str(token.attrGet("src") or ""), allow_remote_images)
        elif token.type == "link_open" and token.markup != WIKI_LINK_MARKUP:
            problem = _link_problem(str(token.attrGet("href") or ""))
        else:
            continue
        if problem is not None:
            problems.append(problem)
    return problems


def may_hold_urls(text: str) -> bool:
    """False only when no parse of `text` can yield a link or image other than `[[id]]`.

    CommonMark (markdown-it, linkify off) makes one from three things only: an autolink
    (`<`), an inline link or image, whose label's `]` is followed at once by `(`, and a
    reference definition, whose label's `]` is followed at once by `:` and lies outside
    every `[[...]]` (a definition's label holds no unescaped `[`). `](` is looked for in
    the text as written: `![[id]](url)` is an image.
    """
    if "<" in text or "](" in text:
        return True
    return "]:" in text and "]:" in LINK_PATTERN.sub("", text)


def _prose_that_may_hold_urls(page: LoadedPage) -> list[tuple[FieldPath, str]]:
    """The page's prose fields, or none when its file holds no '<', '](', ']:' or '\\':
    without an escape, YAML keeps what is adjacent in a line adjacent in the value."""
    source = page.locations.source
    if not any(mark in source for mark in ("<", "](", "]:", "\\")):
        return []
    return list(prose_fields(page.kind, page.model))


def url_field_problem(url: str) -> UrlProblem | None:
    """A problem with a page's `url:` field (an outbound link by design), or None."""
    kind = url_kind(url)
    if kind is UrlKind.FORBIDDEN:
        return UrlProblem(True, url, f"url {url!r} has a scheme other than http(s)/mailto", _FIX)
    if kind is UrlKind.LOCAL:
        return UrlProblem(
            False, url, f"url {url!r} has no scheme", "write it in full, e.g. https://..."
        )
    return None


_FIX = "only http, https and mailto URLs are allowed; remove it or write the full https:// URL"


def _image_problem(source: str, allow_remote_images: bool) -> UrlProblem | None:
    kind = url_kind(source)
    shown = _as_written(source)
    if kind is UrlKind.LOCAL or (kind is UrlKind.REMOTE and allow_remote_images):
        return None
    if kind is UrlKind.REMOTE:
        return UrlProblem(
            True,
            shown,
            f"image {shown!r} is loaded from another host; the site must work offline",
            "copy the image next to the page, or set allow_remote_images = true in"
            " [tool.wiki] of pyproject.toml",
        )
    return UrlProblem(True, shown, f"image {shown!r} has an unsafe URL scheme", _FIX)


def _link_problem(href: str) -> UrlProblem | None:
    kind = url_kind(href)
    shown = _as_written(href)
    if kind is UrlKind.FORBIDDEN:
        return UrlProblem(True, shown, f"link {shown!r} has an unsafe URL scheme", _FIX)
    if kind is UrlKind.REMOTE:
        host = urllib.parse.urlsplit(href).netloc or shown
        return UrlProblem(
            False, shown, f"link {shown!r} leads to another host ({host})", "fine if intended"
        )
    if kind is UrlKind.LOCAL and urllib.parse.urlsplit(href).path:
        return UrlProblem(
            False,
            shown,
            f"link {shown!r} names a file of the site by path; such links are not checked",
            "link a page or claim as [[id]]",
        )
    return None


def _as_written(url: str) -> str:
    # markdown-it percent-encodes URLs; decode for the message and to find it in the file.
    return urllib.parse.unquote(url)
