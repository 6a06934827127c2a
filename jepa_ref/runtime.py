"""Process-wide torch settings and seeding for deterministic CPU runs.

Every experiment calls `configure_torch()` once and takes its randomness from
`seed_everything(seed)` (module init draws from torch's global RNG) and from
explicit generators made by `make_generator` (data, masks, planning).
"""

from __future__ import annotations

import random

import torch


def configure_torch(threads: int | None = None) -> None:
    """Flush denormals to zero, prefer deterministic kernels and, if given, set the thread count.

    `threads=None` (what every experiment passes) leaves the thread count to whoever
    runs the experiment: the executor sets it per job and records it, and the
    command line `python -m jepa_ref run` sets 2.

    Flushing denormals matters: a collapsing run drives activations and
    gradients towards 1e-38 and below, where CPU arithmetic on denormal floats
    is about 30x slower. Deterministic algorithms cost nothing measurable on
    CPU; `warn_only` keeps an op without a deterministic kernel from raising.
    """
    if threads is not None:
        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:
            pass  # only settable before the first parallel op; later calls keep the first value
    torch.set_flush_denormal(True)
    torch.use_deterministic_algorithms(True, warn_only=True)


def make_generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with `seed`, independent of torch's global RNG."""
    generator = torch.Generator(device="cpu")
    generator.manual_seed(seed)
    return generator


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch's global RNG (used by module init) and Python's `random`.

    Returns a fresh generator seeded with `seed` for the caller's explicit
    draws, so data sampling does not depend on how many parameters were
    initialised before it.
    """
    torch.manual_seed(seed)
    random.seed(seed)
    return make_generator(seed)
