"""Writing files so that a reader never sees half of one, and saying plainly why a write failed.

The one way this package replaces a file: write a uniquely named sibling, fsync it,
give it the mode the file should have, then rename it over the target. A crash leaves
either the old file or the new one; concurrent writers never share a temporary name.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

DEFAULT_MODE = 0o644  # mkstemp makes files private (0600); published files are not


class WriteError(Exception):
    """A file could not be written; the message is one line naming the path and a fix."""


def write_atomically(
    target: Path, data: bytes, mode: int | None = None, durable: bool = True
) -> None:
    """Replace `target` with `data` in one rename. `mode` None: keep the target's, else 0644.

    `durable` syncs the data to disk before the rename (the user's files); regenerable
    output such as the build tree skips it, which matters at thousands of files.

    Raises WriteError (one line, with a hint) on any OS failure; the target is untouched then.
    """
    if mode is None:
        mode = _mode_of(target)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise WriteError(describe_os_error(error, target)) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise WriteError(describe_os_error(error, target)) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def describe_os_error(error: OSError, path: Path) -> str:
    """One line for a failed file operation: the path, what went wrong and what to do."""
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        return f"{path}: no space left on the device; free some space and run again"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: not writable ({reason}); fix the permissions or choose another path"
    if error.errno == errno.EISDIR:
        return f"{path}: is a folder, expected a file; remove it or choose another path"
    if error.errno == errno.ENOENT:
        return f"{path}: folder does not exist ({reason}); create it or choose another path"
    return f"{path}: {reason}"


def _mode_of(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return DEFAULT_MODE
