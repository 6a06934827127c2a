"""Effective grades and their factors: the one place that words why a grade moved.

Effective grade: the literature grade moved by direct links only, by at most one
level: up when more direct links reproduced than failed to reproduce, down in the
opposite case, capped at strong and floored at speculative. An `invalid` link (a
sanity relation of its protocol card failed) counts as neither: its factor has
direction "none" and its reason names the failed relation with its values. A toy-scale reproduction
is one kind of evidence, so several links of that kind do not stack. Every link
gives a Factor (direction up/down for direct reproduced/not-reproduced, none
otherwise); indirect reproduced links are support, indirect not-reproduced or
partial links are warnings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

from wiki.planning import Registry
from wiki.schema import GRADE_ORDER, Claim, Grade, Scope
from wiki.scoring.types import ClaimScore, Factor, LinkScore, Verdict
from wiki.scoring.verdicts import RunIndex, claim_verdict, score_link, try_resolve

SHORT_KEY = 8  # run keys in reasons: enough to find the record with grep


def score_claim(
    claim: Claim,
    page_id: str,
    index: RunIndex,
    registry: Registry,
    code_fingerprint: str,
    torch_version: str,
) -> ClaimScore:
    """Score one claim against the runs in `index` (its fingerprint is filled in later)."""
    configs = [try_resolve(link, registry)[0] for link in claim.experiments]
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


# --- why a grade moved ------------------------------------------------------------------


def factors_behind_grade(score: ClaimScore) -> list[Factor]:
    """The direct links that moved the grade; every direct link when it did not move."""
    direct = [f for f in score.factors if f.scope is Scope.direct]
    moving = [f for f in direct if f.direction != "none"]
    return moving if score.effective_grade is not score.literature_grade else direct


def grade_change_reason(score: ClaimScore) -> str:
    """Why the claim has its effective grade, in the words of its links' factors."""
    return "; ".join(factor.reason for factor in factors_behind_grade(score)) or (
        "no direct experiment"
    )


def grade_and_cause(score: ClaimScore) -> str:
    """The effective grade with its causes in short: verdicts, runs, literature grade."""
    causes = [
        f"{f.experiment} {f.verdict.value}"
        + (f", runs {', '.join(key[:SHORT_KEY] for key in f.run_keys)}" if f.run_keys else "")
        for f in factors_behind_grade(score)
    ]
    causes.append(f"literature grade {score.literature_grade.value}")
    return f"{score.effective_grade.value} ({'; '.join(causes)})"


# --- effective grade and factors --------------------------------------------------------


def _moved_grade(literature: Grade, links: list[LinkScore]) -> Grade:
    direct = [link.verdict for link in links if link.scope is Scope.direct]
    net = direct.count(Verdict.reproduced) - direct.count(Verdict.not_reproduced)
    step = (net > 0) - (net < 0)
    position = GRADE_ORDER.index(literature) + step
    return GRADE_ORDER[max(0, min(len(GRADE_ORDER) - 1, position))]


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
    seeds = seed_list(link.seeds)
    if link.problem:
        return f"{name} cannot run: {link.problem}"
    if link.verdict is Verdict.not_run:
        return f"{name} not run yet on {seeds}{_runs(link.run_keys.values())}"
    if link.verdict is Verdict.stale:
        ran = seed_list(run.seed for run in link.stale_runs)
        changed = " and ".join(link.changed_inputs)
        return (
            f"{name} stale: {ran} last ran under {changed}"
            f"{_runs(run.key for run in link.stale_runs)}; rerun with `wiki verify`"
        )
    runs = _runs(run.key for run in link.runs)
    if link.verdict is Verdict.invalid:
        return (
            f"{name} invalid on {seeds}: {'; '.join(sanity_failure_texts(link))}; a control"
            f" behaved impossibly, so these runs move no grade{runs}"
        )
    if link.verdict is Verdict.reproduced:
        expectations = ", ".join(_expectation_texts(link))
        return f"{name} reproduced on {seeds}: {expectations} held on every seed{runs}"
    parts = _failure_texts(link)
    if link.missing_seeds:
        parts.append(f"no current run for {seed_list(link.missing_seeds)}")
    if link.verdict is Verdict.not_reproduced:
        return f"{name} not reproduced on {seeds}: {'; '.join(parts)}{runs}"
    held = seed_list(link.held_seeds)
    return f"{name} partial: every expectation held on {held} of {seeds}; {'; '.join(parts)}{runs}"


def _expectation_texts(link: LinkScore) -> list[str]:
    first = next(iter(link.results.values()), [])
    return [f"{result.metric} {result.expect}" for result in first]


def sanity_failure_texts(link: LinkScore) -> list[str]:
    """'sanity `a >= b` failed on seeds 1, 3 (0.4 vs 0.6, 0.2 vs 0.5)', one per relation."""
    failures: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for check in link.failed_sanity:
        values = f"{_value(check.left)} vs {_value(check.right)}"
        failures[check.relation].append((check.seed, values))
    return [
        f"sanity `{relation}` failed on {seed_list(s for s, _ in cases)}"
        f" ({', '.join(v for _, v in cases)})"
        for relation, cases in failures.items()
    ]


def _value(value: float | None) -> str:
    return "missing" if value is None else f"{value:.4g}"


def _failure_texts(link: LinkScore) -> list[str]:
    failures: dict[str, list[tuple[int, float | None]]] = defaultdict(list)
    for seed in sorted(link.results):
        for result in link.results[seed]:
            if not result.held:
                failures[f"{result.metric} {result.expect}"].append((seed, result.value))
    texts = []
    for expectation, cases in failures.items():
        values = ", ".join("missing" if v is None else f"{v:.4g}" for _, v in cases)
        texts.append(f"{expectation} failed on {seed_list([s for s, _ in cases])} ({values})")
    if not failures:
        texts.append("no expectations to check")
    return texts


def seed_list(seeds: Iterable[int]) -> str:
    """[0, 1, 2, 4] -> 'seeds 0-2, 4'; [3] -> 'seed 3'."""
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
