"""The object world: a few coloured balls bouncing off walls and off each other.

State is, per object, a centre (x, y) in pixels (x along columns, y along
rows) and a velocity in pixels per frame. Balls have equal mass and collide
elastically: when two touching balls approach, they exchange the components
of their velocities along the line joining their centres. Collisions are what
make this a multi-object world: removing one ball changes the others' futures
only through the collisions it would have had.

Three kinds of rollout:

- factual: `simulate` from a random start with every object present;
- counterfactual: `simulate` again from the same state with one object's
  `present` flag off (it neither moves anything nor is drawn), which is the
  simulator's ground truth for "what if this object were not there";
- impossible: `sample_impossible` breaks continuity once per sequence, an
  object either teleports (jumps far in one frame) or vanishes (stops being
  drawn and stops colliding, though nothing hid it).

Every random draw takes an explicit `torch.Generator`. States are simulated in
float64 (collision tests compare distances, so this keeps rollouts exact and
reproducible); frames are rendered in float32 when a batch needs them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# One colour per object index (RGB), so objects can be told apart in a frame and a
# linear probe can name "object k"; cycled when there are more objects than colours.
PALETTE = torch.tensor([[1.0, 0.25, 0.25], [0.25, 1.0, 0.25], [0.3, 0.45, 1.0]])

TELEPORT = "teleport"
VANISH = "vanish"
IMPOSSIBLE_EVENTS = (TELEPORT, VANISH)


@dataclass(frozen=True)
class ObjectWorldConfig:
    size: int = 32  # frames are (3, size, size)
    num_objects: int = 3
    radius: float = 3.0  # pixels; two balls touch when their centres are 2 * radius apart
    min_speed: float = 1.0  # pixels per frame
    max_speed: float = 2.0
    substeps: int = 4  # collision checks per frame, so fast balls do not pass through each other
    min_teleport_jump: float = 10.0  # pixels; several frames' worth of the fastest motion

    @property
    def low(self) -> float:
        return self.radius

    @property
    def high(self) -> float:
        return self.size - 1 - self.radius


@dataclass(frozen=True)
class Rollout:
    """States of N scenes over T frames (float64) and which objects are present."""

    positions: torch.Tensor  # (N, T, K, 2) pixels
    velocities: torch.Tensor  # (N, T, K, 2) pixels per frame
    present: torch.Tensor  # (N, T, K) bool: takes part in physics and is drawn
    collisions: torch.Tensor  # (N, T, K, K) bool: pair collided between frame t-1 and t

    @property
    def num_frames(self) -> int:
        return self.positions.shape[1]

    def select(self, scenes: torch.Tensor | slice) -> Rollout:
        """The rollouts of some scenes (an index, a boolean mask or a slice over N)."""
        return Rollout(
            positions=self.positions[scenes],
            velocities=self.velocities[scenes],
            present=self.present[scenes],
            collisions=self.collisions[scenes],
        )


def concat_rollouts(rollouts: list[Rollout]) -> Rollout:
    """Rollouts of the same length stacked along scenes."""
    return Rollout(
        positions=torch.cat([r.positions for r in rollouts]),
        velocities=torch.cat([r.velocities for r in rollouts]),
        present=torch.cat([r.present for r in rollouts]),
        collisions=torch.cat([r.collisions for r in rollouts]),
    )


def random_state(
    world: ObjectWorldConfig, count: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Non-overlapping random starts: positions (N, K, 2) and velocities (N, K, 2), float64.

    Overlapping scenes are redrawn until none is left (rejection sampling, a
    handful of rounds for three balls in a 32-pixel box).
    """
    shape = (count, world.num_objects, 2)
    span = world.high - world.low
    positions = world.low + span * torch.rand(shape, generator=generator, dtype=torch.float64)
    for _ in range(1000):
        overlapping = _overlapping(positions, 2 * world.radius)  # (N,)
        if not overlapping.any():
            break
        redraw = world.low + span * torch.rand(shape, generator=generator, dtype=torch.float64)
        positions = torch.where(overlapping[:, None, None], redraw, positions)
    else:
        raise RuntimeError("could not place the objects without overlap; the world is too full")
    angle = 2 * torch.pi * torch.rand(shape[:2], generator=generator, dtype=torch.float64)
    speed = world.min_speed + (world.max_speed - world.min_speed) * torch.rand(
        shape[:2], generator=generator, dtype=torch.float64
    )
    velocities = speed.unsqueeze(-1) * torch.stack((angle.cos(), angle.sin()), dim=-1)
    return positions, velocities  # (N, K, 2) each


def _overlapping(positions: torch.Tensor, min_distance: float) -> torch.Tensor:
    """Whether any two objects of a scene are closer than `min_distance`: (N, K, 2) -> (N,)."""
    distance = torch.cdist(positions, positions)  # (N, K, K)
    too_close = distance < min_distance
    too_close &= ~torch.eye(positions.shape[1], dtype=torch.bool)
    return too_close.flatten(1).any(dim=1)


def simulate(
    world: ObjectWorldConfig,
    positions: torch.Tensor,
    velocities: torch.Tensor,
    present: torch.Tensor,
    num_frames: int,
) -> Rollout:
    """Roll the physics forward from a state; frame 0 of the result is the given state.

    positions, velocities (N, K, 2), present (N, K) bool -> a Rollout of `num_frames` frames.
    Absent objects keep moving on their own (so a scene can be re-run with them) but
    never collide and are never drawn.
    """
    positions = positions.to(torch.float64)
    velocities = velocities.to(torch.float64)
    num_scenes, num_objects = present.shape
    frames_pos, frames_vel = [positions], [velocities]
    frames_hit = [torch.zeros(num_scenes, num_objects, num_objects, dtype=torch.bool)]
    for _ in range(num_frames - 1):
        hits = torch.zeros(num_scenes, num_objects, num_objects, dtype=torch.bool)
        for _ in range(world.substeps):
            positions = positions + velocities / world.substeps
            positions, velocities = _bounce_off_walls(world, positions, velocities)
            velocities, pair_hits = _collide_pairs(world, positions, velocities, present)
            hits |= pair_hits
        frames_pos.append(positions)
        frames_vel.append(velocities)
        frames_hit.append(hits)
    return Rollout(
        positions=torch.stack(frames_pos, dim=1),  # (N, T, K, 2)
        velocities=torch.stack(frames_vel, dim=1),  # (N, T, K, 2)
        present=present.unsqueeze(1).expand(-1, num_frames, -1).clone(),  # (N, T, K)
        collisions=torch.stack(frames_hit, dim=1),  # (N, T, K, K)
    )


def _bounce_off_walls(
    world: ObjectWorldConfig, positions: torch.Tensor, velocities: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror a centre that crossed a wall back inside and flip that velocity component."""
    below, above = positions < world.low, positions > world.high
    positions = torch.where(below, 2 * world.low - positions, positions)
    positions = torch.where(above, 2 * world.high - positions, positions)
    velocities = torch.where(below | above, -velocities, velocities)
    return positions, velocities


def _collide_pairs(
    world: ObjectWorldConfig,
    positions: torch.Tensor,
    velocities: torch.Tensor,
    present: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Elastic equal-mass collisions of touching, approaching, present pairs (fixed pair order).

    Returns the new velocities (N, K, 2) and which pairs collided (N, K, K), symmetric.
    """
    num_scenes, num_objects = present.shape
    hits = torch.zeros(num_scenes, num_objects, num_objects, dtype=torch.bool)
    for i in range(num_objects):
        for j in range(i + 1, num_objects):
            offset = positions[:, j] - positions[:, i]  # (N, 2)
            distance = offset.norm(dim=-1, keepdim=True).clamp_min(1e-9)  # (N, 1)
            normal = offset / distance  # (N, 2) from i towards j
            closing = ((velocities[:, i] - velocities[:, j]) * normal).sum(-1, keepdim=True)
            hit = (distance < 2 * world.radius) & (closing > 0)
            hit &= (present[:, i] & present[:, j]).unsqueeze(-1)  # (N, 1)
            # Equal masses: the two balls swap their velocity components along the normal.
            exchange = closing * normal  # (N, 2)
            new_i = torch.where(hit, velocities[:, i] - exchange, velocities[:, i])
            new_j = torch.where(hit, velocities[:, j] + exchange, velocities[:, j])
            velocities = velocities.clone()
            velocities[:, i], velocities[:, j] = new_i, new_j
            hits[:, i, j] = hits[:, j, i] = hit.squeeze(-1)
    return velocities, hits


def sample_rollouts(
    world: ObjectWorldConfig,
    count: int,
    num_frames: int,
    generator: torch.Generator,
    present: torch.Tensor | None = None,
) -> Rollout:
    """Factual rollouts from random starts (every object present unless `present` (N, K) says)."""
    positions, velocities = random_state(world, count, generator)
    if present is None:
        present = torch.ones(count, world.num_objects, dtype=torch.bool)
    return simulate(world, positions, velocities, present, num_frames)


def counterfactual(
    world: ObjectWorldConfig, rollout: Rollout, removed: torch.Tensor, from_frame: int = 0
) -> Rollout:
    """Re-run the simulator from frame `from_frame` of `rollout` without object `removed[n]`.

    removed (N,) long. The result has `num_frames - from_frame` frames; its frame 0 equals the
    factual state at `from_frame` except that the removed object is absent.
    """
    positions = rollout.positions[:, from_frame]  # (N, K, 2)
    velocities = rollout.velocities[:, from_frame]
    present = rollout.present[:, from_frame].clone()  # (N, K)
    present[torch.arange(present.shape[0]), removed] = False
    return simulate(world, positions, velocities, present, rollout.num_frames - from_frame)


def sample_impossible(
    world: ObjectWorldConfig,
    count: int,
    num_frames: int,
    generator: torch.Generator,
    event: str,
    first_event_frame: int = 2,
) -> tuple[Rollout, torch.Tensor]:
    """Rollouts that break continuity once: one object teleports or vanishes at a random frame.

    The event frame e is drawn from [first_event_frame, num_frames - 1]. Frames before e
    are an ordinary factual rollout; at frame e one object either lands at a far random
    point (teleport) or is no longer there (vanish), and the physics continues from that
    altered state. Returns the rollout and the event frames (N,).
    """
    factual = sample_rollouts(world, count, num_frames, generator)
    return break_continuity(world, factual, generator, event, first_event_frame)


def break_continuity(
    world: ObjectWorldConfig,
    factual: Rollout,
    generator: torch.Generator,
    event: str,
    first_event_frame: int = 2,
) -> tuple[Rollout, torch.Tensor]:
    """The impossible twin of each factual rollout: identical up to its event frame, where one
    object teleports or vanishes (see `sample_impossible`). Returns it and the event frames."""
    if event not in IMPOSSIBLE_EVENTS:
        raise ValueError(f"unknown impossible event {event!r}; expected one of {IMPOSSIBLE_EVENTS}")
    count, num_frames = factual.positions.shape[:2]
    event_frame = torch.randint(first_event_frame, num_frames, (count,), generator=generator)
    victim = torch.randint(world.num_objects, (count,), generator=generator)  # (N,)
    scenes = torch.arange(count)
    positions = factual.positions[scenes, event_frame].clone()  # (N, K, 2) state at frame e
    velocities = factual.velocities[scenes, event_frame]
    present = factual.present[scenes, event_frame].clone()  # (N, K)
    if event == VANISH:
        present[scenes, victim] = False
    else:
        positions[scenes, victim] = _teleport_targets(world, positions, victim, generator)
    altered = simulate(world, positions, velocities, present, num_frames)
    # Splice: frame t is factual[t] for t < e and altered[t - e] from the event on.
    frame = torch.arange(num_frames)
    after_event = frame[None, :] >= event_frame[:, None]  # (N, T)
    source = (frame[None, :] - event_frame[:, None]).clamp_min(0)  # (N, T) index into altered

    def splice(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
        picked = after[scenes[:, None], source]  # (N, T, ...)
        where = after_event.reshape(*after_event.shape, *([1] * (before.dim() - 2)))
        return torch.where(where, picked, before)

    spliced = Rollout(
        positions=splice(factual.positions, altered.positions),
        velocities=splice(factual.velocities, altered.velocities),
        present=splice(factual.present, altered.present),
        collisions=splice(factual.collisions, altered.collisions),
    )
    return spliced, event_frame


def _teleport_targets(
    world: ObjectWorldConfig,
    positions: torch.Tensor,
    victim: torch.Tensor,
    generator: torch.Generator,
) -> torch.Tensor:
    """A landing point (N, 2) at least `min_teleport_jump` from the victim's position and not
    overlapping another object (rejection sampling)."""
    scenes = torch.arange(positions.shape[0])
    start = positions[scenes, victim]  # (N, 2)
    span = world.high - world.low
    landing = start.clone()
    pending = torch.ones(positions.shape[0], dtype=torch.bool)
    for _ in range(1000):
        if not pending.any():
            return landing
        draw = world.low + span * torch.rand(
            positions.shape[0], 2, generator=generator, dtype=torch.float64
        )
        # Only the victim must land clear: two other balls may overlap mid-collision.
        gap = (positions - draw[:, None]).norm(dim=-1)  # (N, K)
        gap[scenes, victim] = torch.inf
        ok = (draw - start).norm(dim=-1) >= world.min_teleport_jump
        ok &= (gap >= 2 * world.radius).all(dim=1)
        accept = pending & ok
        landing = torch.where(accept[:, None], draw, landing)
        pending &= ~accept
    raise RuntimeError("could not find teleport targets; the world is too full")


def render(
    world: ObjectWorldConfig, positions: torch.Tensor, present: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames and per-object masks of states with any leading shape.

    positions (..., K, 2), present (..., K) -> frames (..., 3, S, S) float32 in [0, 1],
    masks (..., K, S, S) float32 in [0, 1] (anti-aliased discs; an absent object's mask is 0).
    Where balls overlap (only mid-collision) their colours add, clamped at 1.
    """
    grid = torch.arange(world.size, dtype=torch.float32)  # (S,)
    centres = positions.to(torch.float32)
    dx = grid - centres[..., 0:1]  # (..., K, S) along columns
    dy = grid - centres[..., 1:2]  # (..., K, S) along rows
    distance = (dy.unsqueeze(-1) ** 2 + dx.unsqueeze(-2) ** 2).sqrt()  # (..., K, S, S)
    masks = (world.radius + 0.5 - distance).clamp(0.0, 1.0)
    masks = masks * present.to(torch.float32)[..., None, None]
    num_objects = positions.shape[-2]
    colours = PALETTE[torch.arange(num_objects) % len(PALETTE)]  # (K, 3)
    flat = masks.flatten(-2).reshape(-1, num_objects, world.size**2)  # (M, K, S*S)
    frames = torch.einsum("mkp,kc->mcp", flat, colours).clamp_max(1.0)  # (M, 3, S*S)
    frames = frames.reshape(*masks.shape[:-3], 3, world.size, world.size)  # (..., 3, S, S)
    return frames, masks


def render_rollout(world: ObjectWorldConfig, rollout: Rollout) -> tuple[torch.Tensor, torch.Tensor]:
    """Frames (N, T, 3, S, S) and masks (N, T, K, S, S) of a whole rollout."""
    return render(world, rollout.positions, rollout.present)
