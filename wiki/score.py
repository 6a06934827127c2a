"""The one place that turns run records into verdicts, grades, fingerprints and staleness.

Everything here is derived from the content and the ledger, never stored in YAML.

Link verdict (one experiment link of a claim; a seed *held* when its current run
exists and every expectation of the link held on it). The requested seeds are the
link's own (0..seeds-1) plus every other seed with a current run of the same config
(e.g. from `wiki verify --seeds 0-4`): all current evidence counts.
  reproduced      every requested seed has a current run and held
  not-reproduced  at least one current run, and no seed held
  partial         some seed held, but not every requested seed
  stale           no current run, but runs of this experiment and seed under older
                  code, another torch, or older params of this claim: inputs changed
  not-run         no run at all
"Current" means the run key computed now (experiment, resolved config, seed, code
fingerprint, torch version) is in the ledger. Failed runs (status "error") are ignored.

Claim verdict: untestable without links. Direct links dominate: only they are
considered when there is one, else the indirect ones. Among the considered links:
any stale -> stale; all not-run -> not-run; all reproduced -> reproduced; none
reproduced or partial (only not-reproduced and not-run) -> not-reproduced; else partial.

Effective grade: the literature grade moved by direct links only, by at most one
level: up when more direct links reproduced than failed to reproduce, down in the
opposite case, capped at strong and floored at speculative. A toy-scale reproduction
is one kind of evidence, so several links of that kind do not stack. Every link
gives a Factor (direction up/down for direct reproduced/not-reproduced, none
otherwise); indirect reproduced links are support, indirect not-reproduced or
partial links are warnings.

Fingerprints and thesis staleness are derived in `wiki.staleness`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from pydantic import ValidationError

from wiki.expect import ExpectationResult, evaluate_expectations
from wiki.experiments import Experiment, active_catalog
from wiki.ledger import (
    RunRecord,
    canonical_json,
    current_code_fingerprint,
    current_torch_version,
    run_key,
)
from wiki.schema import GRADE_ORDER, Claim, ExperimentLink, Grade, Scope
from wiki.staleness import (
    SHORT_KEY,
    ThesisStatus,
    thesis_statuses,
    wiki_fingerprints,
)

Registry = Mapping[str, Experiment]


class Verdict(StrEnum):
    reproduced = "reproduced"
    partial = "partial"
    not_reproduced = "not-reproduced"
    not_run = "not-run"
    stale = "stale"
    untestable = "untestable"


@dataclass(frozen=True)
class PlannedRun:
    """A run a link needs: what `wiki verify` looks up in the ledger or executes."""

    experiment: str
    config: dict[str, Any]
    seed: int
    key: str


@dataclass(frozen=True)
class Factor:
    """One reason a claim's effective grade moved (or did not), with the runs behind it."""

    direction: Literal["up", "down", "none"]
    scope: Scope
    experiment: str
    verdict: Verdict
    reason: str
    run_keys: list[str]


@dataclass
class LinkScore:
    """The verdict of one experiment link, with the runs and per-seed results behind it."""

    index: int  # position in the claim's `experiments`
    experiment: str
    scope: Scope
    verdict: Verdict
    seeds: list[int]
    config: dict[str, Any] | None  # resolved; None when params do not validate
    run_keys: dict[int, str]  # seed -> key of the run scoring asks for now
    runs: list[RunRecord]  # current runs found, in seed order
    results: dict[int, list[ExpectationResult]]  # seed -> current expectations on its run
    stale_runs: list[RunRecord] = field(default_factory=list)  # latest older run per seed
    changed_inputs: list[str] = field(default_factory=list)  # why those runs are not current
    problem: str | None = None  # why the link cannot be scored at all

    @property
    def held_seeds(self) -> list[int]:
        return [seed for seed in self.seeds if _seed_held(self.results.get(seed))]

    @property
    def failed_seeds(self) -> list[int]:
        return [seed for seed in self.results if not _seed_held(self.results[seed])]

    @property
    def missing_seeds(self) -> list[int]:
        return [seed for seed in self.seeds if seed not in self.results]


@dataclass
class ClaimScore:
    claim_id: str
    page_id: str
    literature_grade: Grade
    effective_grade: Grade
    verdict: Verdict
    factors: list[Factor]
    links: list[LinkScore]
    fingerprint: str = ""

    @property
    def support(self) -> list[Factor]:
        """Indirect links that reproduced: shown as support, never moving the grade."""
        return [
            f for f in self.factors if f.scope is Scope.indirect and f.verdict is Verdict.reproduced
        ]

    @property
    def warnings(self) -> list[Factor]:
        """Indirect links that did not (fully) reproduce: shown as warnings."""
        failing = (Verdict.not_reproduced, Verdict.partial)
        return [f for f in self.factors if f.scope is Scope.indirect and f.verdict in failing]


@dataclass
class WikiScores:
    claims: dict[str, ClaimScore]
    theses: dict[str, ThesisStatus]
    fingerprints: dict[str, str]  # claim, concept and thesis ids -> fingerprint
    code_fingerprint: str
    torch_version: str


@dataclass(frozen=True)
class GradeChange:
    date: dt.date
    old: Grade
    new: Grade
    reason: str
    run_keys: list[str]
    timestamp: dt.datetime


# --- runs a link asks for ---------------------------------------------------------------


def link_seeds(link: ExperimentLink) -> list[int]:
    """The seeds a link asks for: 0..seeds-1, or an explicit list."""
    seeds: int | Iterable[int] = link.seeds
    return list(range(seeds)) if isinstance(seeds, int) else list(seeds)


def resolve_config(link: ExperimentLink, registry: Registry | None = None) -> dict[str, Any]:
    """The link's params validated by its experiment's config model, every field filled in."""
    registry = active_catalog() if registry is None else registry
    config = registry[link.experiment].config.model_validate(link.params)
    return config.model_dump(mode="json")


def planned_runs(
    link: ExperimentLink,
    registry: Registry | None = None,
    code_fingerprint: str | None = None,
    torch_version: str | None = None,
) -> list[PlannedRun]:
    """One PlannedRun per seed, keyed under the given (default: current) code and torch."""
    registry = active_catalog() if registry is None else registry
    code_fingerprint = code_fingerprint or current_code_fingerprint()
    torch_version = torch_version or current_torch_version()
    config = resolve_config(link, registry)
    return [
        PlannedRun(
            link.experiment,
            config,
            seed,
            run_key(link.experiment, config, seed, code_fingerprint, torch_version),
        )
        for seed in link_seeds(link)
    ]


class RunIndex:
    """Successful runs, latest wins: by key, by (experiment, seed, config), by requesting claim."""

    def __init__(self, records: Iterable[RunRecord] = ()) -> None:
        self.by_key: dict[str, RunRecord] = {}
        self.by_config: dict[tuple[str, int, str], RunRecord] = {}
        self.by_claim: dict[tuple[str, int, str | None], list[RunRecord]] = defaultdict(list)
        self.seeds_by_config: dict[tuple[str, str], set[int]] = defaultdict(set)
        for record in records:
            self.add(record)

    def add(self, record: RunRecord) -> None:
        if record.status != "ok":
            return
        self.by_key[record.key] = record
        self.by_config[(record.experiment, record.seed, canonical_json(record.config))] = record
        self.by_claim[(record.experiment, record.seed, record.claim)].append(record)
        self.seeds_by_config[(record.experiment, canonical_json(record.config))].add(record.seed)

    def extra_seeds(
        self, experiment: str, config: dict[str, Any], declared: Iterable[int], current: Any
    ) -> list[int]:
        """Seeds beyond `declared` with a run of this config whose key `current(seed)` gives."""
        recorded = self.seeds_by_config.get((experiment, canonical_json(config)), set())
        return sorted(s for s in recorded - set(declared) if current(s) in self.by_key)


# --- scoring ----------------------------------------------------------------------------


def score_wiki(
    wiki: Any,
    ledger_records: Iterable[RunRecord],
    registry: Registry | None = None,
    code_fingerprint: str | None = None,
    torch_version: str | None = None,
) -> WikiScores:
    """Verdicts, effective grades and factors of every claim, fingerprints, thesis staleness."""
    registry = active_catalog() if registry is None else registry
    code_fingerprint = code_fingerprint or current_code_fingerprint()
    torch_version = torch_version or current_torch_version()
    index = RunIndex(ledger_records)
    claims = {
        claim_id: score_claim(
            entry.claim, entry.page_id, index, registry, code_fingerprint, torch_version
        )
        for claim_id, entry in wiki.claims.items()
    }
    fingerprints = wiki_fingerprints(wiki, claims)
    for claim_id, score in claims.items():
        score.fingerprint = fingerprints[claim_id]
    theses = thesis_statuses(wiki, claims, fingerprints)
    return WikiScores(claims, theses, fingerprints, code_fingerprint, torch_version)


def score_claim(
    claim: Claim,
    page_id: str,
    index: RunIndex,
    registry: Registry,
    code_fingerprint: str,
    torch_version: str,
) -> ClaimScore:
    """Score one claim against the runs in `index` (its fingerprint is filled in later)."""
    configs = [_try_resolve(link, registry)[0] for link in claim.experiments]
    links = []
    for position, link in enumerate(claim.experiments):
        others = [c for i, c in enumerate(configs) if i != position and c is not None]
        links.append(
            score_link(
                link, position, claim.id, index, registry, code_fingerprint, torch_version, others
            )
        )
    literature = claim.evidence.grade
    effective = _moved_grade(literature, links)
    factors = [_factor(link, literature, effective) for link in links]
    return ClaimScore(
        claim.id, page_id, literature, effective, claim_verdict(links), factors, links
    )


def score_link(
    link: ExperimentLink,
    position: int,
    claim_id: str,
    index: RunIndex,
    registry: Registry,
    code_fingerprint: str,
    torch_version: str,
    sibling_configs: Sequence[dict[str, Any]] = (),
) -> LinkScore:
    """The verdict of one link from the runs its seeds map to under the given code and torch.

    `sibling_configs` are the configs of the claim's other links: their runs are not
    older runs of this link.
    """
    seeds = link_seeds(link)
    config, problem = _try_resolve(link, registry)
    if config is None:
        return LinkScore(
            index=position, experiment=link.experiment, scope=link.scope,
            verdict=Verdict.not_run, seeds=seeds, config=None, run_keys={}, runs=[],
            results={}, problem=problem,
        )  # fmt: skip

    def key_of(seed: int) -> str:
        return run_key(link.experiment, config, seed, code_fingerprint, torch_version)

    # Every current run of this config is evidence: seeds run beyond the declared ones
    # (`wiki verify --seeds 0-4`) count too, so a failure on an extra seed is never hidden.
    seeds = seeds + index.extra_seeds(link.experiment, config, seeds, key_of)
    keys = {seed: key_of(seed) for seed in seeds}
    runs = [index.by_key[keys[seed]] for seed in seeds if keys[seed] in index.by_key]
    results = {run.seed: evaluate_expectations(link.expect, run.metrics) for run in runs}
    stale_runs = [
        older
        for seed in seeds
        if seed not in results
        and (older := _older_run(index, link, config, seed, claim_id, sibling_configs))
    ]
    changed = {
        change
        for run in stale_runs
        for change in _changes(run, config, code_fingerprint, torch_version)
    }
    return LinkScore(
        index=position, experiment=link.experiment, scope=link.scope,
        verdict=_link_verdict(seeds, results, stale_runs), seeds=seeds, config=config,
        run_keys=keys, runs=runs, results=results, stale_runs=stale_runs,
        changed_inputs=sorted(changed),
    )  # fmt: skip


def claim_verdict(links: list[LinkScore]) -> Verdict:
    """A claim's verdict from its links; direct links dominate (rule in the module docstring)."""
    if not links:
        return Verdict.untestable
    direct = [link.verdict for link in links if link.scope is Scope.direct]
    considered = set(direct or [link.verdict for link in links])
    if Verdict.stale in considered:
        return Verdict.stale
    if len(considered) == 1:
        return considered.pop()
    if not considered & {Verdict.reproduced, Verdict.partial}:
        return Verdict.not_reproduced
    return Verdict.partial


def _try_resolve(
    link: ExperimentLink, registry: Registry
) -> tuple[dict[str, Any] | None, str | None]:
    if link.experiment not in registry:
        return None, f"unknown experiment {link.experiment!r}"
    try:
        return resolve_config(link, registry), None
    except ValidationError as error:  # `wiki check` reports it with its location
        return None, f"params do not validate: {error.errors()[0]['msg']}"


def _older_run(
    index: RunIndex,
    link: ExperimentLink,
    config: dict[str, Any],
    seed: int,
    claim_id: str,
    sibling_configs: Sequence[dict[str, Any]],
) -> RunRecord | None:
    # The same params under other code or torch; else this claim's own run from before its
    # params changed (but not a run that belongs to another link of the same claim).
    same_config = index.by_config.get((link.experiment, seed, canonical_json(config)))
    if same_config is not None:
        return same_config
    siblings = {canonical_json(c) for c in sibling_configs}
    for record in reversed(index.by_claim.get((link.experiment, seed, claim_id), [])):
        if canonical_json(record.config) not in siblings:
            return record
    return None


def _changes(
    run: RunRecord, config: dict[str, Any], code_fingerprint: str, torch_version: str
) -> list[str]:
    changes = []
    if run.code_fingerprint != code_fingerprint:
        changes.append("older code")
    if run.torch_version != torch_version:
        changes.append(f"torch {run.torch_version}")
    if canonical_json(run.config) != canonical_json(config):
        changes.append("other params")
    return changes


def _seed_held(results: list[ExpectationResult] | None) -> bool:
    # A link with no expectations proves nothing (`wiki check` rejects it).
    return results is not None and len(results) > 0 and all(r.held for r in results)


def _link_verdict(
    seeds: list[int], results: dict[int, list[ExpectationResult]], stale_runs: list[RunRecord]
) -> Verdict:
    if not results:
        return Verdict.stale if stale_runs else Verdict.not_run
    held = [seed for seed in seeds if _seed_held(results.get(seed))]
    if len(held) == len(seeds):
        return Verdict.reproduced
    return Verdict.partial if held else Verdict.not_reproduced


def _moved_grade(literature: Grade, links: list[LinkScore]) -> Grade:
    direct = [link.verdict for link in links if link.scope is Scope.direct]
    net = direct.count(Verdict.reproduced) - direct.count(Verdict.not_reproduced)
    step = (net > 0) - (net < 0)
    position = GRADE_ORDER.index(literature) + step
    return GRADE_ORDER[max(0, min(len(GRADE_ORDER) - 1, position))]


# --- factors and their reasons ----------------------------------------------------------


def _factor(link: LinkScore, literature: Grade, effective: Grade) -> Factor:
    direction: Literal["up", "down", "none"] = "none"
    if link.scope is Scope.direct and link.verdict is Verdict.reproduced:
        direction = "up"
    elif link.scope is Scope.direct and link.verdict is Verdict.not_reproduced:
        direction = "down"
    reason = _link_reason(link)
    if link.scope is Scope.indirect:
        kind = "support" if link.verdict is Verdict.reproduced else "warning"
        if link.verdict in (Verdict.reproduced, Verdict.not_reproduced, Verdict.partial):
            reason = f"indirect {kind}: {reason}"
        else:
            reason = f"indirect: {reason}"
    elif direction == "up" and literature is GRADE_ORDER[-1]:
        reason += f" (already {literature.value}: capped)"
    elif direction == "down" and literature is GRADE_ORDER[0]:
        reason += f" (already {literature.value}: floor)"
    elif direction != "none" and effective is literature:
        reason += " (cancelled by another direct link)"
    keys = [run.key for run in link.runs] or [run.key for run in link.stale_runs]
    if link.verdict is Verdict.not_run:
        keys = [link.run_keys[seed] for seed in link.seeds if seed in link.run_keys]
    return Factor(direction, link.scope, link.experiment, link.verdict, reason, keys)


def _link_reason(link: LinkScore) -> str:
    name = link.experiment
    seeds = _seed_list(link.seeds)
    if link.problem:
        return f"{name} cannot run: {link.problem}"
    if link.verdict is Verdict.not_run:
        return f"{name} not run yet on {seeds}{_runs(link.run_keys.values())}"
    if link.verdict is Verdict.stale:
        ran = _seed_list(run.seed for run in link.stale_runs)
        changed = " and ".join(link.changed_inputs)
        return (
            f"{name} stale: {ran} last ran under {changed}"
            f"{_runs(run.key for run in link.stale_runs)}; rerun with `wiki verify`"
        )
    runs = _runs(run.key for run in link.runs)
    if link.verdict is Verdict.reproduced:
        expectations = ", ".join(_expectation_texts(link))
        return f"{name} reproduced on {seeds}: {expectations} held on every seed{runs}"
    parts = _failure_texts(link)
    if link.missing_seeds:
        parts.append(f"no current run for {_seed_list(link.missing_seeds)}")
    if link.verdict is Verdict.not_reproduced:
        return f"{name} not reproduced on {seeds}: {'; '.join(parts)}{runs}"
    held = _seed_list(link.held_seeds)
    return f"{name} partial: every expectation held on {held} of {seeds}; {'; '.join(parts)}{runs}"


def _expectation_texts(link: LinkScore) -> list[str]:
    first = next(iter(link.results.values()), [])
    return [f"{result.metric} {result.expect}" for result in first]


def _failure_texts(link: LinkScore) -> list[str]:
    failures: dict[str, list[tuple[int, float | None]]] = defaultdict(list)
    for seed in sorted(link.results):
        for result in link.results[seed]:
            if not result.held:
                failures[f"{result.metric} {result.expect}"].append((seed, result.value))
    texts = []
    for expectation, cases in failures.items():
        values = ", ".join("missing" if v is None else f"{v:.4g}" for _, v in cases)
        texts.append(f"{expectation} failed on {_seed_list([s for s, _ in cases])} ({values})")
    if not failures:
        texts.append("no expectations to check")
    return texts


def _seed_list(seeds: Iterable[int]) -> str:
    ordered = sorted(set(seeds))
    if not ordered:
        return "no seed"
    groups: list[list[int]] = []
    for seed in ordered:
        if groups and seed == groups[-1][-1] + 1:
            groups[-1].append(seed)
        else:
            groups.append([seed])
    text = ", ".join(f"{g[0]}-{g[-1]}" if len(g) > 1 else f"{g[0]}" for g in groups)
    return f"seed {text}" if len(ordered) == 1 else f"seeds {text}"


def _runs(keys: Iterable[str]) -> str:
    short = [key[:SHORT_KEY] for key in keys]
    return f" (runs {', '.join(short)})" if short else ""


# --- grade history ----------------------------------------------------------------------


def grade_history(
    wiki: Any, ledger_records: Iterable[RunRecord], registry: Registry | None = None
) -> dict[str, list[GradeChange]]:
    """Each claim's effective-grade changes as the ledger grew, oldest first.

    Rule: the ledger is read in file order (= append order) in batches, a batch being
    consecutive records requested by the same claim (one `wiki verify` of that claim).
    After each batch, the claims it can affect (those with a link of the same experiment
    and resolved config as one of its runs, and the claims that requested them) are
    re-scored with today's claim content against every run recorded so far, taking the
    batch's code fingerprint and torch version as "current" at that moment; a grade that
    differs from that claim's previous one (initially its literature grade) is a
    GradeChange. Staleness caused only by code edited after the last run is not
    history: it shows in `score_wiki`, not here.
    """
    registry = active_catalog() if registry is None else registry
    claims_by_run: dict[tuple[str, str], set[str]] = defaultdict(set)
    for claim_id, entry in wiki.claims.items():
        for link in entry.claim.experiments:
            config, _ = _try_resolve(link, registry)
            if config is not None:
                claims_by_run[(link.experiment, canonical_json(config))].add(claim_id)
    grades = {claim_id: entry.claim.evidence.grade for claim_id, entry in wiki.claims.items()}
    history: dict[str, list[GradeChange]] = {claim_id: [] for claim_id in wiki.claims}
    index = RunIndex()
    for batch in _batches(ledger_records):
        affected: set[str] = set()
        for record in batch:
            index.add(record)
            affected |= claims_by_run.get((record.experiment, canonical_json(record.config)), set())
            if record.claim is not None and record.claim in wiki.claims:
                affected.add(record.claim)
        last = batch[-1]
        for claim_id in sorted(affected):
            entry = wiki.claims[claim_id]
            score = score_claim(
                entry.claim,
                entry.page_id,
                index,
                registry,
                last.code_fingerprint,
                last.torch_version,
            )
            if score.effective_grade is grades[claim_id]:
                continue
            history[claim_id].append(_grade_change(score, grades[claim_id], last.date))
            grades[claim_id] = score.effective_grade
    return history


def _batches(records: Iterable[RunRecord]) -> list[list[RunRecord]]:
    batches: list[list[RunRecord]] = []
    for record in records:
        if batches and batches[-1][-1].claim == record.claim:
            batches[-1].append(record)
        else:
            batches.append([record])
    return batches


def _grade_change(score: ClaimScore, old: Grade, when: dt.datetime) -> GradeChange:
    direct = [f for f in score.factors if f.scope is Scope.direct]
    moving = [f for f in direct if f.direction != "none"]
    shown = moving if score.effective_grade is not score.literature_grade else direct
    keys = [key for factor in shown for key in factor.run_keys]
    reason = "; ".join(factor.reason for factor in shown) or "no direct experiment"
    return GradeChange(when.date(), old, score.effective_grade, reason, keys, when)
