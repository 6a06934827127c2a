"""The output folder: what `wiki build` may replace, and how it replaces it.

The rule that keeps a user's files safe: `--out` is replaced only when it is missing,
empty, or a site this tool built (it carries `MARKER_FILE`, written into every site
before it is swapped into place). It must never be or contain the content root, the
ledger, the project's pyproject.toml or a VCS root, never lie inside the content root,
and never be a mount point, a file or a symbolic link. Anything else is refused
before any work is done, with one line saying why and what to pass instead.

Publishing builds into a staging folder beside the output and swaps it in with one
atomic exchange where the system offers it (Linux `renameat2`), so there is no moment
without a site; elsewhere two renames, and the next build repairs a missing site.
Leftover staging and retired folders (a killed build) are removed on the next build,
but only when they carry the marker too.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

from wiki.errors import display_path
from wiki.settings import Settings

MARKER_FILE = ".wiki-site"
MARKER_TEXT = (
    "This folder is a site built by `wiki build` (jepa-wiki).\n"
    "It is replaced as a whole on every build: keep nothing of your own here.\n"
)
STAMP_FILE = "last-build.json"  # in the build folder: what the last build published, and where
LEFTOVER_KINDS = ("building", "old")  # .NAME.building-* (staging), .NAME.old-* (retired)


class UnsafeOutput(Exception):
    """`--out` points somewhere a build would destroy files it does not own."""


def check_output_folder(
    out: Path,
    *,
    content_root: Path,
    ledger: Path,
    project_dir: Path,
    previous_out: Path | None = None,
) -> None:
    """Raise `UnsafeOutput` unless replacing `out` can only delete a site we built.

    `previous_out` is the folder the last recorded build of this project published to;
    a site there built before markers existed (index.html present) is accepted once.
    """
    shown = display_path(out)
    if out.is_symlink():
        raise UnsafeOutput(
            f"--out {shown} is a symbolic link; pass the folder it points to "
            f"({out.resolve()}) or a new folder"
        )
    out = out.resolve()
    content_root, ledger, project_dir = (p.resolve() for p in (content_root, ledger, project_dir))
    if out == project_dir or _is_within(project_dir / "pyproject.toml", out):
        raise UnsafeOutput(
            f"--out {shown} is or contains the project folder {project_dir}; "
            "pass a folder inside it, such as 'site'"
        )
    if out == content_root or _is_within(content_root, out):
        raise UnsafeOutput(
            f"--out {shown} is or contains the content root {content_root}; "
            "pass a separate folder such as 'site'"
        )
    if _is_within(out, content_root):
        raise UnsafeOutput(
            f"--out {shown} lies inside the content root {content_root}; "
            "pass a folder outside it, such as 'site'"
        )
    if _is_within(ledger, out):
        raise UnsafeOutput(f"--out {shown} contains the run ledger {ledger}; pass another folder")
    if not out.exists():
        if os.path.lexists(out):  # a dangling link was caught above; anything else is odd
            raise UnsafeOutput(f"--out {shown} exists but cannot be read; pass another folder")
        return
    if not out.is_dir():
        raise UnsafeOutput(f"--out {shown} is a file, not a folder; pass a folder such as 'site'")
    if os.path.ismount(out):
        raise UnsafeOutput(
            f"--out {shown} is a mount point (it cannot be replaced); pass a folder inside it"
        )
    if (out / ".git").exists():
        raise UnsafeOutput(
            f"--out {shown} is a version-control root (it holds .git); pass another folder"
        )
    if is_marked(out) or _is_empty(out):
        return
    built_here_before = previous_out is not None and previous_out.resolve() == out
    if built_here_before and (out / "index.html").is_file():
        return  # built by this project before sites carried a marker
    raise UnsafeOutput(
        f"--out {shown} holds files this tool did not build (e.g. {_first_entry(out)!r}); "
        "pass an empty or new folder, or move those files away"
    )


def check_settings_output(settings: Settings) -> None:
    """`check_output_folder` for the output folder, content root and ledger of `settings`."""
    check_output_folder(
        settings.out,
        content_root=settings.root,
        ledger=settings.ledger,
        project_dir=settings.project_dir,
        previous_out=recorded_output(settings.build_dir),
    )


def recorded_output(build_dir: Path) -> Path | None:
    """The folder the last recorded build of this project published to, if any."""
    try:
        recorded = json.loads((build_dir / STAMP_FILE).read_text(encoding="utf-8"))
        return Path(recorded["out"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_marked(folder: Path) -> bool:
    """True when `folder` carries the marker every site we build carries."""
    marker = folder / MARKER_FILE
    try:
        return not marker.is_symlink() and marker.read_text(encoding="utf-8") == MARKER_TEXT
    except (OSError, UnicodeDecodeError):
        return False


def new_staging_folder(out: Path) -> Path:
    """An empty, marked, world-readable folder beside `out` to build the next site into."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a published site must be readable
    mark(staging)
    return staging


def mark(folder: Path) -> None:
    """Write the marker that lets a later build replace `folder`."""
    (folder / MARKER_FILE).write_text(MARKER_TEXT, encoding="utf-8")


def swap_into_place(staging: Path, out: Path) -> None:
    """Make `staging` the site at `out`; the previous site (if any) is deleted afterwards."""
    if out.exists() and _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous site
        return
    retired = None
    if out.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        retired.rmdir()
        out.rename(retired)
    staging.rename(out)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def remove_leftovers(out: Path) -> list[Path]:
    """Delete staging and retired folders of `out` that a killed build left behind.

    Only folders that carry the marker (or are empty) go: a user's own folder that happens
    to match the name pattern stays. Returns what was removed.
    """
    removed: list[Path] = []
    parent = out.parent
    if not parent.is_dir():
        return removed
    for kind in LEFTOVER_KINDS:
        for leftover in sorted(parent.glob(f".{out.name}.{kind}-*")):
            if leftover.is_symlink() or not leftover.is_dir():
                continue
            if is_marked(leftover) or _is_empty(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(leftover)
    return removed


def mount_point_of(path: Path) -> Path:
    """The mount point of the file system `path` (or its nearest existing parent) is on."""
    current = path.absolute()
    while not current.exists():
        current = current.parent
    while not os.path.ismount(current):
        current = current.parent
    return current


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # the kernel or file system cannot exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(second))


def _renameat2():  # -> ctypes function or None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    path, directory = ctypes.c_char_p, ctypes.c_int
    function.argtypes = [directory, path, directory, path, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _is_within(path: Path, folder: Path) -> bool:
    return path != folder and path.is_relative_to(folder)


def _is_empty(folder: Path) -> bool:
    try:
        return not any(folder.iterdir())
    except OSError:
        return False


def _first_entry(folder: Path) -> str:
    try:
        return min(entry.name for entry in folder.iterdir())
    except (OSError, ValueError):
        return "?"
