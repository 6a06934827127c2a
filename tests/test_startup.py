"""`wiki` starts fast: the command line imports its heavy libraries only where used.

Each check runs in a fresh interpreter (what a user's shell starts) and reads
`sys.modules` there; timings live in benchmarks/bench_wiki.py, not here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wiki.cli_guards import EXIT_USAGE

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("networkx", "matplotlib", "mkdocs", "torch", "ray", "jinja2")


def imported_after(code: str, cwd: Path = REPO) -> list[str]:
    """Which of HEAVY (and pydantic) a fresh interpreter holds after running `code`."""
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted(m for m in {(*HEAVY, 'pydantic')!r} if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_cli(*args: str) -> str:
    """Code that runs `wiki ARGS` in-process and swallows its exit, output discarded."""
    return (
        "import contextlib, io, sys\n"
        f"sys.argv = ['wiki', *{list(args)!r}]\n"
        "from wiki.cli import main\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "    try:\n        main()\n    except SystemExit:\n        pass"
    )


def test_importing_the_cli_imports_no_heavy_library() -> None:
    assert imported_after("import wiki.cli") == []


def test_help_imports_no_heavy_library_nor_pydantic() -> None:
    assert imported_after(run_cli("--help")) == []


def test_check_of_the_shipped_wiki_imports_neither_networkx_nor_mkdocs() -> None:
    # pydantic validates the pages; the graph needs networkx only to name a thesis cycle
    assert imported_after(run_cli("check")) == ["pydantic"]


def test_a_rebuild_after_a_section_edit_does_not_import_networkx(tmp_path: Path) -> None:
    """networkx lays out the graph page; a build that takes that page from the render
    cache reads the wiki graph from its own dicts (graph data, local graphs, digests)."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(REPO / "tests" / "fixtures" / "mini", project / "pages")
    (project / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n', encoding="utf-8")
    assert "networkx" in imported_after(run_cli("build"), cwd=project)  # graph page drawn
    page = project / "pages" / "concepts" / "jepa.yaml"
    text = page.read_text(encoding="utf-8")
    assert "sections:" in text
    at = text.index("Predicting in representation space", text.index("sections:"))
    page.write_text(text[:at] + "Edited. " + text[at:], encoding="utf-8")
    assert "networkx" not in imported_after(run_cli("build"), cwd=project)
    built = (project / "site" / "concepts" / "jepa.html").read_text(encoding="utf-8")
    assert "Edited. Predicting" in built  # the edit was built


def test_the_probe_sees_a_heavy_import() -> None:
    """The checks above can fail: an import of networkx shows up in the probe."""
    assert imported_after("import wiki.cli, networkx") == ["networkx"]


@pytest.mark.parametrize("command", ["check", "status", "impact", "review", "new", "schema"])
def test_every_command_still_has_its_help(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wiki", command, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_commands_collect_garbage_less_often_and_restore_the_collector() -> None:
    """While a command runs, the cyclic collector uses `GC_THRESHOLDS`; after `main()`
    returns (or exits), the caller's thresholds are back."""
    code = (
        "import gc, json, sys\n"
        "from wiki import cli\n"
        "seen = []\n"
        "cli.app = lambda: seen.append(gc.get_threshold()) or sys.exit(0)\n"
        "gc.set_threshold(123, 4, 5)\n"
        "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([seen[0], gc.get_threshold(), cli.GC_THRESHOLDS]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    during, after, configured = json.loads(result.stdout)
    assert during == configured and during != [123, 4, 5]
    assert after == [123, 4, 5]


def run_entry_point(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`code`, then the console entry point `wiki.cli.run` with `args`, in a fresh process."""
    program = (
        f"import sys\n{code}\nsys.argv = ['wiki', *{list(args)!r}]\nfrom wiki.cli import run\nrun()"
    )
    return subprocess.run(
        [sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_the_entry_point_exits_with_the_commands_status_after_exit_handlers() -> None:
    """`run` skips the interpreter's teardown, not what a normal exit does: the status,
    the flushed output and `atexit` handlers."""
    handler = "import atexit\natexit.register(lambda: print('handler ran'))"
    helped = run_entry_point(handler, "--help")
    assert helped.returncode == 0, helped.stderr
    assert "Usage" in helped.stdout and helped.stdout.rstrip().endswith("handler ran")
    refused = run_entry_point(handler, "check", "--root", str(REPO / "no-such-folder"))
    assert refused.returncode == EXIT_USAGE, refused.stderr
    assert "no-such-folder" in refused.stderr and "handler ran" in refused.stdout


def test_the_entry_point_exits_normally_while_another_thread_runs() -> None:
    """A fast exit would kill a thread still working: then the exit waits for it."""
    worker = (
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.5), print('thread finished'))).start()"
    )
    result = run_entry_point(worker, "--help")
    assert result.returncode == 0, result.stderr
    assert "thread finished" in result.stdout
