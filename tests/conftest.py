"""Shared fixtures: the `mini` wiki and a way to write small page trees in a temporary folder."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MINI = FIXTURES / "mini"

WritePages = Callable[[dict[str, str]], Path]


@pytest.fixture(autouse=True)
def one_training_at_a_time():
    """Experiments called in this process train their arms one after another, here.

    The tiny configs of the tests train in milliseconds, while two spawned workers cost
    seconds to start; the numbers are the same either way (tests/test_runtime.py runs
    each way on purpose). Set before every test, since a run executed in this process
    (`wiki.executor.execute`) leaves its own budget behind. Subprocesses
    (`python -m jepa_ref`, `wiki verify`) keep their own.
    """
    runtime = pytest.importorskip("jepa_ref.runtime")
    runtime.configure_torch(threads=1)


@pytest.fixture
def mini_root() -> Path:
    """The small valid wiki every kind of page appears in (read-only: do not write here)."""
    return MINI


@pytest.fixture
def mini_copy(tmp_path: Path) -> Path:
    """A writable copy of the mini wiki, for tests that break one thing in it."""
    return Path(shutil.copytree(MINI, tmp_path / "mini"))


@pytest.fixture
def write_pages(tmp_path: Path) -> WritePages:
    """Write {relative path: YAML text} under a fresh content root and return the root.

    Texts are dedented, so tests can indent them; line numbers in assertions count
    from the first line of the dedented text.
    """
    root = tmp_path / "concepts"

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return write
