"""Site settings from `[tool.wiki]` of pyproject.toml, with defaults and command-line overrides.

The project is found, not assumed: the nearest `pyproject.toml` holding a `[tool.wiki]`
table, searched upward from `--root` (or from the current folder), as ruff and git find
theirs. Paths written in that file resolve against the project folder; paths given on the
command line resolve against the current folder, as a shell user expects. With no such
file anywhere above, the folder holding `--root` (else the current folder) is the project
and the defaults apply, so nothing is written into an unrelated current folder.

`SETTINGS` is the one table of keys: it drives validation, defaults and the README's table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUILD_DIR = ".wiki-build"  # under the project folder: generated docs, mkdocs.yml, build stamps


@dataclass(frozen=True)
class Key:
    """One `[tool.wiki]` key: its type, default and what it means."""

    name: str
    type: type
    default: Any
    help: str


SETTINGS: tuple[Key, ...] = (
    Key("title", str, "Research Wiki", "Site title."),
    Key("root", str, "concepts", "Content folder (page YAML files)."),
    Key("out", str, "site", "Site output folder; replaced only when it is a site wiki built."),
    Key("ledger", str, "results/runs.jsonl", "Append-only run ledger of `wiki verify`."),
    Key("templates", str, "", "Folder of jinja2 templates overriding packaged ones by name."),
    Key("max_page_bytes", int, 2_000_000, "Largest page file accepted, in bytes."),
    Key("allow_remote_images", bool, False, "Allow images from other hosts in prose."),
    Key(
        "experiments",
        list,
        ["jepa_ref"],
        "Experiment registries (`wiki.experiments` entry points).",
    ),
    Key("executor", str, "local", "Where `wiki verify` runs experiments: local or ray."),
    Key("ray_address", str, "", "Ray cluster to join (`auto`, host:port); empty starts one."),
)
DEFAULTS: dict[str, Any] = {key.name: key.default for key in SETTINGS}
_TYPES = {key.name: key.type for key in SETTINGS}


class SettingsError(Exception):
    """pyproject.toml is unreadable or `[tool.wiki]` holds something unexpected."""


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    title: str
    root: Path
    out: Path
    ledger: Path
    templates: Path | None = None
    max_page_bytes: int = DEFAULTS["max_page_bytes"]
    allow_remote_images: bool = DEFAULTS["allow_remote_images"]
    experiments: tuple[str, ...] = tuple(DEFAULTS["experiments"])
    executor: str = DEFAULTS["executor"]
    ray_address: str = DEFAULTS["ray_address"]
    pyproject: Path | None = None  # the file the settings came from; None: defaults only

    @property
    def build_dir(self) -> Path:
        """Where builds keep their generated Markdown tree, config and stamps."""
        return self.project_dir / BUILD_DIR


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` whose pyproject.toml has a `[tool.wiki]` table."""
    start = start.absolute()
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "wiki" in _read_tool_tables(pyproject):
            return folder
    return None


def load_settings(
    project_dir: Path | None = None,
    root: Path | None = None,
    out: Path | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Settings of the project at `project_dir`, or of the project found above `root` / `cwd`.

    Missing file or table means defaults. Paths from the file resolve against the project
    folder; `root` and `out` given here (from the command line) resolve against `cwd` (the
    current folder) and win over the file.
    """
    cwd = (cwd or Path.cwd()).absolute()
    if project_dir is None:
        start = _absolute(cwd, root) if root is not None else cwd
        # No project anywhere: the folder holding the content stands in for one.
        fallback = start.parent if root is not None else cwd
        project_dir = find_project(start) or fallback
    project_dir = project_dir.absolute()
    pyproject = project_dir / "pyproject.toml"
    table = _read_wiki_table(pyproject)
    values = {**DEFAULTS, **table}
    templates = values["templates"]
    return Settings(
        project_dir=project_dir,
        title=values["title"],
        root=_absolute(cwd, root) if root is not None else project_dir / values["root"],
        out=_absolute(cwd, out) if out is not None else project_dir / values["out"],
        ledger=project_dir / values["ledger"],
        templates=project_dir / templates if templates else None,
        max_page_bytes=values["max_page_bytes"],
        allow_remote_images=values["allow_remote_images"],
        experiments=tuple(values["experiments"]),
        executor=values["executor"],
        ray_address=values["ray_address"],
        pyproject=pyproject if pyproject.is_file() else None,
    )


def _read_tool_tables(pyproject: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    tool = document.get("tool", {})
    return tool if isinstance(tool, dict) else {}


def _read_wiki_table(pyproject: Path) -> dict[str, Any]:
    if not pyproject.is_file():
        return {}
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{pyproject}: not valid TOML ({error})") from error
    table = document.get("tool", {}).get("wiki", {})
    unknown = sorted(set(table) - set(DEFAULTS))
    if unknown:
        raise SettingsError(
            f"{pyproject}: unknown key(s) in [tool.wiki]: {', '.join(unknown)}"
            f" (known: {', '.join(DEFAULTS)})"
        )
    for name, value in table.items():
        _check_type(pyproject, name, value)
    return table


def _check_type(pyproject: Path, name: str, value: Any) -> None:
    expected = _TYPES[name]
    if expected is int:
        valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
        wanted = "a positive whole number"
    elif expected is list:
        valid = isinstance(value, list) and all(isinstance(item, str) for item in value)
        wanted = 'a list of names like ["jepa_ref"]'
    elif expected is bool:
        valid, wanted = isinstance(value, bool), "true or false"
    else:
        valid, wanted = isinstance(value, str), "a string"
    if not valid:
        raise SettingsError(f"{pyproject}: [tool.wiki] {name} must be {wanted} (got {value!r})")


def _absolute(cwd: Path, path: Path) -> Path:
    return path if path.is_absolute() else cwd / path
