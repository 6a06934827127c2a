"""The `wiki` mkdocs plugin: the user's mkdocs.yml owns the site, the plugin adds the pages.

    # mkdocs.yml next to the project's pyproject.toml
    site_name: My wiki
    use_directory_urls: false
    theme: {name: material, palette: {primary: teal}}
    extra_css: [custom.css]
    plugins: [search, wiki]

`on_files` loads and checks the content root named by `[tool.wiki]` (or the plugin's own
`root` option), scores the ledger and adds every generated page as a `File.generated`,
as mkdocs-gen-files and mkdocstrings do; a file of the user's docs folder with the same
path wins. `on_serve` makes `mkdocs serve` also watch the content root and the ledger.
A content error stops the build with the located errors, as `wiki check` prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from wiki.corpus import load_wiki
from wiki.errors import ContentErrors
from wiki.settings import Settings, load_settings

PAGE_EXTENSIONS = ("tables", "admonition", "attr_list", "pymdownx.details", "wiki.markdown_stash")


class WikiPluginConfig(Config):
    root = config_options.Optional(config_options.Type(str))  # default: [tool.wiki] root
    project = config_options.Optional(config_options.Type(str))  # default: mkdocs.yml's folder


class WikiPlugin(BasePlugin[WikiPluginConfig]):
    """Adds the compiled wiki's pages and assets to a mkdocs build."""

    def on_config(self, config: Any) -> Any:
        # Prose links name built files ('page.html'), so pages must be built as such.
        config["use_directory_urls"] = False
        from wiki.mkdocs_config import ASSETS_URL

        # The generated Markdown needs these (claim headings use attr_list ids, evidence
        # folds are pymdownx.details); a user's mkdocs.yml may not list them.
        for extension in PAGE_EXTENSIONS:
            if extension not in config["markdown_extensions"]:
                config["markdown_extensions"].append(extension)
        css = f"{ASSETS_URL}/extra.css"
        if css not in config["extra_css"]:
            config["extra_css"].insert(0, css)
        return config

    def on_files(self, files: Files, config: Any) -> Files:
        for path, content in self.generated_pages(config).items():
            if files.get_file_from_path(path) is None:
                files.append(File.generated(config, path, content=content))
        return files

    def on_pre_page(self, page: Any, config: Any, files: Files) -> Any:
        from wiki.page_html import use_generated_html

        use_generated_html(page, config)  # generated pages: HTML without Python-Markdown
        return page

    def on_serve(self, server: Any, config: Any, builder: Any) -> Any:
        settings = self.settings(config)
        server.watch(str(settings.root))
        if settings.ledger.exists():
            server.watch(str(settings.ledger))
        return server

    def settings(self, config: Any) -> Settings:
        """`[tool.wiki]` of the pyproject.toml beside mkdocs.yml; the `root` option wins."""
        project = Path(config.config_file_path or ".").resolve().parent
        if self.config.project:  # `wiki serve` without a user mkdocs.yml names it
            project = Path(self.config.project)
        root = Path(self.config.root) if self.config.root else None
        return load_settings(project, root=project / root if root else None)

    def generated_pages(self, config: Any) -> dict[str, str | bytes]:
        """{path in the docs tree: content} of every page and asset `wiki build` writes."""
        from wiki.evidence import gather_evidence
        from wiki.ledger import Ledger
        from wiki.render import render_pages
        from wiki.site import asset_files

        settings = self.settings(config)
        try:
            wiki = load_wiki(settings.root, allow_remote_images=settings.allow_remote_images)
        except ContentErrors as failure:
            raise PluginError("wiki: content errors\n" + str(failure)) from None
        evidence = gather_evidence(wiki, Ledger(settings.ledger).records(), settings)
        return {**render_pages(wiki, settings, evidence), **asset_files()}
