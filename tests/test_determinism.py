"""The same content and ledger give byte-identical Markdown and HTML in any process.

Two fresh processes with different PYTHONHASHSEED build a dense generated wiki (the
benchmarks' generator) plus the mini wiki with its ledger; every generated file must match.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
from dense_wiki import dense_pages, write_pages  # noqa: E402

MINI = Path(__file__).parent / "fixtures" / "mini"


def tree(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in ("build.lock", "last-build.json")
    }


def build_in_fresh_process(project: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-m", "wiki", "build", "--root", "pages", "--out", "site"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pages = dense_pages(80, seed=3)
    projects = []
    for hash_seed in ("1", "2"):
        project = tmp_path_factory.mktemp(f"hashseed{hash_seed}")
        write_pages(pages, project / "pages")
        shutil.copytree(MINI, project / "pages" / "mini")
        (project / "pyproject.toml").write_text('[tool.wiki]\ntitle = "D"\n', encoding="utf-8")
        build_in_fresh_process(project, hash_seed)
        projects.append(project)
    return projects[0], projects[1]


def test_generated_markdown_is_identical_across_processes(two_builds) -> None:
    first, second = two_builds
    assert tree(first / ".wiki-build" / "docs") == tree(second / ".wiki-build" / "docs")


def test_published_html_is_identical_across_processes(two_builds) -> None:
    first, second = two_builds
    left, right = tree(first / "site"), tree(second / "site")
    assert sorted(left) == sorted(right)
    differing = [name for name in left if left[name] != right[name]]
    assert differing == []
