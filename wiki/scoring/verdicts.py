"""Which runs count for an experiment link, and the verdict rules per link and per claim.

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
  invalid         at least one current run, and a `sanity` relation of the experiment's
                  protocol card failed on one of them (a control behaved impossibly, e.g.
                  random beat the oracle): the runs say nothing about the claim, so the
                  link moves no grade whatever its expectations did
"Current" means the run key computed now (experiment, resolved config, seed, code
fingerprint, torch version) is in the ledger. Failed runs (status "error") are ignored.

Each link also carries the uncertainty of its current runs (per-seed values, mean,
95% t-interval, margin, fragile; the card's controls; every sanity check), computed by
`wiki.scoring.uncertainty`. Fragility is shown, never a verdict: it moves no grade.

Claim verdict: untestable without links. Direct links dominate: only they are
considered when there is one, else the indirect ones. Among the considered links, in
this order: any stale -> stale; any invalid -> invalid (one broken control is reason
enough to distrust what the claim's runs say; stale wins because rerunning comes first
and may fix it); all not-run -> not-run; all reproduced -> reproduced; none reproduced
or partial (only not-reproduced and not-run) -> not-reproduced; else partial. The
effective grade is independent of this: it counts reproduced and not-reproduced direct
links only, so an invalid link never moves it (`wiki.scoring.grades`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from wiki.expect import ExpectationResult, evaluate_expectations
from wiki.ledger import RunRecord, canonical_json, run_key
from wiki.planning import Registry, link_seeds, resolve_config
from wiki.schema import ExperimentLink, Scope
from wiki.scoring.types import LinkScore, SanityCheck, Verdict, seed_held
from wiki.scoring.uncertainty import metric_summaries, sanity_checks


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


def try_resolve(
    link: ExperimentLink, registry: Registry
) -> tuple[dict[str, Any] | None, str | None]:
    """The link's resolved config, or None and why it cannot be resolved."""
    if link.experiment not in registry:
        return None, f"unknown experiment {link.experiment!r}"
    try:
        return resolve_config(link, registry), None
    except ValidationError as error:  # `wiki check` reports it with its location
        return None, f"params do not validate: {error.errors()[0]['msg']}"


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
    config, problem = try_resolve(link, registry)
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
    card = registry[link.experiment].protocol
    sanity = sanity_checks(runs, card.sanity) if card else []
    return LinkScore(
        index=position, experiment=link.experiment, scope=link.scope,
        verdict=_link_verdict(seeds, results, stale_runs, sanity), seeds=seeds, config=config,
        run_keys=keys, runs=runs, results=results, stale_runs=stale_runs,
        changed_inputs=sorted(changed),
        summaries=metric_summaries(runs, link.expect, link.expect) if runs else [],
        controls=metric_summaries(runs, _controls_in(runs, card.controls, link.expect))
        if card and runs else [],
        sanity=sanity,
        sensitivity_parameter=card.sensitivity_parameter if card else None,
    )  # fmt: skip


def _controls_in(runs: list[RunRecord], controls: list[str], expect: dict[str, str]) -> list[str]:
    """The card's controls that these runs measured and the link does not already expect:
    a config may leave an arm out (a link that trains only the arm it reads)."""
    return [
        name for name in controls if name not in expect and any(name in run.metrics for run in runs)
    ]


def claim_verdict(links: list[LinkScore]) -> Verdict:
    """A claim's verdict from its links; direct links dominate (rule in the module docstring)."""
    if not links:
        return Verdict.untestable
    direct = [link.verdict for link in links if link.scope is Scope.direct]
    considered = set(direct or [link.verdict for link in links])
    if Verdict.stale in considered:
        return Verdict.stale
    if Verdict.invalid in considered:
        return Verdict.invalid
    if len(considered) == 1:
        return considered.pop()
    if not considered & {Verdict.reproduced, Verdict.partial}:
        return Verdict.not_reproduced
    return Verdict.partial


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


def _link_verdict(
    seeds: list[int],
    results: dict[int, list[ExpectationResult]],
    stale_runs: list[RunRecord],
    sanity: list[SanityCheck],
) -> Verdict:
    if not results:
        return Verdict.stale if stale_runs else Verdict.not_run
    if any(check.held is False for check in sanity):
        return Verdict.invalid
    held = [seed for seed in seeds if seed_held(results.get(seed))]
    if len(held) == len(seeds):
        return Verdict.reproduced
    return Verdict.partial if held else Verdict.not_reproduced
