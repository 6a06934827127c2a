"""`wiki review thesis ID`: record that a thesis was re-read against today's evidence.

Writes `reviewed: {date, fingerprints}` into the thesis file with a ruamel.yaml
round trip, so the author's comments, key order and layout survive.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString


def write_review(path: Path, fingerprints: dict[str, str], date: dt.date) -> None:
    """Set the thesis file's `reviewed` block; everything else in the file stays as written."""
    yaml = YAML()  # round-trip mode: comments and layout are kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the author's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)  # the format's style: "  - claim: ..."
    document = yaml.load(path.read_text(encoding="utf-8"))
    reviewed = CommentedMap()
    reviewed["date"] = date
    # Quoted: a hex fingerprint made only of digits would otherwise load as an integer.
    reviewed["fingerprints"] = CommentedMap(
        (key, DoubleQuotedScalarString(value)) for key, value in sorted(fingerprints.items())
    )
    document["reviewed"] = reviewed
    _write_atomically(path, yaml, document)


def _write_atomically(path: Path, yaml: YAML, document: object) -> None:
    # A crash mid-write must never leave a half-written page: write a sibling, then rename.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            yaml.dump(document, stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
