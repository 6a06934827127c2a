"""`wiki review thesis ID`: record that a thesis was re-read against today's evidence.

Only the top-level `reviewed:` block of the thesis file changes. It is replaced (or
appended) as text, so every other byte stays as the author wrote it: comments, key
order, anchors (used or not), quoting, line endings (CRLF stays CRLF), the comment
at the end of the file, the file's mode bits, and a symlink (written through to its
target). The result is loaded back and compared with what was meant; for a layout
the text edit cannot handle (flow-style document, end marker) a ruamel.yaml round
trip writes it instead.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from wiki.atomic_write import write_atomically

_PLAIN_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


def write_review(path: Path, fingerprints: dict[str, str], date: dt.date) -> None:
    """Set the thesis file's `reviewed` block; everything else in the file stays as written.

    Raises WriteError (one line) when the file cannot be written; it is untouched then.
    """
    target = path.resolve()  # a symlinked page: write through to the file it points to
    text = target.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    wanted = {"date": date, "fingerprints": dict(fingerprints)}
    updated = _replace_block(text, _reviewed_block(fingerprints, date))
    if updated is None or not _means(updated, text, wanted):
        updated = _round_trip(text, fingerprints, date)
    write_atomically(target, updated.replace("\n", newline).encode("utf-8"))  # keeps the mode


def _reviewed_block(fingerprints: dict[str, str], date: dt.date) -> list[str]:
    # Values double-quoted: a hex fingerprint made only of digits would load as an integer.
    lines = ["reviewed:\n", f"  date: {date.isoformat()}\n"]
    if not fingerprints:
        return [*lines, "  fingerprints: {}\n"]
    lines.append("  fingerprints:\n")
    for key, value in sorted(fingerprints.items()):
        shown = key if _PLAIN_KEY.match(key) else json.dumps(key)
        lines.append(f"    {shown}: {json.dumps(value)}\n")
    return lines


def _replace_block(text: str, block: list[str]) -> str | None:
    """`text` with its top-level `reviewed:` block replaced by `block` (or appended)."""
    document = YAML().load(text)
    if not isinstance(document, CommentedMap) or document.fa.flow_style():
        return None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if "reviewed" not in document:
        return "".join([*lines, *block])
    start, column = document.lc.key("reviewed")
    if column != 0:
        return None
    end = start + 1
    # The block runs until the next line that starts at column 0: a key, a comment, `...`.
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines after the block belong to what follows
    return "".join([*lines[:start], *block, *lines[end:]])


def _means(updated: str, original: str, reviewed: dict[str, Any]) -> bool:
    try:
        before, after = pyyaml.safe_load(original), pyyaml.safe_load(updated)
    except pyyaml.YAMLError:
        return False
    return isinstance(before, dict) and after == {**before, "reviewed": reviewed}


def _round_trip(text: str, fingerprints: dict[str, str], date: dt.date) -> str:
    yaml = YAML()  # round-trip mode: comments and layout are kept where ruamel can
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the author's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)  # the format's style: "  - claim: ..."
    document = yaml.load(text)
    reviewed = CommentedMap()
    reviewed["date"] = date
    reviewed["fingerprints"] = CommentedMap(
        (key, DoubleQuotedScalarString(value)) for key, value in sorted(fingerprints.items())
    )
    document["reviewed"] = reviewed
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()
