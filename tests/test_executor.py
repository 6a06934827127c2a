"""The local executor: the thread count a job runs with is the one its record says."""

import pytest
from fake_registry import THREAD_PROBE

from wiki.executor import RunJob, execute

torch = pytest.importorskip("torch")


@pytest.fixture
def thread_probe(monkeypatch):
    import jepa_ref.experiments

    monkeypatch.setitem(jepa_ref.experiments.EXPERIMENTS, THREAD_PROBE.name, THREAD_PROBE)
    threads_before = torch.get_num_threads()
    yield RunJob("k" * 16, THREAD_PROBE.name, {}, 0, registry="jepa_ref")
    torch.set_num_threads(threads_before)


@pytest.mark.parametrize("threads", [1, 3])
def test_experiment_runs_with_the_executors_thread_count(thread_probe, threads):
    outcome = execute(thread_probe, threads)
    assert outcome.error is None, outcome.error
    assert outcome.threads == threads
    assert outcome.metrics["threads"] == threads  # configure_torch() inside did not override it


def test_the_pool_starts_no_more_jobs_than_it_has_workers(monkeypatch):
    """Progress says "running" for a started job: so no job may wait queued inside the pool."""
    from concurrent.futures import Future

    import wiki.executor as executor

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
