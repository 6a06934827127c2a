"""Benchmark `wiki verify`: a claim's experiments cold (--force) and again from the cache.

usage: python benchmarks/bench_verify.py [--claim lewm-stable] [--jobs N] [--out FILE]

Without --jobs, `wiki verify` runs with its default (one process per core).

Runs in a temporary copy of the content with an empty ledger, so the project's own
`results/runs.jsonl` is never touched. Each command runs in a fresh process: start-up
and imports are part of the figure, as a user sees it.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds of the command and all its processes, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, done.stdout


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claim", default="lewm-stable")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "verify.md")
    args = parser.parse_args()

    jobs = [] if args.jobs is None else ["--jobs", str(args.jobs)]
    wiki = [sys.executable, "-m", "wiki", "verify", "claim", args.claim, *jobs]
    load_before = load()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(REPO / "concepts", project / "concepts")
        cold, cold_cpu, report = timed([*wiki, "--force"], project)
        cached, cached_cpu, _ = timed(wiki, project)
    load_after = load()

    lines = [
        f"# wiki verify claim {args.claim}",
        "",
        f"`python benchmarks/bench_verify.py --claim {args.claim}{' ' if jobs else ''}"
        f"{' '.join(jobs)}` on {platform.machine()} ({os.cpu_count()} CPUs), Python"
        f" {platform.python_version()}; fresh processes, empty ledger"
        f" ({'--jobs ' + str(args.jobs) if jobs else 'default --jobs: one process per core'})."
        f" Load average (1/5/15 min) before: {load_before}, after: {load_after}.",
        "",
        "| run | seconds | CPU seconds (all processes) |",
        "|---|---|---|",
        f"| cold (`--force`, every run executed) | {cold:.1f} | {cold_cpu:.1f} |",
        f"| again, nothing changed (all cached) | {cached:.2f} | {cached_cpu:.2f} |",
        "",
        "Report of the cold run:",
        "",
        "```",
        report.rstrip(),
        "```",
    ]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
