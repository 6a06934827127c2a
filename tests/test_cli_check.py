"""The `wiki` command: check/build/schema, exit codes 0/1/2, readable output, settings."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki.cli import app
from wiki.errors import ContentError, ContentErrors
from wiki.settings import SettingsError, load_settings

runner = CliRunner()
REPO = Path(__file__).parent.parent

BROKEN_CONCEPT = """\
kind: concept
title: A concept
status: emerging
summary: s
claims:
  - id: c
    statement: s
    evidence:
      grade: weak
      sources: [papr]
"""
PAPER = "kind: source\ntitle: Paper\nyear: 2024\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the current directory, with a `concepts/` content root."""
    (tmp_path / "concepts").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args))


# --- check -------------------------------------------------------------------------------------


def test_check_valid_wiki_exits_0_with_a_summary(mini_root: Path) -> None:
    result = invoke("check", "--root", str(mini_root))
    assert result.exit_code == 0, result.output
    assert "checked 9 pages, 3 claims, 2 theses in" in result.output


def test_check_content_errors_exit_1_with_file_line_col_and_hint(project: Path) -> None:
    (project / "concepts" / "a.yaml").write_text(BROKEN_CONCEPT)
    (project / "concepts" / "paper.yaml").write_text(PAPER)
    result = invoke("check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "concepts/a.yaml:10:17: 'papr' referenced by claim 'c' does not exist" in lines
    assert "  hint: did you mean 'paper'?" in lines
    assert lines[-1].startswith("checked 2 pages, 1 claim, 0 theses in")
    assert ": 1 error" in lines[-1]
    assert "Traceback" not in result.output


def test_check_yaml_syntax_error_exits_1_without_traceback(project: Path) -> None:
    (project / "concepts" / "a.yaml").write_text("kind: source\ntitle: [oops\n")
    result = invoke("check")
    assert result.exit_code == 1
    assert result.output.startswith("concepts/a.yaml:3:1: invalid YAML")
    assert "Traceback" not in result.output


def test_warnings_are_printed_but_only_fail_with_strict(project: Path) -> None:
    (project / "concepts" / "paper.yaml").write_text(PAPER)
    relaxed = invoke("check")
    assert relaxed.exit_code == 0
    assert "concepts/paper.yaml:1:1: warning: source 'paper' is not cited" in relaxed.output
    assert relaxed.output.splitlines()[-1].endswith(": 1 warning")
    strict = invoke("check", "--strict")
    assert strict.exit_code == 1
    assert "concepts/paper.yaml:1:1: source 'paper' is not cited" in strict.output
    assert strict.output.splitlines()[-1].endswith(": 1 error")


def test_missing_root_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("check", "--root", str(tmp_path / "absent"))
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_unknown_option_is_a_usage_error() -> None:
    result = invoke("check", "--frobnicate")
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_root_comes_from_pyproject(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n')
    (project / "pages").mkdir()
    (project / "pages" / "a.yaml").write_text(BROKEN_CONCEPT)
    result = invoke("check")
    assert result.exit_code == 1
    assert "pages/a.yaml:10:17:" in result.output


def test_unreadable_pyproject_is_a_usage_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.wiki\n")
    result = invoke("check")
    assert result.exit_code == 2
    assert "not valid TOML" in result.output


def test_schema_prints_the_json_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    kinds = {branch["if"]["properties"]["kind"]["const"] for branch in schema["allOf"]}
    assert kinds == {"concept", "entity", "source", "thesis"}


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("check", "build", "schema"):
        assert command in result.output


# --- build ---------------------------------------------------------------------------------------


def fake_site_module(build_site) -> types.ModuleType:
    """A stand-in for `wiki.site` whose build_site is the given function."""
    from wiki.site import SiteBuildError

    module = types.ModuleType("wiki.site")
    module.build_site = build_site
    module.SiteBuildError = SiteBuildError
    return module


@pytest.fixture
def fake_site(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Replace `wiki.site` by a recorder of build_site calls (no mkdocs run)."""
    calls: list[tuple] = []

    def build_site(wiki, settings, strict=False, evidence=None):
        calls.append((wiki, settings, strict))
        return types.SimpleNamespace(
            warnings=[],
            pages_written=0,
            pages_unchanged=0,
            compile_seconds=0.0,
            mkdocs_seconds=0.0,
            site_rebuilt=True,
            incremental=False,
            pages_rendered=0,
        )

    monkeypatch.setitem(sys.modules, "wiki.site", fake_site_module(build_site))
    return calls


def test_build_with_content_errors_exits_1_and_builds_nothing(project: Path, fake_site) -> None:
    (project / "concepts" / "a.yaml").write_text(BROKEN_CONCEPT)
    result = invoke("build")
    assert result.exit_code == 1
    assert fake_site == []
    assert not (project / "site").exists()


def test_build_passes_the_wiki_settings_and_strict_to_build_site(mini_root, tmp_path, fake_site):
    result = invoke("build", "--root", str(mini_root), "--out", str(tmp_path / "out"), "--strict")
    assert result.exit_code == 0, result.output
    [(wiki, settings, strict)] = fake_site
    assert len(wiki.pages) == 9
    assert settings.out == tmp_path / "out"
    assert strict is True


def test_build_reports_errors_that_only_rendering_finds(mini_root, monkeypatch) -> None:
    def failing_build_site(wiki, settings, strict=False, evidence=None):
        raise ContentErrors([ContentError(mini_root / "concepts" / "jepa.yaml", 3, 1, "bad")])

    monkeypatch.setitem(sys.modules, "wiki.site", fake_site_module(failing_build_site))
    result = invoke("build", "--root", str(mini_root))
    assert result.exit_code == 1
    assert "concepts/jepa.yaml:3:1: bad" in result.output
    assert "Traceback" not in result.output


# --- settings ---------------------------------------------------------------------------------


def test_settings_defaults_without_pyproject(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.title == "Research Wiki"
    assert settings.root == tmp_path / "concepts"
    assert settings.out == tmp_path / "site"
    assert settings.ledger == tmp_path / "results" / "runs.jsonl"


def test_settings_from_pyproject_resolve_against_the_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.wiki]\ntitle = "T"\nout = "public"\n')
    settings = load_settings(tmp_path, root=Path("/abs/pages"))
    assert (settings.title, settings.out) == ("T", tmp_path / "public")
    assert settings.root == Path("/abs/pages")


def test_settings_reject_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.wiki]\nroots = "x"\n')
    with pytest.raises(SettingsError, match="roots"):
        load_settings(tmp_path)


# --- as a program ---------------------------------------------------------------------------


def test_python_dash_m_wiki_checks_without_importing_heavy_libraries(mini_root: Path) -> None:
    probe = (
        "import atexit, sys, runpy; sys.argv = ['wiki', 'check', '--root', sys.argv[1]]\n"
        "def report():\n"  # exit handlers run, also after the entry point's fast exit
        "    heavy = [m for m in ('torch', 'matplotlib', 'mkdocs') if m in sys.modules]\n"
        "    print('heavy:', heavy)\n"
        "atexit.register(report)\n"
        "runpy.run_module('wiki', run_name='__main__')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(mini_root)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "checked 9 pages" in result.stderr  # a diagnostic: stderr
    assert "heavy: []" in result.stdout
