"""latent_planning: can CEM in a learned latent space steer the dot to a goal image?

Two world models train on the clean moving-dot world from the same initial
weights and batches: prediction + lambda * SIGReg (LeWM's recipe) and pure
prediction (whose embeddings shrink; with LeWM's BatchNorm projector only to std
~0.02, keeping the position; `projector_batchnorm=False` collapses it further).
Each controls the dot from a random start to a
random goal, both drawn uniformly inside the walls, with model-predictive
control as in LeWM: encode the current frame and the goal frame, plan
`horizon` actions with the cross-entropy method minimising the squared
distance between the predicted final embedding and the goal embedding, execute
the first action, replan. A third controller takes uniformly random actions.

Success: the true dot centre comes within `success_radius` pixels of the goal
centre at some step from the start (step 0) to `max_steps` environment steps
(the episode then stops). Every controller faces the same start/goal pairs.
"""

from __future__ import annotations

import functools

import torch

from jepa_ref.data import dot_world
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.collapse_prevention import TRAIN_EPISODES
from jepa_ref.experiments.configs import LatentPlanningConfig
from jepa_ref.models.encoder import EncoderConfig, encode
from jepa_ref.models.predictor import rollout
from jepa_ref.planning import cem_plan, mpc_control
from jepa_ref.runtime import configure_torch, make_generator, seed_everything
from jepa_ref.train import TrainedWorldModel, WorldModelConfig, subsample, train_world_model

WORLD = dot_world.CLEAN_WORLD


class DotEpisode:
    """One control episode: the true dot position, moved by `act`, and whether it reached the
    goal. Keeps the closest distance to the goal seen so far."""

    def __init__(self, start: torch.Tensor, goal: torch.Tensor, radius: float) -> None:
        self.position = start.clone()  # (2,)
        self.goal = goal  # (2,)
        self.radius = radius
        self.closest = float((start - goal).norm())

    def act(self, action: torch.Tensor) -> bool:
        """Apply one action (2,); True once the dot is within the radius of the goal."""
        self.position = dot_world.step(WORLD, self.position[None], action[None])[0]
        self.closest = min(self.closest, float((self.position - self.goal).norm()))
        return self.closest <= self.radius


def final_distance_to_goal(
    predictor: torch.nn.Module, z: torch.Tensor, goal_z: torch.Tensor, actions: torch.Tensor
) -> torch.Tensor:
    """LeWM's planning cost: squared distance of the last predicted embedding to the goal.
    z (1, D), goal_z (D,), actions (S, H, 2) -> (S,)."""
    states = rollout(predictor, z.expand(actions.shape[0], -1), actions)  # (S, H, D)
    return (states[:, -1] - goal_z).square().sum(-1)


def plan_with_model(
    model: TrainedWorldModel,
    episode: DotEpisode,
    goal_z: torch.Tensor,
    config: LatentPlanningConfig,
    generator: torch.Generator,
    warm_start: torch.Tensor | None,
) -> torch.Tensor:
    """CEM plan (H, 2) from the current frame towards the goal embedding (D,)."""
    z = encode(model.encoder, dot_world.render(WORLD, episode.position[None]))  # (1, D)
    return cem_plan(
        functools.partial(final_distance_to_goal, model.predictor, z, goal_z),
        horizon=config.horizon,
        action_dim=dot_world.ACTION_DIM,
        samples=config.samples,
        iterations=config.iterations,
        elites=config.elites,
        generator=generator,
        init_mean=warm_start,
    )


def model_success_rate(
    model: TrainedWorldModel,
    tasks: list[tuple[torch.Tensor, torch.Tensor]],
    config: LatentPlanningConfig,
    generator: torch.Generator,
) -> tuple[float, list[float]]:
    """Fraction of (start, goal) tasks the MPC controller solves, and each closest distance."""
    reached, closest = 0, []
    for start, goal in tasks:
        episode = DotEpisode(start, goal, config.success_radius)
        goal_z = encode(model.encoder, dot_world.render(WORLD, goal[None]))[0]  # (D,)
        plan = functools.partial(plan_with_model, model, episode, goal_z, config, generator)
        mpc_control(episode.act, plan, steps=config.max_steps)
        reached += episode.closest <= config.success_radius
        closest.append(episode.closest)
    return reached / len(tasks), closest


def random_success_rate(
    tasks: list[tuple[torch.Tensor, torch.Tensor]],
    config: LatentPlanningConfig,
    generator: torch.Generator,
) -> tuple[float, list[float]]:
    """The same tasks under uniformly random actions."""
    reached, closest = 0, []
    for start, goal in tasks:
        episode = DotEpisode(start, goal, config.success_radius)
        for action in dot_world.random_actions((config.max_steps,), generator):
            if episode.act(action):
                break
        reached += episode.closest <= config.success_radius
        closest.append(episode.closest)
    return reached / len(tasks), closest


def run(config: LatentPlanningConfig, seed: int) -> ExperimentResult:
    """Train the SIGReg and pure models, then control with each and with random actions."""
    configure_torch()
    generator = seed_everything(seed)
    episodes = dot_world.sample_episodes(WORLD, TRAIN_EPISODES, generator)
    starts = dot_world.random_positions(WORLD, config.episodes, generator)  # (E, 2)
    goals = dot_world.random_positions(WORLD, config.episodes, generator)  # (E, 2)
    tasks = list(zip(starts, goals, strict=True))
    train_seed, plan_seed, random_seed = torch.randint(2**62, (3,), generator=generator).tolist()
    sample_batch = functools.partial(dot_world.sample_transitions, WORLD, episodes)

    metrics: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    for method in ("sigreg", "pure"):
        model_config = WorldModelConfig(
            method=method,
            steps=config.steps,
            batch_size=config.batch_size,
            encoder=EncoderConfig(projector_batchnorm=config.projector_batchnorm),
        )
        model = train_world_model(sample_batch, model_config, make_generator(train_seed))
        success, closest = model_success_rate(model, tasks, config, make_generator(plan_seed))
        metrics[f"{method}_success"] = success
        curves[f"{method}_closest_distance"] = subsample(closest)
    success, closest = random_success_rate(tasks, config, make_generator(random_seed))
    metrics["random_success"] = success
    curves["random_closest_distance"] = subsample(closest)
    return ExperimentResult(metrics=metrics, curves=curves)
