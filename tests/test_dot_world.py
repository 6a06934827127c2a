"""The moving-dot world: dynamics, rendering, distractors, sampling, determinism."""

from __future__ import annotations

import pytest
import torch

from jepa_ref.data import dot_world

WORLD = dot_world.CLEAN_WORLD


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def brightest_pixel(frames: torch.Tensor) -> torch.Tensor:
    """(B, 1, S, S) -> (B, 2) as (x, y) = (column, row)."""
    index = frames.flatten(1).argmax(1)
    return torch.stack([index % frames.shape[-1], index // frames.shape[-1]], dim=1).float()


def test_action_moves_the_dot_by_max_step_per_unit():
    start = torch.tensor([[10.0, 12.0]])
    moved = dot_world.step(WORLD, start, torch.tensor([[0.5, -1.0]]))
    assert torch.allclose(
        moved, torch.tensor([[10.0 + 0.5 * WORLD.max_step, 12.0 - WORLD.max_step]])
    )


def test_walls_clamp_the_dot_and_it_slides_along_them():
    near_wall = torch.tensor([[WORLD.margin + 0.5, 15.0]])
    moved = dot_world.step(WORLD, near_wall, torch.tensor([[-1.0, 1.0]]))
    assert moved[0, 0] == WORLD.margin
    assert moved[0, 1] == 15.0 + WORLD.max_step


def test_clean_frame_peaks_at_the_dot_position():
    positions = torch.tensor([[5.0, 20.0], [26.0, 3.0]])
    frames = dot_world.render(WORLD, positions)
    assert frames.shape == (2, 1, WORLD.size, WORLD.size)
    assert torch.equal(brightest_pixel(frames), positions)
    assert frames.max() == pytest.approx(1.0)


def test_episodes_follow_the_dynamics_and_stay_inside_the_walls():
    episodes = dot_world.sample_episodes(WORLD, 16, generator())
    T = WORLD.episode_length
    assert episodes.positions.shape == (16, T + 1, 2)
    assert episodes.actions.shape == (16, T, 2)
    assert episodes.actions.abs().max() <= 1.0
    for t in range(T):
        expected = dot_world.step(WORLD, episodes.positions[:, t], episodes.actions[:, t])
        assert torch.equal(episodes.positions[:, t + 1], expected)
    assert episodes.positions.min() >= WORLD.margin
    assert episodes.positions.max() <= WORLD.size - 1 - WORLD.margin


def test_transitions_pair_a_frame_with_the_frame_after_its_action():
    episodes = dot_world.sample_episodes(WORLD, 8, generator())
    batch = dot_world.sample_transitions(WORLD, episodes, 32, generator(1))
    expected = dot_world.step(WORLD, batch.positions, batch.actions)
    assert torch.equal(batch.next_positions, expected)
    assert torch.equal(batch.next_frames, dot_world.render(WORLD, batch.next_positions))


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    world = dot_world.DISTRACTOR_WORLD

    def draw(seed: int) -> dot_world.Transitions:
        g = generator(seed)
        return dot_world.sample_transitions(world, dot_world.sample_episodes(world, 4, g), 8, g)

    first, again, other = draw(3), draw(3), draw(4)
    assert torch.equal(first.frames, again.frames)
    assert torch.equal(first.next_frames, again.next_frames)
    assert not torch.equal(first.frames, other.frames)


def test_distractors_change_every_frame_independently_of_the_dot():
    world = dot_world.DISTRACTOR_WORLD
    same_place = torch.full((2, 2), 15.0)
    frames = dot_world.render(world, same_place, generator())
    assert not torch.allclose(frames[0], frames[1])
    with pytest.raises(ValueError, match="generator"):
        dot_world.render(world, same_place)


def test_distractors_outweigh_the_dot_yet_leave_it_visible():
    """The two conditions the distractor world is built on (see DISTRACTOR_WORLD)."""
    world = dot_world.DISTRACTOR_WORLD
    g = generator()
    positions = dot_world.random_positions(world, 1000, g)
    frames = dot_world.render(world, positions, g)
    dot = dot_world.render(WORLD, positions)
    distractor_energy = (frames - dot).square().sum((1, 2, 3)).mean()
    dot_energy = dot.square().sum((1, 2, 3)).mean()
    assert distractor_energy > 8 * dot_energy
    on_dot = (brightest_pixel(frames) - positions).norm(dim=1) <= 1.5
    assert on_dot.float().mean() > 0.8


def test_scaling_distractors_to_zero_gives_the_clean_picture():
    silent = dot_world.scale_distractors(dot_world.DISTRACTOR_WORLD, 0.0)
    positions = torch.tensor([[7.0, 9.0]])
    assert torch.equal(
        dot_world.render(silent, positions, generator()), dot_world.render(WORLD, positions)
    )


def test_probe_set_uses_fresh_episodes_for_each_split():
    probe = dot_world.sample_probe_set(WORLD, 4, generator())
    frames_per_split = 4 * (WORLD.episode_length + 1)
    assert probe.train_frames.shape == (frames_per_split, 1, WORLD.size, WORLD.size)
    assert probe.test_positions.shape == (frames_per_split, 2)
    assert not torch.equal(probe.train_positions, probe.test_positions)
