"""What `wiki verify`, `wiki status` and `wiki impact` print: rich tables and trees.

Only presentation lives here; every number comes from `wiki.scoring`.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from wiki.corpus import Wiki
from wiki.expect import evaluate_expectations
from wiki.graph import WikiGraph
from wiki.scoring.types import ClaimScore, Verdict, WikiScores
from wiki.verify import VerifyResult

VERDICT_STYLE = {
    Verdict.reproduced: "green",
    Verdict.partial: "yellow",
    Verdict.not_reproduced: "red",
    Verdict.not_run: "dim",
    Verdict.stale: "magenta",
    Verdict.untestable: "dim",
    Verdict.invalid: "bold dark_orange",
}
# `wiki verify --check` exits non-zero on these; an invalid claim (a control behaved
# impossibly) fails the check too: its runs cannot be trusted either way.
FAILING_VERDICTS = (Verdict.not_reproduced, Verdict.partial, Verdict.invalid)
# What leans on a node materially, as fingerprints do: a page on its claims, a claim on its
# sources, a thesis on what it depends on. "related" pages, entity links and prose mentions
# only point at a page; they do not change when it does.
IMPACT_RELATIONS = frozenset({"contains", "cites", "used_by", "depends_on"})


def print_verify_result(console: Console, wiki: Wiki, result: VerifyResult) -> None:
    """Per claim: the run table, the verdict, the grade before and after with its factors."""
    for claim_id in result.plan.claim_ids:
        console.print(run_table(wiki, result, claim_id))
        print_grade_move(console, result.before.claims[claim_id], result.after.claims[claim_id])
        console.print()
    for outcome in result.failures:
        job = outcome.job
        console.print(
            Text(f"run failed: {job.experiment} seed {job.seed}\n{outcome.error}", style="red")
        )
    print_stale_theses(console, result.after)


def run_table(wiki: Wiki, result: VerifyResult, claim_id: str) -> Table:
    """One row per run the claim asked for: metrics against expectations, pass/fail, seconds."""
    table = Table(title=f"claim {claim_id}", title_justify="left", show_lines=False)
    for column in ("experiment", "seed", "metrics vs expectations", "result", "seconds", "run"):
        table.add_column(column, justify="right" if column in ("seed", "seconds") else "left")
    for planned in (p for p in result.plan.runs if p.claim_id == claim_id):
        key = planned.run.key
        record = result.fresh.get(key) or planned.cached
        if record is None:
            table.add_row(planned.run.experiment, str(planned.run.seed), "", "failed", "", "")
            continue
        checks = evaluate_expectations(planned.expect, record.metrics)
        cells = Text()
        for check in checks:
            mark, style = ("✓", "green") if check.held else ("✗", "red")
            value = "missing" if check.value is None else f"{check.value:.4g}"
            cells.append(f"{check.metric} {value} {check.expect} {mark}\n", style=style)
        passed = all(check.held for check in checks)
        table.add_row(
            planned.run.experiment,
            str(planned.run.seed),
            cells,
            Text("pass" if passed else "FAIL", style="green" if passed else "bold red"),
            f"{record.seconds:.1f}",
            f"{'fresh' if key in result.fresh else 'cached'} {key[:8]}",
        )
    return table


def print_grade_move(console: Console, before: ClaimScore, after: ClaimScore) -> None:
    """Verdict, then `grade: moderate -> strong` (or unchanged) and every factor's reason."""
    verdict = Text("verdict: ")
    verdict.append(after.verdict.value, style=VERDICT_STYLE[after.verdict])
    console.print(verdict)
    grade = Text(f"grade: literature {after.literature_grade.value}, effective ")
    if before.effective_grade != after.effective_grade:
        grade.append(
            f"{before.effective_grade.value} -> {after.effective_grade.value}", style="bold"
        )
    else:
        grade.append(f"{after.effective_grade.value} (unchanged)")
    console.print(grade)
    for factor in after.factors:
        arrow = {"up": "↑", "down": "↓", "none": "·"}[factor.direction]
        console.print(Text(f"  {arrow} {factor.reason}"))
    for line, style in uncertainty_lines(after):
        console.print(Text(f"    {line}", style=style))


def uncertainty_lines(score: ClaimScore) -> list[tuple[str, str]]:
    """(text, style) per expectation of each link with runs: mean, 95% t-interval, margin."""
    lines = []
    for link in score.links:
        for summary in link.summaries:
            if summary.mean is None:
                continue
            if summary.interval is not None:
                low, high = summary.interval
                spread = f" [{low:.4g}, {high:.4g}] (95% t-interval over {summary.n} seeds)"
            else:
                spread = " (one seed: no interval)"
            margin = "" if summary.margin is None else f", margin {summary.margin + 0.0:+.3g}"
            fragile = ", FRAGILE: within one sd of the threshold" if summary.fragile else ""
            text = (
                f"{link.experiment} {summary.metric} {summary.expect}: mean"
                f" {summary.mean:.4g}{spread}{margin}{fragile}"
            )
            lines.append((text, "yellow" if summary.fragile else "dim"))
        for check in link.failed_sanity:
            lines.append(
                (
                    f"{link.experiment} seed {check.seed}: sanity {check.relation} failed"
                    f" ({check.left} vs {check.right}): verdict invalid",
                    VERDICT_STYLE[Verdict.invalid],
                )
            )
    return lines


def newly_stale(before: WikiScores, after: WikiScores) -> set[str]:
    """Theses stale now whose staleness (or its reasons) this verification changed."""
    return {
        thesis_id
        for thesis_id, status in after.theses.items()
        if status.stale
        and (
            not before.theses[thesis_id].stale or before.theses[thesis_id].reasons != status.reasons
        )
    }


def print_stale_theses(console: Console, scores: WikiScores) -> None:
    """`thesis: reason` for every stale thesis."""
    stale = {
        thesis_id: status for thesis_id, status in sorted(scores.theses.items()) if status.stale
    }
    if not stale:
        console.print(Text("no stale thesis", style="green"))
        return
    console.print(Text(f"{len(stale)} stale {'thesis' if len(stale) == 1 else 'theses'}:"))
    for thesis_id, status in stale.items():
        for reason in status.reasons:
            console.print(Text(f"  {thesis_id}: {reason}", style="magenta"))
    console.print(Text("  re-read each, then: wiki review thesis ID", style="dim"))


def status_table(wiki: Wiki, scores: WikiScores) -> Table:
    """Every claim: page, literature grade, effective grade, verdict, last run."""
    table = Table(title="claims", title_justify="left")
    for column in ("claim", "page", "literature", "effective", "verdict", "last run"):
        table.add_column(column, no_wrap=column in ("claim", "verdict"), overflow="fold")
    for claim_id, score in scores.claims.items():
        effective = Text(score.effective_grade.value)
        if score.effective_grade != score.literature_grade:
            effective.stylize("bold")
        table.add_row(
            claim_id,
            score.page_id,
            score.literature_grade.value,
            effective,
            Text(score.verdict.value, style=VERDICT_STYLE[score.verdict]),
            last_run(score) or "-",
        )
    return table


def last_run(score: ClaimScore) -> str | None:
    dates = [run.date for link in score.links for run in link.runs]
    return max(dates).strftime("%Y-%m-%d %H:%M") if dates else None


def status_json(wiki: Wiki, scores: WikiScores) -> dict[str, Any]:
    """`wiki status --json`: the same facts as the tables, for scripts."""
    return {
        "claims": {
            claim_id: {
                "page": score.page_id,
                "literature_grade": score.literature_grade.value,
                "effective_grade": score.effective_grade.value,
                "verdict": score.verdict.value,
                "last_run": last_run(score),
                "factors": [
                    {
                        "direction": f.direction,
                        "scope": f.scope.value,
                        "experiment": f.experiment,
                        "verdict": f.verdict.value,
                        "reason": f.reason,
                        "run_keys": f.run_keys,
                    }
                    for f in score.factors
                ],
            }
            for claim_id, score in scores.claims.items()
        },
        "theses": {
            thesis_id: {
                "stale": status.stale,
                "unreviewed": status.unreviewed,
                "reasons": status.reasons,
            }
            for thesis_id, status in sorted(scores.theses.items())
        },
    }


def impact_tree(wiki: Wiki, node_id: str) -> Tree:
    """Everything that depends on `node_id`, transitively; repeats are marked, not expanded."""
    graph = wiki.graph
    root = Tree(_node_label(graph, node_id))
    seen = {node_id}

    def grow(branch: Tree, target: str) -> None:
        for referrer in _dependents(graph, target):
            label = _node_label(graph, referrer)
            if referrer in seen:
                branch.add(label + Text(" (see above)", style="dim"))
                continue
            seen.add(referrer)
            grow(branch.add(label), referrer)

    grow(root, node_id)
    return root


def _dependents(graph: WikiGraph, target: str) -> list[str]:
    return [
        source
        for source in graph.referrers(target)
        if graph.digraph.edges[source, target]["relations"] & IMPACT_RELATIONS
    ]


def _node_label(graph: WikiGraph, node_id: str) -> Text:
    return Text.assemble((node_id, "bold"), (f"  {graph.kind(node_id)}", "dim"))
