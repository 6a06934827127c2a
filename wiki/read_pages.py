"""Read and parse page files into located values; optionally on two cores.

Each file is read within a size limit, decoded as UTF-8 and parsed by
`wiki.located_yaml`; validation is `wiki.load`'s job. With `FORK_FOR_PARSING` on
and from `PARALLEL_MIN_FILES` files, a forked child parses an even spread of the
list while this process parses the rest, and sends its results back through a
pipe with `marshal` (values and locations are plain dicts, lists, tuples and
scalars: a third of pickle's cost). The results come back in file order whichever
process parsed a file, with the same errors; where the child cannot deliver, its
files are parsed here instead.

It is off: on the shared 2-core machine it was measured on (10,000 dense pages,
load 1-2), both processes ran slower side by side: CPU time went up by a third to
nearly double and wall time did not go down reliably. Measure on an idle machine
before turning it on.
"""

from __future__ import annotations

import marshal
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wiki import schema
from wiki.errors import ContentError
from wiki.located_yaml import LINE_BREAK, Locations, YamlProblems, parse_yaml
from wiki.schema_errors import slugify

FORK_FOR_PARSING = False  # see the module docstring: no reliable win measured yet
PARALLEL_MIN_FILES = 1000  # below this a fork and the transfer cost more than they save
PARENT_PERCENT = 55  # the child also pays for marshalling its results: it gets fewer files

_SLUG = re.compile(schema.SLUG_PATTERN)


@dataclass
class ParsedFile:
    """One file read and parsed: its values and their locations, or the errors that stopped
    it (`locations` is None then). `errors` may also hold a problem found on the way that
    did not stop parsing (a file name that is not a slug)."""

    errors: list[ContentError] = field(default_factory=list)
    data: Any = None
    locations: Locations | None = None


def parse_files(paths: Sequence[Path], max_page_bytes: int) -> list[ParsedFile]:
    """`parse_file` for each path, in order; on two cores from `PARALLEL_MIN_FILES` on
    when `FORK_FOR_PARSING` is set."""
    if len(paths) < max(PARALLEL_MIN_FILES, 2) or not _can_fork():
        return [parse_file(path, max_page_bytes) for path in paths]
    theirs_at = _child_share(len(paths))
    try:
        child = _ForkedParse([paths[i] for i in theirs_at], max_page_bytes)
    except OSError:  # no process or pipe to be had: one process it is
        return [parse_file(path, max_page_bytes) for path in paths]
    try:
        taken = set(theirs_at)
        mine = {i: parse_file(p, max_page_bytes) for i, p in enumerate(paths) if i not in taken}
        theirs = child.results()
    finally:
        child.close()
    if theirs is None:  # the child failed: parse its files here
        theirs = [parse_file(paths[i], max_page_bytes) for i in theirs_at]
    mine.update(zip(theirs_at, theirs, strict=True))
    return [mine[i] for i in range(len(paths))]


def _child_share(count: int) -> list[int]:
    """Indices of the files the child parses: spread evenly over the list (files come
    folder by folder, and a folder of concepts costs several times one of sources)."""
    child = 100 - PARENT_PERCENT
    return [i for i in range(count) if (i + 1) * child // 100 != i * child // 100]


def parse_file(path: Path, max_page_bytes: int) -> ParsedFile:
    """Read, decode and parse one page file."""
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
    try:
        parsed.data, parsed.locations = parse_yaml(text, path)
    except YamlProblems as problems:
        parsed.errors.extend(problems.errors)
    return parsed


def _can_fork() -> bool:
    """Fork only on Linux (elsewhere Python's own default is to spawn: system libraries
    may not survive a fork), with no other thread running (`wiki serve` reloads in a
    thread: a fork there could copy a held lock), and with a core to spare: on a busy
    machine the child waits for a core and this process waits for the child (measured:
    18% slower than one process at a load of 4 on 2 cores)."""
    if not FORK_FOR_PARSING or not sys.platform.startswith("linux"):
        return False
    if threading.active_count() != 1:
        return False
    cores = len(os.sched_getaffinity(0))
    return cores >= 2 and os.getloadavg()[0] < cores - 0.5


class _ForkedParse:
    """A child process parsing `paths`; `results()` reads what it sends back."""

    def __init__(self, paths: Sequence[Path], max_page_bytes: int) -> None:
        self._paths = paths
        read_end, write_end = os.pipe()
        sys.stdout.flush()  # nothing buffered here is written twice
        sys.stderr.flush()
        try:
            self._pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            raise
        if self._pid == 0:  # the child: parse, send, and leave without running any cleanup
            os.close(read_end)
            status = 1
            try:
                records = [_to_record(parse_file(path, max_page_bytes)) for path in paths]
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(marshal.dumps(records))
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self._pipe = os.fdopen(read_end, "rb")

    def results(self) -> list[ParsedFile] | None:
        """The child's results in the order of its paths, or None when it failed."""
        data = self._pipe.read()
        self._pipe.close()
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        if status != 0 or not data:
            return None
        try:
            records = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None
        if len(records) != len(self._paths):
            return None
        pairs = zip(self._paths, records, strict=True)
        return [_from_record(path, record) for path, record in pairs]

    def close(self) -> None:
        """Stop the child if its results were not read (after an interrupt) and reap it."""
        if self._pid:
            self._pipe.close()
            os.kill(self._pid, signal.SIGKILL)  # our own child, by its id
            os.waitpid(self._pid, 0)
            self._pid = 0


def _to_record(parsed: ParsedFile) -> tuple:
    """A `ParsedFile` as plain values `marshal` can carry (the path is known to both sides)."""
    errors = [(error.line, error.col, error.message, error.hint) for error in parsed.errors]
    if parsed.locations is None:
        return (errors, None)
    located = parsed.locations
    return (errors, (parsed.data, located.source, located.spans, located.keys))


def _from_record(path: Path, record: tuple) -> ParsedFile:
    errors, parsed = record
    found = [ContentError(path, line, col, message, hint) for line, col, message, hint in errors]
    if parsed is None:
        return ParsedFile(found)
    data, text, spans, keys = parsed
    return ParsedFile(found, data, Locations(text, spans, keys))


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
