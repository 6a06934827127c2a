"""Training loops: the action-conditioned JEPA world model and the pixel autoencoder.

The world model encodes frame_t and frame_t+1, predicts z_t+1 from (z_t, a_t)
and minimises the prediction error plus one anti-collapse method:

- `pure`: prediction only, gradients into both sides; nothing stops collapse.
- `ema`: the target z_t+1 comes from an EMA copy of the encoder under
  stop-gradient (I-JEPA / BYOL).
- `vicreg`: VICReg's variance and covariance terms on the embeddings, with the
  prediction error in the place of the invariance term (coefficients 25, 25, 1).
- `sigreg`: LeWM's two-term loss, prediction + lambda * SIGReg, no EMA and no
  stop-gradient.

Data comes from a `sample_batch(batch_size, generator)` callable, so any world
that yields (frames, actions, next_frames) batches can be trained here. All
randomness (initial weights included) derives from the `generator` argument:
the same generator state gives the same model, bit for bit.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import torch
from torch import nn

from jepa_ref import losses
from jepa_ref.models.decoder import DecoderConfig, PixelDecoder
from jepa_ref.models.encoder import Encoder, EncoderConfig
from jepa_ref.models.predictor import MLPPredictor, PredictorConfig
from jepa_ref.runtime import make_generator

Method = Literal["pure", "ema", "vicreg", "sigreg"]
METHODS: tuple[str, ...] = ("pure", "ema", "vicreg", "sigreg")


class TransitionBatch(Protocol):
    frames: torch.Tensor  # (B, C, S, S)
    actions: torch.Tensor  # (B, A)
    next_frames: torch.Tensor  # (B, C, S, S)


SampleBatch = Callable[[int, torch.Generator], TransitionBatch]


@dataclass(frozen=True)
class WorldModelConfig:
    method: Method = "sigreg"
    steps: int = 300
    batch_size: int = 64
    lr: float = 1e-3
    sigreg_lambda: float = 0.1  # LeWM's default weight
    sigreg_projections: int = 256
    vicreg_pred_coeff: float = 25.0  # VICReg's invariance weight, given to the prediction error
    vicreg_std_coeff: float = 25.0
    vicreg_cov_coeff: float = 1.0
    ema_start: float = 0.996  # I-JEPA's schedule: linear to 1.0 over the run
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    predictor: PredictorConfig = field(default_factory=PredictorConfig)


@dataclass
class TrainedWorldModel:
    encoder: Encoder
    predictor: MLPPredictor
    losses: list[float]  # total loss per step
    target_encoder: Encoder | None = None  # the EMA teacher, for method "ema"

    @property
    def losses_finite(self) -> bool:
        return all(math.isfinite(loss) for loss in self.losses)


def build_modules(build: Callable[[], nn.Module], generator: torch.Generator) -> nn.Module:
    """Construct modules with initial weights drawn from a seed taken from `generator`.

    torch's layer constructors draw from the global RNG; forking it keeps this
    call from depending on, or disturbing, whatever else uses that RNG.
    """
    init_seed = int(torch.randint(2**62, (1,), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        return build()


def cosine_lr(step: int, total_steps: int, base_lr: float) -> float:
    """Cosine decay from `base_lr` to 0 over the run (the JEPA papers' schedule, minus warmup)."""
    return 0.5 * base_lr * (1.0 + math.cos(math.pi * step / total_steps))


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def anti_collapse_loss(
    config: WorldModelConfig, z: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """The regulariser of `config.method` on embeddings z: (2, B, D) for (t, t+1)."""
    if config.method == "vicreg":
        return losses.variance_covariance(
            z, std_coeff=config.vicreg_std_coeff, cov_coeff=config.vicreg_cov_coeff
        )
    if config.method == "sigreg":
        # Per time step with shared directions, as LeWM applies SIGReg to (T, B, D).
        reg = losses.sigreg(z, num_projections=config.sigreg_projections, generator=generator)
        return config.sigreg_lambda * reg
    return z.new_zeros(())


def train_world_model(
    sample_batch: SampleBatch, config: WorldModelConfig, generator: torch.Generator
) -> TrainedWorldModel:
    """Train encoder + MLP predictor with `config.method`; returns the models in eval mode."""
    if config.method not in METHODS:
        raise ValueError(f"unknown method {config.method!r}; expected one of {METHODS}")
    encoder, predictor = build_modules(
        lambda: nn.ModuleList([Encoder(config.encoder), MLPPredictor(config.predictor)]),
        generator,
    )
    # A separate stream for the loss (SIGReg directions), so every method sees the same batches.
    loss_generator = make_generator(int(torch.randint(2**62, (1,), generator=generator)))
    target_encoder = None
    if config.method == "ema":
        target_encoder = copy.deepcopy(encoder).requires_grad_(False)
    parameters = [*encoder.parameters(), *predictor.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=config.lr)
    pred_weight = config.vicreg_pred_coeff if config.method == "vicreg" else 1.0

    step_losses: list[float] = []
    for step in range(config.steps):
        batch = sample_batch(config.batch_size, generator)
        B = batch.frames.shape[0]
        # One encoder pass over both frames keeps BatchNorm statistics shared across time.
        z = encoder(torch.cat([batch.frames, batch.next_frames])).view(2, B, -1)  # (2, B, D)
        if target_encoder is not None:
            with torch.no_grad():
                target = target_encoder(batch.next_frames)  # (B, D), stop-gradient
        else:
            target = z[1]
        predicted = predictor(z[0], batch.actions)  # (B, D)
        loss = pred_weight * losses.prediction_loss(predicted, target)
        loss = loss + anti_collapse_loss(config, z, loss_generator)

        set_learning_rate(optimizer, cosine_lr(step, config.steps, config.lr))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if target_encoder is not None:
            momentum = losses.ema_momentum(step + 1, config.steps, start=config.ema_start)
            losses.ema_update(target_encoder, encoder, momentum)
        step_losses.append(loss.item())

    encoder.eval()
    predictor.eval()
    if target_encoder is not None:
        target_encoder.eval()
    return TrainedWorldModel(encoder, predictor, step_losses, target_encoder)


# --- pixel autoencoder baseline ------------------------------------------------------------


@dataclass(frozen=True)
class AutoencoderConfig:
    steps: int = 300
    batch_size: int = 64
    lr: float = 1e-3
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    decoder: DecoderConfig = field(default_factory=DecoderConfig)


@dataclass
class TrainedAutoencoder:
    encoder: Encoder
    decoder: PixelDecoder
    losses: list[float]  # reconstruction MSE per step


def train_autoencoder(
    sample_batch: SampleBatch, config: AutoencoderConfig, generator: torch.Generator
) -> TrainedAutoencoder:
    """Train encoder + pixel decoder to reconstruct frames (MSE) through the emb_dim bottleneck.

    Uses both frames of each transition, so it sees as many frames per step as the world model.
    """
    encoder, decoder = build_modules(
        lambda: nn.ModuleList([Encoder(config.encoder), PixelDecoder(config.decoder)]), generator
    )
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=config.lr)
    step_losses: list[float] = []
    for step in range(config.steps):
        batch = sample_batch(config.batch_size, generator)
        frames = torch.cat([batch.frames, batch.next_frames])  # (2B, C, S, S)
        loss = nn.functional.mse_loss(decoder(encoder(frames)), frames)
        set_learning_rate(optimizer, cosine_lr(step, config.steps, config.lr))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step_losses.append(loss.item())
    encoder.eval()
    decoder.eval()
    return TrainedAutoencoder(encoder, decoder, step_losses)


def train_seeded(
    train: Callable[..., Any], sample_batch: SampleBatch, config: Any, seed: int
) -> Any:
    """`train(sample_batch, config, generator seeded with seed)`, e.g. `train_world_model` or
    `train_autoencoder`: module level, so that `jepa_ref.runtime.map_trainings` can run
    trainings of different kinds side by side in its workers."""
    return train(sample_batch, config, make_generator(seed))


def subsample(values: list[float], max_points: int = 100) -> list[float]:
    """At most `max_points` evenly spaced values (first and last kept), for small curves."""
    if len(values) <= max_points:
        return list(values)
    last = len(values) - 1
    return [values[round(i * last / (max_points - 1))] for i in range(max_points)]
