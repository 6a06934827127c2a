"""Settings: the project is found above --root or the current folder, paths resolve sensibly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki.cli import app
from wiki.settings import SettingsError, find_project, load_settings

MINI = Path(__file__).parent / "fixtures" / "mini"
runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with [tool.wiki] (custom ledger path), content in pages/, one run recorded."""
    project = tmp_path / "project"
    shutil.copytree(MINI, project / "pages")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.wiki]\nroot = "pages"\nledger = "evidence/runs.jsonl"\n',
        encoding="utf-8",
    )
    (project / "evidence").mkdir()
    (project / "evidence" / "runs.jsonl").write_text("", encoding="utf-8")
    return project


def test_project_is_found_above_the_root_given_from_another_folder(project, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    settings = load_settings(root=project / "pages" / "concepts", cwd=elsewhere)
    assert settings.project_dir == project
    assert settings.ledger == project / "evidence" / "runs.jsonl"
    assert settings.build_dir == project / ".wiki-build"
    assert settings.out == project / "site"
    assert settings.root == project / "pages" / "concepts"  # as given on the command line


def test_project_is_found_above_the_current_folder(project: Path) -> None:
    settings = load_settings(cwd=project / "pages" / "theses")
    assert settings.project_dir == project and settings.root == project / "pages"


def test_a_pyproject_without_tool_wiki_is_passed_over(project: Path) -> None:
    inner = project / "pages" / "sub"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    assert find_project(inner) == project


def test_command_line_paths_resolve_against_the_current_folder(project, tmp_path) -> None:
    settings = load_settings(root=Path("pages"), out=Path("out"), cwd=project)
    assert settings.root == project / "pages" and settings.out == project / "out"
    other = load_settings(out=Path("out"), cwd=tmp_path)
    assert other.out == tmp_path / "out"


def test_no_project_anywhere_means_defaults_in_the_current_folder(tmp_path: Path) -> None:
    settings = load_settings(cwd=tmp_path)
    assert settings.project_dir == tmp_path and settings.pyproject is None
    assert settings.ledger == tmp_path / "results" / "runs.jsonl"


@pytest.mark.parametrize(
    "line, message",
    [
        ("max_page_bytes = -1", "positive whole number"),
        ("allow_remote_images = 'yes'", "true or false"),
        ("experiments = 'jepa_ref'", "list of names"),
        ("title = 3", "a string"),
        ("colour = 'red'", "unknown key"),
    ],
)
def test_wrongly_typed_settings_are_one_clear_error(tmp_path: Path, line: str, message) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.wiki]\n{line}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(tmp_path)


def test_build_from_another_folder_works_in_the_project(project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", "--root", str(project / "pages")])
    assert result.exit_code == 0, result.output
    assert "no run ledger" not in result.output  # found evidence/runs.jsonl of the project
    assert (project / "site" / "index.html").is_file() and (project / ".wiki-build").is_dir()
    assert list(tmp_path.iterdir()) == [project]  # nothing written in the current folder


def test_a_missing_ledger_is_a_visible_warning_on_stderr(project, monkeypatch) -> None:
    (project / "evidence" / "runs.jsonl").unlink()
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0
    assert "no run ledger at evidence/runs.jsonl" in result.stderr
    assert result.stdout.lstrip().startswith("{")


def test_version_prints_the_package_version() -> None:
    from importlib import metadata

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"wiki (jepa-wiki) {metadata.version('jepa-wiki')}"


def test_diagnostics_go_to_stderr_and_results_to_stdout(project, monkeypatch) -> None:
    monkeypatch.chdir(project)
    checked = runner.invoke(app, ["check"])
    assert checked.exit_code == 0 and checked.stdout == ""
    assert "checked 9 pages" in checked.stderr
    impact = runner.invoke(app, ["impact", "lewm-stable"])
    assert impact.exit_code == 0 and "lewm-stable" in impact.stdout and impact.stderr == ""


def test_without_any_project_the_folder_holding_the_content_is_the_project(tmp_path) -> None:
    content, elsewhere = tmp_path / "notes" / "pages", tmp_path / "elsewhere"
    content.mkdir(parents=True)
    elsewhere.mkdir()
    settings = load_settings(root=content, cwd=elsewhere)
    assert settings.project_dir == tmp_path / "notes"
    assert settings.build_dir == tmp_path / "notes" / ".wiki-build"
