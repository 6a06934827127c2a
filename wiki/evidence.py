"""What the site shows about evidence: scores, automatic changelog entries, run pages, plots.

`gather_evidence` derives everything from the wiki and the ledger (nothing is stored);
the templates receive the result as `evidence`. Each link's uncertainty (per-seed values,
95% t-intervals, margins, fragile marks, controls, sanity checks) is on its `LinkScore`
(`wiki.scoring.uncertainty`); the helpers here only word it for the page. Plots are
drawn by `wiki.plots` and cached on disk by the run keys they show, so a rebuild with
no new run imports no matplotlib.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from wiki.corpus import Wiki
from wiki.expect import ExpectationResult, evaluate_expectations
from wiki.experiments import ProtocolCard, active_catalog
from wiki.ledger import RunRecord
from wiki.plots import PlotCache, link_plots
from wiki.schema import Concept
from wiki.scoring.grades import seed_list
from wiki.scoring.history import grade_history
from wiki.scoring.types import ClaimScore, GradeChange, LinkScore, WikiScores
from wiki.scoring.wiki_scores import score_wiki
from wiki.settings import Settings


@dataclass(frozen=True)
class ChangelogLine:
    """One changelog entry as shown: written by a person, or derived from a grade move."""

    date: dt.date
    note: str  # Markdown for written entries, plain text for automatic ones
    sources: list[str]
    automatic: bool


@dataclass(frozen=True)
class RunRow:
    """One run of a link as the claim's run table shows it."""

    record: RunRecord
    checks: list[ExpectationResult]

    @property
    def held(self) -> bool:
        return bool(self.checks) and all(check.held for check in self.checks)


@dataclass
class SiteEvidence:
    wiki: Wiki
    scores: WikiScores
    history: dict[str, list[GradeChange]]
    records: list[RunRecord]
    plots: dict[tuple[str, int], list[tuple[str, str]]]  # (claim, link) -> [(path, caption)]
    files: dict[str, str] = field(default_factory=dict)  # extra files for the docs tree

    def claim(self, claim_id: str) -> ClaimScore:
        return self.scores.claims[claim_id]

    def thesis(self, thesis_id: str) -> Any:
        return self.scores.theses[thesis_id]

    def verdict_counts(self) -> dict[str, int]:
        """How many claims have each verdict, most common first."""
        counts: dict[str, int] = defaultdict(int)
        for score in self.scores.claims.values():
            counts[score.verdict.value] += 1
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def stale_theses(self) -> list[str]:
        return [thesis_id for thesis_id, status in self.scores.theses.items() if status.stale]

    def run_rows(self, claim_id: str, link: LinkScore) -> list[RunRow]:
        """Current runs of a link, in seed order, checked against the claim's expectations."""
        expect = self._expect(claim_id, link.index)
        return [RunRow(run, evaluate_expectations(expect, run.metrics)) for run in link.runs]

    def sanity_lines(self, link: LinkScore) -> list[tuple[str, str, str]]:
        """(state, relation, detail) per sanity relation of the link's card.

        state is held, failed or unchecked; a failed detail names the seeds and both
        values ("failed on seed 2 (0.3 vs 0.5)"); one failing seed makes the relation failed.
        """
        by_relation: dict[str, list[Any]] = defaultdict(list)
        for check in link.sanity:
            by_relation[check.relation].append(check)
        lines = []
        for relation, checks in by_relation.items():
            failed = [c for c in checks if c.held is False]
            unchecked = [c for c in checks if c.held is None]
            if failed:
                values = ", ".join(f"{_number(c.left)} vs {_number(c.right)}" for c in failed)
                text = f"failed on {seed_list(c.seed for c in failed)} ({values})"
                lines.append(("failed", relation, text))
            elif unchecked and len(unchecked) == len(checks):
                lines.append(("unchecked", relation, "not checked: a metric is missing"))
            else:
                held = seed_list(c.seed for c in checks if c.held)
                rest = (
                    f"; not checked on {seed_list(c.seed for c in unchecked)}" if unchecked else ""
                )
                lines.append(("held", relation, f"held on {held}{rest}"))
        return lines

    def protocol(self, experiment: str) -> ProtocolCard | None:
        """An experiment's protocol card (paper vs toy, deviations), if its registry has one."""
        found = active_catalog().get(experiment)
        return found.protocol if found is not None else None

    def link_plots(self, claim_id: str, link_index: int) -> list[tuple[str, str]]:
        return self.plots.get((claim_id, link_index), [])

    def changelog(self, page_id: str) -> list[ChangelogLine]:
        """A concept's written entries merged with its claims' grade moves, newest first."""
        model = self.wiki.pages[page_id].model
        assert isinstance(model, Concept)  # only concepts have changelogs and claims
        lines = [
            ChangelogLine(entry.date, entry.note, list(entry.sources), automatic=False)
            for entry in model.changelog
        ]
        for claim in model.claims:
            for change in self.history.get(claim.id, []):
                lines.append(
                    ChangelogLine(
                        change.date,
                        f"Effective grade of {claim.id} moved {change.old.value} -> "
                        f"{change.new.value}: {change.reason}",
                        [],
                        automatic=True,
                    )
                )
        return sorted(lines, key=lambda line: (line.date, not line.automatic), reverse=True)

    def _expect(self, claim_id: str, link_index: int) -> dict[str, str]:
        return dict(self.wiki.claims[claim_id].claim.experiments[link_index].expect)


def gather_evidence(wiki: Wiki, records: list[RunRecord], settings: Settings) -> SiteEvidence:
    """Score the wiki against the ledger, derive grade history, and make (or reuse) plots."""
    scores = score_wiki(wiki, records)
    history = grade_history(wiki, records)
    cache = PlotCache(settings.project_dir / ".wiki-build" / "plot-cache")
    plots: dict[tuple[str, int], list[tuple[str, str]]] = {}
    files: dict[str, str] = {}
    for claim_id, score in scores.claims.items():
        expectations = wiki.claims[claim_id].claim.experiments
        for link in score.links:
            if not link.runs:
                continue
            made = link_plots(cache, link, dict(expectations[link.index].expect))
            plots[(claim_id, link.index)] = [(path, caption) for path, caption, _ in made]
            files.update({path: svg for path, _, svg in made})
    return SiteEvidence(wiki, scores, history, records, plots, files)


def _number(value: float | None) -> str:
    return "missing" if value is None else f"{value:.4g}"


def records_by_experiment(records: list[RunRecord]) -> dict[str, list[RunRecord]]:
    """Every ledger record grouped by experiment, newest first (for the runs page)."""
    grouped: dict[str, list[RunRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r.date, reverse=True):
        grouped[record.experiment].append(record)
    return dict(sorted(grouped.items()))
