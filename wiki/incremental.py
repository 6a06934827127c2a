"""mkdocs builds that redo only the pages whose Markdown changed.

mkdocs has no incremental build: `mkdocs build` renders every page, and `--dirty` only
compares mtimes, rewrites the search index from the pages it rendered and leaves
navigation and links of the other pages as they were. `run_build` drives mkdocs' own
build steps instead (`mkdocs.commands.build`: config, files, nav, `_populate_page`,
`_build_page`, anchor validation, `post_build`), in the same order `build()` does, and
records what a later build needs to skip a page: its source hash, title, front matter,
anchors, links to anchors and warnings (`SiteState`, kept in the build folder).

The next build is incremental when the configuration, theme, plugins and versions are
the same, the set of files is the same and every changed file is a page or a copied
file: the previous site is hard-linked into the staging folder, only the changed pages
go through Markdown and the theme (their old output unlinked first, so the published
site is never written through a shared inode), changed copied files are re-copied, and
the search index is the previous site's entries with the changed pages' entries put
back in their places (page order, as a cold build writes it). Unchanged pages get their
recorded title and anchors (pages in the nav also their front matter), so navigation and
cross-page anchor checks match a cold build. When a changed page is in the nav and its
title or front matter changed, or anything else listed above changed, or a plugin other
than the known ones is active, the build is a full one.

With only known plugins and at least `wiki.forked.MIN_ITEMS_TO_FORK` pages to render,
the pages are read, converted and built in `wiki.forked.build_processes()` processes:
pages in the nav are read first, here (every page shows their titles), then each process
takes the next page nobody has taken, writes its HTML and hands back its title, front
matter, anchors, links to anchors, search entries and log records; the log records are
replayed here in the order one process logs them, so warnings and strict mode are
unchanged. Material's search index reads each page's HTML through `wiki.search_index`
(the same entries).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from wiki.forked import MIN_ITEMS_TO_FORK, build_processes, map_in_processes
from wiki.mkdocs_config import folder_digest

STATE_FILE = "site-state.json"  # in the build folder: the per-page state of the last site
STATE_FORMAT = 1
# Plugins whose events are known to depend on nothing but the page at hand (material's
# search, whose per-page entries are merged here; the offline index script; the wiki
# pages); any other plugin (mkdocs' own search too) makes every build a full one.
KNOWN_PLUGINS = {
    "material.plugins.search.plugin.SearchPlugin",
    "material.plugins.offline.plugin.OfflinePlugin",
    "wiki.mkdocs_plugin.WikiPlugin",
}
VERSIONED = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2")
SEARCH_INDEX_FILES = ("search/search_index.json", "search/search_index.js")


class NotIncremental(Exception):
    """Found part-way through an incremental build: this change needs a full one."""


@dataclass
class BuildOutcome:
    """What `run_build` did: the pages it rendered, and the state for the next build."""

    incremental: bool
    rendered: list[str]  # src_uris of the pages rendered to HTML, in build order
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def pages_rendered(self) -> int:
        return len(self.rendered)


def load_state(build_dir: Path, out: Path) -> dict[str, Any] | None:
    """The recorded state of the site at `out`, or None when there is none usable."""
    try:
        state = json.loads((build_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        return None
    return state if state.get("out") == str(out.resolve()) else None


def save_state(build_dir: Path, state: dict[str, Any]) -> None:
    from wiki.mkdocs_config import write_generated

    write_generated(build_dir / STATE_FILE, json.dumps(state, sort_keys=True).encode("utf-8"))


def forget_state(build_dir: Path) -> None:
    (build_dir / STATE_FILE).unlink(missing_ok=True)


def run_build(
    config: Any,
    config_path: Path,
    previous: dict[str, Any] | None,
    out: Path,
    cache_dir: Path | None = None,
) -> BuildOutcome:
    """Build the site into `config.site_dir` (an empty staging folder but for the marker).

    With a usable `previous` state of the site now at `out`, only changed pages are
    rendered (the rest hard-linked from `out`);
    raises `NotIncremental` when that turns out impossible (the caller then builds in full
    into a fresh staging folder). Warnings go to the `mkdocs` logger as in mkdocs' build;
    in strict mode any warning aborts, as `mkdocs build --strict` does. `cache_dir` keeps
    the theme's compiled templates (jinja2 bytecode, checked against the template source)
    so a one-page build does not compile mkdocs-material's templates again.
    """
    from mkdocs.commands import build as steps
    from mkdocs.exceptions import Abort, BuildError
    from mkdocs.structure.files import InclusionLevel, set_exclusions
    from mkdocs.structure.nav import get_navigation
    from mkdocs.structure.pages import Page

    from wiki.page_html import use_generated_html

    counter = _WarningCounter()
    logging.getLogger("mkdocs").addHandler(counter)
    try:
        config = config.plugins.on_config(config)
        if (index := _search_index(config)) is not None:
            from wiki.search_index import install

            install(index)  # the same entries, read from each page's HTML faster
        config.plugins.on_pre_build(config=config)
        files = steps.get_files(config)
        env = config.theme.get_env()
        if cache_dir is not None:
            env.bytecode_cache = _bytecode_cache(cache_dir)
        add_files_from_theme(files, env, config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)

        key = config_key(config, config_path)
        fingerprints = file_fingerprints(files, config)
        changed = _changed_files(previous, key, fingerprints, config)
        incremental = changed is not None
        site = Path(config.site_dir)
        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
        if changed is not None:
            expected = {f.dest_uri for f in files if f.inclusion.is_included()}
            _link_tree(out, site, expected)
        assert previous is not None or changed is None
        recorded = previous["pages"] if previous is not None else {}

        pages: dict[str, dict[str, Any]] = {}
        in_nav = {page.file.src_uri for page in nav.pages}
        to_render = [f for f in doc_files if changed is None or f.src_uri in changed]
        known_plugins = _plugins_known(config)
        processes = build_processes() if known_plugins else 1
        parallel = processes > 1 and len(to_render) >= MIN_ITEMS_TO_FORK
        populated: dict[str, list[logging.LogRecord]] = {}  # parallel: records, replayed
        for file in doc_files:
            if file.page is None:
                Page(None, file, config)
            page = file.page
            assert page is not None
            use_generated_html(page, config)  # generated pages: HTML without Python-Markdown
            if parallel and (changed is None or file.src_uri in changed):
                if file.src_uri in in_nav:  # every page shows the nav: populated here
                    with _captured(populated.setdefault(file.src_uri, [])):
                        steps._populate_page(page, config, files)
            elif changed is None or file.src_uri in changed:
                with counter.for_page(file.src_uri):
                    steps._populate_page(page, config, files)
            else:
                if file.src_uri in in_nav:  # the nav shows its front matter (icons, status)
                    page.read_source(config)
                _restore(page, recorded[file.src_uri], files)
        if changed is not None:
            _check_nav_unchanged(nav, changed, recorded)

        env = config.plugins.on_env(env, config=config, files=files)
        if changed is None:
            files.copy_static_files(inclusion=InclusionLevel.is_included)
            for template in config.theme.static_templates:
                steps._build_theme_template(template, env, files, config, nav)
            for template in config.extra_templates:
                steps._build_extra_template(template, files, config, nav)
        else:
            for file in files:
                if not file.is_documentation_page() and file.src_uri in changed:
                    Path(file.abs_dest_path).unlink(missing_ok=True)
                    file.copy_file()

        search = _search_index(config)
        entries: dict[str, list[Any]] = {}
        rendered: list[str] = []
        done: dict[str, dict[str, Any]] = {}  # parallel: what each rendered page left
        if parallel:
            done = _render_in_processes(
                to_render, processes, config, files, doc_files, nav, env, in_nav, search
            )
            for file in to_render:  # mkdocs' order: every page's reading, then building
                with counter.for_page(file.src_uri):
                    _replay(populated.get(file.src_uri, []) + done[file.src_uri]["read_log"])
            for file in to_render:
                with counter.for_page(file.src_uri):
                    _replay(done[file.src_uri]["build_log"])
                _restore(file.page, done[file.src_uri], files)
                rendered.append(file.src_uri)
                entries[file.src_uri] = done[file.src_uri]["entries"]
            if search is not None and changed is None:
                search.entries = [entry for f in doc_files for entry in entries[f.src_uri]]
        for file in doc_files:
            page = file.page
            assert page is not None
            if parallel or (changed is not None and file.src_uri not in changed):
                continue
            Path(file.abs_dest_path).unlink(missing_ok=True)  # may be a link to the old site
            before = len(search.entries) if search is not None else 0
            with counter.for_page(file.src_uri):
                steps._build_page(page, config, doc_files, nav, env)
            rendered.append(file.src_uri)
            if search is not None:
                entries[file.src_uri] = search.entries[before:]
            if known_plugins:  # nothing reads a built page's HTML again: let it go
                page.title = page.title  # keep it for the nav of the pages still to build
                page.content = page.markdown = None
        if search is not None and changed is not None:
            old = _entries_by_url(out)
            search.entries = [
                entry
                for file in doc_files
                for entry in entries.get(file.src_uri, old.get(file.url, []))
            ]
            for name in SEARCH_INDEX_FILES:
                (site / name).unlink(missing_ok=True)

        log_level = config.validation.links.anchors
        for file in doc_files:
            assert file.page is not None
            file.page.validate_anchor_links(files=files, log_level=log_level)
        config.plugins.on_post_build(config=config)

        for file in doc_files:
            assert file.page is not None
            skipped = changed is not None and file.src_uri not in changed
            kept = recorded.get(file.src_uri, {}) if skipped else {}
            meta = done[file.src_uri]["meta"] if file.src_uri in done else None
            pages[file.src_uri] = _page_state(file.page, counter.pages, kept, meta)
        if counter.total and config.strict:
            raise Abort(f"Aborted with {counter.total} warnings in strict mode!")
    except Exception as error:
        config.plugins.on_build_error(error=error)
        if isinstance(error, BuildError):
            logging.getLogger("mkdocs").error(str(error))
            raise Abort("Aborted with a BuildError!") from error
        raise
    finally:
        logging.getLogger("mkdocs").removeHandler(counter)
    state = {
        "format": STATE_FORMAT,
        "out": str(out.resolve()),
        "config": key,
        "files": fingerprints,
        "pages": pages,
    }
    return BuildOutcome(incremental, rendered, state)


def _render_in_processes(
    to_render: list[Any],
    processes: int,
    config: Any,
    files: Any,
    doc_files: Any,
    nav: Any,
    env: Any,
    in_nav: set[str],
    search: Any,
) -> dict[str, dict[str, Any]]:
    """Read, convert and build `to_render` in `processes` processes (`wiki.forked`): each
    renders the next page nobody has taken yet to HTML in the site folder and hands back
    what the rest of the build reads from a page: title, front matter, anchors, links
    to anchors, search entries and what it logged while read and while built. Pages in
    the nav were read here before the fork (every page shows the nav's titles)."""
    from mkdocs.commands import build as steps

    def render_one(file: Any) -> dict[str, Any]:
        page = file.page
        read_log: list[logging.LogRecord] = []
        build_log: list[logging.LogRecord] = []
        try:
            if file.src_uri not in in_nav:
                with _captured(read_log, replay_on_error=False):
                    steps._populate_page(page, config, files)
            before = len(search.entries) if search is not None else 0
            with _captured(build_log, replay_on_error=False):
                steps._build_page(page, config, doc_files, nav, env)
        except Exception as error:  # handed back with what the page logged until then
            return {"error": error, "read_log": [_portable(r) for r in read_log + build_log]}
        links = {
            to_file.src_uri: dict(sorted(anchors.items()))
            for to_file, anchors in (page.links_to_anchors or {}).items()
        }
        result = {
            "title": page.title,
            "meta": _meta_text(page),
            "anchors": sorted(page.present_anchor_ids or ()),
            "links": links,
            "entries": search.entries[before:] if search is not None else [],
            "read_log": [_portable(r) for r in read_log],
            "build_log": [_portable(r) for r in build_log],
        }
        page.title = page.title  # kept for the nav of the pages still to build
        page.content = page.markdown = None  # nothing reads a built page's HTML again
        return result

    # The first page here, before the fork: the theme's templates are compiled once.
    weights = [_source_size(file) for file in to_render[1:]]
    results = [render_one(to_render[0])]
    results += map_in_processes(render_one, to_render[1:], processes, weights)
    done = {file.src_uri: result for file, result in zip(to_render, results, strict=True)}
    for file in to_render:
        file.page.title = file.page.title
        file.page.content = file.page.markdown = None
    for file in to_render:  # on a failure: what the pages logged up to it, then the failure
        if "error" in done[file.src_uri]:
            for other in to_render:
                _replay(done[other.src_uri]["read_log"])
                if other is file:
                    raise done[file.src_uri]["error"]
                _replay(done[other.src_uri].get("build_log", []))
    return done


def _source_size(file: Any) -> int:
    if file.abs_src_path is not None:
        try:
            return os.path.getsize(file.abs_src_path)
        except OSError:
            pass
    return len(file.content_bytes)


@contextmanager
def _captured(records: list[logging.LogRecord], replay_on_error: bool = True) -> Iterator[None]:
    """Collect what mkdocs logs (to replay it later, in mkdocs' order) instead of passing
    it on; on an error what was collected is passed on at once (`replay_on_error`)."""
    logger = logging.getLogger("mkdocs")
    handler = _Collect(records)
    handlers, propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [handler], False
    try:
        yield
    except BaseException:
        logger.handlers, logger.propagate = handlers, propagate
        if replay_on_error:
            _replay(records)
            records.clear()
        raise
    finally:
        logger.handlers, logger.propagate = handlers, propagate


class _Collect(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.NOTSET)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _portable(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message formatted, so it pickles (arguments may not)."""
    record.msg, record.args = record.getMessage(), None
    if record.exc_info:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    return record


def _replay(records: list[logging.LogRecord]) -> None:
    for record in records:
        logging.getLogger(record.name).handle(record)


def add_files_from_theme(files: Any, env: Any, config: Any) -> None:
    """`Files.add_files_from_theme` of mkdocs 1.6, with its exclusion patterns matched as
    one regular expression instead of one `fnmatch` call per pattern and file
    (mkdocs-material ships some 14,000 theme files: this was ~0.2 s of every build)."""
    import fnmatch
    import re

    from mkdocs import utils
    from mkdocs.structure.files import File

    patterns = [".*", "*/.*", "*.py", "*.pyc", "*.html", "*readme*", "mkdocs_theme.yml"]
    patterns.append("locales/*")
    patterns.extend(f"*{x}" for x in utils.markdown_extensions)
    patterns.extend(config.theme.static_templates)
    excluded = re.compile("|".join(fnmatch.translate(pattern) for pattern in patterns))
    for path in env.list_templates(filter_func=lambda name: not excluded.match(name.lower())):
        if files.get_file_from_path(path) is None:  # theme files do not override docs
            for folder in config.theme.dirs:
                if os.path.isfile(os.path.join(folder, path)):
                    files.append(File(path, folder, config.site_dir, config.use_directory_urls))
                    break


def _bytecode_cache(folder: Path) -> Any:
    import jinja2

    folder.mkdir(parents=True, exist_ok=True)
    return jinja2.FileSystemBytecodeCache(str(folder))


def config_key(config: Any, config_path: Path) -> str:
    """What every page's HTML depends on: config file, strictness, versions, plugins, and
    the theme override folder's content (`theme.custom_dir`)."""
    digest = hashlib.sha256(config_path.read_bytes())
    digest.update(b"strict" if config.strict else b"lenient")
    for package in VERSIONED:
        try:
            digest.update(f"{package}={metadata.version(package)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package}=none;".encode())
    for name, plugin in config.plugins.items():
        digest.update(f"{name}={type(plugin).__module__}.{type(plugin).__qualname__};".encode())
    digest.update(str(sorted(config.theme.dirs)).encode())
    if config.theme.custom_dir:  # a theme override: its templates shape every page
        digest.update(folder_digest(Path(config.theme.custom_dir)).encode())
    return digest.hexdigest()


def file_fingerprints(files: Any, config: Any) -> list[list[str]]:
    """[src_uri, content hash] of every file in build order; theme files hash as '' (their
    content is the theme's version, part of the config key)."""
    theme_dirs = {os.path.normpath(d) for d in config.theme.dirs}
    rows = []
    for file in files:
        if file.src_dir is not None and os.path.normpath(file.src_dir) in theme_dirs:
            rows.append([file.src_uri, ""])
        else:
            rows.append([file.src_uri, hashlib.sha256(file.content_bytes).hexdigest()])
    return rows


def _changed_files(
    previous: dict[str, Any] | None,
    key: str,
    fingerprints: list[list[str]],
    config: Any,
) -> set[str] | None:
    """src_uris whose content changed, or None when the build must be a full one."""
    if previous is None or previous.get("config") != key:
        return None
    if not _plugins_known(config) or config.extra_templates:
        return None
    if config_uses_tags(config):
        return None
    before = previous.get("files", [])
    if [row[0] for row in before] != [row[0] for row in fingerprints]:
        return None  # a file was added, removed or reordered: links and nav may change
    return {new[0] for old, new in zip(before, fingerprints, strict=True) if old[1] != new[1]}


def config_uses_tags(config: Any) -> bool:
    """A config whose values are computed when read (`!ENV`, `!relative`, python names)."""
    text = Path(config.config_file_path).read_text(encoding="utf-8")
    return "!ENV" in text or "!!python" in text or "!relative" in text


def _plugins_known(config: Any) -> bool:
    names = {f"{type(p).__module__}.{type(p).__qualname__}" for p in config.plugins.values()}
    return names <= KNOWN_PLUGINS


def _link_tree(previous_site: Path, site: Path, expected: set[str]) -> None:
    """Hard-link every file of the previous site into `site`; it must hold `expected`."""
    found: set[str] = set()
    for directory, _, names in os.walk(previous_site):
        relative = Path(directory).relative_to(previous_site)
        (site / relative).mkdir(parents=True, exist_ok=True)
        for name in names:
            source, target = Path(directory, name), site / relative / name
            if target.exists():  # the staging folder's own marker
                continue
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError:
                raise NotIncremental(f"cannot link {source}") from None
            found.add((relative / name).as_posix())
    if not expected <= found:
        raise NotIncremental("the previous site lacks files it should hold")


def _restore(page: Any, recorded: dict[str, Any], files: Any) -> None:
    """Give an unchanged page what other pages and the nav read from it."""
    page.title = recorded["title"]
    page.present_anchor_ids = set(recorded["anchors"])
    links = {}
    for target, anchors in recorded["links"].items():
        to_file = files.get_file_from_path(target)
        if to_file is None:
            raise NotIncremental(f"link target {target} is gone")
        links[to_file] = dict(anchors)
    page.links_to_anchors = links


def _check_nav_unchanged(nav: Any, changed: set[str], recorded: dict[str, Any]) -> None:
    """A page in the nav shows its title (and front matter: icons, status) on every page."""
    for page in nav.pages:
        if page.file.src_uri not in changed:
            continue
        old = recorded.get(page.file.src_uri)
        if old is None or old["title"] != page.title or old["meta"] != _meta_text(page):
            raise NotIncremental(f"nav entry {page.file.src_uri} changed")


def _page_state(
    page: Any, warnings: dict[str, list[str]], kept: dict[str, Any], meta: str | None = None
) -> dict[str, Any]:
    links = {
        to_file.src_uri: dict(sorted(anchors.items()))
        for to_file, anchors in (page.links_to_anchors or {}).items()
    }
    return {
        "title": page.title,
        "meta": _meta_text(page) if meta is None else meta,
        "anchors": sorted(page.present_anchor_ids or ()),
        "links": dict(sorted(links.items())),
        "warnings": warnings.get(page.file.src_uri, kept.get("warnings", [])),
    }


def recorded_warnings(state: dict[str, Any], skip: set[str] | None = None) -> list[str]:
    """Warnings the pages of `state` logged when they were last rendered."""
    return [
        warning
        for uri, page in state.get("pages", {}).items()
        if skip is None or uri not in skip
        for warning in page.get("warnings", [])
    ]


def _meta_text(page: Any) -> str:
    return json.dumps(page.meta, sort_keys=True, default=str)


def _search_index(config: Any) -> Any:
    """mkdocs-material's search index object (its `entries`, page by page), if search is on."""
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if index is not None and isinstance(getattr(index, "entries", None), list):
            return index
    return None


def _entries_by_url(site: Path) -> dict[str, list[Any]]:
    """The previous site's search entries grouped by the page they belong to."""
    try:
        data = json.loads((site / SEARCH_INDEX_FILES[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise NotIncremental("the previous search index is unreadable") from None
    grouped: dict[str, list[Any]] = {}
    for entry in data.get("docs", []):
        grouped.setdefault(entry["location"].partition("#")[0], []).append(entry)
    return grouped


class _WarningCounter(logging.Handler):
    """Counts mkdocs warnings (strict mode) and notes which page logged each."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.total = 0
        self.pages: dict[str, list[str]] = {}
        self._page: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.total += 1
        if self._page is not None:
            self.pages.setdefault(self._page, []).append(record.getMessage())

    @contextmanager
    def for_page(self, src_uri: str) -> Iterator[None]:
        self._page = src_uri
        self.pages.setdefault(src_uri, [])
        try:
            yield
        finally:
            self._page = None
