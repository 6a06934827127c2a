"""Object-level masking (C-JEPA) and counterfactual rollouts in the object world.

Claim under test: a slot predictor trained with object-level masking (some
objects' history hidden, except an anchor frame, so their state has to be
inferred from how the others move) answers "what if this object were not
there?" better than the same predictor trained without it.

Setup, all at toy scale:

- Slots are the true object states (centre and velocity, each scaled to
  about [-1, 1]): a frozen, perfect object-centric encoder, the role a
  pretrained video slot encoder plays in C-JEPA. Velocity is part of the slot
  on purpose: with centres alone, a masked ball's velocity could be recovered
  from the others only when it collided with one of them during the history,
  so masking would mostly add unpredictable targets instead of asking for
  interaction reasoning (a centres-only first version of this experiment
  showed exactly that). With the velocity of the anchor frame,
  a masked ball's hidden history follows from its anchor state plus the
  collisions, which show in the other balls' histories.
- Training clips have 3 balls, or 2 in `two_object_fraction` of them, so a
  scene with one object fewer is in the training distribution of both
  predictors and only the masking differs between them.
- Both predictors forecast `future` frames from `history` frames. The masked
  one also has `masked_objects` objects' history frames 1.. hidden and
  predicts them; both are trained from the same initial weights on the same
  batches.
- Counterfactual test: 3-ball clips where the removed ball would collide with
  another one during the forecast (otherwise the answer is the factual
  future, which tests nothing about interventions). The removed object is
  taken out at the last history frame (dropped from attention); the ground
  truth is the simulator re-run from that frame without it. The error is the
  mean distance in pixels between predicted and true centres of the
  remaining balls over the forecast.

Metrics: `cf_error_masked`, `cf_error_unmasked` (pixels) and
`cf_error_reduction` = 1 - masked / unmasked.

Protocol change (issue 12): C-JEPA's +20% is CLEVRER counterfactual QA
accuracy, which this toy cannot ask; the removal rollout above stays, and
beside it we measure what object masking trains for: inferring a hidden
object's history from its anchor frame and the others' motion. On the
factual test clips one object's history frames 1.. are hidden;
`{masked,unmasked}_inference_error` is each predictor's error (pixels) on
those hidden slots, `free_flight_inference_error` that of flying the object
alone from its anchor state, and `{masked,unmasked}_inference_ratio` the
predictor's error over free flight (below 1: it uses the interactions);
`masking_inference_gain` = unmasked / masked inference error. Curves: each variant's
forecast loss (subsampled), counterfactual and factual error per forecast
frame, and the error of a no-interaction reference (each remaining ball
flies on with its last true velocity, bouncing off walls only).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from jepa_ref.data.object_world import (
    ObjectWorldConfig,
    Rollout,
    concat_rollouts,
    counterfactual,
    sample_rollouts,
    simulate,
)
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.configs import ObjectMaskingCounterfactualConfig
from jepa_ref.models.slots import SlotPredictor, SlotPredictorConfig
from jepa_ref.runtime import configure_torch, make_generator, map_trainings, seed_everything
from jepa_ref.train import build_modules, subsample

WORLD = ObjectWorldConfig(num_objects=3)
SLOT_DIM = 4  # (x, y, vx, vy)
MIN_COUNTERFACTUAL_EFFECT = 0.5  # pixels: the removal must move a remaining ball at least this far


def to_slots(
    world: ObjectWorldConfig, positions: torch.Tensor, velocities: torch.Tensor
) -> torch.Tensor:
    """Pixel centres and velocities (..., 2) each -> slots (..., 4) in about [-1, 1], float32."""
    half = world.size / 2
    centres = (positions - half) / half
    return torch.cat((centres, velocities / world.max_speed), dim=-1).to(torch.float32)


def rollout_slots(
    world: ObjectWorldConfig, rollout: Rollout, frames: slice = slice(None)
) -> torch.Tensor:
    """Slots (N, T, K, 4) of a rollout's frames."""
    return to_slots(world, rollout.positions[:, frames], rollout.velocities[:, frames])


def slot_distance_pixels(
    world: ObjectWorldConfig, a: torch.Tensor, b: torch.Tensor
) -> torch.Tensor:
    """Distance in pixels between the centres of slots a and b (..., 4) -> (...)."""
    return (a[..., :2] - b[..., :2]).norm(dim=-1) * (world.size / 2)


# --- data ------------------------------------------------------------------------------------


def training_clips(
    config: ObjectMaskingCounterfactualConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Factual clips with 2 or 3 balls: slots (N, T, K, 4) and present (N, K)."""
    count = config.train_scenes
    present = torch.ones(count, WORLD.num_objects, dtype=torch.bool)
    fewer = torch.rand(count, generator=generator) < config.two_object_fraction
    dropped = torch.randint(WORLD.num_objects, (count,), generator=generator)
    present[fewer, dropped[fewer]] = False
    rollout = sample_rollouts(
        WORLD, count, config.history + config.future, generator, present=present
    )
    return rollout_slots(WORLD, rollout), present


def counterfactual_clips(
    config: ObjectMaskingCounterfactualConfig, generator: torch.Generator
) -> tuple[Rollout, Rollout, torch.Tensor]:
    """3-ball factual clips, their counterfactual continuations and the removed object (N,).

    Keeps only clips where removing the object changes the others' forecast by at least
    MIN_COUNTERFACTUAL_EFFECT pixels; draws more clips until `eval_scenes` are found.
    """
    frames = config.history + config.future
    kept: list[tuple[Rollout, Rollout, torch.Tensor]] = []
    found = 0
    while found < config.eval_scenes:
        factual = sample_rollouts(WORLD, 4 * config.eval_scenes, frames, generator)
        removed = torch.randint(WORLD.num_objects, (4 * config.eval_scenes,), generator=generator)
        # Frame 0 of the counterfactual is the last history frame, without the removed ball.
        alternative = counterfactual(WORLD, factual, removed, from_frame=config.history - 1)
        remaining = alternative.present[:, 0]  # (N, K)
        shift = (alternative.positions[:, 1:] - factual.positions[:, config.history :]).norm(dim=-1)
        effect = (shift * remaining[:, None]).flatten(1).amax(dim=1)  # (N,)
        keep = effect >= MIN_COUNTERFACTUAL_EFFECT
        kept.append((factual.select(keep), alternative.select(keep), removed[keep]))
        found += int(keep.sum())
    first = slice(0, config.eval_scenes)
    return (
        concat_rollouts([k[0] for k in kept]).select(first),
        concat_rollouts([k[1] for k in kept]).select(first),
        torch.cat([k[2] for k in kept])[first],
    )


# --- masking ---------------------------------------------------------------------------------


def history_given(present: torch.Tensor, history: int) -> torch.Tensor:
    """Plain forecasting: every history slot of every present object is given.

    present (N, K) -> given (N, H, K) bool.
    """
    return present.unsqueeze(1).expand(-1, history, -1).clone()


def mask_objects(
    given: torch.Tensor, present: torch.Tensor, count: int, generator: torch.Generator
) -> torch.Tensor:
    """C-JEPA's object-level masking: hide history frames 1.. of `count` present objects.

    Frame 0 stays visible as the object's identity anchor; objects are picked uniformly
    among the present ones (at most all but one, so something is left to reason from).
    """
    scores = torch.rand(present.shape, generator=generator).masked_fill(~present, -1.0)  # (N, K)
    rank = scores.argsort(dim=1, descending=True).argsort(dim=1)  # 0 = highest score
    allowed = (present.sum(dim=1, keepdim=True) - 1).clamp_max(count)  # (N, 1)
    hidden = (rank < allowed) & present  # (N, K)
    given = given.clone()
    given[:, 1:] &= ~hidden[:, None, :]
    return given


# --- training --------------------------------------------------------------------------------


def cosine_with_warmup(step: int, total: int, warmup_fraction: float = 0.05) -> float:
    """Learning-rate factor: linear warm-up, then cosine decay to zero (as in nanoGPT)."""
    warmup = max(1, round(warmup_fraction * total))
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


def train_slot_predictor(
    config: ObjectMaskingCounterfactualConfig,
    slots: torch.Tensor,
    present: torch.Tensor,
    object_masking: bool,
    seed: int,
) -> tuple[SlotPredictor, list[float]]:
    """Train one predictor; returns it (eval mode) and its forecast loss per step.

    Initial weights and batches derive from `seed` alone, so the masked and unmasked
    predictors start equal and see the same clips; the masking has its own stream.
    """
    init_generator, batch_generator = make_generator(seed), make_generator(seed + 1)
    mask_generator = make_generator(seed + 2)
    model_config = SlotPredictorConfig(
        slot_dim=SLOT_DIM,
        history=config.history,
        future=config.future,
        width=config.width,
        depth=config.depth,
    )
    model = build_modules(lambda: SlotPredictor(model_config), init_generator)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: cosine_with_warmup(step, config.steps)
    )
    forecast_losses: list[float] = []
    for _ in range(config.steps):
        index = torch.randint(slots.shape[0], (config.batch_size,), generator=batch_generator)
        batch, batch_present = slots[index], present[index]  # (B, T, K, 4), (B, K)
        given = history_given(batch_present, config.history)  # (B, H, K)
        if object_masking:
            masked = mask_objects(given, batch_present, config.masked_objects, mask_generator)
            if config.mask_probability < 1.0:  # draws nothing extra at the default 1.0
                chosen = torch.rand(config.batch_size, generator=mask_generator)
                masked = torch.where(
                    (chosen < config.mask_probability)[:, None, None], masked, given
                )
            given = masked
        predicted = model(batch[:, : config.history], given, batch_present)  # (B, T, K, 4)
        future = torch.ones(config.batch_size, config.future, WORLD.num_objects, dtype=torch.bool)
        to_predict = torch.cat((~given, future), dim=1) & batch_present[:, None, :]  # (B, T, K)
        # Loss on the centres only: the velocity half of a slot is an input, not a target.
        squared = (predicted - batch)[..., :2].square().sum(-1)  # (B, T, K)
        # As in C-JEPA's training script: mean over future slots plus mean over masked history.
        loss = squared[:, config.history :][to_predict[:, config.history :]].mean()
        masked_history = to_predict[:, : config.history]
        if masked_history.any():
            loss = loss + squared[:, : config.history][masked_history].mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        future = to_predict[:, config.history :]
        forecast_losses.append(squared[:, config.history :][future].mean().item())
    model.eval()
    return model, forecast_losses


# --- evaluation ------------------------------------------------------------------------------


@torch.no_grad()
def forecast_error(
    model: nn.Module,
    config: ObjectMaskingCounterfactualConfig,
    history_slots: torch.Tensor,
    present: torch.Tensor,
    true_future: torch.Tensor,
) -> torch.Tensor:
    """Mean distance (pixels) per forecast frame over present objects and clips: (future,).

    history_slots (N, H, K, 4), present (N, K), true_future (N, F, K, 4) slots.
    """
    given = history_given(present, config.history)
    predicted = model(history_slots, given, present)[:, config.history :]  # (N, F, K, 4)
    distance = slot_distance_pixels(WORLD, predicted, true_future)  # (N, F, K)
    weights = present[:, None, :].to(distance.dtype)
    return (distance * weights).sum(dim=(0, 2)) / weights.sum(dim=(0, 2))  # (F,)


def no_interaction_error(
    config: ObjectMaskingCounterfactualConfig, factual: Rollout, alternative: Rollout
) -> torch.Tensor:
    """Per-frame error (pixels) of flying each remaining ball on alone with its true velocity."""
    start = config.history - 1
    positions, velocities = factual.positions[:, start], factual.velocities[:, start]
    num, k = alternative.present[:, 0].shape
    # One object per scene: simulate every object as if it were alone in the box.
    alone = simulate(
        WORLD,
        positions.reshape(num * k, 1, 2),
        velocities.reshape(num * k, 1, 2),
        torch.ones(num * k, 1, dtype=torch.bool),
        config.future + 1,
    )
    flown = alone.positions[:, 1:, 0].reshape(num, k, config.future, 2).transpose(1, 2)
    distance = (flown - alternative.positions[:, 1:]).norm(dim=-1)  # (N, F, K)
    weights = alternative.present[:, None, 0].to(distance.dtype)
    return (distance * weights).sum(dim=(0, 2)) / weights.sum(dim=(0, 2))


@torch.no_grad()
def hidden_object_error(
    model: nn.Module,
    config: ObjectMaskingCounterfactualConfig,
    slots: torch.Tensor,
    present: torch.Tensor,
    given: torch.Tensor,
) -> float:
    """Mean distance (pixels) between inferred and true centres of the hidden history slots.

    slots (N, H, K, 4) true history, given (N, H, K) with some objects hidden after frame 0.
    """
    predicted = model(slots, given, present)[:, : config.history]  # (N, H, K, 4)
    hidden = ~given & present[:, None, :]
    return slot_distance_pixels(WORLD, predicted, slots)[hidden].mean().item()


def free_flight_error(
    config: ObjectMaskingCounterfactualConfig, factual: Rollout, given: torch.Tensor
) -> float:
    """The same hidden slots guessed by flying each object alone from its anchor frame."""
    num, k = given.shape[0], given.shape[2]
    alone = simulate(
        WORLD,
        factual.positions[:, 0].reshape(num * k, 1, 2),
        factual.velocities[:, 0].reshape(num * k, 1, 2),
        torch.ones(num * k, 1, dtype=torch.bool),
        config.history,
    )
    flown = alone.positions[:, :, 0].reshape(num, k, config.history, 2).transpose(1, 2)
    distance = (flown - factual.positions[:, : config.history]).norm(dim=-1)  # (N, H, K)
    return distance[~given & factual.present[:, :1]].mean().item()


def run(config: ObjectMaskingCounterfactualConfig, seed: int) -> ExperimentResult:
    """Train with and without object-level masking; compare counterfactual forecast errors."""
    configure_torch()
    generator = seed_everything(seed)
    slots, present = training_clips(config, generator)
    factual, alternative, _ = counterfactual_clips(config, generator)
    history_slots = rollout_slots(WORLD, factual, slice(0, config.history))  # (N, H, K, 4)
    remaining = alternative.present[:, 0]  # (N, K): the removed ball is absent
    all_present = factual.present[:, 0]

    training_seed = int(torch.randint(2**62, (1,), generator=generator))  # shared by both
    # What masking is for: infer a hidden object's history from the others (C-JEPA's task).
    inference_given = mask_objects(
        history_given(all_present, config.history),
        all_present,
        config.masked_objects,
        make_generator(training_seed + 3),
    )

    variants = (("masked", True), ("unmasked", False))
    # Both predictors from the same seed, side by side when the run has two threads.
    trained = map_trainings(
        train_slot_predictor,
        [(config, slots, present, object_masking, training_seed) for _, object_masking in variants],
    )
    metrics: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    for (variant, _), (model, forecast_losses) in zip(variants, trained, strict=True):
        cf_error = forecast_error(
            model,
            config,
            history_slots,
            remaining,
            rollout_slots(WORLD, alternative, slice(1, None)),
        )
        factual_error = forecast_error(
            model,
            config,
            history_slots,
            all_present,
            rollout_slots(WORLD, factual, slice(config.history, None)),
        )
        metrics[f"cf_error_{variant}"] = cf_error.mean().item()
        metrics[f"{variant}_inference_error"] = hidden_object_error(
            model, config, history_slots, all_present, inference_given
        )
        curves[f"forecast_loss_{variant}"] = subsample(forecast_losses)
        curves[f"cf_error_by_frame_{variant}"] = cf_error.tolist()
        curves[f"factual_error_by_frame_{variant}"] = factual_error.tolist()
    curves["cf_error_by_frame_no_interaction"] = no_interaction_error(
        config, factual, alternative
    ).tolist()
    metrics["cf_error_reduction"] = 1.0 - metrics["cf_error_masked"] / metrics["cf_error_unmasked"]
    free_flight = free_flight_error(config, factual, inference_given)
    metrics["free_flight_inference_error"] = free_flight
    metrics["masked_inference_ratio"] = metrics["masked_inference_error"] / free_flight
    metrics["unmasked_inference_ratio"] = metrics["unmasked_inference_error"] / free_flight
    # How many times better the masked predictor infers a hidden object than the unmasked one.
    metrics["masking_inference_gain"] = (
        metrics["unmasked_inference_error"] / metrics["masked_inference_error"]
    )
    return ExperimentResult(metrics=metrics, curves=curves)
