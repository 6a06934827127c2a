"""The local executor: the thread count a job runs with is the one its record says."""

import pytest
from fake_registry import THREAD_PROBE

import wiki.executor as executor
from wiki.executor import RunJob, execute

torch = pytest.importorskip("torch")


@pytest.fixture
def thread_probe(monkeypatch):
    import jepa_ref.experiments

    monkeypatch.setitem(jepa_ref.experiments.EXPERIMENTS, THREAD_PROBE.name, THREAD_PROBE)
    from jepa_ref.runtime import configure_torch, parallel_trainings

    budget_before = parallel_trainings()
    yield RunJob("k" * 16, THREAD_PROBE.name, {}, 0, registry="jepa_ref")
    configure_torch(threads=budget_before)


@pytest.mark.parametrize("threads", [1, 3])
def test_experiment_runs_with_the_executors_thread_count(thread_probe, threads):
    outcome = execute(thread_probe, threads)
    assert outcome.error is None, outcome.error
    assert outcome.threads == threads
    assert outcome.metrics["threads"] == threads  # configure_torch() inside did not override it
    assert outcome.metrics["torch_threads"] == 1  # every op at one thread, whatever the budget


def test_the_pool_starts_no_more_jobs_than_it_has_workers(monkeypatch):
    """Progress says "running" for a started job: so no job may wait queued inside the pool."""
    from concurrent.futures import Future

    class InlinePool:  # runs each submitted job at once, like a free worker would
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def submit(self, function, job, threads):
            future = Future()
            future.set_result(executor.RunOutcome(job, {"seed": float(job.seed)}, {}, 0.0, threads))
            return future

    monkeypatch.setattr(executor, "ProcessPoolExecutor", InlinePool)
    jobs = [RunJob(f"{seed:016d}", "any", {}, seed) for seed in range(6)]
    started: list[int] = []
    in_flight = []  # started but not yet done, each time an outcome comes back
    runs = executor.LocalExecutor(jobs=2).run_all(jobs, lambda job: started.append(job.seed))
    for done, _ in enumerate(runs, start=1):
        in_flight.append(len(started) - done)
    assert sorted(started) == list(range(6))
    assert max(in_flight) <= 2, in_flight


def test_by_default_a_lone_run_gets_every_core_and_many_runs_one_each(monkeypatch):
    monkeypatch.setattr(executor.os, "cpu_count", lambda: 2)
    threads_seen: list[int] = []
    monkeypatch.setattr(executor, "execute", lambda job, threads: threads_seen.append(threads))
    list(executor.LocalExecutor().run_all([RunJob("0" * 16, "any", {}, 0)]))
    assert threads_seen == [2]  # in this process, its trainings side by side
    assert executor._workers(None, 6) == 2 and executor._workers(1, 6) == 1
    assert executor._workers(2, 1) == 1  # --jobs 2 with one run: no idle worker
