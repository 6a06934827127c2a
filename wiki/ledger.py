"""The run ledger: `results/runs.jsonl`, one JSON record per line, appended, never edited.

A run is one experiment, one resolved config, one seed. Its key hashes those
with the jepa_ref source fingerprint and the torch version, so the same key
means "this exact computation already happened" and can be reused. Records of
older code stay in the file; they are superseded (derived at read time, never
marked in the file) because their key no longer matches what scoring asks for.

Writes are safe against crashes and concurrent writers: each record is one
`os.write` of a whole line on an O_APPEND descriptor, under a file lock, then
fsync'd. A killed writer leaves at worst a torn last line, which `records()`
reports and skips, and the next append starts on a fresh line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wiki.atomic_write import describe_os_error
from wiki.expect import ExpectationResult, evaluate_expectations

KEY_LENGTH = 16  # hex chars of sha256: 64 bits, ample for a ledger of thousands of runs
LOCK_TIMEOUT_S = 120.0  # an append holds the lock for milliseconds; waiting longer means a hang


class LedgerError(Exception):
    """The ledger cannot be written (or its lock taken): one line naming the path and a fix."""


class RunRecord(BaseModel):
    """One run as recorded: what ran, under which code, what came out, what was expected.

    `expectations` and `passed` are the claim's expectations as evaluated when the run
    was recorded, for people reading the ledger. Scoring re-evaluates the stored
    metrics against the claim's current `expect`, so editing an expectation never
    needs a rerun. `claim` is the claim that asked for the run (informational: the
    run itself belongs to experiment + config + seed and may serve several claims).
    """

    # Unknown keys are ignored so that older code can still read records of newer code.
    model_config = ConfigDict(frozen=True, extra="ignore", ser_json_inf_nan="constants")

    key: str
    experiment: str
    config: dict[str, Any]  # resolved: every field of the experiment's config model
    seed: int
    metrics: dict[str, float]
    curves: dict[str, list[float]] = Field(default_factory=dict)
    expectations: list[ExpectationResult] = Field(default_factory=list)
    passed: bool
    seconds: float
    threads: int | None = None
    torch_version: str
    python_version: str
    code_fingerprint: str
    date: dt.datetime  # UTC, when the run finished
    claim: str | None = None
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    executor: str | None = None  # "local" or "ray": informational, not part of the key
    node: str | None = None  # host the run executed on


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal text, hence equal hashes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def run_key(
    experiment: str,
    resolved_config: Mapping[str, Any],
    seed: int,
    code_fingerprint: str,
    torch_version: str,
) -> str:
    """Short sha256 of everything that determines a run's result."""
    identity = {
        "experiment": experiment,
        "config": dict(resolved_config),
        "seed": seed,
        "code_fingerprint": code_fingerprint,
        "torch_version": torch_version,
    }
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:KEY_LENGTH]


@functools.cache
def current_code_fingerprint() -> str:
    """Fingerprint of the jepa_ref sources (imports no torch), read once per process.

    Once: planning, every record and scoring then hash the same code, so a source edit
    made while `wiki verify` runs cannot give a record a key other than the planned one.
    """
    from jepa_ref.experiments import source_fingerprint

    return source_fingerprint()


@functools.cache
def current_torch_version() -> str:
    """The installed torch version, read from package metadata so that torch is not imported."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "not-installed"


def build_record(
    *,
    experiment: str,
    config: Mapping[str, Any],
    seed: int,
    metrics: Mapping[str, float],
    seconds: float,
    curves: Mapping[str, list[float]] | None = None,
    expect: Mapping[str, str] | None = None,
    claim: str | None = None,
    threads: int | None = None,
    code_fingerprint: str | None = None,
    torch_version: str | None = None,
    date: dt.datetime | None = None,
    executor: str | None = None,
    node: str | None = None,
) -> RunRecord:
    """A complete record for a finished run: computes its key, versions, date and expectations.

    `config` must be the resolved config (every field), e.g. `model.model_dump(mode="json")`.
    `passed` is True when every expectation held (vacuously True with no expectations).
    """
    code_fingerprint = code_fingerprint or current_code_fingerprint()
    torch_version = torch_version or current_torch_version()
    expectations = evaluate_expectations(expect or {}, metrics)
    return RunRecord(
        key=run_key(experiment, config, seed, code_fingerprint, torch_version),
        experiment=experiment,
        config=dict(config),
        seed=seed,
        metrics=dict(metrics),
        curves=dict(curves or {}),
        expectations=expectations,
        passed=all(result.held for result in expectations),
        seconds=seconds,
        threads=threads,
        torch_version=torch_version,
        python_version=platform.python_version(),
        code_fingerprint=code_fingerprint,
        date=date or dt.datetime.now(dt.UTC),
        claim=claim,
        executor=executor,
        node=node,
    )


def is_superseded(
    record: RunRecord, code_fingerprint: str, torch_version: str | None = None
) -> bool:
    """Whether a record was made under other jepa_ref code (or, if given, another torch)."""
    if record.code_fingerprint != code_fingerprint:
        return True
    return torch_version is not None and record.torch_version != torch_version


@dataclass(frozen=True)
class LedgerWarning:
    """A line of the ledger that could not be read (torn, corrupt), or that conflicts.

    A conflict is a second record of a run key with other metrics than an earlier one:
    the same computation gave two answers, so "latest wins" would hide evidence.
    """

    path: Path
    line: int
    message: str
    conflict: bool = False

    def format(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class Ledger:
    """The append-only file of run records. Reading never raises on a bad line."""

    def __init__(self, path: Path | str, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = Path(path)
        self.lock_path = Path(f"{self.path}.lock")
        self.lock_timeout = lock_timeout
        self.warnings: list[LedgerWarning] = []  # from the latest read
        self._cached: tuple[tuple[int, int], list[RunRecord], list[LedgerWarning]] | None = None

    def check_writable(self) -> None:
        """Raise LedgerError unless a record could be appended now: checked before any run.

        Creates no ledger: a missing file is probed by creating and removing it.
        """
        existed = self.path.exists()
        with self._located_errors():
            if self.path.is_dir():
                raise IsADirectoryError(21, "Is a directory")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(self.lock_path, timeout=self.lock_timeout):
                os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644))
                if not existed:
                    self.path.unlink()

    def append(self, record: RunRecord) -> None:
        """Add one record as one whole line, atomically with respect to other writers.

        Raises LedgerError (one line: path, reason, fix) when the file or its lock fails.
        """
        line = record.model_dump_json().encode() + b"\n"
        with self._located_errors():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(self.lock_path, timeout=self.lock_timeout):
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    size = os.fstat(fd).st_size
                    # A torn last line (a killed writer) must not swallow this record.
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        line = b"\n" + line
                    _write_all(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)

    @contextlib.contextmanager
    def _located_errors(self) -> Iterator[None]:
        try:
            yield
        except Timeout:
            raise LedgerError(
                f"{self.lock_path}: ledger lock still held after {self.lock_timeout:g} s;"
                " another `wiki verify` may be hung: stop it, or delete the lock file"
                " if no other wiki process runs"
            ) from None
        except OSError as error:
            raise LedgerError(describe_os_error(error, self.path)) from None

    def records(self) -> list[RunRecord]:
        """Every valid record in file (= chronological) order; bad lines go to `self.warnings`."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self.warnings = []
            return []
        signature = (stat.st_size, stat.st_mtime_ns)
        if self._cached is None or self._cached[0] != signature:
            try:
                data = self.path.read_bytes()
            except OSError as error:  # a folder, unreadable: no runs, said once, never a crash
                self.warnings = [LedgerWarning(self.path, 1, describe_os_error(error, self.path))]
                return []
            records, warnings = _parse(self.path, data)
            self._cached = (signature, records, warnings)
        _, records, warnings = self._cached
        self.warnings = list(warnings)
        return list(records)

    def find(self, key: str) -> RunRecord | None:
        """The latest record with this run key, or None: the cache lookup of `wiki verify`."""
        for record in reversed(self.records()):
            if record.key == key:
                return record
        return None

    def latest_for(
        self, experiment: str, config: Mapping[str, Any] | BaseModel, seed: int
    ) -> RunRecord | None:
        """The latest record of this experiment, resolved config and seed, under any code."""
        if isinstance(config, BaseModel):
            config = config.model_dump(mode="json")
        wanted = canonical_json(dict(config))
        for record in reversed(self.records()):
            if (
                record.experiment == experiment
                and record.seed == seed
                and canonical_json(record.config) == wanted
            ):
                return record
        return None

    def superseded(
        self, code_fingerprint: str | None = None, torch_version: str | None = None
    ) -> list[RunRecord]:
        """Records made under other code (default: the current jepa_ref) or another torch."""
        code_fingerprint = code_fingerprint or current_code_fingerprint()
        return [r for r in self.records() if is_superseded(r, code_fingerprint, torch_version)]


def save_for_recovery(record: RunRecord, ledger_path: Path) -> Path | None:
    """Append a record the ledger refused to a recovery file; its path, or None if none took it.

    Next to the ledger when that folder is writable, else in the temporary folder, so a
    finished run of many minutes is never lost to a read-only or full `results/`.
    """
    line = record.model_dump_json().encode() + b"\n"
    name = f"{ledger_path.name}.recovered"
    candidates = [ledger_path.parent / name, Path(tempfile.gettempdir()) / f"wiki-{name}"]
    for candidate in candidates:
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                _write_all(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            return candidate
        except OSError:
            continue
    return None


def _write_all(fd: int, data: bytes) -> None:
    # One write for a regular file in practice; the loop only guards a short write.
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _conflict(record: RunRecord, line: int, first_seen: dict[str, tuple[int, str]]) -> str | None:
    if record.status != "ok":
        return None
    # canonical_json writes NaN as NaN, so two NaN runs agree (NaN != NaN would not).
    metrics = canonical_json(record.metrics)
    earlier = first_seen.setdefault(record.key, (line, metrics))
    if earlier[1] == metrics:
        return None
    return (
        f"run {record.key} conflicts with line {earlier[0]}: same run key, other metrics"
        f" (a nondeterministic experiment or an edited ledger); the latest is used"
    )


def _parse(path: Path, data: bytes) -> tuple[list[RunRecord], list[LedgerWarning]]:
    records: list[RunRecord] = []
    warnings: list[LedgerWarning] = []
    first_seen: dict[str, tuple[int, str]] = {}  # run key -> (line, metrics as text)
    lines = data.split(b"\n")
    last_is_unterminated = not data.endswith(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = RunRecord.model_validate_json(raw)
            records.append(record)
            conflict = _conflict(record, number, first_seen)
            if conflict is not None:
                warnings.append(LedgerWarning(path, number, conflict, conflict=True))
        except ValidationError as error:
            torn = last_is_unterminated and number == len(lines)
            what = "torn last line (a run interrupted while writing?)" if torn else "corrupt line"
            detail = error.errors()[0]["msg"] if error.errors() else str(error)
            warnings.append(LedgerWarning(path, number, f"{what}, skipped: {detail}"))
    return records, warnings
