"""Content errors: what a user did wrong, located at file:line:col, with a hint to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ContentError:
    """One problem in the content. Lines and columns are 1-based."""

    path: Path
    line: int
    col: int
    message: str
    hint: str | None = None

    def format(self) -> str:
        """`path:line:col: message`, followed by an indented hint line when there is one."""
        text = f"{escape_text(str(self.path))}:{self.line}:{self.col}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        """Errors are reported in file order, then line order."""
        return (str(self.path), self.line, self.col, self.message)


def display_path(path: Path) -> str:
    """`path` for a terminal: relative to the current directory when below it, escaped.

    A file name may hold newlines or terminal escape codes; printed raw they would
    forge output lines or clear the screen, so every non-printable character is escaped.
    """
    try:
        shown = path.absolute().relative_to(Path.cwd())
    except ValueError:
        shown = path
    return escape_text(str(shown))


def escape_text(text: str) -> str:
    """`text` with every non-printable character written as a Python escape (`\\x1b`)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    return char.encode("unicode_escape", "backslashreplace").decode("ascii")


class ContentErrors(Exception):
    """Every content error of one run, raised together so the user can fix them in one pass.

    `wiki` is the partially linked wiki when one could be built (for summaries), else None.
    """

    def __init__(self, errors: list[ContentError], wiki: object | None = None) -> None:
        self.errors = sorted(errors, key=ContentError.sort_key)
        self.wiki = wiki
        super().__init__(f"{len(self.errors)} content error(s)")

    def __str__(self) -> str:
        return "\n".join(error.format() for error in self.errors)
