"""Incremental builds equal cold ones, and a rebuild with nothing changed does nothing.

A small dense generated wiki (the benchmarks' generator) is built cold, edited, and built
again incrementally; the same edited content is built cold in a second project, and the
two sites (and Markdown trees) must match file by file. `test_the_comparison_can_fail`
shows the comparison catches a page left stale (a backlinking page not rebuilt).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wiki import incremental
from wiki.corpus import load_wiki
from wiki.evidence import gather_evidence
from wiki.ledger import Ledger
from wiki.settings import load_settings
from wiki.site import BuildReport, build_site

REPO = Path(__file__).parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from dense_wiki import dense_pages, write_pages  # noqa: E402

PAGES = dense_pages(30, seed=5)


def new_project(folder: Path) -> Path:
    write_pages(PAGES, folder / "pages")
    (folder / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n', encoding="utf-8")
    return folder


def build(project: Path, force: bool = False) -> BuildReport:
    settings = load_settings(project)
    wiki = load_wiki(settings.root)
    evidence = gather_evidence(wiki, Ledger(settings.ledger).records(), settings)
    return build_site(wiki, settings, evidence=evidence, force=force)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def differences(left: dict[str, bytes], right: dict[str, bytes]) -> list[str]:
    """Names whose bytes differ, or that only one side has."""
    return sorted(name for name in left.keys() | right.keys() if left.get(name) != right.get(name))


def differing(left: Path, right: Path) -> list[str]:
    return differences(tree(left), tree(right))


def same_as_cold(project: Path, tmp_path: Path) -> list[str]:
    """Files of `project`'s site and Markdown tree that differ from a cold build of its
    content in a fresh project."""
    cold = tmp_path / f"cold-{time.monotonic_ns()}"
    cold.mkdir()
    shutil.copytree(project / "pages", cold / "pages")
    shutil.copy(project / "pyproject.toml", cold)
    report = build(cold)
    assert report.site_rebuilt and not report.incremental
    docs = ".wiki-build/docs"
    return differing(project / "site", cold / "site") + [
        f"docs/{name}" for name in differing(project / docs, cold / docs)
    ]


def page_file(project: Path, page_id: str) -> Path:
    return next((project / "pages").rglob(f"{page_id}.yaml"))


def edit(project: Path, page_id: str, old: str, new: str) -> None:
    path = page_file(project, page_id)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = new_project(tmp_path_factory.mktemp("incremental"))
    first = build(folder)
    assert first.site_rebuilt and not first.incremental
    return folder


def test_prose_edit_rebuilds_few_pages_and_equals_cold(project: Path, tmp_path: Path) -> None:
    edit(project, "concept-3", "Core insight\n  text: ", "Core insight\n  text: Edited prose, ")
    report = build(project)
    assert report.incremental and report.site_rebuilt
    assert 1 <= report.pages_rendered < 5
    assert same_as_cold(project, tmp_path) == []


def test_title_edit_rebuilds_backlinks_and_indexes_and_equals_cold(project, tmp_path) -> None:
    edit(project, "concept-4", "title: Concept 4", "title: Renamed concept four")
    report = build(project)
    assert report.incremental
    assert report.pages_rendered > 2  # the page, pages linking to it, index pages
    assert same_as_cold(project, tmp_path) == []


def test_claim_edit_equals_cold(project: Path, tmp_path: Path) -> None:
    edit(project, "concept-2", "Claim 1 of concept 2:", "Claim 1 of concept 2, restated:")
    report = build(project)
    assert report.incremental
    assert same_as_cold(project, tmp_path) == []


def test_new_page_is_a_full_build_and_equals_cold(project: Path, tmp_path: Path) -> None:
    source = page_file(project, "paper-0")
    text = source.read_text(encoding="utf-8").replace("Paper 0:", "Paper new:")
    (source.parent / "paper-new.yaml").write_text(text, encoding="utf-8")
    report = build(project)
    assert report.site_rebuilt and not report.incremental  # the file set changed
    assert same_as_cold(project, tmp_path) == []


def test_forced_build_is_full(project: Path) -> None:
    report = build(project, force=True)
    assert report.site_rebuilt and not report.incremental
    assert report.pages_rendered == len(list((project / ".wiki-build/docs").rglob("*.md")))


def test_published_site_is_not_written_through_shared_files(project: Path) -> None:
    """The staging copy hard-links the old site: changed pages must get new inodes."""
    page = project / "site" / "concepts" / "concept-5.html"
    before_inode, before_bytes = page.stat().st_ino, page.read_bytes()
    old_site = project / "site-old-link"
    os.link(page, old_site)  # stands for the previous site's copy of the page
    edit(project, "concept-5", "Core insight\n  text: ", "Core insight\n  text: Changed, ")
    report = build(project)
    assert report.incremental
    assert old_site.read_bytes() == before_bytes  # the old inode was not written to
    assert page.stat().st_ino != before_inode and page.read_bytes() != before_bytes
    old_site.unlink()


def test_the_comparison_can_fail(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rebuild only the edited page (skip the pages showing its title): the check sees it."""
    planner = incremental._changed_files

    def edited_page_only(*args):
        changed = planner(*args)
        return {uri for uri in changed if uri.endswith("concept-6.md")} if changed else changed

    monkeypatch.setattr(incremental, "_changed_files", edited_page_only)
    edit(project, "concept-6", "title: Concept 6", "title: Concept six, renamed")
    assert build(project).incremental
    stale = same_as_cold(project, tmp_path)
    assert stale and all(not name.startswith("docs/") for name in stale)
    monkeypatch.undo()
    assert build(project, force=True).site_rebuilt  # leave a correct site behind


def cli_build(project: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "wiki", "build"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def stats(project: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and folder under the project: (inode, size, mtime_ns)."""
    found = {}
    for path in sorted(project.rglob("*")):
        stat = path.lstat()
        found[str(path)] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def cli_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = new_project(tmp_path_factory.mktemp("noop"))
    assert "mkdocs not run" not in cli_build(folder).stderr
    return folder


def test_nothing_changed_writes_nothing_and_skips_mkdocs(cli_project: Path) -> None:
    before = stats(cli_project)
    done = cli_build(cli_project)
    assert "nothing changed" in done.stderr and "mkdocs not run" in done.stderr
    assert "checked" not in done.stderr  # not even the pages were loaded
    assert stats(cli_project) == before


def test_touched_file_is_checked_by_content_then_recorded(cli_project: Path) -> None:
    path = page_file(cli_project, "concept-1")
    os.utime(path)  # same content, new mtime
    done = cli_build(cli_project)
    assert "nothing changed" not in done.stderr and "mkdocs not run" in done.stderr
    assert "nothing changed" in cli_build(cli_project).stderr  # the new mtime was recorded


def test_same_size_edit_with_old_mtime_is_seen_through_the_content_hash(cli_project) -> None:
    """An mtime that cannot be trusted (here: in the future) makes the manifest keep a hash."""
    path = page_file(cli_project, "concept-7")
    future = time.time_ns() + 3600 * 10**9
    os.utime(path, ns=(future, future))
    cli_build(cli_project)  # records concept-7 with its content hash
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Concept 7", "Concept X", 1), encoding="utf-8")
    os.utime(path, ns=(future, future))  # same size, same mtime: only the content differs
    done = cli_build(cli_project)
    assert "nothing changed" not in done.stderr
    html = (cli_project / "site" / "concepts" / "concept-7.html").read_text(encoding="utf-8")
    assert "Concept X" in html


def test_missing_site_is_rebuilt_not_skipped(cli_project: Path) -> None:
    shutil.rmtree(cli_project / "site")
    done = cli_build(cli_project)
    assert "nothing changed" not in done.stderr
    assert (cli_project / "site" / "index.html").is_file()


def test_our_build_steps_give_what_mkdocs_build_gives(project: Path, tmp_path: Path) -> None:
    """The driver of mkdocs' build steps writes the same site as `mkdocs build` itself."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    assert build(project, force=True).site_rebuilt
    stock = tmp_path / "stock"
    config = load_config(str(project / ".wiki-build" / "mkdocs.yml"), site_dir=str(stock))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        mkdocs_build(config)
    finally:
        config.plugins.on_shutdown()
    for name in ("sitemap.xml", "sitemap.xml.gz"):  # wiki build publishes none
        (stock / name).unlink()
    assert differing(project / "site", stock) == [".wiki-site"]  # our marker only


USER_MKDOCS = """\
site_name: A user's wiki
theme: {name: material, font: false, palette: {primary: teal}, custom_dir: overrides}
extra_css: [custom.css]
plugins: [search, wiki]
markdown_extensions: [{toc: {permalink: true}}]
"""


def test_users_mkdocs_yml_builds_incrementally_too(tmp_path: Path) -> None:
    """With the project's own mkdocs.yml (the wiki plugin adds the pages) an edit and a
    changed CSS file of the user's docs folder give what a cold build gives; a changed
    theme override (custom_dir) means a full build."""
    project = new_project(tmp_path / "user")
    (project / "mkdocs.yml").write_text(USER_MKDOCS, encoding="utf-8")
    (project / "docs").mkdir()
    (project / "docs" / "custom.css").write_text(".md-header { color: red; }\n")
    (project / "overrides").mkdir()
    override = project / "overrides" / "main.html"
    override.write_text('{% extends "base.html" %}\n{% block footer %}One{% endblock %}\n')
    assert not build(project).incremental
    edit(project, "concept-3", "Core insight\n  text: ", "Core insight\n  text: Edited, ")
    (project / "docs" / "custom.css").write_text(".md-header { color: blue; }\n")
    report = build(project)
    assert report.incremental and report.pages_rendered < 5
    override.write_text(override.read_text().replace("One", "Two"))
    assert not build(project).incremental  # a theme override changes every page
    assert "Two" in (project / "site" / "concepts" / "concept-9.html").read_text("utf-8")

    cold = tmp_path / "cold"
    cold.mkdir()
    for name in ("pages", "docs", "overrides"):
        shutil.copytree(project / name, cold / name)
    for name in ("pyproject.toml", "mkdocs.yml"):
        shutil.copy(project / name, cold)
    assert not build(cold).incremental
    assert differing(project / "site", cold / "site") == []
