"""Slot-wise predictor: a transformer over object tokens, for C-JEPA-style object masking.

Input is a clip history of H frames x K objects of slot vectors, some of them
masked. Each object becomes one token that embeds its visible history (every
history slot together with a given/masked flag); a transformer lets the
objects attend to each other, which is the only way information passes
between objects (collisions); a head reads out every frame of the clip for
that object: the H history frames (filling in masked ones) and F future ones.

Objects absent from a scene are left out of attention altogether, which is
how a counterfactual rollout removes an object. Tokens carry no object index,
so the predictor treats objects as a set (permutation-equivariant).

Why one token per object rather than one per (frame, object) as in C-JEPA:
at this scale the per-object token makes velocity a linear read-out of the
token's input, so a few hundred steps suffice to learn the dynamics, and the
object masking still removes exactly what C-JEPA's does (an object's history
after its first, anchor, frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from jepa_ref.models.patches import TransformerBlock


@dataclass(frozen=True)
class SlotPredictorConfig:
    slot_dim: int = 4
    history: int = 4  # frames given (some maybe masked)
    future: int = 8  # frames predicted after the history
    width: int = 64
    depth: int = 2
    heads: int = 4


class SlotPredictor(nn.Module):
    """(history (B, H, K, S), given (B, H, K) bool, present (B, K) bool) -> (B, H + F, K, S).

    Output frames are offsets added to each object's latest given history slot, so
    "stay where you were last seen" is the starting guess rather than something to learn.
    """

    def __init__(self, config: SlotPredictorConfig) -> None:
        super().__init__()
        self.config = config
        frames = config.history + config.future
        inputs = (config.history + 1) * (config.slot_dim + 1) - 1  # relative history, flags, ref
        self.embed = nn.Linear(inputs, config.width)
        # A linear path from input to output: "fly on at the given velocity" is linear in the
        # input, and LayerNorm in the transformer path would normalise the speed away.
        self.skip = nn.Linear(inputs, frames * config.slot_dim)
        self.blocks = nn.ModuleList(
            TransformerBlock(config.width, config.heads) for _ in range(config.depth)
        )
        self.norm = nn.LayerNorm(config.width)
        self.out = nn.Linear(config.width, frames * config.slot_dim)

    def forward(
        self, history: torch.Tensor, given: torch.Tensor, present: torch.Tensor
    ) -> torch.Tensor:
        B, H, K, S = history.shape
        flags = given.unsqueeze(-1).to(history.dtype)  # (B, H, K, 1)
        reference = latest_given(history, given)  # (B, K, S)
        # History relative to the reference (motion is then explicit); masked slots never
        # reach the model: zeroed, and flagged as missing.
        relative = (history - reference.unsqueeze(1)) * flags  # (B, H, K, S)
        visible = torch.cat((relative, flags), dim=-1).permute(0, 2, 1, 3).reshape(B, K, -1)
        inputs = torch.cat((visible, reference), dim=-1)  # (B, K, inputs)
        x = self.embed(inputs)  # (B, K, W)
        for block in self.blocks:
            x = block(x, ignore=~present)
        offsets = self.out(self.norm(x)) + self.skip(inputs)  # (B, K, (H + F) * S)
        offsets = offsets.view(B, K, -1, S).transpose(1, 2)  # (B, H + F, K, S)
        return reference.unsqueeze(1) + offsets


def latest_given(history: torch.Tensor, given: torch.Tensor) -> torch.Tensor:
    """Each object's last given slot in the history: (B, H, K, S) -> (B, K, S); 0 if none."""
    B, H, K, S = history.shape
    frame = torch.arange(H).view(1, H, 1).expand(B, H, K)
    latest = torch.where(given, frame, -1).amax(dim=1)  # (B, K)
    picked = torch.gather(history, 1, latest.clamp_min(0).view(B, 1, K, 1).expand(B, 1, K, S))
    return picked.squeeze(1) * (latest >= 0).unsqueeze(-1)  # (B, K, S)
