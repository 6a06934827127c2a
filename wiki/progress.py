"""Progress of `wiki verify`: one line per run (spinner, elapsed, result) and a total bar.

On a terminal the lines update live; piped (CI logs, files) each run prints one plain
line when it starts and one when it finishes, so a long verification is never silent.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from wiki.executor import RunJob, RunOutcome
from wiki.ledger import RunRecord
from wiki.verify import VerifyPlan


class RunProgress:
    """Context manager driving a rich Progress from `verify_claims` callbacks."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="•"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.live = console.is_terminal
        self.total: TaskID | None = None
        self.runs: dict[str, TaskID] = {}
        self.done = 0
        self.started = 0
        self.planned = 0

    def __enter__(self) -> RunProgress:
        if self.live:
            self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def stop(self) -> None:
        self.progress.stop()

    def start_plan(self, plan: VerifyPlan) -> None:
        """Announce what is cached and what will run."""
        jobs = plan.jobs
        cached = len({p.run.key for p in plan.runs}) - len(jobs)
        self.progress.console.print(
            f"{len(plan.claim_ids)} claim(s): {len(jobs)} run(s) to execute, {cached} cached"
        )
        self.planned = len(jobs)
        if jobs and self.live:
            self.total = self.progress.add_task(self.counts(), total=len(jobs))

    def counts(self) -> str:
        """Queued, running and done: an executor that reports real starts (Ray) fills all three."""
        queued = self.planned - self.started
        running = self.started - self.done
        return f"all runs: {queued} queued, {running} running, {self.done} done"

    def start_run(self, job: RunJob) -> None:
        self.started += 1
        if not self.live:
            self.progress.console.print(f"started {_label(job)} ({self.counts()})")
            return
        self.runs[job.key] = self.progress.add_task(_label(job), total=1)
        if self.total is not None:
            self.progress.update(self.total, description=self.counts())

    def finish_run(self, outcome: RunOutcome, record: RunRecord | None) -> None:
        """Mark a run done with its seconds and whether its expectations held."""
        job = outcome.job
        self.done += 1
        if record is None:
            result = "[red]error[/red]"
        elif record.passed:
            result = "[green]pass[/green]"
        else:
            result = "[red]fail[/red]"
        where = f" on {outcome.node}" if outcome.executor != "local" else ""
        if not self.live:
            self.progress.console.print(
                f"[{self.done}/{self.planned}] {_label(job)}: {outcome.seconds:.1f} s{where}"
                f" {result}"
            )
            return
        task = self.runs.get(job.key) or self.progress.add_task(_label(job), total=1)
        self.progress.update(
            task,
            completed=1,
            description=f"{_label(job)} {outcome.seconds:.1f} s{where} {result}",
        )
        if self.total is not None:
            self.progress.update(self.total, advance=1, description=self.counts())


def _label(job: RunJob) -> str:
    return f"{job.experiment} seed {job.seed}"
