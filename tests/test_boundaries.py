"""Content faults and content-root boundaries: one located line each, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki import discover
from wiki.cli import app
from wiki.corpus import load_wiki
from wiki.errors import ContentError, ContentErrors, display_path
from wiki.load import load_page, load_tree

PAPER = "kind: source\ntitle: Paper\nyear: 2024\n"
CONCEPT_CITING = """
kind: concept
title: C
status: emerging
summary: s
claims:
  - id: c
    statement: s
    evidence: {grade: weak, sources: [paper]}
"""


def messages(problems: list[ContentError]) -> list[str]:
    return [problem.format() for problem in problems]


def errors_of(root: Path) -> list[ContentError]:
    with pytest.raises(ContentErrors) as failure:
        load_wiki(root)
    return failure.value.errors


# --- item 4: anything reading a page can raise -----------------------------------------------


def test_cr_only_line_endings_locate_a_link_error_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(
        b"kind: source\rtitle: T\ryear: 2020\rsummary: see [[nope]]\r"
    )
    [error] = errors_of(tmp_path)
    assert (error.line, error.col) == (4, 14)
    assert "'nope' linked from source 'a' does not exist" in error.message


def test_crlf_and_cr_lines_count_like_yaml_counts_them(tmp_path: Path) -> None:
    text = b"kind: source\r\ntitle: T\ryear: 2020\nsummary: x [[nope]]\n"
    (tmp_path / "a.yaml").write_bytes(text)
    [error] = errors_of(tmp_path)
    assert (error.line, error.col) == (4, 12)


def test_a_folder_named_like_a_page_is_walked_not_read(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").mkdir()
    (tmp_path / "odd.yaml" / "paper.yaml").write_text(PAPER)
    result = load_tree(tmp_path)
    assert [page.id for page in result.pages] == ["paper"]
    assert result.errors == []


def test_loading_a_folder_as_a_page_is_one_located_error(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").mkdir()
    page, errors = load_page(tmp_path / "odd.yaml")
    assert page is None
    assert messages(errors) == [f"{tmp_path}/odd.yaml:1:1: cannot read the file: Is a directory"]


def test_undecodable_bytes_after_cr_lines_are_located(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"kind: source\rtitle: \xff\r")
    [error] = load_page(tmp_path / "a.yaml")[1]
    assert (error.line, error.message) == (2, "file is not valid UTF-8 text")


def test_a_fifo_is_a_warning_not_a_read_that_blocks(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    result = load_tree(tmp_path)
    assert messages(result.warnings) == [
        f"{tmp_path}/pipe.yaml:1:1: not loaded: not a regular file\n  hint: remove it"
    ]


# --- item 5: content root boundaries ----------------------------------------------------------


def test_symlink_to_a_file_outside_the_root_is_an_error_and_its_content_unread(
    tmp_path: Path,
) -> None:
    root, outside = tmp_path / "concepts", tmp_path / "secret.yaml"
    root.mkdir()
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "leak.yaml").symlink_to(outside)
    result = load_tree(root)
    assert result.pages == []
    [error] = result.errors
    assert error.message.startswith("symlink points outside the content root")
    assert "root:x:0" not in error.format()


def test_symlinked_folder_outside_the_root_is_an_error(tmp_path: Path) -> None:
    root, outside = tmp_path / "concepts", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (outside / "paper.yaml").write_text(PAPER)
    (root / "more").symlink_to(outside)
    result = load_tree(root)
    assert result.pages == []
    assert [error.path.name for error in result.errors] == ["more"]


def test_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "paper.yaml").write_text(PAPER)
    (tmp_path / "alias").symlink_to(tmp_path / "sources")
    result = load_tree(tmp_path)
    assert sorted(page.path.relative_to(tmp_path).as_posix() for page in result.pages) == [
        "alias/paper.yaml",
        "sources/paper.yaml",
    ]


def test_dangling_symlink_and_loops_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "self.yaml").symlink_to(tmp_path / "self.yaml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    result = load_tree(tmp_path)
    assert result.errors == [] and result.pages == []
    found = {problem.path.name: problem.message for problem in result.warnings}
    assert found["gone.yaml"].startswith("dangling symlink")
    assert found["self.yaml"].startswith("symlink not followed")
    assert found["up"].startswith("symlink loop")


def test_unreadable_folder_is_a_warning(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path):  # chmod 000 does not stop root, who runs these tests in CI
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(discover.os, "scandir", scandir)
    [warning] = load_tree(tmp_path).warnings
    assert warning.format() == (
        f"{tmp_path}/locked:1:1: folder not read: Permission denied\n  hint: its pages are left out"
    )


@pytest.mark.parametrize("name", ["Paper.YAML", "paper.Yml"])
def test_page_suffix_in_the_wrong_case_is_a_warning(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(PAPER)
    [warning] = load_tree(tmp_path).warnings
    assert warning.message.startswith("not loaded: page files end in lower-case .yaml or .yml")
    assert warning.hint == f"rename it to '{Path(name).stem}{Path(name).suffix.lower()}'"


def test_file_name_with_a_trailing_newline_is_not_a_slug(tmp_path: Path) -> None:
    (tmp_path / "nl\n.yaml").write_text(PAPER)
    page, errors = load_page(tmp_path / "nl\n.yaml")
    assert page is None
    assert errors[0].message == "page id 'nl\\n' (the file name) is not a lower-case slug"


def test_file_names_are_printed_escaped(tmp_path: Path) -> None:
    name = "\x1b[2Jclear\n.yaml"
    shown = display_path(tmp_path / name)
    assert shown.endswith("\\x1b[2Jclear\\n.yaml")
    assert ContentError(tmp_path / name, 1, 1, "m").format().endswith("\\n.yaml:1:1: m")


def test_page_over_the_size_limit_is_an_error_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(PAPER + "summary: " + "x" * 200 + "\n")
    page, errors = load_page(tmp_path / "big.yaml", max_page_bytes=100)
    assert page is None
    assert messages(errors) == [
        f"{tmp_path}/big.yaml:1:1: page is larger than the limit of 100 bytes\n"
        "  hint: split it into several pages, or raise max_page_bytes in [tool.wiki]"
    ]


def test_size_limit_comes_from_the_project_settings(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.wiki]\nmax_page_bytes = 20\n")
    (tmp_path / "concepts").mkdir()
    (tmp_path / "concepts" / "paper.yaml").write_text(PAPER)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    assert "page is larger than the limit of 20 bytes" in result.output


# --- item 10: every error of every phase in one run ---------------------------------------------


def test_link_errors_of_a_page_with_schema_errors_are_reported_in_the_same_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "paper.yaml").write_text(PAPER)
    (tmp_path / "c.yaml").write_text(
        CONCEPT_CITING.replace("status: emerging", "status: wrong")
        + "related:\n  - page: nowhere\nopen_questions:\n  - see [[missing]]\n"
    )
    found = [error.message for error in errors_of(tmp_path)]
    assert any(message.startswith("'status' must be one of") for message in found)
    assert "'nowhere' referenced by concept 'c' does not exist" in found
    assert "'missing' linked from concept 'c' does not exist" in found


def test_wrong_kind_in_a_failed_thesis_is_reported(tmp_path: Path) -> None:
    (tmp_path / "paper.yaml").write_text(PAPER)
    (tmp_path / "t.yaml").write_text(
        "kind: thesis\ntitle: T\nposition: p\nconfidence: sure\ndepends_on:\n  - concept: paper\n"
    )
    found = [error.message for error in errors_of(tmp_path)]
    assert "'paper' referenced by thesis 't' is a source, not a concept" in found


def test_a_source_cited_only_by_a_failed_page_is_not_reported_uncited(
    tmp_path: Path,
) -> None:
    (tmp_path / "paper.yaml").write_text(PAPER)
    (tmp_path / "c.yaml").write_text(CONCEPT_CITING.replace("status: emerging", "status: x"))
    with pytest.raises(ContentErrors) as failure:
        load_wiki(tmp_path)
    assert len(failure.value.errors) == 1
    assert failure.value.wiki.warnings == []
