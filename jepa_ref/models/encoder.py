"""Frame encoder: a small CNN backbone followed by a BatchNorm projector.

LeWM puts a one-hidden-layer MLP with BatchNorm after its ViT: the ViT's final
LayerNorm fixes every embedding's norm, which fights SIGReg's push towards an
isotropic Gaussian, and the BatchNorm projector frees the scale again. We keep
that projector; a CNN stands in for the ViT at 32x32.

The projector's BatchNorm also shapes how a model trained on prediction alone
collapses: the normalised hidden layer cannot shrink, so only the last linear
layer can, and on the dot world pure prediction then stalls at embedding std
~0.02 instead of falling below 1e-3 (`projector_batchnorm=False`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class EncoderConfig:
    image_size: int = 32  # square inputs; must be divisible by 8 (three stride-2 convs)
    in_channels: int = 1
    width: int = 16  # channels of the first conv; doubled by each later one
    hidden_dim: int = 128
    emb_dim: int = 32
    projector_batchnorm: bool = True  # LeWM's projector; False for a plain MLP projector


class ConvBackbone(nn.Module):
    """Three stride-2 conv blocks then a linear layer: (B, C, S, S) -> (B, hidden_dim)."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        if config.image_size % 8:
            raise ValueError(f"image_size must be divisible by 8, got {config.image_size}")
        w = config.width
        self.convs = nn.Sequential(
            nn.Conv2d(config.in_channels, w, 4, stride=2, padding=1),  # (B, w, S/2, S/2)
            nn.BatchNorm2d(w),
            nn.GELU(),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, S/4, S/4)
            nn.BatchNorm2d(2 * w),
            nn.GELU(),
            nn.Conv2d(2 * w, 4 * w, 4, stride=2, padding=1),  # (B, 4w, S/8, S/8)
            nn.BatchNorm2d(4 * w),
            nn.GELU(),
        )
        flat = 4 * w * (config.image_size // 8) ** 2
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(flat, config.hidden_dim), nn.GELU())

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        # channels_last takes oneDNN's faster convolution path on CPU: a training step of
        # the dot-world model costs ~25% less (benchmarks/ref.md).
        frames = frames.contiguous(memory_format=torch.channels_last)
        return self.head(self.convs(frames))  # (B, hidden_dim)


class Projector(nn.Module):
    """LeWM's projector: Linear -> BatchNorm -> GELU -> Linear, (B, hidden) -> (B, emb_dim)."""

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, batchnorm: bool = True) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden_dim),
            nn.BatchNorm1d(hidden_dim) if batchnorm else nn.Identity(),
            nn.GELU(),
            nn.Linear(hidden_dim, out_dim),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class Encoder(nn.Module):
    """Frames (B, C, S, S) -> embeddings (B, emb_dim)."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.backbone = ConvBackbone(config)
        self.projector = Projector(
            config.hidden_dim, config.hidden_dim, config.emb_dim, config.projector_batchnorm
        )

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.projector(self.backbone(frames))  # (B, emb_dim)


@torch.no_grad()
def encode(encoder: nn.Module, frames: torch.Tensor, chunk_size: int = 1024) -> torch.Tensor:
    """Embed many frames (N, C, S, S) -> (N, emb_dim) in eval mode (BatchNorm running stats),
    chunk by chunk; restores the module's train/eval mode afterwards."""
    was_training = encoder.training
    encoder.eval()
    embeddings = torch.cat([encoder(chunk) for chunk in frames.split(chunk_size)])
    encoder.train(was_training)
    return embeddings
