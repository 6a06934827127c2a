"""Progress of `wiki verify`: one line per run (spinner, elapsed, result) and a total bar.

Experiments do not report their own steps, so a running line shows the time spent
against the time the same experiment took last time (from the ledger), when known.
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
        self.total: TaskID | None = None
        self.runs: dict[str, TaskID] = {}

    def __enter__(self) -> RunProgress:
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
        if jobs:
            self.total = self.progress.add_task("all runs", total=len(jobs))

    def start_run(self, job: RunJob) -> None:
        self.runs[job.key] = self.progress.add_task(_label(job), total=1)

    def finish_run(self, outcome: RunOutcome, record: RunRecord | None) -> None:
        """Mark a run done with its seconds and whether its expectations held."""
        job = outcome.job
        task = self.runs.get(job.key) or self.progress.add_task(_label(job), total=1)
        if record is None:
            result = "[red]error[/red]"
        elif record.passed:
            result = "[green]pass[/green]"
        else:
            result = "[red]fail[/red]"
        self.progress.update(
            task, completed=1, description=f"{_label(job)} {outcome.seconds:.1f} s {result}"
        )
        if self.total is not None:
            self.progress.advance(self.total)


def _label(job: RunJob) -> str:
    return f"{job.experiment} seed {job.seed}"
