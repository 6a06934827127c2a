"""Time jepa_ref's SIGReg and VICReg against re-statements of the official code.

    .venv/bin/python benchmarks/bench_losses.py [--quick]

The official implementations (LeWM/LeJEPA SIGReg module, VICReg's
main_vicreg.py) are not installed, so the comparison uses the faithful
re-statements in tests/test_losses.py, on the same inputs and the same random
directions. Each case also reports the largest absolute and relative
difference of the loss value and of its gradient. Writes benchmarks/losses.md.
Timings are the best of several interleaved rounds (the machine is shared).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import torch

from jepa_ref.losses import random_directions, sigreg, vicreg
from jepa_ref.runtime import configure_torch, make_generator

ROOT = Path(__file__).resolve().parent.parent


def load_official_restatements():
    """tests/test_losses.py holds the one re-statement of the official formulas."""
    spec = importlib.util.spec_from_file_location("official", ROOT / "tests" / "test_losses.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_time_ms(fn: Callable[[], object], calls: int, rounds: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e3


def differences(
    ours_fn: Callable[[torch.Tensor], torch.Tensor],
    official_fn: Callable[[torch.Tensor], torch.Tensor],
    z: torch.Tensor,
) -> dict[str, float]:
    """Largest absolute / relative difference of value and gradient w.r.t. z."""
    z_ours, z_official = z.clone().requires_grad_(), z.clone().requires_grad_()
    ours, official = ours_fn(z_ours), official_fn(z_official)
    (grad_ours,) = torch.autograd.grad(ours, z_ours)
    (grad_official,) = torch.autograd.grad(official, z_official)
    value_abs = (ours - official).abs().item()
    grad_abs = (grad_ours - grad_official).abs().max().item()
    return {
        "value_abs": value_abs,
        "value_rel": value_abs / max(official.abs().item(), 1e-300),
        "grad_abs": grad_abs,
        "grad_rel": grad_abs / max(grad_official.abs().max().item(), 1e-300),
    }


def time_pair(ours_fn, official_fn, z, calls, rounds) -> dict[str, float]:
    """Forward and forward+backward times of both, interleaved round by round."""
    z_grad = z.clone().requires_grad_()

    def forward_backward(fn):
        return lambda: fn(z_grad).backward()

    def forward(fn):
        def run():
            with torch.no_grad():
                fn(z)

        return run

    cases = {
        "ours_fb": forward_backward(ours_fn),
        "official_fb": forward_backward(official_fn),
        "ours_f": forward(ours_fn),
        "official_f": forward(official_fn),
    }
    best = {name: float("inf") for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            best[name] = min(best[name], best_time_ms(fn, calls, 1))
    return best


def sigreg_cases(official, quick: bool):
    # (label, shape, projections): the project's 128 x 32 batch; LeWM's (T, B, D) with 1024 slices.
    shapes = [("N=128 D=32 P=256", (128, 32), 256), ("T=4 B=128 D=32 P=1024", (4, 128, 32), 1024)]
    if not quick:
        shapes.append(("N=512 D=128 P=256", (512, 128), 256))
    for label, shape, projections in shapes:
        for dtype in (torch.float32, torch.float64):
            z = torch.randn(*shape, generator=make_generator(0), dtype=dtype)
            directions = random_directions(shape[-1], projections, make_generator(1), dtype=dtype)
            yield (
                f"SIGReg {label} {str(dtype)[6:]}",
                lambda x, a=directions: sigreg(x, a),
                lambda x, a=directions: official.official_sigreg(x, a),
                z,
            )


def vicreg_cases(official, quick: bool):
    shapes = [(128, 32), (256, 256)] if quick else [(128, 32), (256, 256), (1024, 512)]
    for n, d in shapes:
        for dtype in (torch.float32, torch.float64):
            g = make_generator(2)
            z1 = torch.randn(n, d, generator=g, dtype=dtype)
            z2 = z1 + 0.3 * torch.randn(n, d, generator=g, dtype=dtype)
            yield (
                f"VICReg N={n} D={d} {str(dtype)[6:]}",
                lambda x, other=z2: vicreg(x, other),
                lambda x, other=z2: official.official_vicreg(x, other),
                z1,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller cases")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "losses.md")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    configure_torch(args.threads)
    official = load_official_restatements()
    calls, rounds = (3, 3) if args.quick else (5, 7)

    header = (
        "| case | ours f+b (ms) | official f+b (ms) | ours fwd (ms) | official fwd (ms) "
        "| value abs / rel diff | grad abs / rel diff |"
    )
    rows = [header, "|" + "---|" * 7]
    for cases in (sigreg_cases(official, args.quick), vicreg_cases(official, args.quick)):
        for label, ours_fn, official_fn, z in cases:
            diff = differences(ours_fn, official_fn, z)
            times = time_pair(ours_fn, official_fn, z, calls, rounds)
            row = (
                f"| {label} | {times['ours_fb']:.2f} | {times['official_fb']:.2f} "
                f"| {times['ours_f']:.2f} | {times['official_f']:.2f} "
                f"| {diff['value_abs']:.1e} / {diff['value_rel']:.1e} "
                f"| {diff['grad_abs']:.1e} / {diff['grad_rel']:.1e} |"
            )
            rows.append(row)
            print(row, flush=True)

    machine = (
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end, Python {platform.python_version()}"
    )
    args.output.write_text(
        "# Loss benchmarks: jepa_ref vs the official formulas\n\n"
        "Generated by `benchmarks/bench_losses.py`"
        + (" --quick" if args.quick else "")
        + f"; {machine}.\n"
        "Best of interleaved rounds, milliseconds per call; f+b = forward and backward.\n"
        "Official = the re-statements in tests/test_losses.py of LeWM's `module.py` SIGReg\n"
        "(= LeJEPA MINIMAL.md) and VICReg's `main_vicreg.py`, with the same directions.\n"
        "Differences: loss value, and the largest entry of the gradient w.r.t. the input.\n\n"
        + "\n".join(rows)
        + "\n"
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
