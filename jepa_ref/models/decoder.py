"""Pixel decoder of the autoencoder baseline: embeddings back to frames.

Mirrors `encoder.ConvBackbone`: a linear layer to a (4w, S/8, S/8) map, then
three stride-2 transposed convs up to (C, S, S).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class DecoderConfig:
    image_size: int = 32  # divisible by 8
    out_channels: int = 1
    width: int = 16  # channels of the last hidden map; the first has 4 * width
    emb_dim: int = 32


class PixelDecoder(nn.Module):
    """Embeddings (B, emb_dim) -> frames (B, C, S, S)."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        if config.image_size % 8:
            raise ValueError(f"image_size must be divisible by 8, got {config.image_size}")
        w, side = config.width, config.image_size // 8
        self.start_shape = (4 * w, side, side)
        self.head = nn.Sequential(nn.Linear(config.emb_dim, 4 * w * side * side), nn.GELU())
        self.deconvs = nn.Sequential(
            nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, S/4, S/4)
            nn.GELU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # (B, w, S/2, S/2)
            nn.GELU(),
            nn.ConvTranspose2d(w, config.out_channels, 4, stride=2, padding=1),  # (B, C, S, S)
        )

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        maps = self.head(embeddings).view(-1, *self.start_shape)  # (B, 4w, S/8, S/8)
        return self.deconvs(maps)  # (B, C, S, S)
