import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_registry import CODE, TORCH, fake_run

from wiki.ledger import Ledger, RunRecord, build_record, is_superseded, run_key

TESTS = Path(__file__).resolve().parent
CONFIG = {"methods": ["pure"], "steps": 10, "rate": 0.1}


def test_run_key_is_short_hex_and_depends_on_every_input():
    key = run_key("toy", CONFIG, 0, CODE, TORCH)
    assert len(key) == 16 and int(key, 16) >= 0
    assert key == run_key("toy", dict(reversed(CONFIG.items())), 0, CODE, TORCH)
    variants = [
        run_key("other", CONFIG, 0, CODE, TORCH),
        run_key("toy", {**CONFIG, "steps": 11}, 0, CODE, TORCH),
        run_key("toy", CONFIG, 1, CODE, TORCH),
        run_key("toy", CONFIG, 0, "code-v2", TORCH),
        run_key("toy", CONFIG, 0, CODE, "9.9.1"),
    ]
    assert len({key, *variants}) == 6


def test_append_then_read_round_trips_every_field(tmp_path):
    ledger = Ledger(tmp_path / "results" / "runs.jsonl")
    record = fake_run("toy", {"pure_std": 0.7, "probe_r2": float("nan")}, claim="c")
    ledger.append(record)
    assert ledger.records()[0].model_dump(exclude={"metrics"}) == record.model_dump(
        exclude={"metrics"}
    )
    assert ledger.records()[0].metrics["pure_std"] == 0.7
    assert ledger.warnings == []


def test_missing_ledger_reads_as_empty(tmp_path):
    ledger = Ledger(tmp_path / "nothing.jsonl")
    assert ledger.records() == [] and ledger.find("abc") is None


def test_build_record_evaluates_expectations_at_record_time():
    record = build_record(
        experiment="toy",
        config=CONFIG,
        seed=2,
        metrics={"pure_std": 0.3},
        seconds=1.0,
        expect={"pure_std": ">= 0.5"},
        code_fingerprint=CODE,
        torch_version=TORCH,
    )
    assert record.key == run_key("toy", CONFIG, 2, CODE, TORCH)
    assert [(e.metric, e.value, e.held) for e in record.expectations] == [("pure_std", 0.3, False)]
    assert record.passed is False
    assert record.date.tzinfo is not None and record.python_version


def test_find_returns_the_latest_record_with_that_key(tmp_path):
    ledger = Ledger(tmp_path / "runs.jsonl")
    first = fake_run("toy", {"probe_r2": 0.1}, day=1)
    again = fake_run("toy", {"probe_r2": 0.2}, day=2)  # same key: a --force rerun
    other = fake_run("toy", {"probe_r2": 0.3}, seed=1)
    for record in (first, again, other):
        ledger.append(record)
    assert first.key == again.key != other.key
    assert ledger.find(first.key).metrics == {"probe_r2": 0.2}
    assert ledger.find("0" * 16) is None


def test_latest_for_finds_runs_of_any_code_and_superseded_marks_older_code(tmp_path):
    ledger = Ledger(tmp_path / "runs.jsonl")
    old = fake_run("toy", {"probe_r2": 0.5}, code="code-v0")
    new = fake_run("toy", {"probe_r2": 0.9}, code=CODE)
    ledger.append(old)
    ledger.append(new)
    assert old.key != new.key
    assert ledger.latest_for("toy", new.config, 0) == new
    assert [r.key for r in ledger.superseded(CODE)] == [old.key]
    assert is_superseded(new, CODE, torch_version="other-torch")
    assert len(ledger.records()) == 2  # kept, never edited


def test_torn_last_line_is_reported_skipped_and_next_append_is_valid(tmp_path):
    path = tmp_path / "runs.jsonl"
    ledger = Ledger(path)
    ledger.append(fake_run("toy", {"probe_r2": 0.1}, seed=0))
    whole = fake_run("toy", {"probe_r2": 0.2}, seed=1).model_dump_json()
    with open(path, "a") as handle:  # a writer killed mid-line
        handle.write(whole[: len(whole) // 2])
    assert [r.seed for r in ledger.records()] == [0]
    assert len(ledger.warnings) == 1 and ledger.warnings[0].line == 2
    assert "torn last line" in ledger.warnings[0].format()

    ledger.append(fake_run("toy", {"probe_r2": 0.3}, seed=2))
    assert [r.seed for r in ledger.records()] == [0, 2]
    assert [w.line for w in ledger.warnings] == [2]
    assert "corrupt line" in ledger.warnings[0].message
    assert path.read_text().endswith("\n")


def test_corrupt_lines_anywhere_are_skipped_with_their_line_numbers(tmp_path):
    path = tmp_path / "runs.jsonl"
    good = fake_run("toy", {"probe_r2": 0.1}).model_dump_json()
    path.write_bytes(b"\n".join([b"{not json", good.encode(), b"\xff\xfe", b'{"key": 1}', b""]))
    ledger = Ledger(path)
    assert len(ledger.records()) == 1
    assert [w.line for w in ledger.warnings] == [1, 3, 4]


def _append_many(path, worker, count):
    ledger = Ledger(path)
    for index in range(count):
        ledger.append(fake_run("toy", {"probe_r2": float(index)}, seed=worker * 1000 + index))


def test_two_concurrent_writers_leave_every_record_intact(tmp_path):
    path = tmp_path / "runs.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, w, 200)) for w in range(2)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
            assert worker.exitcode == 0
    finally:  # a failed assertion must not leave a writer running
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
    ledger = Ledger(path)
    records = ledger.records()
    assert ledger.warnings == []
    assert len(records) == 400
    assert len({r.seed for r in records}) == 400
    assert all(json.loads(line) for line in path.read_text().splitlines())


def _default_sigint() -> None:
    # Runs in the child before exec: SIGINT must interrupt it even if the parent ignored it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupt_between_appends_leaves_a_valid_ledger(tmp_path):
    path = tmp_path / "runs.jsonl"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path[:0] = [{str(TESTS)!r}, {str(TESTS.parent)!r}]
        from fake_registry import fake_run
        from wiki.ledger import Ledger
        ledger = Ledger({str(path)!r})
        seed = 0
        while True:
            ledger.append(fake_run("toy", {{"probe_r2": 0.5}}, seed=seed))
            seed += 1
            if seed == 3:
                print("ready", flush=True)
            time.sleep(0.001)
        """
    )
    # A background shell starts the suite with SIGINT ignored, and children inherit that:
    # simulate it here, so the test proves the child restores the default handler itself.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=_default_sigint,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:  # never leak a busy child, whatever failed above
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    ledger = Ledger(path)
    records = ledger.records()
    assert len(records) >= 3 and ledger.warnings == []
    assert [r.seed for r in records] == list(range(len(records)))
    assert isinstance(records[0], RunRecord)


def test_same_key_with_other_metrics_is_a_conflict_naming_both_lines(tmp_path):
    ledger = Ledger(tmp_path / "runs.jsonl")
    ledger.append(fake_run("toy", {"probe_r2": 0.1}, day=1))
    ledger.append(fake_run("toy", {"probe_r2": float("nan")}, seed=1))
    ledger.append(fake_run("toy", {"probe_r2": float("nan")}, seed=1, day=2))  # agrees: NaN
    ledger.append(fake_run("toy", {"probe_r2": 0.9}, day=3))
    records = ledger.records()
    assert len(records) == 4
    (conflict,) = ledger.warnings
    assert conflict.conflict and conflict.line == 4
    assert "conflicts with line 1" in conflict.format() and ":4:" in conflict.format()


def test_check_writable_refuses_a_folder_an_unwritable_dir_and_a_held_lock(tmp_path):
    from filelock import FileLock

    from wiki.ledger import LedgerError

    folder = tmp_path / "runs.jsonl"
    folder.mkdir()
    with pytest.raises(LedgerError, match="is a folder"):
        Ledger(folder).check_writable()

    fine = Ledger(tmp_path / "ok" / "runs.jsonl")
    fine.check_writable()
    assert not fine.path.exists()  # probing creates no ledger

    held = Ledger(tmp_path / "held.jsonl", lock_timeout=0.05)
    with FileLock(held.lock_path):
        with pytest.raises(LedgerError, match="lock still held after 0.05 s"):
            held.check_writable()
        with pytest.raises(LedgerError, match="lock still held"):
            held.append(fake_run("toy", {"probe_r2": 0.1}))


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="POSIX permissions")
def test_check_writable_refuses_a_read_only_results_folder(tmp_path):
    from wiki.ledger import LedgerError

    results = tmp_path / "results"
    results.mkdir()
    results.chmod(0o555)
    try:
        with pytest.raises(LedgerError, match="not writable"):
            Ledger(results / "runs.jsonl").check_writable()
    finally:
        results.chmod(0o755)


def test_a_full_disk_is_one_line_and_the_record_can_be_recovered(tmp_path, monkeypatch):
    import errno

    import wiki.ledger
    from wiki.ledger import LedgerError, save_for_recovery

    ledger = Ledger(tmp_path / "runs.jsonl")
    record = fake_run("toy", {"probe_r2": 0.1})

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wiki.ledger, "_write_all", full)
    with pytest.raises(LedgerError, match="no space left on the device") as error:
        ledger.append(record)
    assert "\n" not in str(error.value)
    monkeypatch.undo()
    saved = save_for_recovery(record, ledger.path)
    assert saved == tmp_path / "runs.jsonl.recovered"
    assert RunRecord.model_validate_json(saved.read_text()) == record
