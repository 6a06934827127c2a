"""Run verification sweeps on a Ray cluster: one Ray task per planned run.

Each run is a Ray task asking for `num_cpus` equal to its thread count; the worker
checks that it has the code the driver planned with, runs the experiment through
`wiki.executor.execute` (so the metrics are the local executor's, bit for bit) and
returns the outcome. Only the driver writes the ledger: `wiki.verify.execute_plan`
appends each outcome as `run_all` yields it, exactly as with the local executor.

Without an address a Ray instance is started on this machine, on 127.0.0.1 only and
without a dashboard; with one (`auto`, `HOST:PORT`, `ray://HOST:PORT`) the driver
joins that cluster. `ray` is an optional dependency: `pip install 'jepa-wiki[ray]'`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from wiki.executor import RunJob, RunOutcome, StartCallback, _threads_per_job, execute

DEFAULT_MAX_RETRIES = 2  # a killed or crashed worker is retried this often, then an error
POLL_SECONDS = 0.25  # how often the driver asks which runs have started
REACH_TIMEOUT_SECONDS = 5.0
DEFAULT_RAY_PORT = 6379
# Runs return a few numbers; a small object store keeps Ray from reserving 30% of RAM.
OBJECT_STORE_BYTES = 128 * 1024**2
# Read by Ray when it is imported: "0" makes a local instance bind 127.0.0.1, not the LAN IP.
LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
SHIPPING_HINT = (
    "install the same jepa-wiki on every node, or submit with "
    "`ray job submit --working-dir . -- wiki verify ...` (see README: Sweeps on a Ray cluster)"
)


class RayUnavailable(Exception):
    """Ray is missing, or the cluster cannot be reached or cannot fit a run: one line."""


@dataclass(frozen=True)
class CodeIdentity:
    """What a run key hashes besides the run itself: the experiment code and torch."""

    code_fingerprint: str
    torch_version: str


def planned_code_identity() -> CodeIdentity:
    """The code identity run keys are planned with (the one place to repoint for plug-ins)."""
    from wiki.ledger import current_code_fingerprint, current_torch_version

    return CodeIdentity(current_code_fingerprint(), current_torch_version())


@dataclass(frozen=True)
class RunAttempt:
    """One start of a run on a worker; a retry after a crash is a second attempt."""

    number: int
    node: str
    pid: int


AttemptCallback = Callable[[RunJob, RunAttempt], None]


def _ignore_start(job: RunJob) -> None:
    return None


def _ignore_attempt(job: RunJob, attempt: RunAttempt) -> None:
    return None


@dataclass
class RayExecutor:
    """Runs each job as a Ray task on a local instance (`address=None`) or a cluster."""

    address: str | None = None
    threads: int = 2
    max_retries: int = DEFAULT_MAX_RETRIES
    identity: CodeIdentity = field(default_factory=planned_code_identity)
    on_attempt: AttemptCallback = _ignore_attempt  # every start, retries included

    @classmethod
    def for_jobs(cls, address: str | None, jobs: int) -> RayExecutor:
        """Threads per run as the local executor picks them for `--jobs`: same metrics."""
        return cls(address=address or None, threads=_threads_per_job(jobs))

    def check(self) -> None:
        """Fail fast, before planning: `ray` importable and, with an address, the cluster joined.

        Joining takes about a second; starting a local instance takes several, so that
        waits until there is something to run.
        """
        import_ray(self.address)
        if self.address is not None:
            check_reachable(self.address)
            connect(self.address)

    def run_all(
        self, jobs: list[RunJob], on_start: StartCallback = _ignore_start
    ) -> Iterator[RunOutcome]:
        """Submit every job, report starts as workers pick them up, yield outcomes as they end."""
        if not jobs:
            return
        ray = connect(self.address)
        check_fits(ray, self.threads)
        board = ray.remote(num_cpus=0)(StartBoard).remote()
        task = ray.remote(run_in_worker).options(
            num_cpus=self.threads, max_retries=self.max_retries, retry_exceptions=False
        )
        pending = {task.remote(job, self.threads, self.identity, board): job for job in jobs}
        attempts: dict[str, RunAttempt] = {}  # the latest start of each run
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_SECONDS)
                self._report_starts(ray, board, jobs, attempts, on_start)
                for ref in done:
                    job = pending.pop(ref)
                    if job.key not in attempts:  # finished between two polls
                        on_start(job)
                    yield self._outcome(ray, ref, job, attempts.get(job.key))
        finally:  # Ctrl-C or an early stop: nothing queued starts, nothing running goes on
            for ref in pending:
                ray.cancel(ref, force=True)
            ray.kill(board)

    def _report_starts(
        self,
        ray: Any,
        board: Any,
        jobs: list[RunJob],
        attempts: dict[str, RunAttempt],
        on_start: StartCallback,
    ) -> None:
        by_key = {job.key: job for job in jobs}
        for key, node, pid in ray.get(board.take.remote()):
            job = by_key[key]
            previous = attempts.get(key)
            attempt = RunAttempt(previous.number + 1 if previous else 1, node, pid)
            attempts[key] = attempt
            if previous is None:
                on_start(job)
            self.on_attempt(job, attempt)

    def _outcome(self, ray: Any, ref: Any, job: RunJob, last: RunAttempt | None) -> RunOutcome:
        from ray import exceptions

        tries = last.number if last else 1

        try:
            return ray.get(ref)
        except (
            exceptions.WorkerCrashedError,
            exceptions.NodeDiedError,
            exceptions.LocalRayletDiedError,
            exceptions.OutOfMemoryError,
        ) as error:
            reason = (
                f"the worker died {tries} time(s) and was retried {self.max_retries} time(s),"
                f" giving up: {type(error).__name__}: {first_line(error)}"
            )
        except exceptions.RayTaskError as error:
            reason = f"the task failed in its worker: {first_line(error.cause or error)}"
        except exceptions.RayError as error:
            reason = f"Ray could not run the task: {type(error).__name__}: {first_line(error)}"
        node = last.node if last else "unknown"
        return RunOutcome(job, error=reason, threads=self.threads, executor="ray", node=node)


class StartBoard:
    """A tiny actor workers tell when they start a run, so progress can say what is running."""

    def __init__(self) -> None:
        self.starts: list[tuple[str, str, int]] = []

    def started(self, key: str, node: str, pid: int) -> None:
        self.starts.append((key, node, pid))

    def take(self) -> list[tuple[str, str, int]]:
        starts, self.starts = self.starts, []
        return starts


def run_in_worker(job: RunJob, threads: int, planned: CodeIdentity, board: Any) -> RunOutcome:
    """The Ray task: refuse to run under other code than planned, else run like the local one."""
    node = socket.gethostname()
    board.started.remote(job.key, node, os.getpid())
    here = planned_code_identity()
    if here != planned:
        return RunOutcome(
            job, error=mismatch_message(here, planned, node), threads=threads, executor="ray"
        )
    outcome = execute(job, threads)
    outcome.executor, outcome.node = "ray", node
    return outcome


def mismatch_message(here: CodeIdentity, planned: CodeIdentity, node: str) -> str:
    """Why a worker refused a run: its code is not what the run key was computed for."""
    differences = []
    if here.code_fingerprint != planned.code_fingerprint:
        differences.append(
            f"jepa_ref code {here.code_fingerprint} (driver planned {planned.code_fingerprint})"
        )
    if here.torch_version != planned.torch_version:
        differences.append(f"torch {here.torch_version} (driver has {planned.torch_version})")
    return (
        f"code mismatch on node {node}: the worker has {' and '.join(differences)}, so its "
        f"result would be recorded under a key it does not belong to; {SHIPPING_HINT}"
    )


def import_ray(address: str | None) -> Any:
    """The `ray` module, or a one-line error saying how to install it."""
    if address is None:
        os.environ.setdefault(LOOPBACK_ENV, "0")
    try:
        import ray
    except ImportError:
        raise RayUnavailable(
            "--executor ray needs the `ray` package: pip install 'jepa-wiki[ray]'"
        ) from None
    return ray


def check_reachable(address: str) -> None:
    """A TCP connect to HOST:PORT, so a dead address fails in seconds with a plain reason."""
    if address == "auto":
        return  # Ray finds the local cluster itself and says so clearly when there is none
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host:
        host, port = port, str(DEFAULT_RAY_PORT)
    if not port.isdigit():
        raise RayUnavailable(f"--address {address!r}: expected HOST:PORT, e.g. 10.0.0.5:6379")
    try:
        with socket.create_connection((host, int(port)), timeout=REACH_TIMEOUT_SECONDS):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise RayUnavailable(
            f"--address {address}: no Ray cluster answers there ({reason}); start its head with"
            f" `ray start --head --port {port}`, or leave out --address to start Ray here"
        ) from None


def connect(address: str | None) -> Any:
    """Join the cluster at `address`, or start Ray on this machine (loopback, no dashboard)."""
    ray = import_ray(address)
    if ray.is_initialized():
        return ray
    try:
        if address is None:
            ray.init(
                address="local",  # never join a cluster named by RAY_ADDRESS by surprise
                num_cpus=os.cpu_count(),
                include_dashboard=False,
                object_store_memory=OBJECT_STORE_BYTES,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        else:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except Exception as error:  # Ray raises several kinds; the user needs one line either way
        where = f"join the Ray cluster at {address}" if address else "start Ray on this machine"
        raise RayUnavailable(f"cannot {where}: {first_line(error)}") from None
    return ray


def check_fits(ray: Any, threads: int) -> None:
    """A run asking for more CPUs than any node has would wait forever: say so instead."""
    largest = max(
        (node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]), default=0
    )
    if largest < threads:
        raise RayUnavailable(
            f"each run asks for {threads} CPU(s) but the largest Ray node has {largest:g};"
            " raise --jobs (fewer threads per run) or add bigger nodes"
        )


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's text (Ray's run to many lines)."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__
