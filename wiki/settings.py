"""Site settings from `[tool.wiki]` of pyproject.toml, with defaults and command-line overrides."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULTS: dict[str, str] = {
    "title": "Research Wiki",
    "root": "concepts",
    "out": "site",
    "ledger": "results/runs.jsonl",
}
SWITCHES: dict[str, bool] = {
    "allow_remote_images": False,  # prose images from other hosts (breaks the offline promise)
}


BUILD_DIR = ".wiki-build"  # under the project folder: generated docs, mkdocs.yml, build stamps


class SettingsError(Exception):
    """pyproject.toml is unreadable or `[tool.wiki]` holds something unexpected."""


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    title: str
    root: Path
    out: Path
    ledger: Path
    allow_remote_images: bool = False

    @property
    def build_dir(self) -> Path:
        """Where builds keep their generated Markdown tree, config and stamps."""
        return self.project_dir / BUILD_DIR


def load_settings(
    project_dir: Path | None = None, root: Path | None = None, out: Path | None = None
) -> Settings:
    """Read `[tool.wiki]` of `project_dir/pyproject.toml` (default: the current directory).

    Missing file or table means defaults. Relative paths resolve against `project_dir`;
    `root` and `out` given here (from the command line) win over the file.
    """
    project_dir = (project_dir or Path.cwd()).absolute()
    table = _read_wiki_table(project_dir / "pyproject.toml")
    values = {**DEFAULTS, **table}
    return Settings(
        project_dir=project_dir,
        title=values["title"],
        root=_resolve(project_dir, root or Path(values["root"])),
        out=_resolve(project_dir, out or Path(values["out"])),
        ledger=_resolve(project_dir, Path(values["ledger"])),
        allow_remote_images=bool(values.get("allow_remote_images", False)),
    )


def _read_wiki_table(pyproject: Path) -> dict[str, str | bool]:
    if not pyproject.is_file():
        return {}
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"{pyproject}: not valid TOML ({error})") from error
    table = document.get("tool", {}).get("wiki", {})
    unknown = sorted(set(table) - set(DEFAULTS) - set(SWITCHES))
    if unknown:
        raise SettingsError(
            f"{pyproject}: unknown key(s) in [tool.wiki]: {', '.join(unknown)}"
            f" (known: {', '.join([*DEFAULTS, *SWITCHES])})"
        )
    not_text = sorted(
        key for key, value in table.items() if key in DEFAULTS and not isinstance(value, str)
    )
    if not_text:
        raise SettingsError(f"{pyproject}: [tool.wiki] {', '.join(not_text)} must be strings")
    not_switch = sorted(
        key for key, value in table.items() if key in SWITCHES and not isinstance(value, bool)
    )
    if not_switch:
        raise SettingsError(
            f"{pyproject}: [tool.wiki] {', '.join(not_switch)} must be true or false"
        )
    return table


def _resolve(project_dir: Path, path: Path) -> Path:
    return path if path.is_absolute() else project_dir / path
