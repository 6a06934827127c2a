import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_registry import CODE, FAKE_REGISTRY, TORCH, fake_run

from wiki.corpus import load_wiki
from wiki.planning import planned_runs
from wiki.schema import Claim, Evidence, ExperimentLink, Grade, Scope
from wiki.scoring.grades import score_claim
from wiki.scoring.history import grade_history
from wiki.scoring.staleness import current_fingerprints
from wiki.scoring.types import Verdict
from wiki.scoring.verdicts import RunIndex, claim_verdict
from wiki.scoring.wiki_scores import score_wiki

GOOD = {"pure_std": 0.0, "sigreg_std": 0.9, "probe_r2": 0.99}
LOW_STD = {"pure_std": 0.0, "sigreg_std": 0.2, "probe_r2": 0.99}
LOW_R2 = {"pure_std": 0.0, "sigreg_std": 0.9, "probe_r2": 0.5}
EXPECT = {"sigreg_std": ">= 0.5", "probe_r2": "> 0.9"}


def _claim(grade="moderate", *links: ExperimentLink) -> Claim:
    return Claim(
        id="stable",
        statement="Training is stable.",
        evidence=Evidence(grade=grade, sources=["paper"]),
        experiments=list(links),
    )


def _link(experiment="toy", scope="direct", seeds=3, expect=None, params=None) -> ExperimentLink:
    return ExperimentLink(
        experiment=experiment,
        scope=scope,
        seeds=seeds,
        expect=EXPECT if expect is None else expect,
        params=params or {},
    )


def _score(claim, records, code=CODE, torch=TORCH):
    return score_claim(claim, "jepa", RunIndex(records), FAKE_REGISTRY, code, torch)


def _runs(*metrics_per_seed, experiment="toy", **kwargs):
    return [
        fake_run(experiment, metrics, seed=seed, claim="stable", **kwargs)
        for seed, metrics in enumerate(metrics_per_seed)
    ]


# --- link verdicts --------------------------------------------------------------------


def test_reproduced_when_every_expectation_holds_on_every_seed():
    score = _score(_claim("moderate", _link()), _runs(GOOD, GOOD, GOOD))
    (link,) = score.links
    assert link.verdict is Verdict.reproduced and score.verdict is Verdict.reproduced
    assert link.held_seeds == [0, 1, 2] and len(link.runs) == 3


def test_partial_when_some_seeds_hold_and_others_do_not():
    (link,) = _score(_claim("moderate", _link()), _runs(GOOD, LOW_STD, GOOD)).links
    assert link.verdict is Verdict.partial
    assert link.held_seeds == [0, 2] and link.missing_seeds == []


def test_not_reproduced_when_no_seed_holds_every_expectation():
    # Each expectation holds somewhere, but on no seed do both hold.
    (link,) = _score(_claim("moderate", _link()), _runs(LOW_STD, LOW_R2, LOW_STD)).links
    assert link.verdict is Verdict.not_reproduced


def test_missing_seed_makes_an_otherwise_held_link_partial():
    score = _score(_claim("moderate", _link()), _runs(GOOD, GOOD))
    assert score.links[0].verdict is Verdict.partial and score.links[0].missing_seeds == [2]
    assert "no current run for seed 2" in score.factors[0].reason


def test_not_run_without_any_record():
    (link,) = _score(_claim("moderate", _link()), []).links
    assert link.verdict is Verdict.not_run
    assert list(link.run_keys) == [0, 1, 2]


def test_records_of_older_code_are_superseded_and_make_the_link_stale():
    old = _runs(GOOD, GOOD, GOOD, code="code-v0")
    score = _score(_claim("moderate", _link()), old)
    (link,) = score.links
    assert link.verdict is Verdict.stale and score.verdict is Verdict.stale
    assert link.changed_inputs == ["older code"]
    assert score.effective_grade is Grade.moderate  # stale evidence moves nothing


def test_records_of_another_torch_are_stale():
    (link,) = _score(_claim("moderate", _link()), _runs(GOOD, GOOD, GOOD, torch="1.0")).links
    assert link.verdict is Verdict.stale and link.changed_inputs == ["torch 1.0"]


def test_edited_params_make_the_claims_own_older_runs_stale():
    records = _runs(GOOD, GOOD, GOOD, params={"steps": 20})
    (link,) = _score(_claim("moderate", _link(params={"steps": 30})), records).links
    assert link.verdict is Verdict.stale and link.changed_inputs == ["other params"]


def test_runs_of_a_sibling_link_are_not_mistaken_for_older_params():
    sibling = _link(params={"steps": 20}, seeds=1)
    records = _runs(GOOD, params={"steps": 20})
    score = _score(_claim("moderate", sibling, _link(params={"steps": 30}, seeds=1)), records)
    assert [link.verdict for link in score.links] == [Verdict.reproduced, Verdict.not_run]


def test_edited_expectations_are_rescored_from_stored_metrics_without_rerun():
    records = _runs(LOW_STD, LOW_STD, LOW_STD)
    strict = _score(_claim("moderate", _link()), records)
    relaxed = _score(_claim("moderate", _link(expect={"sigreg_std": ">= 0.1"})), records)
    assert strict.verdict is Verdict.not_reproduced and relaxed.verdict is Verdict.reproduced


def test_a_cached_run_serves_every_claim_with_the_same_experiment_config_and_seed():
    records = [fake_run("toy", GOOD, seed=0, claim="another-claim")]
    (link,) = _score(_claim("moderate", _link(seeds=1)), records).links
    assert link.verdict is Verdict.reproduced


def test_planned_runs_use_the_same_keys_as_scoring():
    link = _link(params={"steps": 7})
    planned = planned_runs(link, FAKE_REGISTRY, CODE, TORCH)
    scored = _score(_claim("moderate", link), []).links[0]
    assert [p.seed for p in planned] == [0, 1, 2]
    assert [p.key for p in planned] == list(scored.run_keys.values())
    assert planned[0].config == {"methods": ["pure", "sigreg"], "steps": 7, "rate": 0.1}


# --- claim verdicts and grades --------------------------------------------------------


@pytest.mark.parametrize(
    ("literature", "metrics", "effective", "direction"),
    [
        ("moderate", GOOD, "strong", "up"),
        ("strong", GOOD, "strong", "up"),  # capped
        ("moderate", LOW_STD, "weak", "down"),
        ("speculative", LOW_STD, "speculative", "down"),  # floored
    ],
)
def test_direct_link_moves_the_grade_one_level(literature, metrics, effective, direction):
    score = _score(_claim(literature, _link()), _runs(metrics, metrics, metrics))
    assert score.literature_grade is Grade(literature)
    assert score.effective_grade is Grade(effective)
    assert [factor.direction for factor in score.factors] == [direction]


def test_capped_and_floored_moves_say_so():
    capped = _score(_claim("strong", _link()), _runs(GOOD, GOOD, GOOD))
    floored = _score(_claim("speculative", _link()), _runs(LOW_STD, LOW_STD, LOW_STD))
    assert "capped" in capped.factors[0].reason
    assert "floor" in floored.factors[0].reason


@pytest.mark.parametrize(
    "records",
    [
        pytest.param(_runs(GOOD, LOW_STD, GOOD), id="partial"),
        pytest.param([], id="not-run"),
        pytest.param(_runs(GOOD, GOOD, GOOD, code="code-v0"), id="stale"),
    ],
)
def test_partial_not_run_and_stale_move_nothing(records):
    score = _score(_claim("moderate", _link()), records)
    assert score.effective_grade is Grade.moderate
    assert [factor.direction for factor in score.factors] == ["none"]


@pytest.mark.parametrize(
    ("metrics", "kind"), [(GOOD, "support"), (LOW_STD, "warning")], ids=["held", "failed"]
)
def test_indirect_links_never_move_the_grade(metrics, kind):
    score = _score(_claim("moderate", _link(scope="indirect")), _runs(metrics, metrics, metrics))
    assert score.effective_grade is Grade.moderate
    assert score.factors[0].direction == "none"
    assert score.factors[0].reason.startswith(f"indirect {kind}: toy")


def test_indirect_partial_is_a_warning():
    score = _score(_claim("weak", _link(scope="indirect")), _runs(GOOD, LOW_R2, GOOD))
    assert score.factors[0].reason.startswith("indirect warning: toy partial")


def test_conflicting_direct_links_cancel_and_agreeing_ones_do_not_stack():
    held = _link(expect={"sigreg_std": ">= 0.5"}, seeds=1)
    failed = _link(expect={"probe_r2": "> 0.999"}, seeds=1)
    records = _runs(GOOD)
    conflict = _score(_claim("moderate", held, failed), records)
    assert [f.direction for f in conflict.factors] == ["up", "down"]
    assert conflict.effective_grade is Grade.moderate
    assert "cancelled" in conflict.factors[0].reason
    both = _score(_claim("weak", held, _link(expect={"probe_r2": "> 0.9"}, seeds=1)), records)
    assert both.effective_grade is Grade.moderate


def test_claim_verdict_rules():
    def verdict_of(*pairs):
        links = [SimpleNamespace(verdict=Verdict(v), scope=Scope(s)) for s, v in pairs]
        return claim_verdict(links)

    assert verdict_of() is Verdict.untestable
    assert verdict_of(("direct", "not-run"), ("indirect", "reproduced")) is Verdict.not_run
    assert verdict_of(("indirect", "reproduced")) is Verdict.reproduced
    assert verdict_of(("direct", "reproduced"), ("direct", "stale")) is Verdict.stale
    assert verdict_of(("direct", "reproduced"), ("direct", "not-run")) is Verdict.partial
    assert verdict_of(("direct", "not-reproduced"), ("direct", "not-run")) is Verdict.not_reproduced
    assert verdict_of(("direct", "reproduced"), ("direct", "not-reproduced")) is Verdict.partial


def test_untestable_claim_keeps_its_literature_grade():
    score = _score(_claim("weak"), [])
    assert score.verdict is Verdict.untestable and score.effective_grade is Grade.weak
    assert score.factors == []


def test_factor_reasons_name_experiment_seeds_expectations_and_run_keys():
    records = _runs(GOOD, GOOD, GOOD)
    (factor,) = _score(_claim("moderate", _link()), records).factors
    assert factor.run_keys == [r.key for r in records]
    assert factor.reason.startswith(
        "toy reproduced on seeds 0-2: sigreg_std >= 0.5, probe_r2 > 0.9 held on every seed"
    )
    assert all(record.key[:8] in factor.reason for record in records)


def test_failure_reasons_give_the_values_that_failed():
    (factor,) = _score(_claim("moderate", _link()), _runs(GOOD, LOW_STD, GOOD)).factors
    assert "toy partial: every expectation held on seeds 0, 2 of seeds 0-2" in factor.reason
    assert "sigreg_std >= 0.5 failed on seed 1 (0.2)" in factor.reason


def test_stale_reason_says_what_changed_and_names_the_old_runs():
    old = _runs(GOOD, GOOD, GOOD, code="code-v0")
    (factor,) = _score(_claim("moderate", _link()), old).factors
    assert factor.reason.startswith("toy stale: seeds 0-2 last ran under older code")
    assert factor.run_keys == [r.key for r in old]


# --- a small wiki on disk: fingerprints, thesis staleness, history ------------------------

PAGES = {
    "sources/paper.yaml": "kind: source\ntitle: A paper\nyear: 2026\n",
    "sources/other.yaml": "kind: source\ntitle: Another paper\nyear: 2025\n",
    "jepa.yaml": """
        kind: concept
        title: JEPA
        status: emerging
        summary: Predict embeddings, not pixels.
        sections:
          - heading: Why
            text: Because pixels are noisy.
        claims:
          - id: stable
            statement: Training is stable.
            evidence:
              grade: moderate
              sources: [paper]
            experiments:
              - experiment: toy
                seeds: 3
                expect:
                  sigreg_std: ">= 0.5"
                  probe_r2: "> 0.9"
          - id: scales
            statement: It scales.
            evidence:
              grade: weak
              sources: [paper]
        benchmarks:
          - metric: SSv2
            value: 77.3
            system: V-JEPA 2
            source: paper
        open_questions:
          - Does it plan?
        """,
    "planning.yaml": """
        kind: concept
        title: Planning
        status: emerging
        summary: Search over actions.
        claims:
          - id: plans-work
            statement: Latent planning works.
            evidence:
              grade: weak
              sources: [other]
        """,
    "theses/plan.yaml": """
        kind: thesis
        title: Plan in latent space
        position: Stable training makes planning practical.
        confidence: medium
        depends_on:
          - claim: stable
          - concept: planning
        """,
    "theses/robots.yaml": """
        kind: thesis
        title: Robots follow
        position: If planning works, robots follow.
        confidence: low
        depends_on:
          - thesis: plan
        """,
    "theses/fleet.yaml": """
        kind: thesis
        title: Fleets follow robots
        position: Then fleets.
        confidence: low
        depends_on:
          - thesis: robots
        """,
}


@pytest.fixture
def site(write_pages):
    """Write PAGES (with edits), load and score them; returns a function doing that."""

    def build(records=(), edits=None, reviewed=None):
        pages = {name: textwrap.dedent(text).lstrip() for name, text in PAGES.items()}
        for name, (old, new) in (edits or {}).items():
            assert old in pages[name], old
            pages[name] = pages[name].replace(old, new)
        for thesis_id, fingerprints in (reviewed or {}).items():
            block = "".join(f"\n    {k}: {v}" for k, v in fingerprints.items())
            pages[f"theses/{thesis_id}.yaml"] += (
                f"reviewed:\n  date: 2026-11-20\n  fingerprints:{block}\n"
            )
        wiki = load_wiki(write_pages(pages))
        return wiki, score_wiki(wiki, list(records), FAKE_REGISTRY, CODE, TORCH)

    return build


def _reviewed_now(wiki, scores, *thesis_ids):
    return {t: current_fingerprints(wiki, scores, t) for t in thesis_ids}


PROSE_EDITS = [
    {"jepa.yaml": ("Predict embeddings, not pixels.", "Predict embeddings.")},
    {"jepa.yaml": ("Because pixels are noisy.", "Noise.")},
    {"jepa.yaml": ("Does it plan?", "Does it plan far?")},
    {
        "jepa.yaml": (
            "statement: Training is stable.",
            "statement: >-\n      Training is\n      stable.",
        )
    },
    {"theses/plan.yaml": ("makes planning practical.", "makes planning easy.")},
]
MATERIAL_EDITS = [
    {"jepa.yaml": ("Training is stable.", "Training never collapses.")},
    {"jepa.yaml": ("grade: moderate", "grade: strong")},
    {
        "jepa.yaml": (
            "sources: [paper]\n    experiments",
            "sources: [paper, other]\n    experiments",
        )
    },
    {"jepa.yaml": ("value: 77.3", "value: 78.0")},
]


@pytest.mark.parametrize(
    "edits", PROSE_EDITS, ids=["summary", "section", "question", "wrap", "position"]
)
def test_prose_edits_leave_every_fingerprint_unchanged(site, edits):
    _, before = site()
    _, after = site(edits=edits)
    assert after.fingerprints == before.fingerprints


@pytest.mark.parametrize("edits", MATERIAL_EDITS, ids=["statement", "grade", "source", "benchmark"])
def test_material_edits_change_the_claim_its_page_and_dependent_theses(site, edits):
    _, before = site()
    _, after = site(edits=edits)
    for node in ("stable", "jepa", "plan", "robots", "fleet"):
        assert after.fingerprints[node] != before.fingerprints[node], node
    for node in ("plans-work", "planning"):
        assert after.fingerprints[node] == before.fingerprints[node], node


def test_a_grade_moved_by_runs_changes_the_fingerprint(site):
    _, before = site()
    _, after = site(records=_runs(GOOD, GOOD, GOOD))
    assert after.claims["stable"].effective_grade is Grade.strong
    assert after.fingerprints["stable"] != before.fingerprints["stable"]
    assert after.fingerprints["scales"] == before.fingerprints["scales"]


def test_unreviewed_thesis_is_not_stale_but_says_so(site):
    _, scores = site()
    status = scores.theses["plan"]
    assert status.unreviewed and not status.stale
    assert status.reasons == ["never reviewed: run `wiki review thesis plan`"]


def test_reviewing_with_current_fingerprints_clears_staleness(site):
    wiki, scores = site()
    _, again = site(reviewed=_reviewed_now(wiki, scores, "plan", "robots", "fleet"))
    for thesis in ("plan", "robots", "fleet"):
        assert not again.theses[thesis].stale and not again.theses[thesis].unreviewed
        assert again.theses[thesis].reasons == []


def test_thesis_goes_stale_when_runs_move_a_claim_and_names_old_and_new_grade(site):
    wiki, scores = site()
    reviewed = _reviewed_now(wiki, scores, "plan")
    records = _runs(GOOD, GOOD, GOOD)
    _, after = site(records=records, reviewed=reviewed)
    (reason,) = after.theses["plan"].reasons
    assert after.theses["plan"].stale
    assert reason.startswith("claim stable moved moderate -> strong (toy reproduced, runs ")
    assert all(r.key[:8] in reason for r in records)
    assert reason.endswith("literature grade moderate)")


def test_thesis_goes_stale_through_a_concepts_claim(site):
    wiki, scores = site()
    reviewed = _reviewed_now(wiki, scores, "plan")
    _, after = site(edits={"planning.yaml": ("grade: weak", "grade: strong")}, reviewed=reviewed)
    assert after.theses["plan"].reasons == [
        "concept planning: claim plans-work moved weak -> strong (literature grade strong)"
    ]


def test_statement_edit_is_reported_as_a_change_not_a_grade_move(site):
    wiki, scores = site()
    reviewed = _reviewed_now(wiki, scores, "plan")
    _, after = site(edits=MATERIAL_EDITS[0], reviewed=reviewed)
    (reason,) = after.theses["plan"].reasons
    assert reason.startswith("claim stable changed (statement, sources")


def test_staleness_propagates_thesis_to_thesis_and_names_the_chain(site):
    wiki, scores = site()
    old_plan = _reviewed_now(wiki, scores, "plan")
    edits = {"jepa.yaml": ("Training is stable.", "Training never collapses.")}
    wiki2, edited = site(edits=edits)
    # robots and fleet were re-read after the edit, plan was not.
    reviewed = {**old_plan, **_reviewed_now(wiki2, edited, "robots", "fleet")}
    _, after = site(edits=edits, reviewed=reviewed)
    assert after.theses["plan"].stale
    assert after.theses["robots"].stale and after.theses["fleet"].stale
    assert after.theses["robots"].reasons == [f"via thesis plan: {after.theses['plan'].reasons[0]}"]
    assert after.theses["fleet"].reasons == [
        f"via thesis robots -> plan: {after.theses['plan'].reasons[0]}"
    ]


def test_thesis_fingerprint_change_is_reported_when_the_upstream_was_rereviewed(site):
    wiki, scores = site()
    old_robots = _reviewed_now(wiki, scores, "robots")
    edits = MATERIAL_EDITS[0]
    wiki2, edited = site(edits=edits)
    reviewed = {**old_robots, **_reviewed_now(wiki2, edited, "plan")}
    _, after = site(edits=edits, reviewed=reviewed)
    assert not after.theses["plan"].stale
    assert after.theses["robots"].reasons == [
        "thesis plan changed since the last review (plan re-reviewed on 2026-11-20)"
    ]


def test_added_and_removed_dependencies_make_a_thesis_stale(site):
    wiki, scores = site()
    reviewed = {"plan": {**current_fingerprints(wiki, scores, "plan"), "gone": "abc"}}
    reviewed["plan"].pop("planning")
    _, after = site(reviewed=reviewed)
    assert after.theses["plan"].reasons == [
        "concept planning was added after the last review",
        "gone is no longer a dependency (it was at the last review)",
    ]


# --- grade history ---------------------------------------------------------------------


def test_grade_history_follows_the_ledger_batch_by_batch(site):
    wiki, _ = site()
    first = _runs(GOOD, GOOD, GOOD)  # day 1, code v1: reproduced
    unrelated = [fake_run("other", {"auroc": 0.9}, claim="plans-work", day=2)]
    rerun = [  # day 3, new code: fails
        fake_run("toy", LOW_STD, seed=s, claim="stable", code="code-v2", day=3) for s in range(3)
    ]
    history = grade_history(wiki, first + unrelated + rerun, FAKE_REGISTRY)
    changes = history["stable"]
    assert [(c.old, c.new) for c in changes] == [
        (Grade.moderate, Grade.strong),
        (Grade.strong, Grade.weak),
    ]
    assert [str(c.date) for c in changes] == ["2026-11-01", "2026-11-03"]
    assert changes[0].run_keys == [r.key for r in first]
    assert changes[0].reason.startswith("toy reproduced on seeds 0-2")
    assert changes[1].reason.startswith("toy not reproduced on seeds 0-2")
    assert history["scales"] == [] and history["plans-work"] == []


def test_grade_history_ignores_intermediate_seeds_of_one_batch(site):
    wiki, _ = site()
    # Seeds 0 and 1 alone would be partial; the batch as a whole reproduces.
    history = grade_history(wiki, _runs(GOOD, GOOD, GOOD), FAKE_REGISTRY)
    assert [(c.old, c.new) for c in history["stable"]] == [(Grade.moderate, Grade.strong)]


def test_scoring_with_default_versions_never_imports_torch():
    script = (
        "import sys; from wiki.scoring.grades import score_claim; "
        "from wiki.scoring.verdicts import RunIndex; "
        "from wiki.ledger import current_code_fingerprint, current_torch_version; "
        "assert current_code_fingerprint() and current_torch_version(); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", script], check=True, cwd=root, timeout=120)


def test_extra_seeds_run_beyond_the_declared_ones_count_in_the_verdict():
    records = [*_runs(GOOD, GOOD), fake_run("toy", LOW_STD, seed=7, claim="stable")]
    (link,) = _score(_claim("moderate", _link(seeds=2)), records).links
    assert link.seeds == [0, 1, 7]
    assert link.verdict is Verdict.partial and link.held_seeds == [0, 1]


def test_an_infinite_metric_never_reproduces_or_moves_a_grade():
    diverged = {**GOOD, "probe_r2": float("inf")}
    score = _score(_claim("moderate", _link(seeds=3)), _runs(diverged, diverged, diverged))
    assert score.links[0].verdict is Verdict.not_reproduced
    assert score.effective_grade is not Grade.strong
