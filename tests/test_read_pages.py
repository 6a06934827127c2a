"""Reading and parsing page files: the forked two-core path gives exactly the one-process result."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wiki import read_pages
from wiki.load import load_tree

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux only")

PAGES = {
    "concepts/alpha.yaml": "kind: concept\ntitle: A\nstatus: emerging\nsummary: See [[beta]].\n",
    "concepts/beta.yaml": "kind: concept\ntitle: B\nstatus: emerging\nsummary: s\nflag: yes\n",
    "concepts/Bad_Name.yaml": "kind: concept\ntitle: C\nstatus: emerging\nsummary: s\n",
    "concepts/broken.yaml": "kind: concept\ntitle: [unclosed\n",
    "concepts/twice.yaml": "kind: source\ntitle: T\ntitle: again\n",
    "sources/paper.yaml": "kind: source\ntitle: P\nyear: 2020\nauthors: [A, B]\n",
    "sources/anchored.yaml": "kind: source\ntitle: &t P\nsummary: *t\nyear: 1:30\n",
}


@pytest.fixture
def tree(write_pages) -> Path:
    root = write_pages(PAGES)
    (root / "sources" / "latin1.yaml").write_bytes(b"kind: source\ntitle: caf\xe9\n")
    return root


def parsed_view(parsed: list[read_pages.ParsedFile]) -> list:
    """Everything a parse gives, as comparable values."""
    return [
        (
            [error.format() for error in one.errors],
            one.data,
            None if one.locations is None else one.locations.source,
            None if one.locations is None else one.locations.spans,
            None if one.locations is None else one.locations.keys,
        )
        for one in parsed
    ]


def files_of(root: Path) -> list[Path]:
    return sorted(root.rglob("*.yaml"))


@pytest.fixture
def forking(monkeypatch) -> None:
    """The forked path for any number of files, whatever the machine's load."""
    monkeypatch.setattr(read_pages, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(read_pages, "_can_fork", lambda: True)


def test_forked_parse_gives_the_same_files_values_locations_and_errors(tree, forking) -> None:
    paths = files_of(tree)
    one_process = [read_pages.parse_file(path, 10_000) for path in paths]
    two_processes = read_pages.parse_files(paths, 10_000)
    assert parsed_view(two_processes) == parsed_view(one_process)
    # the child's share really came through the pipe: some files are its, some ours
    assert 0 < len(read_pages._child_share(len(paths))) < len(paths)
    errors = [error.message for one in two_processes for error in one.errors]
    assert any("duplicate key 'title'" in message for message in errors)
    assert any("not valid UTF-8" in message for message in errors)
    assert any("not a lower-case slug" in message for message in errors)


def test_a_failing_child_leaves_its_files_to_this_process(tree, forking, monkeypatch) -> None:
    paths = files_of(tree)
    expected = parsed_view([read_pages.parse_file(path, 10_000) for path in paths])

    def broken(parsed: read_pages.ParsedFile) -> tuple:
        raise RuntimeError("the child cannot send")  # runs in the child only

    monkeypatch.setattr(read_pages, "_to_record", broken)
    assert parsed_view(read_pages.parse_files(paths, 10_000)) == expected


def test_load_tree_is_the_same_forked_or_not(tree, forking, monkeypatch) -> None:
    forked = load_tree(tree)
    monkeypatch.setattr(read_pages, "_can_fork", lambda: False)
    alone = load_tree(tree)
    assert [page.model for page in forked.pages] == [page.model for page in alone.pages]
    assert [page.id for page in forked.pages] == ["alpha", "paper"]
    assert [error.format() for error in forked.errors] == [e.format() for e in alone.errors]
    assert forked.unloaded_ids == alone.unloaded_ids
    assert [page.data for page in forked.failed] == [page.data for page in alone.failed]


def test_child_share_is_spread_over_the_list() -> None:
    share = read_pages._child_share(100)
    assert len(share) == 100 - read_pages.PARENT_PERCENT
    assert share[0] < 5 and share[-1] > 95  # not a block at one end: folders differ in cost


def test_no_process_to_fork_means_one_process(tree, forking, monkeypatch) -> None:
    paths = files_of(tree)
    expected = parsed_view([read_pages.parse_file(path, 10_000) for path in paths])

    def no_fork() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(read_pages.os, "fork", no_fork)
    assert parsed_view(read_pages.parse_files(paths, 10_000)) == expected
