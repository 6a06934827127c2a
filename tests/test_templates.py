"""Templates: packaged with the compiler, overridable one by one from a user folder."""

from __future__ import annotations

from pathlib import Path

from wiki import render
from wiki.corpus import load_wiki
from wiki.render import render_pages
from wiki.settings import load_settings

MINI = Path(__file__).parent / "fixtures" / "mini"
REPO = Path(__file__).resolve().parent.parent


def test_a_user_template_overrides_one_packaged_template(tmp_path: Path) -> None:
    (tmp_path / "my-templates").mkdir()
    (tmp_path / "my-templates" / "source.md.j2").write_text(
        "# {{ model.title|title_text }}\n\nOur own source page.\n"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.wiki]\ntemplates = "my-templates"\n')
    settings = load_settings(tmp_path, root=MINI)
    pages = render_pages(load_wiki(MINI), settings)
    assert "Our own source page." in pages["sources/lewm.md"]
    assert "Our own source page." not in pages["concepts/jepa.md"]  # still the packaged one
    assert "## Key Claims" in pages["concepts/jepa.md"]


def test_without_a_user_folder_the_packaged_templates_apply(tmp_path: Path) -> None:
    pages = render_pages(load_wiki(MINI), load_settings(tmp_path, root=MINI))
    assert "## Claims citing this source" in pages["sources/lewm.md"]


def test_templates_are_found_in_the_source_checkout_or_the_package() -> None:
    assert render.TEMPLATE_DIR in (render.PACKAGED_TEMPLATES, render.SOURCE_TEMPLATES)
    assert (render.TEMPLATE_DIR / "concept.md.j2").is_file()


def test_setup_ships_every_template_and_asset() -> None:
    # setup.py maps templates/ to wiki.templates; these globs must cover every file there.
    setup_text = (REPO / "setup.py").read_text()
    assert '"wiki.templates": "templates"' in setup_text
    files = [p for p in (REPO / "templates").rglob("*") if p.is_file()]
    for path in files:
        relative = path.relative_to(REPO / "templates")
        shipped = relative.match("*.j2") or relative.parts[0] == "assets"
        shipped = shipped or (relative.parts[0] == "theme" and len(relative.parts) == 2)
        assert shipped, relative  # theme/*: the built-in config's theme overrides
