"""What a build was made from, so a rebuild with nothing changed can stop before any work.

`input_manifest` lists every input of `wiki build` by path with (size, mtime_ns): the
content root, the ledger, pyproject.toml, the project's mkdocs.yml and its docs folder, a
`[tool.wiki] templates` folder, the wiki package's own code and templates, plus the
experiment registries' code fingerprint and environment, the installed distributions
(their dist-info names carry the versions), the Python version, `--strict` and the
output folder. It is taken before the content is read, so an edit made during a build
shows up as a change on the next one.

mtimes are trusted only where they can be: a file whose mtime lies within
`RACY_SECONDS` of the moment the manifest was taken (or in the future) could be
rewritten with the same size and mtime, as git's "racily clean" index entries can, so
for those the manifest also keeps a content hash and compares it instead.

`unchanged_since_last_build` only reads: no lock, no stamp, nothing written. It imports
the standard library only (and yaml, for a project's own mkdocs.yml), so the check costs
a few thousand `stat` calls.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

MANIFEST_FILE = "inputs.json"  # in the build folder, written after a successful build
RACY_SECONDS = 2.0  # covers 1-2 s mtime granularity (FAT, some network file systems)
FORMAT = 1
PACKAGE_DIR = Path(__file__).resolve().parent
INPUT_SUFFIXES_SKIPPED = (".pyc",)


def input_manifest(settings: Any, strict: bool) -> dict[str, Any]:
    """Everything `wiki build` with `settings` reads, as a JSON-able dict (see module doc)."""
    taken = time.time_ns()
    files: dict[str, list[Any]] = {}
    outputs = {Path(settings.build_dir).resolve(), Path(settings.out).resolve()}
    for folder in _input_folders(settings):
        _add_folder(files, folder, taken, outputs)
    for path in _input_files(settings):
        _add_file(files, path, taken)
    return {
        "format": FORMAT,
        "files": files,
        "registries": _registries(settings),
        "distributions": _distributions(),
        "python": platform.python_version(),
        "strict": strict,
        "out": str(Path(settings.out).resolve()),
    }


def unchanged_since_last_build(settings: Any, manifest: dict[str, Any]) -> bool:
    """True when the last successful build read exactly these inputs and its site is intact."""
    recorded = _read_recorded(Path(settings.build_dir))
    if recorded is None or not _same(recorded, manifest):
        return False
    from wiki.output_folder import is_marked  # stdlib only

    out = Path(settings.out)
    return (out / "index.html").is_file() and is_marked(out)


def record_manifest(build_dir: Path, manifest: dict[str, Any]) -> None:
    """Keep `manifest` as the inputs of the site just published. Best effort: without a
    recorded manifest the next build only does the work a changed input would cause."""
    from wiki.mkdocs_config import GeneratedWriteError, write_generated

    data = json.dumps(manifest, sort_keys=True).encode("utf-8")
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        write_generated(build_dir / MANIFEST_FILE, data)
    except (OSError, GeneratedWriteError):
        with contextlib.suppress(OSError):
            forget_manifest(build_dir)


def forget_manifest(build_dir: Path) -> None:
    """The site is about to change: until its inputs are recorded, nothing is a no-op."""
    (build_dir / MANIFEST_FILE).unlink(missing_ok=True)


def _same(recorded: dict[str, Any], current: dict[str, Any]) -> bool:
    """Equal manifests; a racy entry (4th field: content hash) matches on content instead."""
    if {k: v for k, v in recorded.items() if k != "files"} != {
        k: v for k, v in current.items() if k != "files"
    }:
        return False
    old, new = recorded.get("files", {}), current["files"]
    if old.keys() != new.keys():
        return False
    for path, entry in new.items():
        before = old[path]
        if before[:2] != entry[:2]:  # size, mtime_ns
            return False
        racy_before = len(before) > 2 and before[2] is not None
        racy_now = len(entry) > 2 and entry[2] is not None
        if racy_before or racy_now:
            if (before[2] if racy_before else None) != _content_hash(Path(path)):
                return False
    return True


def _input_folders(settings: Any) -> list[Path]:
    project = Path(settings.project_dir)
    folders = [Path(settings.root), PACKAGE_DIR]
    templates = PACKAGE_DIR / "templates"
    source_templates = PACKAGE_DIR.parent / "templates"
    folders.append(templates if templates.is_dir() else source_templates)
    if settings.templates:
        folders.append(Path(settings.templates))
    user_config = project / "mkdocs.yml"
    if user_config.is_file():  # its docs folder and theme override folder
        folders += [project / name for name in _user_folders(user_config)]
    return folders


def _input_files(settings: Any) -> list[Path]:
    project = Path(settings.project_dir)
    return [Path(settings.ledger), project / "pyproject.toml", project / "mkdocs.yml"]


def _user_folders(config_path: Path) -> list[str]:
    """`docs_dir` and `theme.custom_dir` of a user mkdocs.yml (tags such as !ENV read as
    empty: the file itself is an input, so editing them is a change anyway)."""
    import yaml

    class Tolerant(yaml.SafeLoader):
        pass

    Tolerant.add_multi_constructor("", lambda loader, suffix, node: None)
    try:
        config = yaml.load(config_path.read_text(encoding="utf-8"), Loader=Tolerant) or {}
    except (OSError, yaml.YAMLError):
        return ["docs"]
    if not isinstance(config, dict):
        return ["docs"]
    theme = config.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    return [str(config.get("docs_dir") or "docs"), *([str(custom)] if custom else [])]


def _add_folder(files: dict[str, list[Any]], folder: Path, taken: int, skip: set[Path]) -> None:
    """Every file below `folder` but caches and the build's own outputs (`skip`)."""
    if not folder.is_dir():
        files[str(folder)] = [-1, 0]  # missing: its appearance is a change
        return
    for directory, subdirs, names in os.walk(folder):
        subdirs[:] = sorted(
            d for d in subdirs if d != "__pycache__" and Path(directory, d).resolve() not in skip
        )
        for name in sorted(names):
            if not name.endswith(INPUT_SUFFIXES_SKIPPED):
                _add_file(files, Path(directory, name), taken)


def _add_file(files: dict[str, list[Any]], path: Path, taken: int) -> None:
    try:
        stat = path.stat()
    except OSError:
        files[str(path)] = [-1, 0]
        return
    entry: list[Any] = [stat.st_size, stat.st_mtime_ns]
    if stat.st_mtime_ns >= taken - int(RACY_SECONDS * 1e9):
        entry.append(_content_hash(path))
    files[str(path)] = entry


def _content_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _registries(settings: Any) -> list[str]:
    """The chosen registries' code fingerprint and environment (verdicts go stale on them)."""
    from wiki.experiments import active_catalog, use_registries

    use_registries(settings.experiments)
    catalog = active_catalog()
    return [catalog.code_fingerprint, catalog.environment_version]


def _distributions() -> list[str]:
    """Names of the installed distributions' metadata folders (they carry the versions)."""
    names = []
    for entry in sys.path:
        try:
            names += [name for name in os.listdir(entry or ".") if name.endswith("-info")]
        except OSError:
            continue
    return sorted(names)


def _read_recorded(build_dir: Path) -> dict[str, Any] | None:
    try:
        recorded = json.loads((build_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return recorded if isinstance(recorded, dict) and recorded.get("format") == FORMAT else None
