"""How sure a link's result is: per-seed values, 95% t-intervals, margins, fragility, sanity.

Per metric of a link (each expectation, and each control its protocol card names), over
the link's current runs, one value per seed (missing or non-finite values are shown but
left out of the statistics):
  mean      the arithmetic mean of the n finite values
  sd        the between-seed sample standard deviation (n-1 in the denominator)
  interval  mean +- t(0.975, n-1) * sd / sqrt(n): a Student t-interval over seeds; none
            with fewer than two values (one seed gives no interval)
  margin    for an expectation: the signed distance of the mean to its threshold,
            positive on the passing side (`>= 0.5` with mean 0.6: +0.1; `< 1e-2` with
            mean 0.02: -0.01). With several comparisons (`>= 0.5 and <= 1.5`) the smallest
            margin, i.e. the binding threshold; `==` gives -|mean - t|, `!=` +|mean - t|
  fragile   an expectation whose mean lies within one sd of its binding threshold
            (|mean - threshold| < sd, at least two values): another seed could flip it.
            Strict: seeds that all agree (sd 0) are never fragile, even on the threshold
            of an `== 1` expectation

Sanity: a protocol card's `sanity` entries read `METRIC OP METRIC` (e.g.
`oracle_success_2px >= random_success_2px`). Each is checked on every current run; a
relation that fails (or compares a non-finite value) on any run makes the link's verdict
`invalid`, see `wiki.scoring.verdicts`. A relation naming a metric the run lacks is not
checked (held None), never a failure: the card may name controls a config does not emit;
nor is a relation that does not parse.
Pure Python: the t quantiles come from a table (df 1-30) and a Cornish-Fisher expansion
beyond (error below 1e-4), no scipy.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence

from wiki.expect import COMPARISONS, Expectation, parse_expectation
from wiki.ledger import RunRecord
from wiki.scoring.types import MetricSummary, SanityCheck

CONFIDENCE = 0.95
# Two-sided 95% quantiles of Student's t, t(0.975, df), for df = 1..30.
T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
Z_975 = 1.959963984540054
_RELATION = re.compile(r"^\s*([A-Za-z_][\w.:-]*)\s*(>=|<=|==|!=|>|<)\s*([A-Za-z_][\w.:-]*)\s*$")


class SanitySyntaxError(ValueError):
    """A `sanity` entry that is not `METRIC OP METRIC`."""


def t_quantile_975(df: int) -> float:
    """t(0.975, df): the multiplier of a two-sided 95% interval with `df` degrees of freedom."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if df <= len(T_975):
        return T_975[df - 1]
    z = Z_975
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def summarise(
    metric: str, values: Mapping[int, float | None], expect: str | None = None
) -> MetricSummary:
    """Mean, sd, 95% t-interval of `values` (seed -> value); margin and fragility for `expect`."""
    finite = [v for v in values.values() if v is not None and math.isfinite(v)]
    mean = statistics.fmean(finite) if finite else None
    sd = statistics.stdev(finite) if len(finite) >= 2 else None
    interval = None
    if mean is not None and sd is not None:
        half = t_quantile_975(len(finite) - 1) * sd / math.sqrt(len(finite))
        interval = (mean - half, mean + half)
    summary = MetricSummary(metric, dict(sorted(values.items())), mean, sd, interval)
    if expect is None:
        return summary
    threshold = margin = None
    expectation = parse_expectation(expect)
    if mean is not None:
        threshold, margin = binding_margin(expectation, mean)
    fragile = (
        mean is not None and sd is not None and threshold is not None and abs(mean - threshold) < sd
    )
    held = expectation.holds(mean) if mean is not None else None
    return MetricSummary(
        metric, summary.values, mean, sd, interval, expect, threshold, margin, fragile, held
    )


def binding_margin(expectation: Expectation, value: float) -> tuple[float, float]:
    """(threshold, signed margin) of the comparison `value` is closest to failing (or fails)."""
    comparisons = [expectation, *expectation.also]
    margins = [(c.threshold, _margin(c.op, c.threshold, value)) for c in comparisons]
    return min(margins, key=lambda pair: pair[1])


def _margin(op: str, threshold: float, value: float) -> float:
    if op in (">=", ">"):
        return value - threshold
    if op in ("<=", "<"):
        return threshold - value
    if op == "==":
        return -abs(value - threshold)
    return abs(value - threshold)  # "!="


def metric_summaries(
    runs: Sequence[RunRecord], metrics: Iterable[str], expect: Mapping[str, str] | None = None
) -> list[MetricSummary]:
    """One summary per metric over `runs` (one value per seed), with margins where expected."""
    expect = expect or {}
    return [
        summarise(metric, {run.seed: run.metrics.get(metric) for run in runs}, expect.get(metric))
        for metric in metrics
    ]


def parse_relation(text: str) -> tuple[str, str, str]:
    """'a_metric >= b_metric' -> ('a_metric', '>=', 'b_metric'); SanitySyntaxError otherwise."""
    match = _RELATION.match(text)
    if match is None:
        raise SanitySyntaxError(
            f"sanity relation {text!r} is not 'METRIC OP METRIC' (OP one of >=, >, <=, <, ==, !=)"
        )
    return match.group(1), match.group(2), match.group(3)


def sanity_checks(runs: Sequence[RunRecord], relations: Iterable[str]) -> list[SanityCheck]:
    """Every relation checked on every run, in relation then seed order."""
    checks = []
    for relation in relations:
        try:
            left_name, op, right_name = parse_relation(relation)
        except SanitySyntaxError:  # a registry's typo is not the runs' fault: shown unchecked
            checks += [SanityCheck(relation, run.seed, None, None, None) for run in runs]
            continue
        for run in runs:
            left, right = run.metrics.get(left_name), run.metrics.get(right_name)
            held: bool | None
            if left is None or right is None:
                held = None
            elif not (math.isfinite(left) and math.isfinite(right)):
                held = False  # a diverged control is no evidence that the protocol is sound
            else:
                held = COMPARISONS[op](left, right)
            checks.append(SanityCheck(relation, run.seed, left, right, held))
    return checks
