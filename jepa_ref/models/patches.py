"""I-JEPA at toy scale: a patch encoder (small ViT), its predictor, and the block-mask collator.

The shapes follow I-JEPA (github.com/facebookresearch/ijepa, `src/models/
vision_transformer.py` and `src/masks/multiblock.py`): images are cut into a
grid of patches; the collator picks a few rectangular target blocks and one
large context block with the targets cut out; the context encoder sees only
the context patches; the predictor receives the encoded context plus one mask
token per target patch (each carrying its position) and predicts the target
encoder's embedding of every target patch. Mask sampling lives in the
collator, not the model, as in I-JEPA.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class PatchEncoderConfig:
    image_size: int = 32
    patch_size: int = 4  # an 8 x 8 grid of patches at 32 x 32
    in_channels: int = 3
    width: int = 64
    depth: int = 2
    heads: int = 4

    @property
    def grid(self) -> int:
        return self.image_size // self.patch_size

    @property
    def num_patches(self) -> int:
        return self.grid**2


class TransformerBlock(nn.Module):
    """Pre-norm transformer block (attention + MLP) with an optional key padding mask."""

    def __init__(self, width: int, heads: int, mlp_ratio: int = 4) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, mlp_ratio * width), nn.GELU(), nn.Linear(mlp_ratio * width, width)
        )

    def forward(self, x: torch.Tensor, ignore: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, N, W); ignore (B, N) bool marks tokens no other token may attend to."""
        B, N, W = x.shape
        qkv = self.qkv(self.norm1(x)).view(B, N, 3, self.heads, W // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, h, N, W/h)
        attend = None if ignore is None else ~ignore[:, None, None, :]  # (B, 1, 1, N)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)  # (B, h, N, W/h)
        x = x + self.proj(attended.transpose(1, 2).reshape(B, N, W))
        return x + self.mlp(self.norm2(x))  # (B, N, W)


def sincos_positions(grid: int, width: int) -> torch.Tensor:
    """Fixed 2-D sine-cosine position embeddings (as I-JEPA's ViT): (grid * grid, width).

    Half the channels encode the row, half the column, each as sines and cosines of
    geometrically spaced frequencies.
    """
    if width % 4:
        raise ValueError(f"width must be divisible by 4 for 2-D sin-cos embeddings, got {width}")
    frequencies = 1.0 / 10000 ** (torch.arange(width // 4, dtype=torch.float64) / (width // 4))
    coordinate = torch.arange(grid, dtype=torch.float64)
    rows, cols = torch.meshgrid(coordinate, coordinate, indexing="ij")  # (G, G) each

    def encode(values: torch.Tensor) -> torch.Tensor:
        angles = values.reshape(-1, 1) * frequencies  # (G*G, W/4)
        return torch.cat((angles.sin(), angles.cos()), dim=1)  # (G*G, W/2)

    return torch.cat((encode(rows), encode(cols)), dim=1).to(torch.float32)  # (G*G, W)


def gather_tokens(tokens: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """tokens (B, N, W), indices (B, M) long -> the indexed tokens (B, M, W)."""
    return torch.gather(tokens, 1, indices.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))


class PatchEncoder(nn.Module):
    """A small ViT: images (B, C, S, S) -> patch embeddings (B, N, W), N = (S / patch)^2.

    Given `keep` (B, M) patch indices, only those patches are embedded and attended
    over (the I-JEPA context encoder); the output is then (B, M, W).
    """

    def __init__(self, config: PatchEncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.patchify = nn.Conv2d(
            config.in_channels, config.width, config.patch_size, stride=config.patch_size
        )
        self.register_buffer("positions", sincos_positions(config.grid, config.width))
        self.blocks = nn.ModuleList(
            TransformerBlock(config.width, config.heads) for _ in range(config.depth)
        )
        self.norm = nn.LayerNorm(config.width)

    def forward(self, images: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        x = self.patchify(images).flatten(2).transpose(1, 2)  # (B, N, W)
        x = x + self.positions  # (B, N, W)
        if keep is not None:
            x = gather_tokens(x, keep)  # (B, M, W)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


class PatchPredictor(nn.Module):
    """I-JEPA's predictor: encoded context + positioned mask tokens -> target patch embeddings.

    context (B, Nc, W) at patch indices context_index (B, Nc); target_index (B, Nt) the
    patches to predict -> predictions (B, Nt, W).
    """

    def __init__(self, config: PatchEncoderConfig, width: int = 64, depth: int = 2) -> None:
        super().__init__()
        self.embed = nn.Linear(config.width, width)
        self.mask_token = nn.Parameter(torch.zeros(width))
        nn.init.trunc_normal_(self.mask_token, std=0.02)
        self.register_buffer("positions", sincos_positions(config.grid, width))
        self.blocks = nn.ModuleList(TransformerBlock(width, config.heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, config.width)

    def forward(
        self, context: torch.Tensor, context_index: torch.Tensor, target_index: torch.Tensor
    ) -> torch.Tensor:
        B, Nt = target_index.shape
        positions = self.positions.expand(B, -1, -1)  # (B, N, w)
        x = self.embed(context) + gather_tokens(positions, context_index)  # (B, Nc, w)
        queries = self.mask_token + gather_tokens(positions, target_index)  # (B, Nt, w)
        x = torch.cat((x, queries), dim=1)  # (B, Nc + Nt, w)
        for block in self.blocks:
            x = block(x)
        return self.out(self.norm(x[:, -Nt:]))  # (B, Nt, W)


# --- the multi-block mask collator -----------------------------------------------------------


@dataclass(frozen=True)
class BlockMasks:
    """Patch indices of one batch: every row has the same count (I-JEPA truncates to the
    batch minimum so the batch stacks)."""

    context: torch.Tensor  # (B, Nc) long, sorted
    targets: torch.Tensor  # (B, M, Nt) long, sorted within each block

    @property
    def flat_targets(self) -> torch.Tensor:
        return self.targets.flatten(1)  # (B, M * Nt)


@dataclass(frozen=True)
class MaskCollator:
    """I-JEPA's multi-block masks on a grid x grid patch grid (defaults from its ViT configs).

    Per batch: one target block size (scale of the grid's area, aspect ratio) and one
    context block size are drawn; per image: `num_targets` target blocks at random places,
    one context block at a random place, minus the union of the targets. Retries a
    context that keeps fewer than `min_keep` patches, as I-JEPA does.
    """

    grid: int = 8
    num_targets: int = 4
    target_scale: tuple[float, float] = (0.15, 0.2)
    target_aspect: tuple[float, float] = (0.75, 1.5)
    context_scale: tuple[float, float] = (0.85, 1.0)
    min_keep: int = 4

    def __call__(self, batch_size: int, generator: torch.Generator) -> BlockMasks:
        target_h, target_w = self._block_size(self.target_scale, self.target_aspect, generator)
        context_h, context_w = self._block_size(self.context_scale, (1.0, 1.0), generator)
        contexts, targets = [], []
        for _ in range(batch_size):
            blocks = [self._place(target_h, target_w, generator) for _ in range(self.num_targets)]
            covered = torch.stack(blocks).any(dim=0)  # (G, G)
            for _ in range(100):
                context = self._place(context_h, context_w, generator) & ~covered
                if int(context.sum()) >= self.min_keep:
                    break
            else:
                raise RuntimeError("no context block keeps min_keep patches; targets too large")
            contexts.append(context.flatten().nonzero().squeeze(1))
            targets.append(torch.stack([block.flatten().nonzero().squeeze(1) for block in blocks]))
        keep = min(len(context) for context in contexts)
        return BlockMasks(
            context=torch.stack([context[:keep] for context in contexts]),  # (B, Nc)
            targets=torch.stack(targets),  # (B, M, Nt): same block size in the whole batch
        )

    def _block_size(
        self, scale: tuple[float, float], aspect: tuple[float, float], generator: torch.Generator
    ) -> tuple[int, int]:
        """A block's (height, width) in patches from an area scale and an aspect ratio (h / w)."""
        u, v = torch.rand(2, generator=generator, dtype=torch.float64).tolist()
        area = int(self.grid**2 * (scale[0] + u * (scale[1] - scale[0])))  # in patches
        ratio = aspect[0] + v * (aspect[1] - aspect[0])  # uniform, as in I-JEPA
        height = max(1, min(self.grid - 1, round(math.sqrt(area * ratio))))
        width = max(1, min(self.grid - 1, round(math.sqrt(area / ratio))))
        return height, width

    def _place(self, height: int, width: int, generator: torch.Generator) -> torch.Tensor:
        """A (grid, grid) bool mask of one block at a uniformly random position."""
        top = int(torch.randint(self.grid - height + 1, (1,), generator=generator))
        left = int(torch.randint(self.grid - width + 1, (1,), generator=generator))
        mask = torch.zeros(self.grid, self.grid, dtype=torch.bool)
        mask[top : top + height, left : left + width] = True
        return mask
