"""A build in two processes (`wiki.forked`) writes what a build in one process writes.

A dense generated wiki is built with `WIKI_BUILD_PROCESSES=1` and `=2`; the Markdown
tree, the site and the recorded build state must match byte for byte, and the two-process
build must really have forked (both for the Markdown pages and for the HTML). mkdocs
warnings come back from the children in the order one process logs them; an incremental
build that renders its changed pages in two processes equals a cold build; a failure in a
child is raised in the parent, and a child that dies or sends a result cut short is a
`ChildFailed`.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from test_incremental import build, differences, differing, tree

from wiki import forked, incremental

REPO = Path(__file__).parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from dense_wiki import dense_pages, write_pages  # noqa: E402

MINI = Path(__file__).parent / "fixtures" / "mini"
PAGES = dense_pages(90, seed=7)


def new_project(folder: Path, with_mini: bool = True) -> Path:
    write_pages(PAGES, folder / "pages")
    if with_mini:  # a ledger: runs, plots, evidence
        shutil.copytree(MINI, folder / "pages" / "mini")
    (folder / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n', encoding="utf-8")
    return folder


STATE = ("site-state.json", "render-cache.json", "mkdocs.yml")


def built_files(project: Path) -> dict[str, bytes]:
    """The project's site, Markdown tree and recorded build state (which name the
    project's absolute paths: compare builds of the same folder)."""
    files = {f"site/{name}": data for name, data in tree(project / "site").items()}
    files.update({f"docs/{n}": d for n, d in tree(project / ".wiki-build" / "docs").items()})
    files.update({name: (project / ".wiki-build" / name).read_bytes() for name in STATE})
    return files


def rebuilt_cold(project: Path) -> dict[str, bytes]:
    """What a cold build of `project` writes (its site and build folder removed first)."""
    shutil.rmtree(project / "site", ignore_errors=True)
    shutil.rmtree(project / ".wiki-build", ignore_errors=True)
    report = build(project)
    assert report.site_rebuilt and not report.incremental
    return built_files(project)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many shares each `run_shares` call ran (more than 1: it forked)."""
    calls: list[int] = []
    real = forked.run_shares

    def counting(work, shares):  # type: ignore[no-untyped-def]
        calls.append(len(shares))
        return real(work, shares)

    monkeypatch.setattr(forked, "run_shares", counting)
    return calls


def test_two_processes_build_what_one_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    project = new_project(tmp_path / "project")
    monkeypatch.setenv(forked.ENV_VAR, "1")
    one = rebuilt_cold(project)
    assert forks == []  # one process: nothing forked
    monkeypatch.setenv(forked.ENV_VAR, "2")
    two = rebuilt_cold(project)
    assert forks == [2, 2]  # the Markdown pages, then the HTML pages
    assert len(one) > 200 and differences(one, two) == []


def test_the_comparison_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that hands back one page's anchors wrongly shows as a difference."""
    project = new_project(tmp_path / "project", with_mini=False)
    monkeypatch.setenv(forked.ENV_VAR, "1")
    one = rebuilt_cold(project)
    monkeypatch.setenv(forked.ENV_VAR, "2")
    real = incremental._restore

    def forgetful(page, recorded, files):  # type: ignore[no-untyped-def]
        if page.file.src_uri == "concepts/concept-1.md":
            recorded = {**recorded, "anchors": []}
        real(page, recorded, files)

    monkeypatch.setattr(incremental, "_restore", forgetful)
    assert differences(one, rebuilt_cold(project)) == ["site-state.json"]


USER_MKDOCS = """\
site_name: A user's wiki
theme: {name: material, font: false}
plugins: [search, wiki]
"""
NOTES = """\
# Notes

A [missing page](missing.md), [another](gone.md).
"""


def test_warnings_come_back_in_the_order_one_process_logs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    reports = []
    for processes in ("1", "2"):
        monkeypatch.setenv(forked.ENV_VAR, processes)
        project = new_project(tmp_path / f"p{processes}", with_mini=False)
        (project / "mkdocs.yml").write_text(USER_MKDOCS, encoding="utf-8")
        (project / "docs").mkdir()
        for name in ("a-notes.md", "z-notes.md"):  # read first and last
            (project / "docs" / name).write_text(NOTES, encoding="utf-8")
        reports.append(build(project))
    assert forks and max(forks) == 2
    one, two = reports
    assert len(one.warnings) == 4 and one.warnings == two.warnings
    assert "a-notes.md" in one.warnings[0] and "z-notes.md" in one.warnings[-1]
    assert differing(tmp_path / "p1" / "site", tmp_path / "p2" / "site") == []


def test_incremental_build_in_two_processes_equals_cold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    """A title edit changes every page that links to the page: rendered in 2 processes."""
    monkeypatch.setenv(forked.ENV_VAR, "2")
    monkeypatch.setattr(forked, "MIN_ITEMS_TO_FORK", 2)
    project = new_project(tmp_path / "edited", with_mini=False)
    build(project)
    page = project / "pages" / "concepts" / "concept-1.yaml"
    page.write_text(page.read_text("utf-8").replace("Concept 1", "Concept One", 1), "utf-8")
    forks.clear()
    report = build(project)
    assert report.incremental and 2 <= report.pages_rendered < 90
    assert forks == [2]  # the changed HTML pages (too few Markdown pages to fork for)
    monkeypatch.setenv(forked.ENV_VAR, "1")
    cold = tmp_path / "cold"
    cold.mkdir()
    shutil.copytree(project / "pages", cold / "pages")
    shutil.copy(project / "pyproject.toml", cold)
    assert not build(cold).incremental
    assert differing(project / "site", cold / "site") == []


def test_map_in_processes_keeps_the_order_of_items() -> None:
    def work(item: int) -> tuple[int, int]:
        time.sleep(0.005)  # long enough for the child to start taking items too
        return item * item, os.getpid()

    items = list(range(200))
    pids = forked.map_in_processes(work, items, 2)
    assert [square for square, _ in pids] == [item * item for item in items]
    assert len({pid for _, pid in pids}) == 2  # both processes took items


def test_a_failure_in_a_child_is_raised_here() -> None:
    parent = os.getpid()

    def work(item: int) -> int:
        if os.getpid() != parent:
            raise ValueError(f"no item {item} in the child")
        return item

    with pytest.raises(ValueError, match="in the child"):
        forked.run_shares(lambda share: [work(item) for item in share], [[1], [2]])


def test_a_child_result_that_does_not_pickle_is_a_child_failure() -> None:
    """The child streams its result into the pipe: cut short, it is not taken as one."""
    parent = os.getpid()

    def work(share: list[int]) -> list[object]:
        if os.getpid() == parent:
            return share
        return [b"x" * (1 << 20), lambda: None]  # the megabyte goes out, then pickle fails

    with pytest.raises(forked.ChildFailed, match="without a result"):
        forked.run_shares(work, [[1], [2]])


def test_a_child_that_dies_is_a_child_failure() -> None:
    parent = os.getpid()

    def work(share: list[int]) -> list[int]:
        if os.getpid() != parent:
            os._exit(3)
        return share

    with pytest.raises(forked.ChildFailed, match="status 768"):
        forked.run_shares(work, [[1], [2]])


def test_a_big_result_comes_back_whole() -> None:
    parent = os.getpid()
    pages = [bytes([n]) * (1 << 20) for n in range(8)]  # larger than any pipe buffer

    def work(share: list[int]) -> list[bytes]:
        return [] if os.getpid() == parent else pages

    assert forked.run_shares(work, [[1], [2]]) == [[], pages]


def test_build_processes_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(forked.ENV_VAR, "3")
    assert forked.build_processes() == 3
    monkeypatch.setenv(forked.ENV_VAR, "0")
    assert forked.build_processes() == 1
    monkeypatch.delenv(forked.ENV_VAR)
    assert 1 <= forked.build_processes() <= forked.DEFAULT_PROCESSES


def test_no_fork_by_default_while_another_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.delenv(forked.ENV_VAR, raising=False)
    monkeypatch.setattr(forked.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    # Earlier tests in the same process may leave threads behind: count only this one.
    monkeypatch.setattr(forked.threading, "active_count", lambda: 1)
    assert forked.build_processes() == 2
    monkeypatch.undo()
    monkeypatch.delenv(forked.ENV_VAR, raising=False)
    stop = threading.Event()
    server = threading.Thread(target=stop.wait)  # as `wiki serve`'s live-reload server
    server.start()
    try:
        assert forked.build_processes() == 1
    finally:
        stop.set()
        server.join()
