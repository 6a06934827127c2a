"""mkdocs-material's search index, with the page HTML read by a faster tokenizer.

Material's search plugin splits every page's HTML into sections with `html.parser`, whose
tag and attribute scanning was a quarter of a dense wiki's mkdocs time (a local graph is
a 7 KB attribute on every page, and every prose link carries a hover title). The same
sections come from `FastSearchIndex`: it cuts the HTML into tags, text and comments with
a few regular expressions and hands them to material's own parser callbacks
(`handle_starttag`, `handle_endtag`, `handle_data`), in the order and with the values
`html.parser` would (text unescaped, one call per run of text between tags; tag and
attribute names lower-cased; `<x/>` as a start and an end tag; script and style content
skipped, as material skips it). Anything this tokenizer does not read exactly like
`html.parser` (a bare `<` in text, an unquoted attribute, a declaration or processing
instruction, an unclosed tag) sends the whole page to material's parser instead, so the
index is the one material writes, entry for entry (tests/test_search_index.py compares
both on every page of a dense wiki). Material's search UI and its index format are
untouched; `install` swaps only the index object's class, and only when the installed
material's parser and indexing step are the code mirrored here (`MIRRORED`).
"""

from __future__ import annotations

import re
from html import escape, unescape
from typing import Any

from material.plugins.search.plugin import Element, Parser, SearchIndex, Section
from material.plugins.search.plugin import void as VOID  # noqa: N812 (material's name)

_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9:_.-]*)"  # name
    r"((?:\s+[a-zA-Z_:@][-a-zA-Z0-9_:.@]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'))?)*)"  # attributes
    r"\s*(/?)>"
)
_ATTRIBUTE = re.compile(r"([a-zA-Z_:@][-a-zA-Z0-9_:.@]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'))?")
_COMMENT_END = re.compile(r"--\s*>")  # as html.parser (_markupbase) ends a comment
_RAW_TEXT = {
    "script": re.compile(r"</\s*script\s*>", re.I),
    "style": re.compile(r"</\s*style\s*>", re.I),
}
# The attributes material's parser reads values of; the others it only tests for presence.
_VALUES_READ = frozenset({"id", "class"})


class Unsupported(Exception):
    """HTML this tokenizer does not read exactly as `html.parser` does."""


def parse_sections(html: str) -> Any:
    """What material's parser holds after reading `html`: `data`, the page's sections."""
    parser = Sections()
    try:
        _feed(parser, html)
    except Unsupported:
        parser = Parser()
        parser.feed(html)
        parser.close()
    return parser


class Sections:
    """Material's `Parser` callbacks, the same steps on plain tag names.

    Material compares its elements by tag name only (`Element.__eq__`), so "an excluded
    element is open" means "an element with an excluded element's tag name is open", and
    "inside the section's heading" means "an element named like the heading is open".
    Here the open elements are also counted by name, so those questions cost a dict
    look-up instead of a scan with Python-level comparisons, and `skipped` counts the
    open elements whose name is in `skip`: "an excluded element is open" is `skipped > 0`.
    """

    HEADINGS = frozenset(f"h{x}" for x in range(1, 7))
    ALWAYS_SKIPPED = ("script", "style", "object")

    def __init__(self) -> None:
        probe = Parser()
        self.keep: set[str] = set(probe.keep)
        self.skip: set[str] = {str(tag) for tag in probe.skip}
        self.context: list[Element] = []
        self.open: dict[str, int] = {}  # tag name -> how many such elements are open
        self.skipped = 0  # open elements whose tag name is in `skip`
        self.section: Section | None = None
        self.data: list[Section] = []

    def _in_title(self) -> bool:
        assert self.section is not None
        return bool(self.open.get(self.section.el.tag))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        el = Element(tag, attributes)
        if tag in VOID:
            return
        self.context.append(el)
        self.open[tag] = self.open.get(tag, 0) + 1
        if tag in self.skip:
            self.skipped += 1
        if tag in self.HEADINGS:
            depth = len(self.context)
            if "id" in attributes:
                if tag != "h1" and not self.data:
                    self.section = Section(Element("hx"), depth)
                    self.data.append(self.section)
                self.section = Section(el, depth)
                if self.data:
                    self.section.id = attributes["id"]
                self.data.append(self.section)
        if not self.section:
            self.section = Section(Element("hx"))
            self.data.append(self.section)
        for key, value in attributes.items():
            if key == "data-search-exclude" or (key == "class" and value == "linenodiv"):
                if tag not in self.skip:  # every open element of that name now counts
                    self.skip.add(tag)
                    self.skipped += self.open[tag]
                return
        if tag in self.keep and not self.skipped:
            target = self.section.title if self._in_title() else self.section.text
            target.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        context = self.context
        if not context or context[-1].tag != tag:
            return
        section = self.section
        assert section is not None
        if section.depth > len(context):
            for candidate in reversed(self.data):
                if candidate.depth <= len(context):
                    section.depth = float("inf")
                    self.section = section = candidate
                    break
        context.pop()
        self.open[tag] -= 1
        if tag in self.skip:
            self.skipped -= 1
            if tag not in self.ALWAYS_SKIPPED:
                self.skip.discard(tag)
                self.skipped -= self.open[tag]  # the others of that name stop counting
            return
        if tag in self.keep and not self.skipped:
            data = section.title if self._in_title() else section.text
            index = data.index(f"<{tag}>")
            for i in range(index + 1, len(data)):
                if not data[i].isspace():
                    index = len(data)
                    break
            if len(data) > index:
                del data[index:]
            else:
                data.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.skipped:
            return
        in_pre = bool(self.open.get("pre"))
        if not in_pre:
            data = " " if data.isspace() else data.replace("\n", " ")
        if not self.section:
            self.section = Section(Element("hx"))
            self.data.append(self.section)
        section = self.section
        if self._in_title():
            if not any(
                el.tag == "a" and el.attrs.get("class") == "headerlink" for el in self.context
            ):
                section.title.append(escape(data, quote=False))
        elif data.isspace():
            if not section.text or not section.text[-1].isspace() or in_pre:
                section.text.append(data)
        else:
            section.text.append(escape(data, quote=False))


def _feed(parser: Any, html: str) -> None:
    start, data, end = parser.handle_starttag, parser.handle_data, parser.handle_endtag
    find = html.find
    position, length = 0, len(html)
    while position < length:
        at = find("<", position)
        if at < 0:
            at = length
        if at > position:
            text = html[position:at]
            data(unescape(text) if "&" in text else text)
        if at == length:
            return
        if html.startswith("<!--", at):
            close = _COMMENT_END.search(html, at + 4)
            if close is None:
                raise Unsupported("unclosed comment")
            position = close.end()
            continue
        match = _TAG.match(html, at)
        if match is None:
            raise Unsupported(f"markup at {at}")
        closing, name, attributes, self_closing = match.groups()
        name = name.lower()
        position = match.end()
        if closing:
            if attributes or self_closing:
                raise Unsupported("end tag with attributes")
            end(name)
            continue
        values: list[tuple[str, str | None]] = []
        if attributes:
            for key, value in _ATTRIBUTE.findall(attributes):
                key = key.lower()
                if not value:
                    values.append((key, None))
                elif key in _VALUES_READ:
                    values.append((key, unescape(value[1:-1])))
                else:
                    values.append((key, value))  # never read, only its presence is
        start(name, values)
        if self_closing:
            end(name)
        elif name in _RAW_TEXT:
            close_match = _RAW_TEXT[name].search(html, position)
            if close_match is None:
                raise Unsupported(f"unclosed {name}")
            # its text is never indexed: material skips script and style content
            position = close_match.end()
            end(name)


class FastSearchIndex(SearchIndex):
    """Material's SearchIndex, reading page HTML with `parse_sections`."""

    def add_entry_from_context(self, page: Any) -> None:
        search = page.meta.get("search") or {}
        if search.get("exclude"):
            return
        parser = parse_sections(page.content)
        for section in parser.data:
            if not section.is_excluded():
                self.create_entry_for_section(section, page.toc, page.url, page)


# The material code `Sections` and `FastSearchIndex` mirror (mkdocs-material 9.8.2), by a
# hash of its source: another version whose parser or indexing step reads differently
# keeps material's own reading, slower but right, instead of an index that drifted.
MIRRORED = {
    ("SearchIndex", "add_entry_from_context"): "4ca78ac4321f7704",
    ("Parser", "__init__"): "8968f2797e58bb6e",
    ("Parser", "handle_starttag"): "d8444d531aea20f7",
    ("Parser", "handle_endtag"): "fe83f9734a2a6789",
    ("Parser", "handle_data"): "415377ec8360c82a",
}


def mirrors_installed_material() -> bool:
    """Whether the installed mkdocs-material's parser and indexing step are the ones
    this module mirrors (source unreadable counts as not)."""
    import hashlib
    import inspect

    owners = {"SearchIndex": SearchIndex, "Parser": Parser}
    for (owner, name), expected in MIRRORED.items():
        try:
            source = inspect.getsource(getattr(owners[owner], name))
        except (OSError, TypeError, AttributeError):
            return False
        if hashlib.sha256(source.encode()).hexdigest()[:16] != expected:
            return False
    return True


def install(index: Any) -> bool:
    """Make material's search index object read HTML with `parse_sections`; False when it
    is not material's own class (a subclass from another plugin keeps its own reading) or
    material is not the version mirrored here."""
    if type(index) is SearchIndex and mirrors_installed_material():
        index.__class__ = FastSearchIndex
        return True
    return isinstance(index, FastSearchIndex)
