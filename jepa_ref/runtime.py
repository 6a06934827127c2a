"""Process-wide torch settings and seeding for deterministic CPU runs.

Every experiment calls `configure_torch()` once and takes its randomness from
`seed_everything(seed)` (module init draws from torch's global RNG) and from
explicit generators made by `make_generator` (data, masks, planning).
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

import torch

T = TypeVar("T")


def configure_torch(threads: int | None = None) -> None:
    """Run every torch op at one thread, flush denormals, prefer deterministic kernels; if
    given, `threads` is how many trainings `map_trainings` may run side by side.

    `threads=None` (what every experiment passes) keeps what whoever runs the
    experiment chose: the executor passes each job's share of the cores and records
    it, and the command line `python -m jepa_ref run` passes 2. Before the first call
    with a number, the budget is torch's thread count at that moment.

    One thread for every op, training and evaluation alike, makes a seed's numbers the
    same however many threads the run was given: a matrix product split over two
    threads sums in another order, and evaluation at the caller's thread count used to
    move metrics in the fifth digit between `python -m jepa_ref run` (2 threads) and a
    `wiki verify` pool worker (1). Parallelism comes from processes instead
    (`map_trainings`); these models are too small for a second thread to pay anyway.

    Flushing denormals matters: a collapsing run drives activations and gradients
    towards 1e-38 and below, where CPU arithmetic on denormal floats is about 30x
    slower. Deterministic algorithms cost nothing measurable on CPU, except that they
    also fill every new tensor with NaN before use, ~10% of a training step here; no op
    reads memory it did not write, so that fill is turned off (it changes no number:
    tests/test_runtime.py). `warn_only` keeps an op without a deterministic kernel
    from raising.
    """
    global _parallel_trainings
    if threads is not None:
        _parallel_trainings = max(1, threads)
    elif _parallel_trainings is None:
        _parallel_trainings = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # only settable before the first parallel op; later calls keep the first value
    torch.set_flush_denormal(True)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = False


_parallel_trainings: int | None = None  # set by configure_torch


def parallel_trainings() -> int:
    """How many trainings `map_trainings` runs side by side (1 until torch is configured)."""
    return _parallel_trainings or 1


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


def map_trainings(function: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
    """`[function(*args) for args in calls]`, each call at one torch thread, results in order.

    An experiment's independent trainings (variants, arms, a lambda sweep) are tiny
    models whose ops barely use a second thread, so when the run was given several
    threads (`python -m jepa_ref run`, or an executor running one job at a time; see
    `configure_torch`) the calls run side by side in that many spawned processes
    instead. Every call trains at one thread either way, so a seed gives the same
    numbers whether the executor ran it alone or beside other jobs. `function` must be
    importable (module level) and its arguments and result picklable.
    """
    workers = min(parallel_trainings(), len(calls))
    if workers <= 1:
        return _at_one_thread(function, calls)
    # spawn, not fork: forking a process whose OpenMP pool has run can deadlock the child.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread_worker) as pool:
        return list(pool.map(function, *zip(*calls, strict=True)))


def _at_one_thread(function: Callable[..., T], calls: Sequence[tuple[Any, ...]]) -> list[T]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return [function(*args) for args in calls]
    finally:
        torch.set_num_threads(threads)


def _one_thread_worker() -> None:
    configure_torch(threads=1)
