"""Protocol cards: one per experiment, the exact shape, and only metric names that exist."""

from __future__ import annotations

import re

import pytest

from jepa_ref.experiments import EXPERIMENTS
from jepa_ref.experiments.protocols import PROTOCOLS

CARD_KEYS = {"follows", "paper", "toy", "deviations", "controls", "sanity", "sensitivity_parameter"}
SIDE_KEYS = {"data", "scale", "hyperparameters", "protocol", "metric"}


def test_every_experiment_has_exactly_one_card():
    assert set(PROTOCOLS) == set(EXPERIMENTS)


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_card_has_the_exact_shape(name):
    card = PROTOCOLS[name]
    assert set(card) == CARD_KEYS
    assert card["follows"].strip()
    for side in ("paper", "toy"):
        assert set(card[side]) == SIDE_KEYS
        assert all(isinstance(value, str) and value for value in card[side].values())
    assert card["deviations"]
    assert all(set(deviation) == {"what", "why"} for deviation in card["deviations"])
    assert card["sensitivity_parameter"] in (None, "lambda")


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_controls_and_sanity_name_metrics_the_experiment_yields(name):
    experiment = EXPERIMENTS[name]
    metrics = set(experiment.metric_names(experiment.config()))
    card = PROTOCOLS[name]
    assert set(card["controls"]) <= metrics
    for relation in card["sanity"]:
        left, operator, right = relation.split()
        assert operator in (">=", ">", "<=", "<", "==")
        assert {left, right} <= metrics, relation
        assert re.fullmatch(r"[a-z0-9_]+", left) and re.fullmatch(r"[a-z0-9_]+", right)
