"""`wiki new KIND ID`: a new page file that passes `wiki check` as written.

Each starter holds the required keys with placeholder text the author replaces, and a
yaml-language-server modeline pointing at the packaged JSON Schema, so editors complete
and check keys from the first keystroke. Sources, entities and theses go into the
`sources/`, `entities/`, `theses/` folder when the content root has one (as the shipped
wiki does); concepts go to the root.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("page.schema.json")
KIND_FOLDERS = {"concept": "", "entity": "entities", "source": "sources", "thesis": "theses"}

STARTERS = {
    "concept": """\
kind: concept
title: {title}
status: emerging
summary: One paragraph in your own words; link pages or claims by id in double brackets.
changelog:
  - date: {today}
    note: Page started.
""",
    "entity": """\
kind: entity
title: {title}
type: organization
summary: Who they are and why they matter to this wiki.
""",
    "source": """\
kind: source
title: {title}
authors: [A. Author]
year: {year}
summary: What the paper shows, in your own words.
""",
    "thesis": """\
kind: thesis
title: {title}
position: The research position, in a few sentences.
confidence: low
depends_on: []
""",
}


class PageExists(Exception):
    """The page file (or another page with the same id) already exists."""


def new_page_path(root: Path, kind: str, page_id: str) -> Path:
    """Where `wiki new` writes a page of `kind` called `page_id` under `root`."""
    folder = root / KIND_FOLDERS[kind]
    return (folder if folder.is_dir() else root) / f"{page_id}.yaml"


def write_new_page(root: Path, kind: str, page_id: str) -> Path:
    """Write the starter page and return its path; refuses to overwrite anything."""
    existing = [p for p in (*root.rglob(f"{page_id}.yaml"), *root.rglob(f"{page_id}.yml"))]
    if existing:
        raise PageExists(f"a page with id {page_id!r} already exists: {existing[0]}")
    path = new_page_path(root, kind, page_id)
    today = dt.date.today()
    title = page_id.replace("-", " ").capitalize()
    body = STARTERS[kind].format(title=title, today=today.isoformat(), year=today.year)
    schema = SCHEMA_FILE.as_posix()  # an installed package: its absolute path
    if SCHEMA_FILE.is_relative_to(root.absolute().parent):  # the schema lives in this project
        schema = Path(os.path.relpath(SCHEMA_FILE, path.parent)).as_posix()
    text = f"# yaml-language-server: $schema={schema}\n{body}"
    with path.open("x", encoding="utf-8") as stream:  # "x": never replace a file
        stream.write(text)
    return path
