"""Find the page files of a content root, and say why anything else found there is left out.

The walk stays inside the content root: a symlink to a file or folder outside it is
an error (its content would be published), while dangling symlinks, symlink loops,
unreadable folders and page suffixes in the wrong case (`.YAML`) are warnings, so
nothing is skipped in silence. Dot-files and dot-folders are skipped on purpose.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from wiki.errors import ContentError, display_path

PAGE_SUFFIXES = (".yaml", ".yml")


@dataclass
class PageFiles:
    """The page files under a content root, in a stable order, and what was left out."""

    files: list[Path] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)


def find_page_files(root: Path) -> PageFiles:
    """Every `*.yaml` / `*.yml` file below `root`, sub-folders included, dot-entries skipped."""
    found = PageFiles()
    real_root = Path(os.path.realpath(root))
    _walk(root, real_root, {real_root}, found)
    found.files.sort(key=lambda path: path.relative_to(root).as_posix())
    return found


def _walk(folder: Path, real_root: Path, open_folders: set[Path], found: PageFiles) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as error:
        found.warnings.append(
            _problem(folder, f"folder not read: {_reason(error)}", "its pages are left out")
        )
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            _symlink(path, real_root, open_folders, found)
        elif _is_dir(entry):
            _walk(path, real_root, open_folders, found)
        else:
            _file(path, found, regular=_is_file(entry))


def _symlink(path: Path, real_root: Path, open_folders: set[Path], found: PageFiles) -> None:
    """Follow a symlink only when its target exists inside the content root."""
    try:
        target = Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        found.warnings.append(
            _problem(path, "dangling symlink: its target does not exist", "remove it")
        )
        return
    except (OSError, RuntimeError) as error:  # ELOOP: the link leads back to itself
        found.warnings.append(
            _problem(path, f"symlink not followed: {_reason(error)}", "remove the loop")
        )
        return
    if not target.is_relative_to(real_root):
        if target.is_dir() or _looks_like_page(path) or _looks_like_page(target):
            found.errors.append(
                _problem(
                    path,
                    f"symlink points outside the content root (to {display_path(target)})",
                    "copy the file into the content root, or remove the link",
                )
            )
        return
    if target.is_dir():
        if target in open_folders:
            found.warnings.append(
                _problem(path, "symlink loop: it leads back to a folder above it", "remove it")
            )
            return
        _walk(path, real_root, open_folders | {target}, found)
    else:
        _file(path, found, regular=target.is_file())


def _file(path: Path, found: PageFiles, regular: bool) -> None:
    if path.suffix in PAGE_SUFFIXES and not regular:  # a FIFO would block the read forever
        found.warnings.append(_problem(path, "not loaded: not a regular file", "remove it"))
    elif path.suffix in PAGE_SUFFIXES:
        found.files.append(path)
    elif path.suffix.lower() in PAGE_SUFFIXES:
        found.warnings.append(
            _problem(
                path,
                f"not loaded: page files end in lower-case {' or '.join(PAGE_SUFFIXES)}",
                f"rename it to '{path.stem}{path.suffix.lower()}'",
            )
        )


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _looks_like_page(path: Path) -> bool:
    return path.suffix.lower() in PAGE_SUFFIXES


def _reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _problem(path: Path, message: str, hint: str | None = None) -> ContentError:
    return ContentError(path, 1, 1, message, hint)
