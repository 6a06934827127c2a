"""Markdown tree -> static site with mkdocs-material.

`build_site` reads like its table of contents: render the pages, write the Markdown tree
(only files whose content changed; stale files deleted), write mkdocs.yml, then build into a
staging folder next to the output and swap it into place only when mkdocs succeeded, so a
failed build leaves the previous site untouched. When neither the tree nor the config
changed since the last successful build of the same output, mkdocs is not run at all.

The generated site is self-contained: no web fonts (`theme.font: false`), no CDN scripts,
`use_directory_urls: false` so it also works opened from the file system.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from filelock import FileLock

from wiki.corpus import Wiki
from wiki.errors import ContentError, ContentErrors, display_path
from wiki.mkdocs_config import (
    ASSETS_URL,
    GeneratedWriteError,
    UserConfigError,
    custom_dir_of,
    docs_dir_of,
    folder_digest,
    user_mkdocs_config,
    write_generated,
    write_mkdocs_config,
)
from wiki.output_folder import (
    STAMP_FILE,
    check_settings_output,
    is_marked,
    mark,
    mount_point_of,
    new_staging_folder,
    remove_leftovers,
    swap_into_place,
)
from wiki.render import (
    TEMPLATE_DIR,
    page_path,
    render_pages,
)
from wiki.settings import BUILD_DIR, Settings

BUILD_DIR_NAME = BUILD_DIR  # under the project folder; holds docs/, mkdocs.yml, stamps
ASSETS_DIR = TEMPLATE_DIR / "assets"


@dataclass(frozen=True)
class BuildReport:
    """What one `build_site` did."""

    out: Path
    pages_written: int  # Markdown (and asset) files created or changed
    pages_unchanged: int
    pages_deleted: int
    compile_seconds: float  # render + write tree + write config
    mkdocs_seconds: float  # 0.0 when the site was already current
    site_rebuilt: bool
    warnings: list[str] = field(default_factory=list)  # mkdocs warnings (non-strict builds)
    incremental: bool = False  # only changed pages went through mkdocs (wiki.incremental)
    pages_rendered: int = 0  # pages mkdocs rendered to HTML (all of them when not incremental)
    markdown_reused: int = 0  # pages whose Markdown came from the render cache (wiki.render_cache)


class SiteBuildError(Exception):
    """mkdocs failed for a reason that is not a content problem; the old site is untouched."""


@dataclass(frozen=True)
class TreeChanges:
    written: int
    unchanged: int
    deleted: int


def build_site(
    wiki: Wiki,
    settings: Settings,
    strict: bool = False,
    evidence: Any = None,
    force: bool = False,
) -> BuildReport:
    """Compile the wiki to Markdown and publish it as a static site in `settings.out`.

    `strict` makes mkdocs warnings (e.g. a broken relative link in prose) fail the build,
    raised as `ContentErrors` located at the page's YAML file. `evidence` goes to the
    templates (see `wiki.render.render_pages`). `force` runs mkdocs even if nothing changed,
    and in full. A rebuild drops the recorded input manifest (`wiki.input_manifest`) before
    the new site is swapped in; `wiki build` records the new one once this returns.
    """
    build_dir = settings.build_dir
    check_settings_output(settings)
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SiteBuildError(_os_error_message(error, build_dir)) from None
    with FileLock(build_dir / "build.lock"):
        remove_leftovers(settings.out)
        started = time.perf_counter()
        from wiki.render_cache import RenderCache

        # a forced build renders every page too (and records them for the next build)
        cache = RenderCache(build_dir / "docs") if force else RenderCache.load(build_dir)
        files = {
            **render_pages(wiki, settings, evidence, cache),
            **asset_files(),
        }
        changes = write_tree(build_dir / "docs", files)
        try:
            cache.save(build_dir)  # the docs tree now holds what the cache records
        except OSError as error:
            raise SiteBuildError(_os_error_message(error, build_dir)) from None
        try:
            user_config = user_mkdocs_config(settings)
        except UserConfigError as error:
            raise SiteBuildError(str(error)) from None
        config_path = user_config or write_mkdocs_config(build_dir, settings.title)
        stamp = build_stamp(files, config_path, strict)
        if user_config is not None:  # the user's docs folder (CSS, pages) is an input too
            stamp += folder_digest(settings.project_dir / docs_dir_of(user_config))
            if theme_override := custom_dir_of(user_config):  # and a theme override folder
                stamp += folder_digest(settings.project_dir / theme_override)
        del files  # the docs tree holds it now: less memory for mkdocs' processes
        compiled = time.perf_counter()

        rebuild = force or not site_is_current(build_dir, settings.out, stamp)
        published = Published([], False, 0)
        if rebuild:
            from wiki.input_manifest import forget_manifest

            try:
                forget_manifest(build_dir)  # until the new site is in place and recorded
            except OSError as error:
                raise SiteBuildError(_os_error_message(error, build_dir)) from None
            published = publish_site(
                config_path, settings.out, strict, _yaml_of_pages(wiki), build_dir, full=force
            )
            record_stamp(build_dir, settings.out, stamp)
        finished = time.perf_counter()
    return BuildReport(
        out=settings.out,
        pages_written=changes.written,
        pages_unchanged=changes.unchanged,
        pages_deleted=changes.deleted,
        compile_seconds=compiled - started,
        mkdocs_seconds=finished - compiled,
        site_rebuilt=rebuild,
        warnings=published.warnings,
        incremental=published.incremental,
        pages_rendered=published.pages_rendered,
        markdown_reused=cache.hits,
    )


def asset_files() -> dict[str, str]:
    """Static files the pages need (templates/assets/*), keyed by their path in the tree."""
    return {
        f"{ASSETS_URL}/{path.relative_to(ASSETS_DIR).as_posix()}": path.read_text(encoding="utf-8")
        for path in sorted(ASSETS_DIR.rglob("*"))
        if path.is_file()
    }


def write_tree(folder: Path, files: dict[str, str]) -> TreeChanges:
    """Make `folder` hold exactly `files`: write a file only when its content differs,
    delete files that are no longer generated (and folders left empty)."""
    written = unchanged = deleted = 0
    for relative, content in files.items():
        target = folder / relative
        data = content.encode("utf-8")
        if target.is_file() and target.read_bytes() == data:
            unchanged += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)
        written += 1
    wanted = {Path(relative) for relative in files}
    for existing in sorted(folder.rglob("*"), reverse=True):  # children before parents
        if existing.is_dir():
            if not any(existing.iterdir()):
                existing.rmdir()
        elif existing.relative_to(folder) not in wanted:
            existing.unlink()
            deleted += 1
    return TreeChanges(written, unchanged, deleted)


SITEMAP_FILES = ("sitemap.xml", "sitemap.xml.gz")


def build_stamp(files: dict[str, str], config_path: Path, strict: bool) -> str:
    """A hash of everything the site is built from: tree, config, strictness, versions."""
    digest = hashlib.sha256()
    for relative in sorted(files):
        digest.update(relative.encode("utf-8") + b"\0" + files[relative].encode("utf-8") + b"\0")
    digest.update(config_path.read_bytes())
    for package in ("mkdocs", "mkdocs-material"):
        digest.update(metadata.version(package).encode("utf-8"))
    digest.update(b"strict" if strict else b"lenient")
    return digest.hexdigest()


def site_is_current(build_dir: Path, out: Path, stamp: str) -> bool:
    """True when `out` was built by us from exactly this stamp and is still there."""
    try:
        recorded = json.loads((build_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        recorded.get("out") == str(out.resolve())
        and recorded.get("stamp") == stamp
        and (out / "index.html").is_file()
        and is_marked(out)
    )


def record_stamp(build_dir: Path, out: Path, stamp: str) -> None:
    record = {"out": str(out.resolve()), "stamp": stamp}
    _write_atomically(build_dir / STAMP_FILE, json.dumps(record).encode("utf-8"))


@dataclass(frozen=True)
class Published:
    warnings: list[str]
    incremental: bool
    pages_rendered: int


def publish_site(
    config_path: Path,
    out: Path,
    strict: bool,
    yaml_of_pages: dict[str, Path],
    build_dir: Path | None = None,
    full: bool = False,
) -> Published:
    """Run mkdocs into a staging folder next to `out`, then swap it into place.

    With `build_dir` holding the state of the site at `out` (and not `full`), only the
    pages whose Markdown changed are rendered (`wiki.incremental`); otherwise, or when the
    change needs it, every page is. Returns the warnings mkdocs logged (for pages not
    rendered again: what they logged last time). On failure the staging folder is
    removed, `out` is left as it was, and strict-mode warnings are raised as ContentErrors.
    """
    from mkdocs.exceptions import Abort, MkDocsException

    from wiki.incremental import NotIncremental, forget_state, load_state, save_state

    previous = None
    if build_dir is not None and not full and is_marked(out):
        previous = load_state(build_dir, out)
    staging: Path | None = None
    try:
        with _captured_mkdocs_warnings() as warnings:
            try:
                while True:
                    staging = _fresh_staging(out)
                    warnings.clear()
                    try:
                        outcome = _run_mkdocs(
                            config_path, staging, strict, previous, out, build_dir
                        )
                        break
                    except NotIncremental:
                        shutil.rmtree(staging, ignore_errors=True)
                        previous = None  # and build in full
            except Abort as failure:
                if strict and warnings:
                    raise ContentErrors(_warnings_as_errors(warnings, yaml_of_pages)) from None
                raise SiteBuildError(_failure_message(failure, warnings)) from failure
            except MkDocsException as failure:
                raise SiteBuildError(_failure_message(failure, warnings)) from failure
        for name in SITEMAP_FILES:
            (staging / name).unlink(missing_ok=True)
        mark(staging)  # mkdocs keeps hidden files, but a plugin might not
        if build_dir is not None:
            forget_state(build_dir)  # a kill between swap and save leaves no stale state
        swap_into_place(staging, out)
        staging = None
        if build_dir is not None:
            save_state(build_dir, outcome.state)
    except OSError as error:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise SiteBuildError(_os_error_message(error, out)) from None
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if outcome.incremental:
        from wiki.incremental import recorded_warnings

        rendered = set(outcome.rendered)
        warnings = [*recorded_warnings(outcome.state, skip=rendered), *warnings]
    return Published(list(warnings), outcome.incremental, outcome.pages_rendered)


def _fresh_staging(out: Path) -> Path:
    try:
        return new_staging_folder(out)
    except OSError as error:
        raise SiteBuildError(_os_error_message(error, out.parent)) from None


def _run_mkdocs(
    config_path: Path,
    staging: Path,
    strict: bool,
    previous: dict[str, Any] | None,
    out: Path,
    build_dir: Path | None,
) -> Any:
    from mkdocs.config import load_config

    from wiki.incremental import run_build

    config = load_config(str(config_path), site_dir=str(staging), strict=strict)
    config.plugins.on_startup(command="build", dirty=False)
    cache = build_dir / "theme-cache" if build_dir is not None else None
    try:
        return run_build(config, config_path, previous, out, cache)
    finally:
        config.plugins.on_shutdown()


def _os_error_message(error: OSError, near: Path) -> str:
    """One line for a file-system failure while publishing; the old site is never touched."""
    if error.errno == errno.ENOSPC:
        return (
            f"no space left on {mount_point_of(near)} (building {display_path(near)}); "
            "the previous site is untouched"
        )
    where = error.filename or near
    reason = error.strerror or str(error)
    return f"cannot write the site: {reason}: {where}; the previous site is untouched"


@contextmanager
def _captured_mkdocs_warnings() -> Iterator[list[str]]:
    """Collect what mkdocs logs at WARNING and above (and keep it off stderr)."""
    messages: list[str] = []

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Collector(level=logging.WARNING)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


DOC_FILE_IN_WARNING = re.compile(r"Doc file '([^']+)'")
LINK_IN_WARNING = re.compile(r"contains a link '([^']+)'")


def _warnings_as_errors(warnings: list[str], yaml_of_pages: dict[str, Path]) -> list[ContentError]:
    """mkdocs warnings that name a generated page become errors at that page's YAML file,
    at the first place the bad link's text occurs in it (else at its top)."""
    errors = []
    for warning in warnings:
        named = DOC_FILE_IN_WARNING.search(warning)
        path = yaml_of_pages.get(named.group(1)) if named else None
        link = LINK_IN_WARNING.search(warning)
        line, col = _first_occurrence(path, link.group(1)) if path and link else (1, 1)
        errors.append(
            ContentError(
                path or Path(BUILD_DIR_NAME) / "mkdocs.yml",
                line,
                col,
                f"site build (strict): {warning}",
                "links in prose must point to pages that exist; use [[id]] for wiki pages",
            )
        )
    return errors


def _first_occurrence(path: Path, needle: str) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    offset = text.find(needle)
    if offset < 0:
        return 1, 1
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _failure_message(failure: Exception, warnings: list[str]) -> str:
    lines = [f"mkdocs build failed: {failure}", *(f"  {warning}" for warning in warnings)]
    return "\n".join(lines)


def _yaml_of_pages(wiki: Wiki) -> dict[str, Path]:
    return {page_path(page.kind, page.id): page.path for page in wiki.pages.values()}


def _write_atomically(target: Path, data: bytes) -> None:
    try:
        write_generated(target, data)
    except GeneratedWriteError as error:
        raise SiteBuildError(str(error)) from None
