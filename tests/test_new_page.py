"""`wiki new`: starter pages pass `wiki check` as written and never overwrite anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki.cli import app
from wiki.corpus import load_wiki
from wiki.new_page import SCHEMA_FILE

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.wiki]\n", encoding="utf-8")
    (tmp_path / "concepts" / "sources").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("kind", ["concept", "entity", "source", "thesis"])
def test_a_new_page_of_every_kind_passes_check(project: Path, kind: str) -> None:
    result = runner.invoke(app, ["new", kind, f"my-{kind}"])
    assert result.exit_code == 0, result.output
    written = next((project / "concepts").rglob(f"my-{kind}.yaml"))
    assert written.read_text(encoding="utf-8").startswith(
        f"# yaml-language-server: $schema={SCHEMA_FILE.as_posix()}\n"
    )
    wiki = load_wiki(project / "concepts")
    assert f"my-{kind}" in wiki.pages
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_sources_go_to_the_sources_folder_when_there_is_one(project: Path) -> None:
    assert runner.invoke(app, ["new", "source", "a-paper"]).exit_code == 0
    assert (project / "concepts" / "sources" / "a-paper.yaml").is_file()


def test_an_existing_id_is_never_overwritten(project: Path) -> None:
    page = project / "concepts" / "sources" / "taken.yaml"
    page.write_text("kind: source\ntitle: Mine\n", encoding="utf-8")
    result = runner.invoke(app, ["new", "concept", "taken"])
    assert result.exit_code == 2 and "already exists" in result.output
    assert page.read_text(encoding="utf-8") == "kind: source\ntitle: Mine\n"


@pytest.mark.parametrize("page_id", ["Bad Id", "x\n", "x-", "a_b"])
def test_an_id_that_is_not_a_slug_is_refused(project: Path, page_id: str) -> None:
    result = runner.invoke(app, ["new", "concept", page_id])
    assert result.exit_code == 2 and "slug" in result.output
    assert not list((project / "concepts").glob("*.yaml"))


def test_an_unknown_kind_suggests_the_right_one(project: Path) -> None:
    result = runner.invoke(app, ["new", "consept", "x"])
    assert result.exit_code == 2 and "did you mean 'concept'" in result.output


def test_in_this_repository_the_modeline_is_relative() -> None:
    repo = Path(__file__).parent.parent
    first = (repo / "concepts" / "jepa.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../wiki/page.schema.json"
