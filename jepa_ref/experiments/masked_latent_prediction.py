"""I-JEPA-style masked latent prediction: EMA target vs no EMA vs SIGReg.

Claim under test: predicting the embeddings of masked target blocks from a
context block learns useful features only if something prevents collapse.
I-JEPA's answer is an EMA target encoder; without it (target = the online
encoder under stop-gradient) the predictor and encoder can agree on a
constant; LeJEPA's answer is SIGReg on the embeddings, with no EMA at all.

Setup (I-JEPA's recipe at toy scale):

- Images: single frames of the object world (three coloured balls, 32 x 32),
  freshly drawn every step. The balls have radius 5 here, not the world's
  default 3: at radius 3 a ball fits in about four 4 x 4 patches, most
  target blocks are plain background that position alone predicts, and the
  loss gives the encoder almost no reason to see the balls (a first version
  trained at radius 3 ended with every variant's probe at or below that of
  an untrained encoder). Bigger balls span patches, so a target block is
  often the missing part of a ball partly seen in the context, which is
  the situation I-JEPA's objective is built for.
- Encoder: a small ViT (`models.patches.PatchEncoder`, 4 x 4 patches on an
  8 x 8 grid); predictor: a narrower ViT over context tokens plus positioned
  mask tokens (`PatchPredictor`).
- Masks: I-JEPA's multi-block collator (4 target blocks of 15-20% of the
  image, one context block of 85-100% minus the targets).
- Target: the target encoder's patch embeddings of the full image, layer-
  normalised as in I-JEPA, at the target blocks. Loss: mean squared error.
- Variants: `ema` (target encoder = EMA of the online encoder, momentum
  0.996 -> 1), `noema` (target = online encoder, stop-gradient), `sigreg`
  (as noema, plus lambda * SIGReg on a BatchNorm projector's output of the
  online encoder's mean-pooled embeddings of the full image), `sigreg_nosg`
  (as sigreg, and the target keeps its gradient: no stop-gradient anywhere,
  LeJEPA's setting). Same initial weights, images and masks.

Protocol change (issue 12), following LeJEPA (`MINIMAL.md`: SIGReg on the
projector's output, the probe on the backbone) and LeWM's projector
(`jepa.py`, `config/train/model/lewm.yaml`: Linear -> BatchNorm -> GELU ->
Linear after the ViT): SIGReg used to act on the pooled output of the
encoder's final LayerNorm, with no projector, and the probe read that same
space. A final LayerNorm fixes each token's norm, which fights SIGReg's push
towards an isotropic Gaussian (see `models/encoder.py`); LeWM adds the
BatchNorm projector for exactly that reason. Now SIGReg acts on the
projector and the probe reads the pooled encoder, as LeJEPA probes its
backbone. Removing the stop-gradient is a separate variant, `sigreg_nosg`,
so each of the two changes is measured on its own.

Deviations: a 2-block ViT of width 32 on 32 x 32 frames instead of ViT-H on
ImageNet; a few hundred steps; lambda 0.1 (LeJEPA's default weight is 0.05
on its own loss scale; unchanged from the first version, fixed before the
design seeds).

Metrics per variant: `{variant}_emb_std` (per-dimension std of mean-pooled
online-encoder embeddings over held-out images, averaged over dimensions)
and `{variant}_probe_r2` (held-out R^2 of a linear probe from the same pooled
embeddings to the three balls' centres). SIGReg variants also report
`{variant}_projector_emb_std` and `{variant}_projector_probe_r2`: the same
two in the projector's output space, where SIGReg acts.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from jepa_ref import diagnostics, losses
from jepa_ref.data.object_world import ObjectWorldConfig, random_state, render
from jepa_ref.experiments import ExperimentResult
from jepa_ref.experiments.configs import MaskedLatentPredictionConfig
from jepa_ref.models.encoder import Projector
from jepa_ref.models.patches import (
    MaskCollator,
    PatchEncoder,
    PatchEncoderConfig,
    PatchPredictor,
    gather_tokens,
)
from jepa_ref.runtime import configure_torch, make_generator, map_trainings, seed_everything
from jepa_ref.train import build_modules, subsample

WORLD = ObjectWorldConfig(num_objects=3, radius=5.0)  # see the module docstring
SIGREG_VARIANTS = ("sigreg", "sigreg_nosg")


def sample_images(count: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random scenes: images (N, 3, S, S) and the balls' centres (N, K * 2) in pixels."""
    positions, _ = random_state(WORLD, count, generator)  # (N, K, 2)
    images, _ = render(WORLD, positions, torch.ones(count, WORLD.num_objects, dtype=torch.bool))
    return images, positions.flatten(1).to(torch.float32)


@torch.no_grad()
def pooled_embeddings(
    encoder: PatchEncoder, images: torch.Tensor, chunk: int = 512
) -> torch.Tensor:
    """Mean over patches of the encoder's output: (N, 3, S, S) -> (N, W)."""
    return torch.cat([encoder(part).mean(dim=1) for part in images.split(chunk)])


def train_variant(
    config: MaskedLatentPredictionConfig, variant: str, seed: int
) -> tuple[PatchEncoder, Projector, list[float]]:
    """Train encoder + predictor with one variant; returns the online encoder, the projector
    (trained only by the SIGReg variants) and the losses.

    Weights, images and masks derive from `seed` alone, so the variants differ only in
    how the target is made and in the regulariser.
    """
    init_generator, data_generator = make_generator(seed), make_generator(seed + 1)
    mask_generator, sigreg_generator = make_generator(seed + 2), make_generator(seed + 3)
    encoder_config = PatchEncoderConfig(width=config.width, depth=config.depth)
    encoder, predictor, projector = build_modules(
        lambda: torch.nn.ModuleList(
            [
                PatchEncoder(encoder_config),
                PatchPredictor(encoder_config, width=config.width),
                Projector(config.width, 4 * config.width, config.width),
            ]
        ),
        init_generator,
    )
    trained = [*encoder.parameters(), *predictor.parameters()]
    if variant in SIGREG_VARIANTS:
        trained += [*projector.parameters()]
    target_encoder = copy.deepcopy(encoder).requires_grad_(False) if variant == "ema" else None
    collator = MaskCollator(grid=encoder_config.grid)
    optimizer = torch.optim.AdamW(trained, lr=config.lr, weight_decay=0.04)
    step_losses: list[float] = []
    for step in range(config.steps):
        images, _ = sample_images(config.batch_size, data_generator)  # (B, 3, S, S)
        masks = collator(config.batch_size, mask_generator)
        online_full = None
        if target_encoder is not None:
            with torch.no_grad():
                full = target_encoder(images)  # (B, N, W)
        elif variant in SIGREG_VARIANTS:
            online_full = encoder(images)  # (B, N, W), keeps its graph for SIGReg
            full = online_full.detach() if variant == "sigreg" else online_full
        else:
            with torch.no_grad():
                full = encoder(images)
        target = gather_tokens(F.layer_norm(full, (full.shape[-1],)), masks.flat_targets)
        context = encoder(images, keep=masks.context)  # (B, Nc, W)
        predicted = predictor(context, masks.context, masks.flat_targets)  # (B, M * Nt, W)
        loss = losses.prediction_loss(predicted, target)
        if online_full is not None:
            projected = projector(online_full.mean(dim=1))  # (B, W): pooled, then projected
            loss = loss + config.sigreg_lambda * losses.sigreg(
                projected, generator=sigreg_generator
            )

        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if target_encoder is not None:
            momentum = losses.ema_momentum(step + 1, config.steps)
            losses.ema_update(target_encoder, encoder, momentum)
        step_losses.append(loss.item())
    encoder.eval()
    projector.eval()
    return encoder, projector, step_losses


def run(config: MaskedLatentPredictionConfig, seed: int) -> ExperimentResult:
    """Train each variant; report embedding spread and a linear probe of the ball centres."""
    configure_torch()
    generator = seed_everything(seed)
    train_images, train_centres = sample_images(config.probe_frames, generator)
    test_images, test_centres = sample_images(config.probe_frames // 2, generator)
    training_seed = int(torch.randint(2**62, (1,), generator=generator))  # shared by variants

    metrics: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    trained = map_trainings(train_variant, [(config, v, training_seed) for v in config.variants])
    for variant, (encoder, projector, step_losses) in zip(config.variants, trained, strict=True):
        train_z = pooled_embeddings(encoder, train_images)
        test_z = pooled_embeddings(encoder, test_images)
        spaces = {"": (train_z, test_z)}
        if variant in SIGREG_VARIANTS:
            with torch.no_grad():
                spaces["projector_"] = (projector(train_z), projector(test_z))
        for space, (space_train, space_test) in spaces.items():
            metrics[f"{variant}_{space}emb_std"] = diagnostics.embedding_std(space_test)
            metrics[f"{variant}_{space}probe_r2"] = diagnostics.linear_probe_r2(
                space_train, train_centres, space_test, test_centres
            )
        curves[f"{variant}_loss"] = subsample(step_losses)
    return ExperimentResult(metrics=metrics, curves=curves)
