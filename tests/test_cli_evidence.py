"""`wiki status`, `impact`, `review` and `verify` through the CLI on small projects."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiki.cli import app

runner = CliRunner()
MINI = Path(__file__).parent / "fixtures" / "mini"

THESIS_COMMENTED = """\
# A position we keep re-reading.
kind: thesis
title: Latent planning wins
position: Planning in latent space beats pixels.   # our view
confidence: medium
depends_on:
  - claim: lewm-stable
    role: supports
"""


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the mini wiki as `concepts/` of a project in the current directory."""
    shutil.copytree(MINI, tmp_path / "concepts")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def statuses(project: Path) -> dict:
    result = invoke("status", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # diagnostics (the missing-ledger warning) go to stderr


def review_every_thesis(project: Path) -> None:
    for thesis in statuses(project)["theses"]:
        result = invoke("review", "thesis", thesis)
        assert result.exit_code == 0, result.output


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_status_lists_every_claim_with_grades_and_verdicts(project: Path) -> None:
    data = statuses(project)
    assert data["claims"]["lewm-stable"]["literature_grade"] == "moderate"
    assert data["claims"]["lewm-stable"]["verdict"] == "not-run"
    assert data["claims"]["masking-helps"]["verdict"] == "untestable"
    assert all(thesis["unreviewed"] for thesis in data["theses"].values())
    table = invoke("status")
    assert table.exit_code == 0 and "lewm-stable" in table.output


def test_grade_change_makes_dependent_theses_stale_and_review_clears_them(project: Path) -> None:
    review_every_thesis(project)
    assert not any(t["stale"] for t in statuses(project)["theses"].values())

    edit(project / "concepts" / "concepts" / "jepa.yaml", "grade: moderate", "grade: strong")
    theses = statuses(project)["theses"]
    # latent-planning depends on the claim; planning-at-scale through latent-planning.
    assert theses["latent-planning"]["stale"] and theses["planning-at-scale"]["stale"]
    assert any("lewm-stable" in reason for reason in theses["latent-planning"]["reasons"])
    assert any("moderate -> strong" in r for r in theses["latent-planning"]["reasons"])
    assert any("latent-planning" in r for r in theses["planning-at-scale"]["reasons"])
    shown = invoke("status").output
    assert "latent-planning" in shown and "stale" in shown

    review_every_thesis(project)
    assert not any(t["stale"] for t in statuses(project)["theses"].values())


def test_prose_edit_flags_nothing(project: Path) -> None:
    review_every_thesis(project)
    edit(project / "concepts" / "concepts" / "jepa.yaml", "summary: ", "summary: Reworded. ")
    assert not any(t["stale"] for t in statuses(project)["theses"].values())


def test_review_keeps_comments_and_layout(project: Path) -> None:
    path = project / "concepts" / "theses" / "opinion.yaml"
    path.write_text(THESIS_COMMENTED)
    result = invoke("review", "thesis", "opinion")
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith(THESIS_COMMENTED)  # everything written by hand stays as it was
    assert "reviewed:" in text and 'lewm-stable: "' in text


def test_review_of_unknown_thesis_is_a_usage_error_with_a_suggestion(project: Path) -> None:
    result = invoke("review", "thesis", "latent-planing")
    assert result.exit_code == 2
    assert "did you mean 'latent-planning'?" in result.output
    assert "Traceback" not in result.output


def test_impact_shows_what_depends_on_a_claim_transitively(project: Path) -> None:
    result = invoke("impact", "lewm-stable")
    assert result.exit_code == 0, result.output
    for dependent in ("jepa", "latent-planning", "planning-at-scale"):
        assert dependent in result.output


def test_verify_unknown_claim_suggests_and_exits_2(project: Path) -> None:
    result = invoke("verify", "claim", "lewm-stabel")
    assert result.exit_code == 2
    assert "did you mean 'lewm-stable'?" in result.output


def test_verify_untestable_claim_says_so(project: Path) -> None:
    result = invoke("verify", "claim", "masking-helps")
    assert result.exit_code == 2
    assert "untestable" in result.output


def test_verify_needs_a_target(project: Path) -> None:
    assert invoke("verify").exit_code == 2
    assert invoke("verify", "--all", "--stale").exit_code == 2
    assert invoke("verify", "--all", "--seeds", "4-2").exit_code == 2


@pytest.mark.parametrize("seeds", ["\uff10", "0-5000", "x"])
def test_bad_seeds_are_one_line_in_the_tools_words(project: Path, seeds: str) -> None:
    result = invoke("verify", "--all", "--seeds", seeds)
    assert result.exit_code == 2
    assert "seeds are non-negative integers like 0-4 or 0,3,7" in result.output
    assert "invalid literal" not in result.output and "Traceback" not in result.output


TINY_CONCEPT = """\
kind: concept
title: Topic
status: emerging
summary: s
claims:
  - id: tiny-stable
    statement: Two-loss training stays finite.
    evidence: {grade: weak, sources: [paper]}
    experiments:
      - experiment: lewm_two_loss
        params: {steps: 12, batch_size: 8, lambdas: [0.1]}
        seeds: 1
        expect:
          all_losses_finite: "== 1"
"""


def test_verify_claim_end_to_end_on_a_tiny_real_experiment(tmp_path, monkeypatch) -> None:
    (tmp_path / "concepts").mkdir()
    (tmp_path / "concepts" / "topic.yaml").write_text(TINY_CONCEPT)
    (tmp_path / "concepts" / "paper.yaml").write_text("kind: source\ntitle: P\nyear: 2026\n")
    monkeypatch.chdir(tmp_path)

    first = invoke("verify", "claim", "tiny-stable")
    assert first.exit_code == 0, first.output
    assert "1 run(s) to execute, 0 cached" in first.output
    assert "verdict: reproduced" in first.output
    assert "weak -> moderate" in first.output
    ledger = (tmp_path / "results" / "runs.jsonl").read_text().splitlines()
    assert len(ledger) == 1 and json.loads(ledger[0])["experiment"] == "lewm_two_loss"

    again = invoke("verify", "claim", "tiny-stable", "--check")
    assert again.exit_code == 0, again.output
    assert "0 run(s) to execute, 1 cached" in again.output
    assert len((tmp_path / "results" / "runs.jsonl").read_text().splitlines()) == 1

    status = json.loads(invoke("status", "--json").output)
    assert status["claims"]["tiny-stable"]["effective_grade"] == "moderate"


def test_build_strict_refuses_a_ledger_with_conflicting_records(project: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from fake_registry import fake_run

    from wiki.ledger import Ledger

    ledger = Ledger(project / "results" / "runs.jsonl")
    ledger.append(fake_run("toy", {"probe_r2": 0.1}))
    ledger.append(fake_run("toy", {"probe_r2": 0.2}))
    result = invoke("build", "--strict", "--out", str(project / "site"))
    assert result.exit_code == 1, result.output
    assert "conflicts with line 1" in result.output and "runs.jsonl:2" in result.output
    assert not (project / "site").exists()


def test_verify_refuses_before_running_when_the_ledger_is_a_folder(tmp_path, monkeypatch) -> None:
    (tmp_path / "concepts").mkdir()
    (tmp_path / "concepts" / "topic.yaml").write_text(TINY_CONCEPT)
    (tmp_path / "concepts" / "paper.yaml").write_text("kind: source\ntitle: P\nyear: 2026\n")
    (tmp_path / "results" / "runs.jsonl").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    result = invoke("verify", "claim", "tiny-stable")
    assert result.exit_code == 2, result.output
    assert "cannot record runs" in result.output and "is a folder" in result.output
    assert "run(s) to execute" not in result.output and "Traceback" not in result.output
