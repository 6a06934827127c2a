import pytest
from fake_registry import FAKE_REGISTRY

from wiki.corpus import load_wiki
from wiki.errors import ContentErrors
from wiki.experiment_check import check_experiments

SOURCE = """
kind: source
title: A paper
year: 2026
"""

CONCEPT = """
kind: concept
title: JEPA
status: emerging
summary: Predict embeddings.
claims:
  - id: stable
    statement: Training is stable.
    evidence:
      grade: moderate
      sources: [paper]
    experiments:
{links}
"""


def _errors(write_pages, links: str) -> list[str]:
    """Load a one-claim wiki whose `experiments` entries are `links`; formatted errors."""
    root = write_pages({"sources/paper.yaml": SOURCE, "jepa.yaml": CONCEPT.format(links=links)})
    try:
        load_wiki(root, check_experiments=lambda wiki: check_experiments(wiki, FAKE_REGISTRY))
    except ContentErrors as raised:
        return [error.format().replace(str(root) + "/", "") for error in raised.errors]
    return []


def test_valid_links_give_no_errors(write_pages):
    links = """\
      - experiment: toy
        params: {methods: [a, b], steps: 5}
        expect: {a_std: ">= 0.5", b_std: "> 1e-3", probe_r2: "> 0.9"}
      - experiment: other
        scope: indirect
        expect: {auroc: ">= 0.8"}"""
    assert _errors(write_pages, links) == []


def test_unknown_experiment_is_located_with_a_did_you_mean(write_pages):
    links = """\
      - experiment: toi
        expect: {probe_r2: "> 0.9"}"""
    (error,) = _errors(write_pages, links)
    assert error.startswith("jepa.yaml:12:21: unknown experiment 'toi'")
    assert "did you mean 'toy'?" in error and "known experiments: other, toy" in error


def test_each_param_error_is_located_at_its_key(write_pages):
    links = """\
      - experiment: toy
        params:
          steps: many
          rate: 0.5
          methods: [a, 3]
        expect: {probe_r2: "> 0.9"}"""
    errors = _errors(write_pages, links)
    assert errors == [
        "jepa.yaml:14:18: params.steps: Input should be a valid integer,"
        " unable to parse string as an integer",
        "jepa.yaml:16:24: params.methods.1: Input should be a valid string",
    ]


def test_unknown_param_gets_a_hint_with_the_config_fields(write_pages):
    links = """\
      - experiment: toy
        params: {stepz: 5}
        expect: {probe_r2: "> 0.9"}"""
    (error,) = _errors(write_pages, links)
    assert error.startswith("jepa.yaml:13:18: params.stepz: Extra inputs are not permitted")
    assert "did you mean 'steps'?" in error and "toy params: methods, steps, rate" in error


def test_expect_keys_must_be_metrics_of_that_config(write_pages):
    # `methods` decides the metric names: 'pure_std' exists by default, not with [a].
    links = """\
      - experiment: toy
        params: {methods: [a]}
        expect:
          pure_std: ">= 0.5"
          probe_r3: "> 0.9\""""
    errors = _errors(write_pages, links)
    assert len(errors) == 2
    assert errors[0].startswith(
        "jepa.yaml:15:11: expect: 'pure_std' is not a metric of toy with these params"
    )
    assert "toy yields: a_std, probe_r2" in errors[0]
    assert errors[1].startswith("jepa.yaml:16:11: expect: 'probe_r3' is not a metric")
    assert "did you mean 'probe_r2'?" in errors[1]


@pytest.mark.parametrize("bad", ["0.5", "=> 0.5", ">= lots"])
def test_unparsable_expectations_are_located(write_pages, bad):
    links = f"""\
      - experiment: toy
        expect:
          probe_r2: "{bad}\""""
    (error,) = _errors(write_pages, links)
    assert error.startswith("jepa.yaml:14:21: expect.probe_r2: ")


def test_a_link_without_expectations_is_an_error(write_pages):
    links = """\
      - experiment: other
        params: {episodes: 2}"""
    (error,) = _errors(write_pages, links)
    assert error.startswith("jepa.yaml:12:9: experiment link 'other' has no `expect`")
    assert "other yields: auroc" in error


def test_the_real_registry_is_the_default(write_pages):
    root = write_pages(
        {
            "sources/paper.yaml": SOURCE,
            "jepa.yaml": CONCEPT.format(
                links="""\
      - experiment: lewm_two_loss
        params: {steps: 20}
        expect: {min_emb_std: ">= 0.5"}"""
            ),
        }
    )
    assert check_experiments(load_wiki(root)) == []
