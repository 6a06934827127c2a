"""`wiki build --out`: it replaces only a site it built, and never a user's files.

Every refusal is exit 2 with one line, before anything is compiled; a canary file
proves that not one byte of the user's files changed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki import output_folder
from wiki.cli import app
from wiki.output_folder import (
    MARKER_FILE,
    UnsafeOutput,
    check_output_folder,
    mark,
    mount_point_of,
    remove_leftovers,
    swap_into_place,
)

MINI = Path(__file__).parent / "fixtures" / "mini"
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder (pyproject.toml, concepts/, results/, .git) as the current directory."""
    shutil.copytree(MINI, tmp_path / "concepts")
    (tmp_path / "pyproject.toml").write_text('[tool.wiki]\ntitle = "T"\n', encoding="utf-8")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "runs.jsonl").write_text("", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` with its content hash (the user's files, byte for byte)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".wiki-build" not in path.parts
    }


def edit_a_page(project: Path) -> None:
    """A content change that changes the rendered site."""
    page = project / "concepts" / "concepts" / "jepa.yaml"
    page.write_text(page.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1))


def build(*args: str):
    return runner.invoke(app, ["build", *args])


def assert_refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --out"), result.output
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in result.output


def test_out_equal_to_the_content_root_is_refused_and_pages_survive(project: Path) -> None:
    before = snapshot(project)
    assert_refused(build("--root", "concepts", "--out", "concepts"), "content root")
    assert snapshot(project) == before


def test_out_equal_to_the_project_folder_is_refused(project: Path) -> None:
    before = snapshot(project)
    assert_refused(build("--out", "."), "project folder")
    assert snapshot(project) == before and (project / ".git" / "HEAD").is_file()


def test_out_above_the_project_is_refused(project: Path) -> None:
    assert_refused(build("--out", ".."), "project folder")


def test_out_inside_the_content_root_is_refused(project: Path) -> None:
    assert_refused(build("--out", "concepts/site"), "inside the content root")
    assert not (project / "concepts" / "site").exists()


def test_out_holding_the_ledger_is_refused(project: Path) -> None:
    before = snapshot(project)
    assert_refused(build("--out", "results"), "ledger")
    assert snapshot(project) == before


def test_out_holding_unrelated_user_files_is_refused(project: Path) -> None:
    home = project / "home"
    home.mkdir()
    (home / "notes.txt").write_text("years of work\n", encoding="utf-8")
    assert_refused(build("--out", "home"), "did not build", "notes.txt")
    assert (home / "notes.txt").read_text(encoding="utf-8") == "years of work\n"


def test_out_on_a_regular_file_is_refused(project: Path) -> None:
    (project / "report.pdf").write_bytes(b"%PDF-1.7 canary")
    assert_refused(build("--out", "report.pdf"), "is a file")
    assert (project / "report.pdf").read_bytes() == b"%PDF-1.7 canary"
    assert not list(project.glob(".report.pdf.*"))


def test_out_on_the_file_system_root_is_refused_without_leftovers(project: Path) -> None:
    assert_refused(build("--out", "/"))
    assert not [p for p in Path("/").iterdir() if p.name.startswith("..building")]


def test_out_on_a_mount_point_is_refused() -> None:
    mount = Path("/proc")
    with pytest.raises(UnsafeOutput, match="mount point"):
        check_output_folder(
            mount, content_root=MINI, ledger=MINI / "r.jsonl", project_dir=MINI.parent
        )


def test_out_holding_a_git_repository_is_refused(project: Path) -> None:
    site = project / "site"
    site.mkdir()
    mark(site)
    (site / ".git").mkdir()
    assert_refused(build("--out", "site"), ".git")
    assert (site / ".git").is_dir()


def test_out_that_is_a_symlink_is_refused(project: Path) -> None:
    (project / "real").mkdir()
    (project / "link").symlink_to(project / "real")
    assert_refused(build("--out", "link"), "symbolic link")
    assert (project / "link").is_symlink()


def test_missing_or_empty_out_is_built_and_marked_then_rebuilt(project: Path) -> None:
    result = build("--out", "site")
    assert result.exit_code == 0, result.output
    assert (project / "site" / "index.html").is_file() and (
        project / "site" / MARKER_FILE
    ).is_file()
    edit_a_page(project)
    again = build("--out", "site")  # our own site: replaced without a question
    assert again.exit_code == 0, again.output
    (project / "empty").mkdir()
    assert build("--out", "empty").exit_code == 0
    assert (project / "empty" / "index.html").is_file()


def test_a_site_built_before_markers_existed_is_accepted_once(project: Path) -> None:
    assert build("--out", "site").exit_code == 0
    (project / "site" / MARKER_FILE).unlink()  # as an older version left it
    edit_a_page(project)
    result = build("--out", "site")
    assert result.exit_code == 0, result.output
    assert (project / "site" / MARKER_FILE).is_file()


def test_leftovers_of_a_killed_build_are_removed_but_a_users_lookalike_stays(
    project: Path,
) -> None:
    staging = project / ".site.building-abc123"
    retired = project / ".site.old-def456"
    lookalike = project / ".site.old-mine"
    for folder in (staging, retired, lookalike):
        folder.mkdir()
        (folder / "index.html").write_text("x", encoding="utf-8")
    mark(staging)
    mark(retired)
    result = build("--out", "site")
    assert result.exit_code == 0, result.output
    assert not staging.exists() and not retired.exists()
    assert (lookalike / "index.html").read_text(encoding="utf-8") == "x"


def test_swap_leaves_no_moment_without_a_site(tmp_path: Path, monkeypatch) -> None:
    out, staging = tmp_path / "site", tmp_path / ".site.building-1"
    for folder, text in ((out, "old"), (staging, "new")):
        folder.mkdir()
        (folder / "index.html").write_text(text, encoding="utf-8")
    seen_missing = []
    real_rename = Path.rename

    def watching_rename(self: Path, target):
        result = real_rename(self, target)
        seen_missing.append(not out.exists())
        return result

    monkeypatch.setattr(Path, "rename", watching_rename)
    swap_into_place(staging, out)
    assert (out / "index.html").read_text(encoding="utf-8") == "new"
    assert not staging.exists() and not any(seen_missing)


def test_swap_falls_back_to_renames_where_exchange_is_unsupported(tmp_path, monkeypatch) -> None:
    out, staging = tmp_path / "site", tmp_path / ".site.building-1"
    for folder, text in ((out, "old"), (staging, "new")):
        folder.mkdir()
        (folder / "index.html").write_text(text, encoding="utf-8")
    monkeypatch.setattr(output_folder, "_exchange", lambda first, second: False)
    swap_into_place(staging, out)
    assert (out / "index.html").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_remove_leftovers_ignores_a_missing_parent(tmp_path: Path) -> None:
    assert remove_leftovers(tmp_path / "nowhere" / "site") == []


def test_full_disk_is_one_line_and_the_previous_site_is_untouched(project: Path, monkeypatch):
    assert build("--out", "site").exit_code == 0
    before = snapshot(project / "site")
    edit_a_page(project)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("mkdocs.utils.write_file", no_space)  # the first page mkdocs writes
    result = build("--out", "site")
    assert result.exit_code == 1, result.output
    assert (
        f"no space left on {mount_point_of(project)} " in result.output
        and "previous site is untouched" in result.output
    )
    assert "Traceback" not in result.output
    assert snapshot(project / "site") == before
    assert not list(project.glob(".site.building-*"))
