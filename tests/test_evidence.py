"""Evidence on the site: badges, factors, run tables, plots, automatic changelog, stale banners."""

import datetime as dt
from pathlib import Path

import pytest

from wiki.corpus import Wiki, load_wiki
from wiki.evidence import gather_evidence
from wiki.ledger import RunRecord, build_record
from wiki.planning import resolve_config
from wiki.plots import comparable_groups
from wiki.render import render_pages
from wiki.settings import load_settings

MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture(scope="module")
def mini_wiki() -> Wiki:
    return load_wiki(MINI)


def records_for(
    wiki: Wiki, claim_id: str, metrics_per_seed: list[dict], curves: list[dict] | None = None
) -> list[RunRecord]:
    """Run records of the claim's first link, one per seed, as `wiki verify` appends them."""
    link = wiki.claims[claim_id].claim.experiments[0]
    config = resolve_config(link)
    return [
        build_record(
            experiment=link.experiment,
            config=config,
            seed=seed,
            metrics=metrics,
            curves=curves[seed] if curves else {"loss": [1.0, 0.5, 0.25]},
            seconds=1.5,
            expect=link.expect,
            claim=claim_id,
            date=dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC),
        )
        for seed, metrics in enumerate(metrics_per_seed)
    ]


GOOD = {"min_emb_std": 0.9, "max_emb_std": 1.1, "min_probe_r2": 0.97, "all_losses_finite": 1.0}
COLLAPSED = {**GOOD, "min_emb_std": 1e-4}


@pytest.fixture(scope="module")
def evidence_pages(mini_wiki: Wiki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    records = records_for(mini_wiki, "lewm-stable", [GOOD, GOOD, COLLAPSED])
    settings = load_settings(tmp_path_factory.mktemp("project"))
    evidence = gather_evidence(mini_wiki, records, settings)
    return render_pages(mini_wiki, settings, evidence=evidence)


def test_claim_shows_verdict_badge_and_the_failing_seed(evidence_pages: dict[str, str]) -> None:
    page = evidence_pages["concepts/jepa.md"]
    assert "runs: partial" in page
    assert "0.0001 ✗" in page  # seed 2's collapsed std, marked as failing
    assert "0.9 ✓" in page
    assert "| **fail** |" in page


def test_run_rows_link_to_their_records_on_the_runs_page(
    mini_wiki: Wiki, evidence_pages: dict[str, str]
) -> None:
    records = records_for(mini_wiki, "lewm-stable", [GOOD, GOOD, COLLAPSED])
    page = evidence_pages["concepts/jepa.md"]
    for record in records:
        assert f"../runs.md#run-{record.key}" in page
        assert f'id="run-{record.key}"' in evidence_pages["runs.md"]


def test_plots_are_generated_svg_files_referenced_from_the_page(
    evidence_pages: dict[str, str],
) -> None:
    plots = [path for path in evidence_pages if path.startswith("plots/")]
    assert plots and all(evidence_pages[path].lstrip().startswith("<?xml") for path in plots)
    assert all(f"](../{path})" in evidence_pages["concepts/jepa.md"] for path in plots)


def test_reproduced_direct_link_raises_the_grade_and_logs_it_in_the_changelog(
    mini_wiki: Wiki, tmp_path: Path
) -> None:
    records = records_for(mini_wiki, "lewm-stable", [GOOD, GOOD, GOOD])
    settings = load_settings(tmp_path)
    pages = render_pages(
        mini_wiki, settings, evidence=gather_evidence(mini_wiki, records, settings)
    )
    page = pages["concepts/jepa.md"]
    assert "effective: strong" in page and "runs: reproduced" in page
    assert r"Grade up: lewm\_two\_loss reproduced on seeds 0-2" in page
    assert "Effective grade of lewm-stable moved moderate -&gt; strong" in page


def test_thesis_that_was_never_reviewed_says_so(evidence_pages: dict[str, str]) -> None:
    assert "Not reviewed yet" in evidence_pages["theses/latent-planning.md"]


def test_metrics_sharing_a_suffix_are_grouped_for_comparison() -> None:
    metrics = {"pure_emb_std": 0, "sigreg_emb_std": 1, "pure_probe_r2": 0, "sigreg_probe_r2": 1}
    assert comparable_groups(metrics) == {
        "emb_std": ["pure", "sigreg"],
        "probe_r2": ["pure", "sigreg"],
    }
    assert comparable_groups({"jepa_probe_r2": 1, "ae_probe_r2": 0, "ae_clean_probe_r2": 1}) == {
        "probe_r2": ["ae", "ae_clean", "jepa"]
    }
    assert comparable_groups({"auroc": 1.0}) == {}


def test_plot_titles_and_axes_read_as_words() -> None:
    from wiki.plots import metric_unit, metric_words

    assert metric_words("sigreg_emb_std") == "SIGReg embedding std"
    assert metric_unit("pure_probe_r2") == "R² (1 = perfect)"
    assert metric_unit("made_up_metric") == "made up metric"


def test_a_stale_thesis_names_each_moved_claim_at_the_top(tmp_path: Path) -> None:
    import shutil

    from wiki.review import write_review
    from wiki.scoring.staleness import current_fingerprints

    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    settings = load_settings(tmp_path)
    before = gather_evidence(load_wiki(root), [], settings)  # lewm-stable at its literature grade
    for thesis in ("latent-planning", "planning-at-scale"):
        recorded = current_fingerprints(load_wiki(root), before.scores, thesis)
        write_review(root / "theses" / f"{thesis}.yaml", recorded, dt.date(2026, 11, 1))
    wiki = load_wiki(root)
    records = records_for(wiki, "lewm-stable", [GOOD, GOOD, GOOD])  # reproduced: moves up
    pages = render_pages(wiki, settings, evidence=gather_evidence(wiki, records, settings))

    page = pages["theses/latent-planning.md"]
    body = page[page.index("-->") :]
    assert body.lstrip("->\n").startswith(
        '!!! warning "Moved since this thesis was reviewed on 2026-11-01"'
    )
    moved = [line.strip() for line in body.splitlines() if line.startswith("    - [")]
    assert len(moved) == 1
    link, badges = moved[0].split("):", 1)
    assert link.startswith("- [lewm-stable](../concepts/jepa.md#claim:lewm-stable")
    assert badges == (
        ' <span class="wiki-badge wiki-grade-moderate">moderate</span> →'
        ' <span class="wiki-badge wiki-grade-strong">strong</span>'
        ' <span class="wiki-badge wiki-verdict-reproduced">runs: reproduced</span>'
    )
    downstream = pages["theses/planning-at-scale.md"]
    assert "(through [Planning belongs in latent space](latent-planning.md " in downstream
    assert downstream.count("- [lewm-stable]") == 1
