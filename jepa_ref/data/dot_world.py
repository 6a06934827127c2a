"""The moving-dot world: one Gaussian dot pushed by 2-D actions inside walls.

State is the dot's centre (x, y) in pixels, x along columns and y along rows.
An action a in [-1, 1]^2 moves the dot by `max_step * a` pixels; walls clamp the
centre to [margin, size - 1 - margin], so the dot slides along a wall it hits.

The distractor version draws, independently for every rendered frame, a smooth
random background, a few large flickering blobs and pixel noise. None of it
can be predicted from the past or from the action, and together it carries
ten times the dot's pixel energy (see `DISTRACTOR_WORLD`), which is what pulls
a pixel-reconstruction model away from the dot.

Everything random takes an explicit `torch.Generator`; episodes store states
and actions only, and frames are rendered when a batch is drawn, so every draw
of a distractor frame is fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

ACTION_DIM = 2


@dataclass(frozen=True)
class DotWorldConfig:
    size: int = 32  # frames are (1, size, size)
    dot_sigma: float = 1.2  # pixels
    max_step: float = 2.0  # pixels per unit action, per axis
    margin: float = 2.0  # the dot centre stays this far from the border
    episode_length: int = 16  # actions per episode (episode_length + 1 states)
    # Distractors, redrawn independently for every frame (all zero: the clean world).
    field_std: float = 0.0  # std of the coarse grid behind the smooth background
    field_grid: int = 8  # the background is a field_grid^2 grid upsampled to size^2
    flicker_dots: int = 0  # large blobs at random places, brightness uniform in [0, max]
    flicker_sigma: float = 2.5  # pixels; wider than the dot, so a single frame tells them apart
    flicker_brightness: float = 1.0  # the max
    pixel_noise_std: float = 0.0

    @property
    def has_distractors(self) -> bool:
        return self.field_std > 0 or self.flicker_dots > 0 or self.pixel_noise_std > 0


CLEAN_WORLD = DotWorldConfig()

# Why these strengths. Two conditions make the world a fair test: the distractors
# must out-weigh the dot in pixel energy (sum of squares; the dot's is pi * 1.2^2 ~ 4.5),
# and the dot must stay plainly visible in a single frame, or no encoder could be
# asked to find it. These amplitudes give ~50 units of distractor energy per frame
# (mostly the 64-value background), ~11x the dot's, and the brightest pixel of a
# frame is within 1.5 px of the dot in ~88% of frames. We first tried 4x these
# amplitudes (~800 units, brightest pixel on the dot in ~5% of frames): the dot is
# invisible by eye and even a supervised regressor with this encoder fails to
# locate it (held-out R^2 -0.09 after 400 steps), so that world tests nothing. At
# 2x (~200 units, ~25%) a supervised regressor still finds the dot (R^2 0.985) but
# both JEPA and the autoencoder lose it (R^2 ~ -0.1 at the default budget); the
# distractor_invariance experiment's `distractor_scale` reaches those worlds.
DISTRACTOR_WORLD = replace(
    CLEAN_WORLD,
    field_std=0.25,
    flicker_dots=4,
    flicker_brightness=0.25,
    pixel_noise_std=0.025,
)


def scale_distractors(world: DotWorldConfig, scale: float) -> DotWorldConfig:
    """The same world with every distractor's amplitude multiplied by `scale`."""
    return replace(
        world,
        field_std=scale * world.field_std,
        flicker_brightness=scale * world.flicker_brightness,
        pixel_noise_std=scale * world.pixel_noise_std,
    )


@dataclass(frozen=True)
class Episodes:
    """Rollouts of random actions: states and actions, no pixels."""

    positions: torch.Tensor  # (N, T + 1, 2) dot centres in pixels
    actions: torch.Tensor  # (N, T, 2) in [-1, 1]

    @property
    def num_episodes(self) -> int:
        return self.positions.shape[0]


@dataclass(frozen=True)
class Transitions:
    """A batch of (frame_t, action_t, frame_t+1) with the true states for probing."""

    frames: torch.Tensor  # (B, 1, H, W)
    actions: torch.Tensor  # (B, 2)
    next_frames: torch.Tensor  # (B, 1, H, W)
    positions: torch.Tensor  # (B, 2)
    next_positions: torch.Tensor  # (B, 2)


def step(world: DotWorldConfig, positions: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    """Move dots (B, 2) by actions (B, 2); walls clamp the result."""
    moved = positions + world.max_step * actions.clamp(-1.0, 1.0)
    return moved.clamp(world.margin, world.size - 1 - world.margin)


def random_positions(world: DotWorldConfig, count: int, generator: torch.Generator) -> torch.Tensor:
    """Dot centres drawn uniformly inside the walls: (count, 2)."""
    span = world.size - 1 - 2 * world.margin
    return world.margin + span * torch.rand(count, 2, generator=generator)


def random_actions(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Actions drawn uniformly from [-1, 1] with the given leading shape: (*shape, 2)."""
    return 2.0 * torch.rand(*shape, ACTION_DIM, generator=generator) - 1.0


def sample_episodes(world: DotWorldConfig, count: int, generator: torch.Generator) -> Episodes:
    """Roll out `count` episodes of uniformly random actions from random starts."""
    actions = random_actions((count, world.episode_length), generator)  # (N, T, 2)
    positions = [random_positions(world, count, generator)]  # T + 1 entries of (N, 2)
    for t in range(world.episode_length):
        positions.append(step(world, positions[-1], actions[:, t]))
    return Episodes(positions=torch.stack(positions, dim=1), actions=actions)


def render_blobs(
    centres: torch.Tensor, sigma: float, size: int, amplitudes: torch.Tensor | None = None
) -> torch.Tensor:
    """Sum of Gaussian blobs. centres (B, K, 2), amplitudes (B, K) -> images (B, size, size)."""
    grid = torch.arange(size, dtype=torch.float32)  # (S,)
    gx = torch.exp(-((grid - centres[..., 0:1]) ** 2) / (2 * sigma**2))  # (B, K, S) over columns
    gy = torch.exp(-((grid - centres[..., 1:2]) ** 2) / (2 * sigma**2))  # (B, K, S) over rows
    if amplitudes is not None:
        gy = gy * amplitudes.unsqueeze(-1)
    return torch.einsum("bky,bkx->byx", gy, gx)  # (B, S, S)


def render(
    world: DotWorldConfig, positions: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Frames (B, 1, S, S) of dots at positions (B, 2), plus fresh distractors if the world has
    any (then `generator` is required)."""
    frames = render_blobs(positions.unsqueeze(1), world.dot_sigma, world.size).unsqueeze(1)
    if world.has_distractors:
        if generator is None:
            raise ValueError("a world with distractors needs a generator to render")
        frames = frames + render_distractors(world, positions.shape[0], generator)
    return frames  # (B, 1, S, S)


def render_distractors(
    world: DotWorldConfig, count: int, generator: torch.Generator
) -> torch.Tensor:
    """Independent per-frame distractors: (count, 1, S, S)."""
    size = world.size
    coarse = world.field_std * torch.randn(
        count, 1, world.field_grid, world.field_grid, generator=generator
    )  # (B, 1, G, G)
    field = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False)
    centres = (size - 1) * torch.rand(count, world.flicker_dots, 2, generator=generator)
    brightness = world.flicker_brightness * torch.rand(
        count, world.flicker_dots, generator=generator
    )
    blobs = render_blobs(centres, world.flicker_sigma, size, brightness).unsqueeze(1)
    noise = world.pixel_noise_std * torch.randn(count, 1, size, size, generator=generator)
    return field + blobs + noise  # (B, 1, S, S)


def sample_transitions(
    world: DotWorldConfig, episodes: Episodes, batch_size: int, generator: torch.Generator
) -> Transitions:
    """Draw `batch_size` transitions uniformly over episodes and time steps and render them."""
    episode = torch.randint(episodes.num_episodes, (batch_size,), generator=generator)
    t = torch.randint(world.episode_length, (batch_size,), generator=generator)
    positions = episodes.positions[episode, t]  # (B, 2)
    next_positions = episodes.positions[episode, t + 1]  # (B, 2)
    return Transitions(
        frames=render(world, positions, generator),
        actions=episodes.actions[episode, t],
        next_frames=render(world, next_positions, generator),
        positions=positions,
        next_positions=next_positions,
    )


def render_episodes(
    world: DotWorldConfig, episodes: Episodes, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every state of every episode as (frames (N * (T + 1), 1, S, S), positions (N * (T + 1), 2)),
    for probing the embeddings against the true state."""
    positions = episodes.positions.reshape(-1, 2)  # (N * (T + 1), 2)
    return render(world, positions, generator), positions


@dataclass(frozen=True)
class ProbeSet:
    """Rendered frames of held-out episodes with their true dot positions, split into the
    episodes a linear probe is fitted on and the episodes it is scored on."""

    train_frames: torch.Tensor  # (N, 1, S, S)
    train_positions: torch.Tensor  # (N, 2)
    test_frames: torch.Tensor  # (M, 1, S, S)
    test_positions: torch.Tensor  # (M, 2)


def sample_probe_set(
    world: DotWorldConfig, episodes_each: int, generator: torch.Generator
) -> ProbeSet:
    """Fresh episodes (never trained on) for fitting and scoring a position probe."""
    train_frames, train_positions = render_episodes(
        world, sample_episodes(world, episodes_each, generator), generator
    )
    test_frames, test_positions = render_episodes(
        world, sample_episodes(world, episodes_each, generator), generator
    )
    return ProbeSet(train_frames, train_positions, test_frames, test_positions)
