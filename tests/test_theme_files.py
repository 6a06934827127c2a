"""`wiki.incremental.add_files_from_theme` finds the theme files mkdocs' own
`Files.add_files_from_theme` finds, in the same order, from the same folders."""

from __future__ import annotations

from pathlib import Path

from mkdocs.commands.build import get_files
from mkdocs.config import load_config

from wiki.incremental import add_files_from_theme

REPO = Path(__file__).parent.parent


def test_theme_files_are_mkdocs_own(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shadowing = docs / "assets" / "javascripts" / "lunr" / "min" / "lunr.ar.min.js"
    shadowing.parent.mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    # a docs file with a theme file's path: the docs one wins, in both
    shadowing.write_text("", encoding="utf-8")
    config_file = tmp_path / "mkdocs.yml"
    config_file.write_text(
        f"site_name: t\ntheme:\n  name: material\n  custom_dir: {REPO / 'templates' / 'theme'}\n",
        encoding="utf-8",
    )
    found = []
    for add in (
        lambda files, env, config: files.add_files_from_theme(env, config),
        add_files_from_theme,
    ):
        config = load_config(str(config_file))
        files = get_files(config)
        add(files, config.theme.get_env(), config)
        found.append([(file.src_uri, file.abs_src_path) for file in files])
    mkdocs_own, ours = found
    assert len(mkdocs_own) > 30  # the theme's assets are there
    assert ("assets/javascripts/lunr/min/lunr.ar.min.js", str(shadowing)) in ours
    assert ours == mkdocs_own
