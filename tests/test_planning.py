"""CEM and the receding-horizon loop on costs whose minimum is known."""

from __future__ import annotations

import pytest
import torch

from jepa_ref.planning import cem_plan, mpc_control
from jepa_ref.runtime import make_generator


def quadratic_cost(target: torch.Tensor):
    def cost(actions: torch.Tensor) -> torch.Tensor:  # (S, H, A) -> (S,)
        return (actions - target).square().sum((1, 2))

    return cost


def test_cem_finds_the_minimum_of_a_quadratic():
    target = torch.tensor([[0.3, -0.5], [0.0, 0.8], [-0.7, 0.1]])
    plan = cem_plan(quadratic_cost(target), 3, 2, generator=make_generator(0))
    assert plan.shape == (3, 2)
    assert (plan - target).abs().max().item() < 0.05


def test_cem_stays_inside_the_action_box():
    target = torch.full((4, 1), 5.0)  # outside [-1, 1]
    plan = cem_plan(quadratic_cost(target), 4, 1, generator=make_generator(1))
    assert plan.max().item() <= 1.0
    assert plan.min().item() > 0.95


def test_cem_is_deterministic_for_a_seeded_generator():
    cost = quadratic_cost(torch.zeros(5, 2) + 0.2)
    first = cem_plan(cost, 5, 2, generator=make_generator(3))
    again = cem_plan(cost, 5, 2, generator=make_generator(3))
    assert torch.equal(first, again)


def test_cem_starts_from_init_mean():
    target = torch.full((3, 2), 0.9)
    # One iteration from a narrow distribution at the target stays near it.
    plan = cem_plan(
        quadratic_cost(target),
        3,
        2,
        iterations=1,
        init_mean=target,
        init_std=0.01,
        generator=make_generator(4),
    )
    assert (plan - target).abs().max().item() < 0.02


def test_cem_rejects_a_cost_of_the_wrong_shape_and_too_many_elites():
    with pytest.raises(ValueError, match="cost_fn must return"):
        cem_plan(lambda a: a.sum(-1), 3, 2, generator=make_generator(0))
    with pytest.raises(ValueError, match="elites"):
        cem_plan(quadratic_cost(torch.zeros(3, 2)), 3, 2, samples=8, elites=16)


def test_mpc_drives_an_integrator_to_a_goal_and_stops_early():
    goal = torch.tensor([1.0, -0.5])
    state = {"x": torch.zeros(2)}

    def plan(warm_start):
        def cost(actions):  # roll x_{t+1} = x_t + 0.2 a_t forward, distance to goal at each step
            positions = state["x"] + 0.2 * actions.cumsum(1)  # (S, H, 2)
            return (positions - goal).square().sum((1, 2))

        return cem_plan(cost, 4, 2, init_mean=warm_start, generator=generator)

    def step(action):
        state["x"] = state["x"] + 0.2 * action
        return bool((state["x"] - goal).norm() < 0.05)

    generator = make_generator(5)
    actions = mpc_control(step, plan, steps=40)
    assert (state["x"] - goal).norm().item() < 0.05
    assert actions.shape[1] == 2 and actions.shape[0] < 40


def test_mpc_replans_every_k_steps_with_the_shifted_plan_as_warm_start():
    warm_starts = []

    def plan(warm_start):
        warm_starts.append(warm_start)
        base = float(len(warm_starts))
        return torch.tensor([[base], [base + 0.1], [base + 0.2], [base + 0.3]])

    actions = mpc_control(lambda action: None, plan, steps=5, replan_every=2)
    assert actions.flatten().tolist() == pytest.approx([1.0, 1.1, 2.0, 2.1, 3.0])
    assert warm_starts[0] is None
    # Second plan starts from the first one's unexecuted actions, padded with its last.
    assert warm_starts[1].flatten().tolist() == pytest.approx([1.2, 1.3, 1.3, 1.3])
    assert len(warm_starts) == 3


def test_mpc_replans_when_the_plan_runs_out():
    calls = []

    def plan(warm_start):
        calls.append(warm_start)
        return torch.zeros(2, 1)

    actions = mpc_control(lambda action: None, plan, steps=5, replan_every=10)
    assert actions.shape == (5, 1)
    assert len(calls) == 3
