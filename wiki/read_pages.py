"""Read and parse page files into located values.

Each file is read within a size limit, decoded as UTF-8 and parsed by
`wiki.located_yaml`; validation is `wiki.load`'s job. Parsing stays in one process: a
forked child parsing part of 10,000 files was measured on the 2-core machine and gave
no reliable win (CPU time up by a third or more, wall time not reliably down); a build's
pages use two processes through `wiki.forked` instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wiki import schema
from wiki.errors import ContentError
from wiki.located_yaml import LINE_BREAK, Locations, YamlProblems, parse_yaml
from wiki.parse_cache import ParseCache
from wiki.schema_errors import slugify

_SLUG = re.compile(schema.SLUG_PATTERN)


@dataclass
class ParsedFile:
    """One file read and parsed: its values and their locations, or the errors that stopped
    it (`locations` is None then). `errors` may also hold a problem found on the way that
    did not stop parsing (a file name that is not a slug)."""

    errors: list[ContentError] = field(default_factory=list)
    data: Any = None
    locations: Locations | None = None


def parse_files(
    paths: Sequence[Path], max_page_bytes: int, cache: ParseCache | None = None
) -> list[ParsedFile]:
    """`parse_file` for each path, in order."""
    return [parse_file(path, max_page_bytes, cache) for path in paths]


def parse_file(path: Path, max_page_bytes: int, cache: ParseCache | None = None) -> ParsedFile:
    """Read, decode and parse one page file (its text looked up in `cache` first)."""
    parsed = ParsedFile()
    page_id = path.stem
    if not _SLUG.fullmatch(page_id):  # fullmatch: '$' alone would accept 'id\n'
        parsed.errors.append(
            ContentError(
                path,
                1,
                1,
                f"page id {page_id!r} (the file name) is not a lower-case slug",
                f"rename the file to '{slugify(page_id)}{path.suffix}'",
            )
        )
    text = _read_text(path, max_page_bytes, parsed.errors)
    if text is None:
        return parsed
    found = cache.get(text) if cache is not None else None
    if found is not None:
        parsed.data, spans, keys = found
        parsed.locations = Locations(text, spans, keys)
        return parsed
    try:
        parsed.data, parsed.locations = parse_yaml(text, path)
    except YamlProblems as problems:
        parsed.errors.extend(problems.errors)
        return parsed
    if cache is not None:
        cache.put(text, (parsed.data, parsed.locations.spans, parsed.locations.keys))
    return parsed


def _read_text(path: Path, max_page_bytes: int, errors: list[ContentError]) -> str | None:
    """The file as text, or None with an error: unreadable, too large, or not UTF-8.

    The size is checked while reading, before any parsing: a huge file costs no more
    than reading `max_page_bytes` of it.
    """
    try:
        raw = _read_at_most(path, max_page_bytes + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        errors.append(ContentError(path, 1, 1, f"cannot read the file: {reason}"))
        return None
    if len(raw) > max_page_bytes:
        errors.append(
            ContentError(
                path,
                1,
                1,
                f"page is larger than the limit of {max_page_bytes:,} bytes",
                "split it into several pages, or raise max_page_bytes in [tool.wiki]",
            )
        )
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", "replace")
        line = len(LINE_BREAK.findall(before)) + 1
        errors.append(ContentError(path, line, 1, "file is not valid UTF-8 text"))
        return None


def _read_at_most(path: Path, size: int) -> bytes:
    """Up to `size` bytes of a file, through the os module: a third cheaper per file than
    `Path.open`, which counts at 10,000 pages."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while size > 0:
            chunk = os.read(descriptor, size)
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)
