"""The `wiki` mkdocs plugin: a user's mkdocs.yml decides theme, palette and CSS; the plugin
adds the same pages `wiki build` generates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from wiki.corpus import load_wiki
from wiki.evidence import gather_evidence
from wiki.mkdocs_plugin import WikiPlugin
from wiki.render import render_pages
from wiki.settings import load_settings
from wiki.site import build_site

MINI = Path(__file__).parent / "fixtures" / "mini"

USER_MKDOCS = """\
site_name: A user's wiki
theme:
  name: material
  font: false
  palette: {primary: teal}
extra_css: [custom.css]
plugins: [search]
"""


def build_with_plugin(project: Path) -> Path:
    """mkdocs build of project/mkdocs.yml with the wiki plugin added, as `plugins: [wiki]`
    does once the package is installed (entry points need an install; this test does not)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(project / "mkdocs.yml"))
    plugin = WikiPlugin()
    plugin.load_config({})
    config.plugins["wiki"] = plugin
    config = config.plugins.on_config(config)
    build(config)
    return Path(config.site_dir)


def test_the_users_mkdocs_yml_controls_palette_and_css(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "concepts")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "custom.css").write_text(".md-header { color: red; }\n")
    (tmp_path / "mkdocs.yml").write_text(USER_MKDOCS)
    site = build_with_plugin(tmp_path)

    page = (site / "concepts" / "jepa.html").read_text(encoding="utf-8")
    assert 'data-md-color-primary="teal"' in page
    assert 'href="../custom.css"' in page and (site / "custom.css").is_file()
    assert 'href="../assets/extra.css"' in page  # the wiki's own badges still styled


def test_plugin_pages_are_the_pages_wiki_build_renders(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "concepts")
    (tmp_path / "docs").mkdir()
    extensions = "markdown_extensions: [{toc: {permalink: true}}, tables, admonition]\n"
    (tmp_path / "mkdocs.yml").write_text(USER_MKDOCS + extensions)  # those wiki build uses
    site = build_with_plugin(tmp_path)

    settings = load_settings(tmp_path, out=tmp_path / "wiki-site")
    wiki = load_wiki(settings.root)
    evidence = gather_evidence(wiki, [], settings)  # no ledger here
    rendered = render_pages(wiki, settings, evidence)
    expected = [path for path in rendered if path.endswith(".md")]
    built = {p.relative_to(site).with_suffix(".md").as_posix() for p in site.rglob("*.html")}
    assert set(expected) <= built
    assert (site / "assets" / "graph-data.js").is_file()  # the graph page's data too
    (tmp_path / "mkdocs.yml").unlink()  # `wiki build` with its built-in configuration
    build_site(wiki, settings, strict=True, evidence=evidence)
    for path in expected:
        html = Path(path).with_suffix(".html")
        assert article(site / html) == article(settings.out / html), path


def article(page: Path) -> str:
    return re.search(r"<article.*?</article>", page.read_text("utf-8"), re.DOTALL).group(0)
