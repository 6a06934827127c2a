"""wiki verify with a fake registry and executor: caching, force, seeds, failures."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_registry import FAKE_REGISTRY

from wiki.corpus import load_wiki
from wiki.executor import RunJob, RunOutcome, capped_jobs
from wiki.ledger import Ledger
from wiki.scoring.types import Verdict
from wiki.verify import parse_seeds, plan_verification, verify_claims

CONCEPT = """\
kind: concept
title: Topic
status: emerging
summary: s
claims:
  - id: stable
    statement: Training is stable.
    evidence: {grade: moderate, sources: [paper]}
    experiments:
      - experiment: toy
        params: {steps: 50}
        seeds: 3
        expect: {probe_r2: "> 0.9"}
  - id: also-stable
    statement: The same run supports this too.
    evidence: {grade: weak, sources: [paper]}
    experiments:
      - experiment: toy
        scope: indirect
        params: {steps: 50}
        seeds: 2
        expect: {probe_r2: "> 0.9"}
"""
PAPER = "kind: source\ntitle: Paper\nyear: 2025\n"


class FakeExecutor:
    """Runs the fake registry's experiments in-process; can fail or be interrupted on cue."""

    def __init__(self, fail_seed: int | None = None, interrupt_after: int | None = None):
        self.fail_seed = fail_seed
        self.interrupt_after = interrupt_after
        self.started: list[RunJob] = []

    def run_all(self, jobs: list[RunJob], on_start=lambda job: None) -> Iterator[RunOutcome]:
        for count, job in enumerate(jobs):
            if self.interrupt_after is not None and count == self.interrupt_after:
                raise KeyboardInterrupt
            on_start(job)
            self.started.append(job)
            if job.seed == self.fail_seed:
                yield RunOutcome(job, error="RuntimeError: boom")
                continue
            experiment = FAKE_REGISTRY[job.experiment]
            result = experiment.load_runner()(experiment.config(**job.config), job.seed)
            yield RunOutcome(job, result.metrics, result.curves, seconds=0.01, threads=1)


@pytest.fixture
def wiki(write_pages):
    return load_wiki(write_pages({"topic.yaml": CONCEPT, "paper.yaml": PAPER}))


def verify(wiki, ledger, executor=None, claims=("stable",), **options):
    return verify_claims(
        wiki, claims, ledger, executor or FakeExecutor(), registry=FAKE_REGISTRY, **options
    )


def test_first_verify_runs_every_seed_and_records_it(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    result = verify(wiki, ledger)
    assert [job.seed for job in result.plan.jobs] == [0, 1, 2]
    assert len(ledger.records()) == 3 and len(result.fresh) == 3
    assert result.before.claims["stable"].verdict is Verdict.not_run
    assert result.after.claims["stable"].verdict is Verdict.reproduced
    assert result.after.claims["stable"].effective_grade.value == "strong"


def test_second_verify_reuses_every_run_by_key(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    verify(wiki, ledger)
    executor = FakeExecutor()
    result = verify(wiki, ledger, executor)
    assert executor.started == [] and result.fresh == {}
    assert all(planned.cached is not None for planned in result.plan.runs)
    assert len(ledger.records()) == 3


def test_force_reruns_and_appends_without_editing_old_records(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    verify(wiki, ledger)
    first_lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    verify(wiki, ledger, force=True)
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 6 and lines[:3] == first_lines


def test_seeds_option_runs_new_seeds_and_they_count(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    verify(wiki, ledger)
    result = verify(wiki, ledger, seeds=[1000, 1001, 1002])
    assert [job.seed for job in result.plan.jobs] == [1000, 1001, 1002]
    assert result.after.claims["stable"].links[0].seeds == [0, 1, 2, 1000, 1001, 1002]


def test_a_run_shared_by_two_claims_executes_once(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    result = verify(wiki, ledger, claims=("stable", "also-stable"))
    assert len(result.plan.runs) == 5 and len(result.plan.jobs) == 3
    assert result.after.claims["also-stable"].verdict is Verdict.reproduced
    assert result.after.claims["also-stable"].effective_grade.value == "weak"  # indirect


def test_a_failing_run_is_reported_and_not_recorded(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    result = verify(wiki, ledger, FakeExecutor(fail_seed=1))
    assert [outcome.job.seed for outcome in result.failures] == [1]
    assert sorted(record.seed for record in ledger.records()) == [0, 2]
    assert result.after.claims["stable"].verdict is Verdict.partial


def test_interrupt_keeps_every_finished_run(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "runs.jsonl")
    with pytest.raises(KeyboardInterrupt):
        verify(wiki, ledger, FakeExecutor(interrupt_after=2))
    assert [record.seed for record in ledger.records()] == [0, 1]
    assert ledger.warnings == []
    result = verify(wiki, ledger)  # picks up where it stopped
    assert [job.seed for job in result.plan.jobs] == [2]


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("0-4", [0, 1, 2, 3, 4]), ("0,3,7", [0, 3, 7]), ("1000-1002", [1000, 1001, 1002]),
     ("0-1,5", [0, 1, 5]), ("3", [3])],
)  # fmt: skip
def test_seed_specs(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    "text", ["", "a", "4-2", "1,,2", "-1", "\uff10", "\u0663", "1-\u0663", "0x1", "+3", " - "]
)
def test_bad_seed_specs_are_rejected_in_the_tools_words(text: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_seeds(text)
    assert "invalid literal" not in str(error.value)
    assert "0-4" in str(error.value) or "runs backwards; write 2-4" in str(error.value)


@pytest.mark.parametrize("text", ["0-1000", "0-99999999999", ",".join(map(str, range(1001)))])
def test_more_than_a_thousand_seeds_are_refused_without_building_the_list(text: str) -> None:
    with pytest.raises(ValueError, match="at most 1000"):
        parse_seeds(text)
    assert len(parse_seeds("0-999")) == 1000


def test_jobs_are_capped_at_the_core_count_with_a_note(monkeypatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert capped_jobs(1) == (1, None)
    assert capped_jobs(2) == (2, None)
    jobs, note = capped_jobs(8)
    assert jobs == 2 and "8" in note and "2 cores" in note


def test_a_run_the_ledger_refuses_goes_to_a_recovery_file(wiki, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "results" / "runs.jsonl")

    class LedgerBreaksMidRun(FakeExecutor):
        def run_all(self, jobs, on_start=lambda job: None):
            for count, outcome in enumerate(super().run_all(jobs, on_start)):
                if count == 1:  # the ledger becomes a folder while runs are under way
                    ledger.path.unlink()
                    ledger.path.mkdir()
                yield outcome

    result = verify(wiki, ledger, LedgerBreaksMidRun())
    assert len(result.fresh) == 1 and len(result.unsaved) == 2
    recovery = tmp_path / "results" / "runs.jsonl.recovered"
    assert all(unsaved.recovery_file == recovery for unsaved in result.unsaved)
    assert "is a folder" in result.unsaved[0].error
    saved = [line for line in recovery.read_text().splitlines() if line]
    assert [json.loads(line)["seed"] for line in saved] == [1, 2]


TWO_CONFIGS = """\
kind: concept
title: Topic
status: emerging
summary: s
claims:
  - id: stable
    statement: Training is stable.
    evidence: {grade: moderate, sources: [paper]}
    experiments:
      - experiment: toy
        params: {steps: 5}
        seeds: 2
        expect: {probe_r2: "> 0.9"}
      - experiment: toy
        scope: indirect
        params: {steps: 500}
        seeds: 2
        expect: {probe_r2: "> 0.9"}
"""


class StepsCostExecutor(FakeExecutor):
    """Reports each run as costing its config's steps in seconds, at two threads."""

    def run_all(self, jobs, on_start=lambda job: None):
        for outcome in super().run_all(jobs, on_start):
            outcome.seconds, outcome.threads = outcome.job.config["steps"] / 100, 2
            yield outcome


def test_runs_start_longest_first_by_what_the_same_config_cost_before(
    write_pages, tmp_path: Path
) -> None:
    wiki = load_wiki(write_pages({"topic.yaml": TWO_CONFIGS, "paper.yaml": PAPER}))
    ledger = Ledger(tmp_path / "runs.jsonl")
    first = StepsCostExecutor()
    verify(wiki, ledger, first)
    assert [job.config["steps"] for job in first.started] == [5, 5, 500, 500]  # plan order
    again = StepsCostExecutor()
    verify(wiki, ledger, again, force=True)
    assert [job.config["steps"] for job in again.started] == [500, 500, 5, 5]
    # a config with no recorded run has no estimate and goes first
    cheap_only = [record for record in ledger.records() if record.config["steps"] == 5]
    plan = plan_verification(wiki, ["stable"], cheap_only, force=True, registry=FAKE_REGISTRY)
    assert [job.config["steps"] for job in plan.jobs] == [500, 500, 5, 5]
    assert [plan.expected_cost.get(job.key) for job in plan.jobs] == [None, None, 0.1, 0.1]
