"""Local `--jobs 2` vs Ray on the same small sweep: total time and overhead per task.

Run: `python benchmarks/bench_ray.py` (writes benchmarks/ray.md). Each executor runs the
same fresh sweep (tiny lewm_two_loss, SEEDS seeds, 1 thread per run) into its own ledger
through `wiki verify --force`, so start-up, worker imports and ledger writes all count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = "0-7"
STEPS = 100
CONCEPT = f"""\
kind: concept
title: Topic
status: emerging
summary: s
claims:
  - id: sweep
    statement: Two-loss training stays finite.
    evidence: {{grade: weak, sources: [paper]}}
    experiments:
      - experiment: lewm_two_loss
        params: {{steps: {STEPS}, batch_size: 16, lambdas: [0.1]}}
        seeds: 1
        expect:
          all_losses_finite: "== 1"
"""


def run(project: Path, *options: str) -> tuple[float, list[dict]]:
    """Wall time of one `wiki verify` and the records it wrote."""
    command = [sys.executable, "-m", "wiki", "verify", "claim", "sweep", "--seeds", SEEDS]
    command += ["--force", "--jobs", "2", *options]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    ledger = project / "results" / "runs.jsonl"
    records = [json.loads(line) for line in ledger.read_text().splitlines()]
    ledger.unlink()
    return seconds, records


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "concepts").mkdir()
        (project / "concepts" / "topic.yaml").write_text(CONCEPT)
        (project / "concepts" / "paper.yaml").write_text("kind: source\ntitle: P\nyear: 2026\n")
        (project / "pyproject.toml").write_text('[tool.wiki]\ntitle = "T"\n')
        load = os.getloadavg()[0]
        local_s, local = run(project)
        ray_s, remote = run(project, "--executor", "ray")
        load_after = os.getloadavg()[0]
    same = {r["key"]: r["metrics"] for r in local} == {r["key"]: r["metrics"] for r in remote}
    runs = len(local)
    compute_local = sum(r["seconds"] for r in local)
    compute_ray = sum(r["seconds"] for r in remote)
    lines = [
        "# Ray executor vs local process pool",
        "",
        f"Command: `python benchmarks/bench_ray.py` (each side: `wiki verify claim sweep"
        f" --seeds {SEEDS} --force --jobs 2 [--executor ray]`, a fresh process; Ray starts"
        " its own local instance).",
        f"Sweep: {runs} runs of lewm_two_loss, {STEPS} steps, batch 16, 1 thread per run.",
        f"Machine: {os.cpu_count()} cores, load average {load:.2f} before, {load_after:.2f}"
        " after (shared with other work).",
        "",
        "| executor | total s | sum of run s | overhead per run s |",
        "|---|---|---|---|",
        f"| local --jobs 2 | {local_s:.1f} | {compute_local:.1f} |"
        f" {(local_s - compute_local / 2) / runs:.2f} |",
        f"| ray | {ray_s:.1f} | {compute_ray:.1f} | {(ray_s - compute_ray / 2) / runs:.2f} |",
        "",
        "Overhead per run = (total - sum of run seconds / 2 parallel slots) / runs: process"
        " or Ray start-up, worker imports (torch), scheduling, ledger writes.",
        f"Same run keys and bit-identical metrics on both: {same}.",
        "",
    ]
    (ROOT / "benchmarks" / "ray.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
