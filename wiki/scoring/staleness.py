"""Fingerprints of what is material, and thesis staleness with its reasons.

Fingerprints (16 hex chars of sha256 over canonical JSON; prose is never material):
  claim   statement, effective grade, sorted sources, its page's benchmark values
  concept its claims' ids and fingerprints, its benchmark values
  thesis  its dependencies' (kind, id, role, fingerprint), so thesis -> thesis propagates

Thesis status: never reviewed -> unreviewed (not stale: there is nothing to compare
with). Otherwise stale when a dependency's current fingerprint differs from the one
recorded in `reviewed.fingerprints`, a dependency was added or removed since, or a
thesis it depends on is stale (the reason names the chain). Only hashes are
recorded, so a claim's old grade is recovered by hashing its current content under
each other grade: a match means only the grade moved ("moved moderate -> strong");
no match means its statement, sources or benchmarks changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from wiki.ledger import canonical_json
from wiki.schema import GRADE_ORDER, Benchmark, Claim, Grade
from wiki.scoring.grades import grade_and_cause
from wiki.scoring.types import ClaimScore, ThesisStatus, WikiScores

# --- fingerprints -----------------------------------------------------------------------


def fingerprint_of(value: Any) -> str:
    """16 hex chars of sha256 over the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:16]


def benchmark_values(benchmarks: Iterable[Benchmark]) -> list[list[Any]]:
    """The material part of a page's benchmarks, in an order that ignores their YAML order."""
    rows = [[b.metric, b.system, b.value, b.unit, b.source] for b in benchmarks]
    return sorted(rows, key=canonical_json)


def claim_fingerprint(claim: Claim, effective_grade: Grade, benchmarks: Iterable[Benchmark]) -> str:
    """Hash of what is material about a claim; re-wrapping the statement's lines is not."""
    return fingerprint_of(
        {
            "statement": " ".join(claim.statement.split()),
            "grade": effective_grade.value,
            "sources": sorted(claim.evidence.sources),
            "benchmarks": benchmark_values(benchmarks),
        }
    )


def concept_fingerprint(
    claim_fingerprints: Mapping[str, str], benchmarks: Iterable[Benchmark]
) -> str:
    """Hash of a concept page's claims (ids and fingerprints) and benchmark values."""
    return fingerprint_of(
        {"claims": sorted(claim_fingerprints.items()), "benchmarks": benchmark_values(benchmarks)}
    )


def thesis_fingerprint(dependencies: Iterable[tuple[str, str, str, str]]) -> str:
    """Hash of a thesis's (kind, id, role, fingerprint) dependencies, in any order."""
    return fingerprint_of(sorted(list(dependency) for dependency in dependencies))


def wiki_fingerprints(wiki: Any, claims: Mapping[str, ClaimScore]) -> dict[str, str]:
    """Fingerprint of every claim, concept page and thesis (theses through their inputs)."""
    fingerprints: dict[str, str] = {}
    for claim_id, score in claims.items():
        entry = wiki.claims[claim_id]
        benchmarks = wiki.pages[entry.page_id].model.benchmarks
        fingerprints[claim_id] = claim_fingerprint(entry.claim, score.effective_grade, benchmarks)
    for page_id, page in wiki.pages.items():
        if page.model.kind == "concept":
            own = {claim.id: fingerprints[claim.id] for claim in page.model.claims}
            fingerprints[page_id] = concept_fingerprint(own, page.model.benchmarks)
    theses = {pid: page.model for pid, page in wiki.pages.items() if page.model.kind == "thesis"}

    def thesis(thesis_id: str, visiting: frozenset[str]) -> str:
        if thesis_id not in fingerprints:
            rows = []
            for dependency in theses[thesis_id].depends_on:
                target = dependency.target
                if dependency.target_kind == "thesis" and target in theses:
                    # A cycle is a load error; here it only must not recurse forever.
                    value = "cycle" if target in visiting else thesis(target, visiting | {target})
                else:
                    value = fingerprints.get(target, "missing")
                rows.append((dependency.target_kind, target, dependency.role.value, value))
            fingerprints[thesis_id] = thesis_fingerprint(rows)
        return fingerprints[thesis_id]

    for thesis_id in theses:
        thesis(thesis_id, frozenset({thesis_id}))
    return fingerprints


def current_fingerprints(wiki: Any, scores: WikiScores, thesis_id: str) -> dict[str, str]:
    """What `wiki review thesis X` records: each direct dependency's current fingerprint."""
    thesis = wiki.pages[thesis_id].model
    return {
        dependency.target: scores.fingerprints[dependency.target]
        for dependency in thesis.depends_on
        if dependency.target in scores.fingerprints
    }


# --- thesis staleness -------------------------------------------------------------------


def thesis_statuses(
    wiki: Any, claims: Mapping[str, ClaimScore], fingerprints: Mapping[str, str]
) -> dict[str, ThesisStatus]:
    """Each thesis: unreviewed, or stale with a reason per changed input, or current."""
    theses = {pid: page.model for pid, page in wiki.pages.items() if page.model.kind == "thesis"}
    memo: dict[str, list[str]] = {}

    def stale_reasons(thesis_id: str, visiting: frozenset[str]) -> list[str]:
        if thesis_id in memo:
            return memo[thesis_id]
        thesis = theses[thesis_id]
        if thesis.reviewed is None:
            return []
        recorded = thesis.reviewed.fingerprints
        reasons = []
        for dependency in thesis.depends_on:
            target, kind = dependency.target, dependency.target_kind
            upstream = []
            if kind == "thesis" and target in theses and target not in visiting:
                upstream = stale_reasons(target, visiting | {target})
            if target not in recorded:
                reasons.append(f"{kind} {target} was added after the last review")
            elif upstream:  # the upstream thesis's own reasons say what changed
                reasons.extend(_via(target, reason) for reason in upstream)
            elif recorded[target] != fingerprints.get(target):
                reasons.append(
                    _explain_change(wiki, claims, fingerprints, theses, kind, target, recorded)
                )
        current = {dependency.target for dependency in thesis.depends_on}
        reasons.extend(
            f"{target} is no longer a dependency (it was at the last review)"
            for target in sorted(set(recorded) - current)
        )
        memo[thesis_id] = reasons
        return reasons

    statuses = {}
    for thesis_id, thesis in theses.items():
        if thesis.reviewed is None:
            reasons = [f"never reviewed: run `wiki review thesis {thesis_id}`"]
            statuses[thesis_id] = ThesisStatus(stale=False, unreviewed=True, reasons=reasons)
        else:
            reasons = stale_reasons(thesis_id, frozenset({thesis_id}))
            statuses[thesis_id] = ThesisStatus(
                stale=bool(reasons), unreviewed=False, reasons=reasons
            )
    return statuses


def _via(thesis_id: str, reason: str) -> str:
    prefix = "via thesis "
    if reason.startswith(prefix):
        return f"{prefix}{thesis_id} -> {reason[len(prefix) :]}"
    return f"{prefix}{thesis_id}: {reason}"


def _explain_change(
    wiki: Any,
    claims: Mapping[str, ClaimScore],
    fingerprints: Mapping[str, str],
    theses: Mapping[str, Any],
    kind: str,
    target: str,
    recorded: Mapping[str, str],
) -> str:
    if target not in fingerprints:
        return f"{kind} {target} no longer exists"
    if kind == "claim":
        return _explain_claim_change(wiki, claims, target, recorded[target])
    if kind == "concept":
        return _explain_concept_change(wiki, claims, fingerprints, target, recorded[target])
    reviewed = theses[target].reviewed
    when = f"re-reviewed on {reviewed.date}" if reviewed else "itself never reviewed"
    return f"thesis {target} changed since the last review ({target} {when})"


def _explain_claim_change(
    wiki: Any, claims: Mapping[str, ClaimScore], claim_id: str, recorded: str
) -> str:
    score = claims[claim_id]
    old = old_claim_grade(wiki, claims, claim_id, recorded)
    if old is not None:
        return f"claim {claim_id} moved {old.value} -> {grade_and_cause(score)}"
    return (
        f"claim {claim_id} changed (statement, sources or its page's benchmarks;"
        f" grade now {score.effective_grade.value})"
    )


def _explain_concept_change(
    wiki: Any,
    claims: Mapping[str, ClaimScore],
    fingerprints: Mapping[str, str],
    page_id: str,
    recorded: str,
) -> str:
    moved = moved_concept_claim(wiki, claims, fingerprints, page_id, recorded)
    if moved is not None:
        claim_id, old = moved
        cause = grade_and_cause(claims[claim_id])
        return f"concept {page_id}: claim {claim_id} moved {old.value} -> {cause}"
    return f"concept {page_id} changed (a claim's statement, grade or sources, or its benchmarks)"


def old_claim_grade(
    wiki: Any, claims: Mapping[str, ClaimScore], claim_id: str, recorded: str
) -> Grade | None:
    """The grade under which today's claim hashes to the `recorded` fingerprint: its grade
    at review time, when only the grade moved; None when more than the grade changed."""
    entry, score = wiki.claims[claim_id], claims[claim_id]
    benchmarks = wiki.pages[entry.page_id].model.benchmarks
    return _grade_matching(recorded, score, lambda g: claim_fingerprint(entry.claim, g, benchmarks))


def moved_concept_claim(
    wiki: Any,
    claims: Mapping[str, ClaimScore],
    fingerprints: Mapping[str, str],
    page_id: str,
    recorded: str,
) -> tuple[str, Grade] | None:
    """(claim id, grade at review time) of the one claim of a concept whose grade change
    alone explains the concept's `recorded` fingerprint; None when no grade change does."""
    page = wiki.pages[page_id].model
    own = {claim.id: fingerprints[claim.id] for claim in page.claims}
    for claim in page.claims:

        def with_grade(grade: Grade, claim: Claim = claim) -> str:
            trial = {**own, claim.id: claim_fingerprint(claim, grade, page.benchmarks)}
            return concept_fingerprint(trial, page.benchmarks)

        old = _grade_matching(recorded, claims[claim.id], with_grade)
        if old is not None:
            return claim.id, old
    return None


def _grade_matching(recorded: str, score: ClaimScore, fingerprint: Any) -> Grade | None:
    # Only hashes are recorded; hashing today's content under each other grade finds the old one.
    for grade in GRADE_ORDER:
        if grade is not score.effective_grade and fingerprint(grade) == recorded:
            return grade
    return None
