"""The Ray executor on one shared loopback Ray instance: same evidence as local, and faults.

Every test that needs Ray uses the module's `ray_cluster` (started once: ~7 s); the
teardown checks with `ps` that no process Ray started is left behind.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki.cli import app
from wiki.corpus import load_wiki
from wiki.executor import LocalExecutor, RunJob
from wiki.ledger import Ledger
from wiki.ray_executor import CodeIdentity, RayExecutor, RayUnavailable, planned_code_identity
from wiki.verify import verify_claims

# Before ray is imported anywhere: a local instance binds 127.0.0.1, not the LAN address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
RAY_MISSING = importlib.util.find_spec("ray") is None
needs_ray = pytest.mark.skipif(
    RAY_MISSING, reason="ray is not installed: pip install 'jepa-wiki[ray]' (make setup does)"
)
WORKTREE = Path(__file__).resolve().parent.parent

CONCEPT = """\
kind: concept
title: Topic
status: emerging
summary: s
claims:
  - id: tiny-stable
    statement: Two-loss training stays finite.
    evidence: {grade: weak, sources: [paper]}
    experiments:
      - experiment: lewm_two_loss
        params: {steps: STEPS, batch_size: 8, lambdas: [0.1]}
        seeds: SEEDS
        expect:
          all_losses_finite: "== 1"
"""
PAPER = "kind: source\ntitle: P\nyear: 2026\n"


def write_project(folder: Path, steps: int = 12, seeds: int = 2) -> Path:
    """A project with one claim on a tiny real experiment; returns its folder."""
    concepts = folder / "concepts"
    concepts.mkdir(parents=True)
    text = CONCEPT.replace("STEPS", str(steps)).replace("SEEDS", str(seeds))
    (concepts / "topic.yaml").write_text(text)
    (concepts / "paper.yaml").write_text(PAPER)
    (folder / "pyproject.toml").write_text('[tool.wiki]\ntitle = "T"\n')
    return folder


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from `ps` (Ray's gcs, raylet and workers)."""
    ps = subprocess.Popen(["ps", "-eo", "pid=,ppid=,stat="], stdout=subprocess.PIPE, text=True)
    table = ps.communicate()[0]
    children: dict[int, list[int]] = {}
    for line in table.splitlines():
        child, parent, stat = line.split()[:3]
        # A zombie is already dead, waiting to be reaped; `ps` itself is not Ray's.
        if not stat.startswith("Z") and int(child) != ps.pid:
            children.setdefault(int(parent), []).append(int(child))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def commands(pids: set[int]) -> list[str]:
    """What the given processes are running, for a message."""
    table = subprocess.run(
        ["ps", "-o", "pid=,args=", "-p", ",".join(map(str, pids)) or "0"],
        capture_output=True,
        text=True,
    ).stdout
    return [line.strip()[:120] for line in table.splitlines()]


@pytest.fixture(scope="module")
def ray_cluster():
    """One Ray instance for the module (2 CPUs or the machine's), on loopback only."""
    if RAY_MISSING:
        pytest.skip("ray is not installed: pip install 'jepa-wiki[ray]' (make setup does)")
    import ray

    before = descendants(os.getpid())
    ray.init(
        num_cpus=max(2, os.cpu_count() or 2),
        include_dashboard=False,
        object_store_memory=128 * 1024**2,
        log_to_driver=False,
        logging_level="warning",
    )
    try:
        yield ray
    finally:
        ray.shutdown()
        deadline = time.monotonic() + 30
        while (left := descendants(os.getpid()) - before) and time.monotonic() < deadline:
            time.sleep(0.5)
        leaked = commands(left)
        for pid in left:  # never leak: kill, then fail the check below
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assert not left, f"Ray processes left 30 s after shutdown: {leaked}"


def tiny_jobs(steps: int, seeds: range) -> list[RunJob]:
    from jepa_ref.experiments import EXPERIMENTS
    from wiki.ledger import run_key

    config = EXPERIMENTS["lewm_two_loss"].config.model_validate(
        {"steps": steps, "batch_size": 8, "lambdas": [0.1]}
    )
    resolved = config.model_dump(mode="json")
    identity = planned_code_identity()
    return [
        RunJob(
            run_key(
                "lewm_two_loss", resolved, seed, identity.code_fingerprint, identity.torch_version
            ),
            "lewm_two_loss",
            resolved,
            seed,
        )
        for seed in seeds
    ]


@needs_ray
def test_ray_runs_record_the_local_keys_and_bit_identical_metrics(ray_cluster, tmp_path) -> None:
    wiki = load_wiki(write_project(tmp_path / "p") / "concepts")
    local, remote = Ledger(tmp_path / "local.jsonl"), Ledger(tmp_path / "ray.jsonl")
    verify_claims(wiki, ["tiny-stable"], local, LocalExecutor(1))
    started: list[int] = []
    executor = RayExecutor.for_jobs(None, 1)
    result = verify_claims(
        wiki, ["tiny-stable"], remote, executor, on_start=lambda job: started.append(job.seed)
    )
    assert not result.failures and sorted(started) == [0, 1]
    by_key = {record.key: record for record in local.records()}
    for record in remote.records():
        twin = by_key[record.key]
        assert record.metrics == twin.metrics and record.curves == twin.curves
        assert record.threads == twin.threads == executor.threads
        assert (record.executor, twin.executor) == ("ray", "local")
        assert record.node
    assert sorted(by_key) == sorted(r.key for r in remote.records())


@needs_ray
def test_a_worker_with_other_code_refuses_the_run(ray_cluster, tmp_path) -> None:
    real = planned_code_identity()
    executor = RayExecutor(threads=1, identity=CodeIdentity("0" * 16, real.torch_version))
    [outcome] = list(executor.run_all(tiny_jobs(12, range(1))))
    assert outcome.metrics == {}
    assert outcome.error is not None and outcome.error.startswith("code mismatch on node")
    assert real.code_fingerprint in outcome.error and "0" * 16 in outcome.error


@needs_ray
def test_a_killed_worker_is_retried_then_reported_with_the_reason(ray_cluster) -> None:
    attempts = []

    def kill(job, attempt) -> None:
        attempts.append(attempt.number)
        os.kill(attempt.pid, signal.SIGKILL)

    # 2000 steps (~40 s) cannot finish before the kill lands a fraction of a second in.
    executor = RayExecutor(threads=1, max_retries=1, on_attempt=kill)
    [outcome] = list(executor.run_all(tiny_jobs(2000, range(1))))
    assert attempts == [1, 2]
    assert outcome.error is not None
    assert "died 2 time(s) and was retried 1 time(s)" in outcome.error
    assert "WorkerCrashedError" in outcome.error


@needs_ray
def test_stopping_the_driver_cancels_outstanding_runs_and_keeps_finished(
    ray_cluster, tmp_path
) -> None:
    wiki = load_wiki(write_project(tmp_path / "p", steps=12, seeds=3) / "concepts")
    ledger = Ledger(tmp_path / "runs.jsonl")

    def interrupt(outcome, record) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises in the driver, after the first record

    with pytest.raises(KeyboardInterrupt):
        verify_claims(wiki, ["tiny-stable"], ledger, RayExecutor(threads=1), on_outcome=interrupt)
    assert len(ledger.records()) == 1
    total = ray_cluster.cluster_resources()["CPU"]
    deadline = time.monotonic() + 30  # cancelled tasks give their CPUs back
    while ray_cluster.available_resources().get("CPU", 0) < total:
        assert time.monotonic() < deadline, "cancelled runs still hold CPUs"
        time.sleep(0.2)
    assert len(ledger.records()) == 1


@needs_ray
def test_ctrl_c_on_the_cli_exits_130_and_keeps_every_finished_record(ray_cluster, tmp_path) -> None:
    project = write_project(tmp_path / "p", steps=50, seeds=4)
    address = ray_cluster.get_runtime_context().gcs_address
    # Background shells start children with SIGINT ignored; the child must take it again.
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
        "from wiki.cli import main; sys.argv = ['wiki'] + sys.argv[1:]; main()"
    )
    command = [sys.executable, "-c", code, "verify", "claim", "tiny-stable"]
    command += ["--executor", "ray", "--address", address]
    env = {**os.environ, "PYTHONPATH": str(WORKTREE)}
    child = subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    ledger = project / "results" / "runs.jsonl"
    try:
        deadline = time.monotonic() + 120
        while not (ledger.exists() and ledger.read_text().count("\n") >= 1):
            assert child.poll() is None, child.stdout.read().decode()
            assert time.monotonic() < deadline, "no run finished in 120 s"
            time.sleep(0.2)
        child.send_signal(signal.SIGINT)
        output = child.communicate(timeout=60)[0].decode()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, output
    assert "interrupted: every finished run is in the ledger" in output
    records = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert 1 <= len(records) < 4 and all(r["executor"] == "ray" for r in records)


def test_an_unreachable_address_is_one_line_before_anything_runs(tmp_path, monkeypatch) -> None:
    if RAY_MISSING:
        pytest.skip("ray is not installed: pip install 'jepa-wiki[ray]' (make setup does)")
    monkeypatch.chdir(write_project(tmp_path / "p"))
    result = CliRunner().invoke(
        app, ["verify", "claim", "tiny-stable", "--executor", "ray", "--address", "127.0.0.1:1"]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "127.0.0.1:1: no Ray cluster answers there" in lines[0]
    assert not (tmp_path / "p" / "results").exists()


def test_missing_ray_is_one_line_with_the_install_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    monkeypatch.chdir(write_project(tmp_path / "p"))
    result = CliRunner().invoke(app, ["verify", "claim", "tiny-stable", "--executor", "ray"])
    assert result.exit_code == 2
    assert "pip install 'jepa-wiki[ray]'" in result.output
    with pytest.raises(RayUnavailable):
        RayExecutor().check()


@needs_ray
def test_executor_comes_from_the_settings_and_is_validated(tmp_path, monkeypatch) -> None:
    project = write_project(tmp_path / "p")
    (project / "pyproject.toml").write_text(
        '[tool.wiki]\nexecutor = "ray"\nray_address = "127.0.0.1:1"\n'
    )
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["verify", "claim", "tiny-stable"])
    assert result.exit_code == 2 and "127.0.0.1:1" in result.output
    local = CliRunner().invoke(app, ["verify", "claim", "tiny-stable", "--executor", "nope"])
    assert local.exit_code == 2 and "use --executor local or --executor ray" in local.output
    stray = CliRunner().invoke(
        app, ["verify", "claim", "tiny-stable", "--executor", "local", "--address", "auto"]
    )
    assert stray.exit_code == 2 and "add --executor ray" in stray.output
