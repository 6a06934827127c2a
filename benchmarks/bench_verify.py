"""Benchmark `wiki verify`: a claim's experiments cold (--force) and again from the cache.

usage: python benchmarks/bench_verify.py [--claim lewm-stable] [--jobs 1] [--out FILE]

Runs in a temporary copy of the content with an empty ledger, so the project's own
`results/runs.jsonl` is never touched. Each command runs in a fresh process: start-up
and imports are part of the figure, as a user sees it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claim", default="lewm-stable")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "verify.md")
    args = parser.parse_args()

    wiki = [sys.executable, "-m", "wiki", "verify", "claim", args.claim, "--jobs", str(args.jobs)]
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        shutil.copytree(REPO / "concepts", project / "concepts")
        cold, report = timed([*wiki, "--force"], project)
        cached, _ = timed(wiki, project)

    lines = [
        f"# wiki verify claim {args.claim}",
        "",
        f"`python benchmarks/bench_verify.py --claim {args.claim} --jobs {args.jobs}` on"
        f" {platform.machine()} ({os.cpu_count()} CPUs), Python {platform.python_version()};"
        " fresh processes, empty ledger.",
        "",
        "| run | seconds |",
        "|---|---|",
        f"| cold (`--force`, every run executed) | {cold:.1f} |",
        f"| again, nothing changed (all cached) | {cached:.2f} |",
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
