"""A second, torch-free registry found through its `wiki.experiments` entry point, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wiki.experiments import (
    Catalog,
    ExperimentRegistry,
    ProtocolCard,
    RegistryError,
    load_registry,
    use_registries,
)

REPO = Path(__file__).resolve().parents[1]
PLUGIN = Path(__file__).parent / "fixtures" / "plugin_pkg"
CONCEPT = """\
kind: concept
title: Coins
status: emerging
summary: s
claims:
  - id: fair-coin
    statement: The coin is fair.
    evidence: {grade: weak, sources: [paper]}
    experiments:
      - experiment: coin_flips
        params: {flips: 400}
        seeds: 2
        expect: {heads_fraction: ">= 0.4 and <= 0.6"}
"""


@pytest.fixture
def plugin_project(tmp_path: Path) -> Path:
    (tmp_path / "concepts").mkdir()
    (tmp_path / "concepts" / "coins.yaml").write_text(CONCEPT)
    (tmp_path / "concepts" / "paper.yaml").write_text("kind: source\ntitle: P\nyear: 2026\n")
    (tmp_path / "pyproject.toml").write_text('[tool.wiki]\nexperiments = ["toy_registry"]\n')
    return tmp_path


@pytest.fixture
def plugin_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN))
    load_registry.cache_clear()
    yield
    load_registry.cache_clear()
    use_registries(["jepa_ref"])


def wiki_command(project: Path, *args: str) -> subprocess.CompletedProcess:
    # A fresh process with the plug-in folder on its path: found through importlib.metadata.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(PLUGIN)])}
    return subprocess.run(
        [sys.executable, "-m", "wiki", *args, "--root", str(project / "concepts")],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_entry_point_names_the_registry_and_no_torch_is_needed(plugin_on_path):
    registry = load_registry("toy_registry")
    assert isinstance(registry, ExperimentRegistry) and list(registry.experiments) == ["coin_flips"]
    catalog = Catalog([registry])
    assert catalog.code_fingerprint == "toy-code-1"
    assert catalog.environment_version == "toy-env-1"
    assert catalog.registry_name("coin_flips") == "toy_registry"


def test_an_unknown_registry_is_one_line_naming_the_installed_ones():
    with pytest.raises(RegistryError, match="no registry 'nope' .*jepa_ref"):
        load_registry("nope")


def test_jepa_ref_keeps_the_run_keys_it_always_had():
    from jepa_ref.experiments import REGISTRY, source_fingerprint, torch_version

    catalog = Catalog([REGISTRY])
    assert catalog.code_fingerprint == source_fingerprint()
    assert catalog.environment_version == torch_version()


def test_verify_runs_a_claim_against_the_plugin_registry_end_to_end(plugin_project):
    check = wiki_command(plugin_project, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    first = wiki_command(plugin_project, "verify", "claim", "fair-coin", "--jobs", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "verdict: reproduced" in first.stdout
    records = [json.loads(line) for line in (plugin_project / "results" / "runs.jsonl").open()]
    assert [r["experiment"] for r in records] == ["coin_flips", "coin_flips"]
    assert {r["code_fingerprint"] for r in records} == {"toy-code-1"}
    assert {r["torch_version"] for r in records} == {"toy-env-1"}
    again = wiki_command(plugin_project, "verify", "claim", "fair-coin")
    assert "0 run(s) to execute, 2 cached" in again.stdout + again.stderr  # same keys


def test_an_unknown_experiment_of_another_field_is_found_once_its_registry_is_chosen(
    plugin_project,
):
    (plugin_project / "pyproject.toml").write_text("[tool.wiki]\n")  # jepa_ref only
    check = wiki_command(plugin_project, "check")
    assert check.returncode == 1 and "coin_flips" in check.stdout + check.stderr


def test_a_protocol_card_has_the_agreed_shape():
    card = ProtocolCard.model_validate(
        {
            "follows": "LeWM config/train/lewm.yaml",
            "paper": dict.fromkeys(["data", "scale", "hyperparameters", "protocol", "metric"], "x"),
            "toy": dict.fromkeys(["data", "scale", "hyperparameters", "protocol", "metric"], "y"),
            "deviations": [{"what": "smaller world", "why": "2 CPU cores"}],
            "sanity": ["oracle_success_2px >= random_success_2px"],
        }
    )
    assert card.controls == [] and card.sensitivity_parameter is None
    with pytest.raises(ValueError):
        ProtocolCard.model_validate({**card.model_dump(), "extra": 1})


def test_wiki_modules_do_not_import_jepa_ref():
    script = textwrap.dedent(
        """
        import sys
        import wiki.scoring.wiki_scores, wiki.scoring.history, wiki.planning, wiki.verify
        import wiki.executor, wiki.experiment_check, wiki.ledger
        assert not [m for m in sys.modules if m.startswith("jepa_ref")], "jepa_ref imported"
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO, timeout=120)


def test_the_jepa_ref_fingerprint_covers_run_code_but_not_the_protocol_cards(tmp_path, monkeypatch):
    import shutil

    import jepa_ref.experiments as experiments

    copy = tmp_path / "jepa_ref"
    shutil.copytree(experiments.PACKAGE_ROOT, copy)
    monkeypatch.setattr(experiments, "PACKAGE_ROOT", copy)
    before = experiments.source_fingerprint()
    (copy / "experiments" / "protocols.py").write_text("# reworded card\n", encoding="utf-8")
    assert experiments.source_fingerprint() == before
    with (copy / "losses.py").open("a", encoding="utf-8") as code:
        code.write("\n# any edit of run code\n")
    assert experiments.source_fingerprint() != before
