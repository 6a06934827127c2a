"""Load page files: read and parse them, validate the values with `wiki.schema`.

Finding the files is `wiki.discover`'s job, reading and parsing them into values with
locations `wiki.read_pages`'s, wording pydantic's errors `wiki.schema_errors`'s. A file
that fails keeps what it still tells the linker (its ids, its raw values) so the
linker can report that page's link errors in the same run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from wiki import schema
from wiki.discover import PAGE_SUFFIXES, find_page_files
from wiki.errors import ContentError
from wiki.located_yaml import FieldPath, Locations
from wiki.parse_cache import ParseCache
from wiki.read_pages import ParsedFile, parse_file, parse_files
from wiki.schema_errors import check_kind, describe_problem, did_you_mean, slugify

__all__ = [
    "DEFAULT_MAX_PAGE_BYTES",
    "PAGE_SUFFIXES",
    "FailedPage",
    "FieldPath",
    "LoadResult",
    "LoadedPage",
    "Locations",
    "did_you_mean",
    "load_page",
    "load_pages",
    "load_tree",
    "slugify",
]

DEFAULT_MAX_PAGE_BYTES = 2_000_000  # far above any real page; a 20 MB file took 30 s and 0.5 GB

PageModel = schema.PageModel


@dataclass
class LoadedPage:
    """One valid page: its id (the file stem), file, validated model and node locations."""

    id: str
    path: Path
    model: PageModel
    locations: Locations

    @property
    def kind(self) -> str:
        return self.model.kind


@dataclass
class FailedPage:
    """A page of a known kind that parsed as YAML but failed validation: its raw values."""

    id: str
    path: Path
    kind: str
    data: dict[str, Any]
    locations: Locations


@dataclass
class LoadResult:
    """Pages that loaded, errors and warnings, and what the failed files still declare.

    `unloaded_ids` lets the linker stay quiet about references to a page that exists
    but has its own errors (already reported), instead of calling them dangling;
    `failed` lets it check the references of those pages all the same.
    """

    pages: list[LoadedPage] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)
    unloaded_ids: set[str] = field(default_factory=set)
    failed: list[FailedPage] = field(default_factory=list)


def load_pages(
    root: Path, max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
) -> tuple[list[LoadedPage], list[ContentError]]:
    """Load every page file under `root` (sub-folders included, hidden ones skipped)."""
    result = load_tree(root, max_page_bytes)
    return result.pages, result.errors


def load_tree(
    root: Path, max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES, parse_cache: ParseCache | None = None
) -> LoadResult:
    """Like `load_pages`, also with warnings and what the files that failed declare;
    files whose text `parse_cache` holds are not parsed again (`wiki.parse_cache`)."""
    found = find_page_files(root)
    result = LoadResult(errors=list(found.errors), warnings=list(found.warnings))
    parsed_files = parse_files(found.files, max_page_bytes, parse_cache)
    for path, parsed in zip(found.files, parsed_files, strict=True):
        outcome = _validate(path, parsed)
        if outcome.page is not None:
            result.pages.append(outcome.page)
            continue
        result.errors.extend(outcome.errors)
        result.unloaded_ids.update(outcome.declared_ids)
        if outcome.failed is not None:
            result.failed.append(outcome.failed)
    return result


def load_page(
    path: Path, max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES
) -> tuple[LoadedPage | None, list[ContentError]]:
    """Load and validate one page file: the page, or None and every error found in it."""
    outcome = _validate(path, parse_file(path, max_page_bytes))
    return outcome.page, outcome.errors


@dataclass
class _Outcome:
    page: LoadedPage | None = None
    errors: list[ContentError] = field(default_factory=list)
    declared_ids: set[str] = field(default_factory=set)
    failed: FailedPage | None = None


def _validate(path: Path, parsed: ParsedFile) -> _Outcome:
    page_id = path.stem
    outcome = _Outcome(errors=parsed.errors, declared_ids={page_id})
    locations = parsed.locations
    if locations is None:  # not read or not parsed: the errors say why
        return outcome
    data = parsed.data
    outcome.declared_ids.update(_declared_claim_ids(data))
    kind_errors = check_kind(data, locations, path)
    if kind_errors:
        outcome.errors.extend(kind_errors)
        return outcome
    try:
        model = schema.PAGE_ADAPTER.validate_python(data)
    except ValidationError as error:
        kind = data["kind"]
        outcome.errors.extend(
            describe_problem(dict(problem), kind, locations, path) for problem in error.errors()
        )
        outcome.failed = FailedPage(page_id, path, kind, data, locations)
    if outcome.errors:
        outcome.errors.sort(key=ContentError.sort_key)
        return outcome
    return _Outcome(page=LoadedPage(page_id, path, model, locations))


def _declared_claim_ids(data: Any) -> set[str]:
    """Claim ids a page that failed validation still declares, read from its raw values."""
    claims = data.get("claims") if isinstance(data, dict) else None
    if not isinstance(claims, list):
        return set()
    return {c["id"] for c in claims if isinstance(c, dict) and isinstance(c.get("id"), str)}
