"""Action-conditioned predictors: embedding z_t and action a_t -> predicted z_t+1.

`MLPPredictor` is the one the dot-world experiments train: a residual MLP on
[z_t, a_t]. `TransformerPredictor` is LeWM's shape at toy size: a causal
transformer over a history of embeddings whose every block is conditioned on
the action through AdaLN-zero (DiT): the action sets each LayerNorm's shift
and scale and a gate on each residual branch, and the gates start at zero so
every block starts as the identity.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class PredictorConfig:
    emb_dim: int = 32
    action_dim: int = 2
    hidden_dim: int = 256
    depth: int = 2  # hidden layers of the MLP, blocks of the transformer
    heads: int = 4  # transformer only


class MLPPredictor(nn.Module):
    """(z (B, D), a (B, A)) -> z_next (B, D) = z + MLP([z, a])."""

    def __init__(self, config: PredictorConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = config.emb_dim + config.action_dim
        for _ in range(config.depth):
            layers += [nn.Linear(width, config.hidden_dim), nn.GELU()]
            width = config.hidden_dim
        layers.append(nn.Linear(width, config.emb_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        return z + self.net(torch.cat([z, actions], dim=-1))  # (B, D)


def rollout(predictor: nn.Module, z: torch.Tensor, action_sequence: torch.Tensor) -> torch.Tensor:
    """Apply a one-step predictor along actions (B, H, A) from z (B, D): states (B, H, D)."""
    states = []
    for t in range(action_sequence.shape[1]):
        z = predictor(z, action_sequence[:, t])
        states.append(z)
    return torch.stack(states, dim=1)  # (B, H, D)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale) + shift


class AdaLNZeroBlock(nn.Module):
    """Pre-norm transformer block; the condition c sets norm shift/scale and branch gates."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width, elementwise_affine=False)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width, elementwise_affine=False)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
        )
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 6 * width))
        nn.init.zeros_(self.ada[1].weight)  # the "zero" in AdaLN-zero: gates start closed
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        B, T, W = x.shape  # x and c: (B, T, W)
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(c).chunk(6, dim=-1)
        h = modulate(self.norm1(x), shift1, scale1)
        q, k, v = self.qkv(h).view(B, T, 3, self.heads, W // self.heads).unbind(2)  # (B, T, h, W/h)
        attended = F.scaled_dot_product_attention(
            q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), is_causal=True
        )  # (B, h, T, W/h)
        x = x + gate1 * self.proj(attended.transpose(1, 2).reshape(B, T, W))
        x = x + gate2 * self.mlp(modulate(self.norm2(x), shift2, scale2))
        return x  # (B, T, W)


class TransformerPredictor(nn.Module):
    """Causal over time: (z (B, T, D), a (B, T, A)) -> predicted z_t+1 for each t, (B, T, D)."""

    def __init__(self, config: PredictorConfig, max_history: int = 16) -> None:
        super().__init__()
        width = config.hidden_dim
        if width % config.heads:
            raise ValueError(f"hidden_dim {width} is not divisible by heads {config.heads}")
        self.max_history = max_history
        self.embed = nn.Linear(config.emb_dim, width)
        self.position = nn.Parameter(torch.zeros(1, max_history, width))
        self.action_embed = nn.Sequential(
            nn.Linear(config.action_dim, width), nn.SiLU(), nn.Linear(width, width)
        )
        self.blocks = nn.ModuleList(
            AdaLNZeroBlock(width, config.heads) for _ in range(config.depth)
        )
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, config.emb_dim)

    def forward(self, z: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        T = z.shape[1]
        if T > self.max_history:
            raise ValueError(f"history of {T} steps exceeds max_history={self.max_history}")
        x = self.embed(z) + self.position[:, :T]  # (B, T, W)
        c = self.action_embed(actions)  # (B, T, W)
        for block in self.blocks:
            x = block(x, c)
        return z + self.out(self.norm(x))  # (B, T, D)
