"""`wiki build` with the project's own mkdocs.yml: the user owns theme, palette and CSS."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki.cli import app

MINI = Path(__file__).parent / "fixtures" / "mini"
runner = CliRunner()

USER_CONFIG = """\
site_name: My own wiki
theme:
  name: material
  font: false
  palette: {primary: teal}
extra_css: [custom.css]
markdown_extensions:
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
plugins: [search, wiki]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(MINI, tmp_path / "concepts")
    (tmp_path / "pyproject.toml").write_text("[tool.wiki]\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(USER_CONFIG, encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "custom.css").write_text(":root{--x:1}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_user_palette_and_css_change_the_built_site(project: Path) -> None:
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 0, result.output
    page = (project / "site" / "concepts" / "jepa.html").read_text(encoding="utf-8")
    assert 'data-md-color-primary="teal"' in page and "custom.css" in page
    assert "My own wiki" in page
    assert (project / "site" / "custom.css").is_file()


def test_editing_the_users_css_rebuilds_the_site(project: Path) -> None:
    assert runner.invoke(app, ["build"]).exit_code == 0
    (project / "docs" / "custom.css").write_text(":root{--x:2}\n", encoding="utf-8")
    assert runner.invoke(app, ["build"]).exit_code == 0
    assert "--x:2" in (project / "site" / "custom.css").read_text(encoding="utf-8")


def test_a_user_config_without_the_plugin_is_one_clear_error(project: Path) -> None:
    (project / "mkdocs.yml").write_text(USER_CONFIG.replace("[search, wiki]", "[search]"))
    result = runner.invoke(app, ["build"])
    assert result.exit_code == 1
    assert "does not list the wiki plugin" in result.output and "Traceback" not in result.output


def test_wiki_serve_serves_the_site_and_reloads_on_a_yaml_edit(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    shutil.copytree(MINI, tmp_path / "concepts")
    (tmp_path / "pyproject.toml").write_text("[tool.wiki]\n", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/concepts/jepa.html"

    def title_when(predicate, deadline: float) -> str:
        while time.monotonic() < deadline:
            try:
                page = urllib.request.urlopen(url, timeout=5).read().decode()
                if predicate(page):
                    return page
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"{url} never showed the expected page")

    server = subprocess.Popen(
        [sys.executable, "-m", "wiki", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        title_when(lambda page: "<title>Joint Embedding" in page, time.monotonic() + 120)
        page_file = tmp_path / "concepts" / "concepts" / "jepa.yaml"
        text = page_file.read_text(encoding="utf-8")
        page_file.write_text(text.replace("title: ", "title: Served Edit ", 1), encoding="utf-8")
        title_when(lambda page: "<title>Served Edit" in page, time.monotonic() + 120)
    finally:
        server.kill()
        server.wait(timeout=30)
