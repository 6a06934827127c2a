"""The object world: physics invariants, counterfactuals and impossible events."""

from __future__ import annotations

import math

import pytest
import torch

from jepa_ref.data.object_world import (
    TELEPORT,
    VANISH,
    ObjectWorldConfig,
    counterfactual,
    random_state,
    render,
    render_rollout,
    sample_impossible,
    sample_rollouts,
)
from jepa_ref.runtime import make_generator

WORLD = ObjectWorldConfig()
FRAMES = 16


@pytest.fixture(scope="module")
def rollout():
    return sample_rollouts(WORLD, 256, FRAMES, make_generator(0))


def max_step(world: ObjectWorldConfig) -> float:
    """Largest distance a ball can move in one frame: equal-mass collisions can at most pass
    all the kinetic energy of the scene to one ball."""
    return math.sqrt(world.num_objects) * world.max_speed


def test_random_starts_do_not_overlap_and_lie_inside_the_walls():
    positions, velocities = random_state(WORLD, 512, make_generator(1))
    distance = torch.cdist(positions, positions) + torch.eye(WORLD.num_objects) * 1e9
    assert distance.min() >= 2 * WORLD.radius
    assert positions.min() >= WORLD.low and positions.max() <= WORLD.high
    speed = velocities.norm(dim=-1)
    assert speed.min() >= WORLD.min_speed and speed.max() <= WORLD.max_speed


def test_balls_stay_inside_and_collisions_conserve_energy(rollout):
    assert rollout.positions.min() >= WORLD.low and rollout.positions.max() <= WORLD.high
    energy = rollout.velocities.square().sum(dim=(-1, -2))  # (N, T)
    torch.testing.assert_close(energy, energy[:, :1].expand_as(energy), rtol=1e-12, atol=1e-12)


def test_balls_do_collide(rollout):
    collided = rollout.collisions.flatten(1).any(dim=1)
    assert collided.float().mean() > 0.5  # interactions are common, not a corner case


def test_same_generator_seed_gives_the_same_rollouts():
    first = sample_rollouts(WORLD, 32, 8, make_generator(3))
    second = sample_rollouts(WORLD, 32, 8, make_generator(3))
    assert torch.equal(first.positions, second.positions)


def test_counterfactual_differs_only_through_interactions(rollout):
    start = 4
    removed = torch.randint(WORLD.num_objects, (256,), generator=make_generator(2))
    alternative = counterfactual(WORLD, rollout, removed, from_frame=start)
    scenes = torch.arange(256)
    remaining = alternative.present[:, 0]  # (N, K)
    assert not remaining[scenes, removed].any()
    # First frame after `start` at which the removed ball collided in the factual world.
    hits = rollout.collisions[scenes, start + 1 :, removed].any(dim=-1)  # (N, T - start - 1)
    never = ~hits.any(dim=1)
    first_hit = torch.where(never, hits.shape[1], hits.int().argmax(dim=1)) + 1  # cf frame index
    factual = torch.cat((rollout.positions, rollout.velocities), dim=-1)[:, start:]  # (N, T', K, 4)
    counter = torch.cat((alternative.positions, alternative.velocities), dim=-1)
    same = (counter == factual).all(dim=-1) | ~remaining[:, None, :]  # (N, T', K)
    frame = torch.arange(factual.shape[1])
    before_first_hit = frame[None, :] < first_hit[:, None]  # (N, T')
    # Up to the removed ball's first collision, the others move exactly as in the factual world.
    assert same[before_first_hit].all()
    # A ball that never meets the removed one leaves the others' futures untouched, bit for bit.
    assert same[never].all()
    # When it does meet one, removing it changes somebody's future.
    changed = ~same.all(dim=(1, 2))
    assert changed[~never].all()
    assert (~never).sum() > 20


def test_teleport_jumps_farther_than_any_possible_motion():
    impossible, event = sample_impossible(WORLD, 128, 10, make_generator(4), TELEPORT)
    possible = sample_rollouts(WORLD, 128, 10, make_generator(5))
    possible_steps = (possible.positions[:, 1:] - possible.positions[:, :-1]).norm(dim=-1)
    assert possible_steps.max() <= max_step(WORLD)
    steps = (impossible.positions[:, 1:] - impossible.positions[:, :-1]).norm(dim=-1)  # (N, T-1, K)
    scenes = torch.arange(128)
    at_event = steps[scenes, event - 1].amax(dim=-1)  # the frame e-1 -> e
    assert at_event.min() >= WORLD.min_teleport_jump - max_step(WORLD)
    elsewhere = steps.clone()
    elsewhere[scenes, event - 1] = 0
    assert elsewhere.max() <= max_step(WORLD)  # continuity holds at every other frame
    assert impossible.present.all()


def test_vanish_removes_a_ball_in_the_middle_of_the_box():
    impossible, event = sample_impossible(WORLD, 128, 10, make_generator(6), VANISH)
    count = impossible.present.sum(dim=-1)  # (N, T)
    frame = torch.arange(10)
    expected = torch.where(
        frame[None, :] >= event[:, None], WORLD.num_objects - 1, WORLD.num_objects
    )
    assert torch.equal(count, expected)
    scenes = torch.arange(128)
    gone = ~impossible.present[scenes, event]  # (N, K): the vanished ball
    last_seen = impossible.positions[scenes, event - 1][gone]  # (N, 2)
    # It was fully inside the frame, so nothing could have hidden it or taken it out.
    assert last_seen.min() >= WORLD.low and last_seen.max() <= WORLD.high
    frames, masks = render_rollout(WORLD, impossible)
    visible = masks.sum(dim=(-1, -2)) > 1.0  # (N, T, K)
    assert torch.equal(visible, impossible.present)


def test_render_draws_each_present_ball_once_in_its_own_mask():
    positions = torch.tensor([[[8.0, 8.0], [20.0, 10.0], [16.0, 24.0]]], dtype=torch.float64)
    present = torch.tensor([[True, True, False]])
    frames, masks = render(WORLD, positions, present)
    assert frames.shape == (1, 3, 32, 32) and masks.shape == (1, 3, 32, 32)
    area = masks.sum(dim=(-1, -2))[0]
    assert area[0] == pytest.approx(math.pi * WORLD.radius**2, rel=0.1)
    assert area[2] == 0
    assert frames.min() >= 0 and frames.max() <= 1
    centroid_x = (masks[0, 1].sum(0) * torch.arange(32)).sum() / area[1]
    assert centroid_x == pytest.approx(20.0, abs=0.05)  # x runs along columns
