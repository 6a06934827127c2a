"""Parse cache: `wiki build` parses only the page files whose text changed.

Parsing YAML with locations is the largest part of loading a wiki (at 1,000 pages about
0.35 s of a one-page rebuild's 2.5 s). Its result for a file depends only on the file's
text and on the parsing code, so `wiki build` keeps, in its build folder, the values,
spans and keys of every file that parsed cleanly, keyed by a hash of its text. A file
with any problem is never stored: it is parsed, and its problems reported, every time.

The whole cache is one `marshal` file (plain values, tuples and dicts only: it loads in
milliseconds); its header names the Python version, the PyYAML version and a hash of
`wiki/located_yaml.py`, so any change there makes every entry a miss. `wiki check` reads
the cache the last build left but never writes one: a check writes nothing. Only the
YAML parse is cached; validation, references and link checks run on every page each time.
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_FILE = "parse-cache.marshal"  # in the build folder
LOCATED_YAML = Path(__file__).resolve().parent / "located_yaml.py"

# (value, spans, keys) of one parsed file: what `Locations` needs besides the text
Parsed = tuple[Any, dict[Any, Any], dict[Any, Any]]


def code_key() -> str:
    """What parsing depends on besides the text: Python (marshal's format too), PyYAML
    and its C loader, the located-YAML code."""
    import yaml

    source = hashlib.sha256(LOCATED_YAML.read_bytes()).hexdigest()
    loader = "c" if hasattr(yaml, "CSafeLoader") else "python"
    return f"{sys.version}|yaml={yaml.__version__}:{loader}|{source}"


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@dataclass
class ParseCache:
    """Last build's parsed files, and the entries this build used or added. Each entry is
    kept marshalled, so what a caller does with the values it got cannot change it."""

    code: str
    recorded: dict[bytes, bytes] = field(default_factory=dict)
    fresh: dict[bytes, bytes] = field(default_factory=dict)
    hits: int = 0

    @classmethod
    def load(cls, build_dir: Path) -> ParseCache:
        """The cache in `build_dir`: empty when missing, unreadable or made by other code."""
        cache = cls(code_key())
        try:
            header, entries = marshal.loads((build_dir / CACHE_FILE).read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return cache
        if header == cache.code and isinstance(entries, dict):
            cache.recorded = entries
        return cache

    def get(self, text: str) -> Parsed | None:
        """What parsing `text` gave last time, if it parsed cleanly."""
        key = text_key(text)
        entry = self.recorded.get(key)
        if entry is None:
            return None
        self.hits += 1
        self.fresh[key] = entry
        return marshal.loads(entry)

    def put(self, text: str, parsed: Parsed) -> None:
        try:
            self.fresh[text_key(text)] = marshal.dumps(parsed)
        except ValueError:  # a value marshal cannot hold: parse it again next time
            pass

    def save(self, build_dir: Path) -> None:
        """Keep the entries of the files this build read (entries hold for any outcome of
        the build: they depend on a file's text only); the file is left as it is when they
        are the ones it holds. Creates `build_dir` if needed."""
        from wiki.mkdocs_config import GeneratedWriteError, write_generated

        if self.fresh.keys() == self.recorded.keys():
            return
        try:
            build_dir.mkdir(parents=True, exist_ok=True)
            write_generated(build_dir / CACHE_FILE, marshal.dumps((self.code, self.fresh)))
        except (OSError, GeneratedWriteError):
            pass  # without the cache the next build parses every file again
