"""Benchmark the compiler on dense generated wikis, side by side with plain mkdocs.

usage: python benchmarks/bench_wiki.py [--pages 1000 5000] [--out benchmarks/wiki.md]
                                      [--skip-startup] [--repeat N]

For each size: `wiki check`, a cold `wiki build` in one process and one as it runs by
default (2 processes on 2 cores, `wiki.forked`), a rebuild with nothing changed (and how
many files it wrote anywhere in the project and beside it: inode and mtime of every file
compared), a rebuild after a prose edit of one concept (share of the cold time, and what
the build said it did: compile and mkdocs seconds, pages rendered to HTML), and plain
`mkdocs build` of the same information as Markdown (index-only nav) run right after the
cold build, reported as a ratio. Cold builds (alternating with plain mkdocs) and edits run
`--repeat` times (5 up to 2,000 pages, else 1) and the fastest run is reported, each run's
time in the note; the cold row also has each cold build's ratio to the plain build right
after it, and their median. Every command runs in a fresh process, so start-up is
part of each figure; its CPU time (children included) is read from the kernel (wait4) and
its peak RSS is the largest sum over it and its children. Start-up: `wiki
--help`, `wiki check` on the shipped wiki, `wiki check` on 10,000 generated pages.
The machine's load average is recorded before and after: figures from a loaded machine
are not comparable with idle ones. The checkout's bytecode is written first (see
`byte_compile_sources`).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from dense_wiki import dense_pages, plain_markdown_project, write_pages  # noqa: E402

sys.path.insert(0, str(REPO))
from wiki.forked import build_processes  # noqa: E402

WIKI = [sys.executable, "-m", "wiki"]
PROCESSES = "WIKI_BUILD_PROCESSES"  # wiki.forked: how many processes render pages
MKDOCS = [sys.executable, "-m", "mkdocs"]


@dataclass(frozen=True)
class Timing:
    seconds: float
    peak_mib: float
    last_line: str = ""  # what the command said last (wiki build: what it did)
    cpu_seconds: float = 0.0  # user + system time of the process: steadier on a busy machine


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Timing:
    """Run `command` in a fresh process; wall time, CPU time of it and its children
    (wait4), and peak RSS: the largest sum over the process and its children (`wiki
    build` forks a second process to render pages), sampled every 20 ms, or wait4's peak
    of a single process if that is larger."""
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=log, stderr=log, env={**os.environ, **(env or {})}
        )
        sampler = TreeRss(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        log.seek(0)
        output = log.read()
        if process.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{output}")
    lines = [line for line in output.splitlines() if line.strip()]
    cpu = usage.ru_utime + usage.ru_stime
    peak = max(usage.ru_maxrss * 1024, sampler.peak) / 2**20
    return Timing(seconds, peak, lines[-1] if lines else "", cpu)


class TreeRss(threading.Thread):
    """Samples the summed RSS of a process and its descendants (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0
        self._stop_event = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def run(self) -> None:
        while not self._stop_event.wait(0.02):
            self.peak = max(self.peak, self._tree_rss())

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def _tree_rss(self) -> int:
        total, pending = 0, [self.pid]
        while pending:
            pid = pending.pop()
            try:
                with open(f"/proc/{pid}/statm") as statm:
                    total += int(statm.read().split()[1]) * self._page
                with open(f"/proc/{pid}/task/{pid}/children") as children:
                    pending += [int(child) for child in children.read().split()]
            except (OSError, ValueError):
                continue  # ended meanwhile, or not Linux
        return total


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file below `folders` with (inode, mtime): what a rebuild wrote shows as changed."""
    files = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                stat = path.stat()
                files[str(path)] = (stat.st_ino, stat.st_mtime_ns)
    return files


def files_written(before: dict, after: dict) -> int:
    changed = sum(1 for name, mark in after.items() if before.get(name) != mark)
    return changed + sum(1 for name in before if name not in after)


def edit_one_concept(root: Path, part: str) -> None:
    """One word added to a concept's prose: in its `summary` (which every page linking to
    it shows as a hover preview) or in its first section's text (shown on the page only)."""
    concepts = sorted((root / "concepts").glob("*.yaml"))
    page = concepts[len(concepts) // 2]
    text = page.read_text(encoding="utf-8")
    start = text.index("sections:") if part == "section" else text.index("summary:")
    at = text.index("latent", start)
    page.write_text(text[:at] + "latent edited" + text[at + len("latent") :], encoding="utf-8")


def best(timings: list[Timing]) -> Timing:
    """The fastest of repeated runs (the one least slowed by the rest of the machine)."""
    return min(timings, key=lambda timing: timing.seconds)


def spread(timings: list[Timing]) -> str:
    return "" if len(timings) < 2 else f"best of {', '.join(f'{t.seconds:.2f}' for t in timings)}; "


def paired(colds: list[Timing], floors: list[Timing]) -> str:
    """Each cold build over the plain mkdocs build run right after it, and their median:
    both sides of a pair ran within seconds, so a drift of the machine's speed moves them
    together more than it moves the fastest of each side, which may come from different
    minutes."""
    if len(colds) < 2:
        return ""
    ratios = [cold.seconds / floor.seconds for cold, floor in zip(colds, floors, strict=True)]
    listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
    return f"; paired runs {listed}x plain, median {statistics.median(ratios):.2f}x"


def bench_size(pages: int, repeat: int) -> list[tuple[str, str, str, str, str]]:
    """Rows (command, seconds, CPU seconds, peak RSS, note) for one generated wiki of
    `pages` pages. The cold build and plain mkdocs run `repeat` times, alternating, and
    each one-page edit `repeat` times (a new edit each time): the fastest of each is
    reported, all of them in the note."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project, plain = Path(tmp) / "wiki", Path(tmp) / "plain"
        content = dense_pages(pages)
        write_pages(content, project / "pages")
        (project / "pyproject.toml").write_text('[tool.wiki]\nroot = "pages"\n', encoding="utf-8")
        plain_markdown_project(content, plain)
        check = timed([*WIKI, "check"], project)
        single = timed([*WIKI, "build"], project, env={PROCESSES: "1"})
        colds, floors = [], []
        for _ in range(repeat):
            shutil.rmtree(project / "site")
            shutil.rmtree(project / ".wiki-build")
            colds.append(timed([*WIKI, "build"], project))
            floors.append(timed([*MKDOCS, "build", "--quiet"], plain))
        cold, floor = best(colds), best(floors)
        before = snapshot(Path(tmp))  # the project, its site, and any staging folder beside it
        noop = timed([*WIKI, "build"], project)
        written = files_written(before, snapshot(Path(tmp)))
        ran = "mkdocs not run" if "mkdocs not run" in noop.last_line else "mkdocs ran"
        edits = []
        for part in ("section", "summary"):
            runs = []
            for _ in range(repeat):
                edit_one_concept(project / "pages", part)
                runs.append(timed([*WIKI, "build"], project))
            edited = best(runs)
            edits.append((part, edited, runs, re.search(r"compile [^;]*; .*", edited.last_line)))
        rows += [
            (f"{pages}: wiki check", check, ""),
            (
                f"{pages}: wiki build, cold",
                cold,
                f"{spread(colds)}{cold.seconds / floor.seconds:.2f}x plain "
                f"(best of each; {cold.cpu_seconds / floor.cpu_seconds:.2f}x in CPU time)"
                f"{paired(colds, floors)}",
            ),
            (
                f"{pages}: wiki build, cold, in 1 process",
                single,
                f"{single.seconds / floor.seconds:.2f}x plain "
                f"({single.cpu_seconds / floor.cpu_seconds:.2f}x in CPU time)",
            ),
            (
                f"{pages}: plain mkdocs build, same content",
                floor,
                f"{spread(floors)}index-only nav, 1 process",
            ),
            (f"{pages}: wiki build, nothing changed", noop, f"{written} files written, {ran}"),
        ]
        rows += [
            (
                f"{pages}: wiki build, one concept's {part} prose edited",
                edited,
                f"{spread(runs)}{edited.seconds / cold.seconds:.0%} of cold, "
                f"{edited.cpu_seconds / cold.cpu_seconds:.0%} in CPU time "
                f"({did[0] if did else '?'}",
            )
            for part, edited, runs, did in edits
        ]
    return [
        (name, f"{t.seconds:.2f}", f"{t.cpu_seconds:.2f}", f"{t.peak_mib:.0f}", note)
        for name, t, note in rows
    ]


def bench_startup() -> list[tuple[str, str, str, str, str]]:
    rows = []
    help_ = min((timed([*WIKI, "--help"], REPO) for _ in range(3)), key=lambda t: t.seconds)
    shipped = min((timed([*WIKI, "check"], REPO) for _ in range(3)), key=lambda t: t.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        write_pages(dense_pages(10_000), Path(tmp) / "pages")
        big = timed([*WIKI, "check", "--root", "pages"], Path(tmp))
    for name, timing in (
        ("wiki --help (best of 3)", help_),
        ("wiki check, shipped wiki (best of 3)", shipped),
        ("wiki check, 10,000 generated pages", big),
    ):
        seconds, cpu = f"{timing.seconds:.2f}", f"{timing.cpu_seconds:.2f}"
        rows.append((name, seconds, cpu, f"{timing.peak_mib:.0f}", ""))
    return rows


def byte_compile_sources() -> None:
    """Write the bytecode of this checkout's packages before timing anything.

    Python writes it on a user's first run and reads it on every later one. Where the
    environment sets PYTHONDONTWRITEBYTECODE (this benchmark's own machines do), no run
    writes it, and every timed command would compile each module it imports from source
    again: up to 0.5 s of a one-page rebuild that no user's second run pays."""
    import compileall

    for package in ("wiki", "jepa_ref"):
        compileall.compile_dir(str(REPO / package), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=int, nargs="+", default=[1000, 5000], help="wiki sizes (default 1000 5000)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "wiki.md")
    parser.add_argument(
        "--skip-startup", action="store_true", help="leave out --help and wiki check timings"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs of each cold build, plain mkdocs build and edit (best kept; default 5 up "
        "to 2,000 pages, else 1)",
    )
    args = parser.parse_args()

    byte_compile_sources()
    load_before = os.getloadavg()
    rows = [] if args.skip_startup else bench_startup()
    for pages in args.pages:
        rows += bench_size(pages, args.repeat or (5 if pages <= 2000 else 1))
    load_after = os.getloadavg()

    lines = [
        "# wiki compiler on dense generated wikis",
        "",
        f"`python benchmarks/bench_wiki.py --pages {' '.join(map(str, args.pages))}"
        f"{' --skip-startup' if args.skip_startup else ''}` "
        f"(`make bench-wiki`) on {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; each command in a fresh process. Load average "
        f"(1/5/15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}, after: "
        f"{' '.join(f'{x:.2f}' for x in load_after)}.",
        "",
        "Pages: 60% concepts (3 claims, 2 benchmarks, 3 related, prose with [[links]]),"
        " 25% sources, 10% theses, 5% entities (`benchmarks/dense_wiki.py`).",
        "",
        "Seconds are wall time; CPU seconds (user + system, from wait4, children included)"
        " move less when other work shares the cores. `wiki build` renders pages in"
        f" {build_processes()} processes here (`{PROCESSES}`; the default is 2 where two"
        " cores are available to it, 1 otherwise) and plain `mkdocs build` in one; the"
        " `in 1 process` row is the same cold build with one. Peak RSS is the largest sum"
        " over a command's"
        " processes (sampled every 20 ms), not only the parent's. Where a note says"
        " `best of`, the command ran that many times (cold builds alternating with plain"
        " mkdocs, a new one-word edit each time) and the row shows the fastest: a shared"
        " virtual machine's speed can drift by a third within minutes with nothing else"
        " running, so single runs of a ratio's two sides can land in different moments."
        " The cold row also gives each cold build over the plain build run right after it"
        " (`paired runs`) and their median, which such a drift moves less. The packages'"
        " bytecode is written before the first command, as a user's first run writes it.",
        "",
        "| command | seconds | CPU seconds | peak RSS MiB | note |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {seconds} | {cpu} | {peak} | {note} |"
            for name, seconds, cpu, peak, note in rows
        ),
    ]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
