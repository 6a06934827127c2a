"""Uncertainty of a link's result: t-intervals, margins, fragile marks, sanity checks, invalid."""

import dataclasses
import math
import statistics

import pytest
from fake_registry import CODE, FAKE_REGISTRY, TORCH, fake_run

from wiki.experiments import ProtocolCard, ProtocolSide
from wiki.schema import Claim, Evidence, ExperimentLink, Grade
from wiki.scoring.grades import score_claim
from wiki.scoring.types import Verdict
from wiki.scoring.uncertainty import (
    SanitySyntaxError,
    parse_relation,
    sanity_checks,
    summarise,
    t_quantile_975,
)
from wiki.scoring.verdicts import RunIndex, claim_verdict

SIDE = ProtocolSide(data="d", scale="s", hyperparameters="h", protocol="p", metric="m")
CARD = ProtocolCard(
    follows="a paper",
    paper=SIDE,
    toy=SIDE,
    deviations=[],
    controls=["pure_std", "probe_r2"],
    sanity=["sigreg_std > pure_std"],
)
REGISTRY = {**FAKE_REGISTRY, "toy": dataclasses.replace(FAKE_REGISTRY["toy"], protocol=CARD)}
EXPECT = {"sigreg_std": ">= 0.5", "probe_r2": "> 0.9"}


def _claim(grade: str = "moderate", expect: dict[str, str] | None = None) -> Claim:
    link = ExperimentLink(experiment="toy", scope="direct", seeds=3, expect=expect or EXPECT)
    return Claim(
        id="stable",
        statement="Training is stable.",
        evidence=Evidence(grade=grade, sources=["paper"]),
        experiments=[link],
    )


def _score(claim: Claim, *metrics_per_seed: dict[str, float]):
    records = [
        fake_run("toy", metrics, seed=seed, claim="stable")
        for seed, metrics in enumerate(metrics_per_seed)
    ]
    return score_claim(claim, "jepa", RunIndex(records), REGISTRY, CODE, TORCH)


# --- t quantiles and intervals -----------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "expected"), [(1, 12.706), (4, 2.776), (30, 2.042), (40, 2.0211), (120, 1.9799)]
)
def test_t_quantiles_match_published_values(df: int, expected: float) -> None:
    assert t_quantile_975(df) == pytest.approx(expected, abs=2e-4)


def test_t_quantiles_fall_towards_the_normal_quantile() -> None:
    values = [t_quantile_975(df) for df in range(1, 200)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == pytest.approx(1.9720, abs=2e-4)  # df 199
    assert t_quantile_975(10_000) == pytest.approx(1.9602, abs=2e-4)


def test_interval_is_the_student_t_interval_over_seeds() -> None:
    values = {0: 1.0, 1: 2.0, 2: 3.0, 3: 4.0, 4: 5.0}
    summary = summarise("m", values, ">= 0.5")
    assert summary.mean == 3.0 and summary.n == 5
    assert summary.sd == pytest.approx(statistics.stdev(values.values()))
    half = 2.776 * statistics.stdev(values.values()) / math.sqrt(5)
    assert summary.interval == pytest.approx((3.0 - half, 3.0 + half))


def test_one_seed_has_no_interval_and_is_never_fragile() -> None:
    summary = summarise("m", {0: 0.5001}, ">= 0.5")
    assert summary.interval is None and summary.sd is None and not summary.fragile
    assert summary.margin == pytest.approx(0.0001)


def test_missing_and_non_finite_values_are_kept_but_left_out_of_the_statistics() -> None:
    summary = summarise("m", {0: 1.0, 1: None, 2: math.inf, 3: 3.0}, ">= 0.5")
    assert summary.values[1] is None and summary.n == 2
    assert summary.mean == 2.0


# --- margins and fragility ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expect", "mean", "margin"),
    [
        (">= 0.5", 0.6, 0.1),
        ("> 0.5", 0.4, -0.1),
        ("< 1e-2", 0.02, -0.01),
        ("<= 1.5", 1.0, 0.5),
        (">= 0.5 and <= 1.5", 1.4, 0.1),  # the binding (nearer) threshold
        (">= 0.5 and <= 1.5", 0.3, -0.2),
        ("== 1", 0.9, -0.1),
        ("!= 0", -0.3, 0.3),
    ],
)
def test_margin_is_signed_positive_on_the_passing_side(
    expect: str, mean: float, margin: float
) -> None:
    assert summarise("m", {0: mean}, expect).margin == pytest.approx(margin)


def test_a_mean_half_an_sd_from_its_threshold_is_fragile_and_two_sds_is_not() -> None:
    # Seeds at mean-1, mean, mean+1: the sample sd is exactly 1.
    def at(mean: float):
        return summarise("m", {0: mean - 1, 1: mean, 2: mean + 1}, ">= 0")

    assert at(0.5).sd == pytest.approx(1.0)
    assert at(0.5).fragile and at(-0.5).fragile  # passing or failing, it could flip
    assert not at(2.0).fragile and not at(-2.0).fragile


def test_seeds_that_all_agree_are_not_fragile_even_on_the_threshold() -> None:
    summary = summarise("all_finite", {0: 1.0, 1: 1.0, 2: 1.0}, "== 1")
    assert summary.sd == 0 and summary.margin == 0 and not summary.fragile
    assert summary.mean_holds


# --- sanity relations and the invalid verdict ----------------------------------------------


def test_relations_parse_and_bad_ones_are_named() -> None:
    assert parse_relation("oracle_success_2px >= random_success_2px") == (
        "oracle_success_2px",
        ">=",
        "random_success_2px",
    )
    with pytest.raises(SanitySyntaxError, match="METRIC OP METRIC"):
        parse_relation("oracle >= 0.5 + random")


def test_sanity_checks_every_run_and_a_missing_metric_is_not_a_failure() -> None:
    runs = [
        fake_run("toy", {"a": 1.0, "b": 0.5}, seed=0),
        fake_run("toy", {"a": 0.2, "b": 0.5}, seed=1),
        fake_run("toy", {"a": 0.2}, seed=2),
    ]
    held = [check.held for check in sanity_checks(runs, ["a >= b"])]
    assert held == [True, False, None]


def test_a_failed_sanity_relation_makes_the_link_invalid_and_moves_no_grade() -> None:
    good = {"pure_std": 0.0, "sigreg_std": 0.9, "probe_r2": 0.99}
    impossible = {**good, "pure_std": 2.0}  # the collapsed control beats SIGReg: impossible
    score = _score(_claim("moderate"), good, impossible, good)
    link = score.links[0]
    assert link.verdict is Verdict.invalid and score.verdict is Verdict.invalid
    assert score.effective_grade is Grade.moderate
    factor = score.factors[0]
    assert factor.direction == "none"
    assert "sigreg_std > pure_std" in factor.reason and "seed 1" in factor.reason
    assert "0.9 vs 2" in factor.reason


def test_the_same_runs_without_the_impossible_control_reproduce() -> None:
    good = {"pure_std": 0.0, "sigreg_std": 0.9, "probe_r2": 0.99}
    score = _score(_claim("moderate"), good, good, good)
    assert score.verdict is Verdict.reproduced and score.effective_grade is Grade.strong
    assert all(check.held for check in score.links[0].sanity)


def test_links_carry_summaries_and_controls_without_repeating_expected_metrics() -> None:
    score = _score(
        _claim("moderate"),
        {"pure_std": 0.0, "sigreg_std": 0.9, "probe_r2": 0.99},
        {"pure_std": 0.1, "sigreg_std": 0.5, "probe_r2": 0.98},
        {"pure_std": 0.0, "sigreg_std": 0.55, "probe_r2": 0.97},
    )
    link = score.links[0]
    assert [s.metric for s in link.summaries] == ["sigreg_std", "probe_r2"]
    assert [s.metric for s in link.controls] == ["pure_std"]  # probe_r2 is expected already
    sigreg = link.summaries[0]
    assert sigreg.values == {0: 0.9, 1: 0.5, 2: 0.55} and sigreg.fragile
    assert [s.metric for s in link.fragile] == ["sigreg_std"]
    assert not link.summaries[1].fragile


def test_claim_verdict_puts_stale_before_invalid_before_the_rest() -> None:
    from types import SimpleNamespace

    from wiki.schema import Scope

    def verdict_of(*pairs):
        return claim_verdict(
            [SimpleNamespace(verdict=Verdict(v), scope=Scope(s)) for s, v in pairs]
        )

    assert verdict_of(("direct", "invalid"), ("direct", "reproduced")) is Verdict.invalid
    assert verdict_of(("direct", "invalid"), ("direct", "stale")) is Verdict.stale
    assert verdict_of(("direct", "reproduced"), ("indirect", "invalid")) is Verdict.reproduced


def test_verify_report_words_intervals_fragile_marks_and_invalid_links() -> None:
    from wiki.report import FAILING_VERDICTS, VERDICT_STYLE, uncertainty_lines

    assert Verdict.invalid in FAILING_VERDICTS and Verdict.invalid in VERDICT_STYLE
    fragile = _score(
        _claim("moderate"),
        {"pure_std": 0.0, "sigreg_std": 0.9, "probe_r2": 0.99},
        {"pure_std": 0.1, "sigreg_std": 0.5, "probe_r2": 0.98},
        {"pure_std": 0.0, "sigreg_std": 0.55, "probe_r2": 0.97},
    )
    texts = [text for text, _ in uncertainty_lines(fragile)]
    assert any("sigreg_std >= 0.5" in t and "FRAGILE" in t and "over 3 seeds" in t for t in texts)
    assert not any("probe_r2 > 0.9" in t and "FRAGILE" in t for t in texts)
    good = {"pure_std": 0.0, "sigreg_std": 0.9, "probe_r2": 0.99}
    invalid = _score(_claim("moderate"), good, {**good, "pure_std": 2.0}, good)
    assert any(
        "seed 1: sanity sigreg_std > pure_std failed" in t for t, _ in uncertainty_lines(invalid)
    )
