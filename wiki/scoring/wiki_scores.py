"""Scores of a whole wiki: every claim's verdict and grade, fingerprints, thesis staleness."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wiki.experiments import active_catalog
from wiki.ledger import RunRecord, current_code_fingerprint, current_torch_version
from wiki.planning import Registry
from wiki.scoring.grades import score_claim
from wiki.scoring.staleness import thesis_statuses, wiki_fingerprints
from wiki.scoring.types import WikiScores
from wiki.scoring.verdicts import RunIndex


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
