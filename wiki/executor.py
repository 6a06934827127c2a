"""Where experiment runs execute: a small interface so scoring never cares.

A job names its registry; the process that runs it loads that registry through the
`wiki.experiments` entry points and lets it set the job's thread count first.

`LocalExecutor` runs in this process (one worker) or in a process pool (`--jobs N`; by
default one worker per core).
A distributed engine only has to implement `Executor.run_all`.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from wiki.experiments import ExperimentRegistry, active_catalog, load_object, load_registry


@dataclass(frozen=True)
class RunJob:
    """One experiment, one resolved config, one seed."""

    key: str
    experiment: str
    config: dict[str, Any]
    seed: int
    registry: str = ""  # the `wiki.experiments` entry point; "" = whichever chosen one has it


@dataclass
class RunOutcome:
    job: RunJob
    metrics: dict[str, float] = field(default_factory=dict)
    curves: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    threads: int = 0
    error: str | None = None  # set when the experiment raised; nothing is recorded then
    executor: str = "local"  # which executor ran it, and on which machine: noted in the record
    node: str = field(default_factory=socket.gethostname)


StartCallback = Callable[[RunJob], None]


def _ignore(job: RunJob) -> None:
    return None


class Executor(Protocol):
    def run_all(
        self, jobs: list[RunJob], on_start: StartCallback = _ignore
    ) -> Iterator[RunOutcome]:
        """Run every job, calling `on_start` as each begins, yielding outcomes as they finish."""
        ...


def execute(job: RunJob, threads: int) -> RunOutcome:
    """Run one job here and now; an experiment's exception becomes an outcome's error."""
    try:
        registry = _registry_of(job)
        if registry.configure_threads:
            load_object(registry.configure_threads)(threads)
        start = time.perf_counter()
        experiment = registry.experiments[job.experiment]
        config = experiment.config.model_validate(job.config)
        result = experiment.load_runner()(config, job.seed)
    except Exception:  # an experiment bug must not lose the other runs
        return RunOutcome(job, error=traceback.format_exc(limit=5), threads=threads)
    seconds = time.perf_counter() - start
    return RunOutcome(job, result.metrics, result.curves, seconds, threads)


def _registry_of(job: RunJob) -> ExperimentRegistry:
    # Loaded by name in the process that runs the job: a pool or cluster worker finds the
    # registry through its own entry points, as the driver did.
    if job.registry:
        return load_registry(job.registry)
    catalog = active_catalog()
    return catalog.owner[job.experiment]


def _threads_per_job(jobs: int) -> int:
    return max(1, (os.cpu_count() or 2) // jobs)


def _workers(requested: int | None, runs: int) -> int:
    """Processes for `runs` runs: `--jobs` (None: one per core), never more than the runs,
    so a lone run gets every core (its trainings then run side by side, see jepa_ref)."""
    cores = os.cpu_count() or 1
    return max(1, min(cores if requested is None else requested, runs))


def capped_jobs(requested: int | None) -> tuple[int | None, str | None]:
    """`--jobs` limited to the core count (more processes only contend), and a note if cut."""
    cores = os.cpu_count() or 1
    if requested is None or requested <= cores:
        return requested, None
    return cores, f"--jobs {requested} capped at {cores} (this machine has {cores} cores)"


@dataclass
class LocalExecutor:
    """Runs jobs in this process (one worker) or a pool of worker processes sharing the cores.

    `jobs=None` (the command line's default) takes one worker per core: every run then
    trains at one thread and the pool is started once for the whole plan, which packs a
    plan of many runs onto the cores better than one run at a time at every thread.
    """

    jobs: int | None = None

    def run_all(
        self, jobs: list[RunJob], on_start: StartCallback = _ignore
    ) -> Iterator[RunOutcome]:
        workers = _workers(self.jobs, len(jobs))
        threads = _threads_per_job(workers)
        if workers <= 1:
            for job in jobs:
                on_start(job)
                yield execute(job, threads)
            return
        yield from _pool_outcomes(jobs, workers, threads, on_start)


def _pool_outcomes(
    jobs: Iterable[RunJob], workers: int, threads: int, on_start: StartCallback
) -> Iterator[RunOutcome]:
    # spawn, not fork: the parent runs a progress thread, and forking a threaded process
    # can deadlock the child on a lock held at fork time.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # At most `workers` jobs are submitted at a time, so a submitted job starts at once
        # and "started" in the progress means running, not queued.
        queue = iter(jobs)
        pending: set[Future[RunOutcome]] = set()

        def submit_next() -> None:
            job = next(queue, None)
            if job is not None:
                on_start(job)
                pending.add(pool.submit(execute, job, threads))

        for _ in range(workers):
            submit_next()
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    submit_next()
                    yield future.result()
        finally:  # Ctrl-C or an early stop: nothing more is submitted
            for future in pending:
                future.cancel()
