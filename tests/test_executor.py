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
    yield RunJob("k" * 16, THREAD_PROBE.name, {}, 0)
    torch.set_num_threads(threads_before)


@pytest.mark.parametrize("threads", [1, 3])
def test_experiment_runs_with_the_executors_thread_count(thread_probe, threads):
    outcome = execute(thread_probe, threads)
    assert outcome.error is None, outcome.error
    assert outcome.threads == threads
    assert outcome.metrics["threads"] == threads  # configure_torch() inside did not override it
