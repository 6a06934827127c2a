"""Losses of the JEPA family: latent prediction, SIGReg, VICReg, and the EMA teacher.

Each collapse-prevention method is one small function named as in its paper.
The formulas follow the official code, value for value (tests/test_losses.py
re-states each official formula and compares):

- SIGReg: LeJEPA, github.com/rbalestr-lab/lejepa at eddffdd8,
  `lejepa/univariate/epps_pulley.py` (EppsPulley) with
  `lejepa/multivariate/slicing.py` (SlicingUnivariateTest) and the SIGReg
  module of `MINIMAL.md`; the same module is LeWM's `module.py`
  (github.com/lucas-maes/le-wm), applied there to (T, B, D) embeddings.
- VICReg: github.com/facebookresearch/vicreg at 4e12602f, `main_vicreg.py`
  (`VICReg.forward`).
- EMA schedule: github.com/facebookresearch/ijepa at 52c1ae95, `src/train.py`
  (`momentum_scheduler` and the target-encoder update).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor, nn

SIGREG_KNOTS = 17
SIGREG_T_MAX = 3.0
VICREG_EPS = 1e-4  # added to the variance under the square root, as in main_vicreg.py


def prediction_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Mean squared error between predicted and target embeddings (LeWM's `pred_loss`)."""
    return F.mse_loss(pred, target)


# --- SIGReg: LeJEPA's sketched isotropic Gaussian regulariser -------------------------------


@functools.lru_cache(maxsize=32)
def epps_pulley_quadrature(
    knots: int = SIGREG_KNOTS,
    t_max: float = SIGREG_T_MAX,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> tuple[Tensor, Tensor, Tensor]:
    """Knots `t` on [0, t_max], the N(0, 1) characteristic function `phi(t) = exp(-t^2 / 2)`
    and the quadrature weights of the Epps-Pulley integral, each shape (knots,).

    The integrand |ecf(t) - phi(t)|^2 is even in t, so the official code integrates
    over [0, t_max] with the trapezoid rule and doubles it: weights `dt` at both
    ends and `2 dt` inside, times the Gaussian window `phi(t)`. Built in float64,
    then cast, so float64 inputs get float64-exact constants. Cached: treat the
    returned tensors as read-only.
    """
    t = torch.linspace(0.0, t_max, knots, dtype=torch.float64)
    dt = t_max / (knots - 1)
    trapezoid = torch.full((knots,), 2 * dt, dtype=torch.float64)
    trapezoid[[0, -1]] = dt
    phi = torch.exp(-t.square() / 2)
    weights = trapezoid * phi
    return tuple(tensor.to(dtype=dtype, device=device) for tensor in (t, phi, weights))


class _EppsPulley(torch.autograd.Function):
    """N * sum_k w_k |ecf(t_k) - phi(t_k)|^2 per column, with a hand-written backward.

    Autograd's own backward of cos/sin recomputes sin/cos of every (sample,
    projection, knot) element; reusing the ones of the forward pass makes the
    whole loss about twice as fast (benchmarks/losses.md). No double backward.
    """

    @staticmethod
    def forward(ctx, x: Tensor, t: Tensor, phi: Tensor, weights: Tensor) -> Tensor:
        x_t = x.unsqueeze(-1) * t  # (*, N, P, K)
        cos, sin = torch.cos(x_t), torch.sin(x_t)
        cos_error = cos.mean(-3) - phi  # (*, P, K): real part of ecf - phi
        sin_mean = sin.mean(-3)  # (*, P, K): imaginary part of ecf (phi is real)
        ctx.save_for_backward(cos, sin, cos_error, sin_mean, t, weights)
        error = cos_error.square() + sin_mean.square()  # (*, P, K)
        return (error @ weights) * x.shape[-2]  # (*, P)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:
        cos, sin, cos_error, sin_mean, t, weights = ctx.saved_tensors
        # d stat_p / d x_np = 2 sum_k w_k t_k (sin_mean_pk cos_npk - cos_error_pk sin_npk);
        # the factor N of the statistic cancels the 1/N of the empirical mean.
        scale = (2 * weights * t) * grad.unsqueeze(-1)  # (*, P, K)
        cos_coeff = (sin_mean * scale).unsqueeze(-3)  # (*, 1, P, K)
        sin_coeff = (cos_error * scale).unsqueeze(-3)
        grad_x = (cos * cos_coeff - sin * sin_coeff).sum(-1)  # (*, N, P)
        return grad_x, None, None, None


def epps_pulley(x: Tensor, knots: int = SIGREG_KNOTS, t_max: float = SIGREG_T_MAX) -> Tensor:
    """Epps-Pulley statistic of each column of `x` against a standard Gaussian.

    x: (*, N, P), N samples of P univariate variables. Returns (*, P):
    `N * integral |ecf(t) - exp(-t^2/2)|^2 exp(-t^2/2) dt` over the real line,
    computed as the official `EppsPulley` does (trapezoid on [0, t_max], doubled).
    Not zero for Gaussian samples: E|ecf(t) - phi(t)|^2 = (1 - phi(t)^2) / N, so for
    N(0, 1) data the statistic averages sum_k w_k (1 - phi_k^2) ~= 1.05 whatever N;
    for any fixed non-Gaussian distribution it grows linearly with N.
    """
    t, phi, weights = epps_pulley_quadrature(knots, t_max, x.dtype, x.device)
    # t = 0 adds nothing (ecf(0) = phi(0) = 1), so skip that knot to save a 17th of the work.
    return _EppsPulley.apply(x, t[1:], phi[1:], weights[1:])


def random_directions(
    dim: int,
    num_projections: int = 256,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
) -> Tensor:
    """Unit-norm random directions, shape (dim, num_projections), one per column.

    Drawn as the official code does (standard normal, columns normalised), from
    `generator`, or from torch's global RNG when it is None, like the official code.
    """
    directions = torch.randn(dim, num_projections, generator=generator, device=device)
    directions = directions.to(dtype)
    return directions / directions.norm(p=2, dim=0)


def sigreg(
    z: Tensor,
    directions: Tensor | None = None,
    num_projections: int = 256,
    generator: torch.Generator | None = None,
    knots: int = SIGREG_KNOTS,
    t_max: float = SIGREG_T_MAX,
) -> Tensor:
    """SIGReg (LeJEPA): Epps-Pulley statistic of random 1-D projections of z, averaged.

    z: (N, D) embeddings, or (*, N, D) with leading batch axes. LeWM calls the
    same module on `emb.transpose(0, 1)`, i.e. (T, B, D): the statistic is then
    computed per time step over the B samples, with one shared set of
    directions, and averaged over time steps and projections. That is what this
    function does with any leading axes; flatten them first to pool samples.
    directions: (D, P) unit columns, used as given (lets a test compare against
    the official code with the same matrix); otherwise `num_projections` fresh
    ones are drawn from `generator` (torch's global RNG when None, as officially).
    The official scaling is kept: the statistic is multiplied by N (per-device
    batch size times world size there), so for non-Gaussian embeddings its value
    grows with the batch size, while Gaussian ones give ~1.05 (see `epps_pulley`).
    """
    if directions is None:
        directions = random_directions(
            z.shape[-1], num_projections, generator, dtype=z.dtype, device=z.device
        )
    projected = z @ directions.to(z.dtype)  # (*, N, P)
    return epps_pulley(projected, knots, t_max).mean()


# --- VICReg -----------------------------------------------------------------------------------


class _Gram(torch.autograd.Function):
    """x^T x for x: (*, N, D), with one matrix product in the backward instead of autograd's two.

    The gradient of x^T x is x (G + G^T); autograd computes the two halves as
    separate products because it does not know both operands are the same tensor.
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return x.mT @ x  # (*, D, D)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return x @ (grad + grad.mT)  # (*, N, D)


def _variance_and_covariance(z: Tensor) -> tuple[Tensor, Tensor]:
    """VICReg's two regularisers of a set of embeddings z: (*, N, D) -> ((*,), (*,)).

    variance: mean over dims of relu(1 - sqrt(var + 1e-4)), unbiased variance;
    covariance: sum of squared off-diagonal entries of the (N - 1)-normalised
    covariance matrix, divided by D.
    """
    n, d = z.shape[-2:]
    if n < 2:
        raise ValueError(f"VICReg needs at least 2 samples per set, got {n}")
    centered = z - z.mean(-2, keepdim=True)
    cov = _Gram.apply(centered) / (n - 1)  # (*, D, D)
    var = cov.diagonal(dim1=-2, dim2=-1)  # (*, D): the unbiased per-dim variance
    variance = F.relu(1 - torch.sqrt(var + VICREG_EPS)).mean(-1)
    covariance = _off_diagonal(cov).square().sum((-2, -1)) / d
    return variance, covariance


def _off_diagonal(matrix: Tensor) -> Tensor:
    """The off-diagonal entries of square matrices (*, D, D) as a view, shape (*, D - 1, D).

    Dropping the last flat entry leaves D^2 - 1 = (D - 1)(D + 1) entries; in
    rows of D + 1 every diagonal entry then comes first, so drop column 0.
    A view, unlike masking, so neither pass copies the D x D matrix.
    """
    d = matrix.shape[-1]
    return matrix.flatten(-2)[..., :-1].unflatten(-1, (d - 1, d + 1))[..., 1:]


def vicreg_terms(z1: Tensor, z2: Tensor) -> dict[str, Tensor]:
    """Unweighted VICReg terms of two (N, D) views, scaled as in official main_vicreg.py.

    invariance: MSE between the views; variance: the hinge on the std averaged
    over the two branches (the official `/ 2`); covariance: summed over the two
    branches, each divided by D (the official `.div(num_features)`).
    """
    invariance = F.mse_loss(z1, z2)
    # One branch at a time: two matrix products are faster on CPU than one batched product.
    variance1, covariance1 = _variance_and_covariance(z1)
    variance2, covariance2 = _variance_and_covariance(z2)
    return {
        "invariance": invariance,
        "variance": (variance1 + variance2) / 2,
        "covariance": covariance1 + covariance2,
    }


def vicreg(
    z1: Tensor,
    z2: Tensor,
    sim_coeff: float = 25.0,
    std_coeff: float = 25.0,
    cov_coeff: float = 1.0,
) -> Tensor:
    """VICReg loss of two (N, D) views with the official default coefficients (25, 25, 1)."""
    terms = vicreg_terms(z1, z2)
    return (
        sim_coeff * terms["invariance"]
        + std_coeff * terms["variance"]
        + cov_coeff * terms["covariance"]
    )


def variance_covariance_terms(z: Tensor) -> dict[str, Tensor]:
    """VICReg's variance and covariance terms of one branch z: (N, D) or (*, N, D).

    Leading axes are independent sets (e.g. time steps); their terms are averaged.
    """
    variance, covariance = _variance_and_covariance(z)
    return {"variance": variance.mean(), "covariance": covariance.mean()}


def variance_covariance(z: Tensor, std_coeff: float = 25.0, cov_coeff: float = 1.0) -> Tensor:
    """Single-branch VICReg regulariser for a JEPA world model's embeddings.

    `std_coeff * variance + cov_coeff * covariance` of one set of embeddings,
    each term scaled as one branch of the official VICReg (so for two views,
    `vicreg` = invariance + the mean of the two branches' variance terms + the
    sum of their covariance terms).
    """
    terms = variance_covariance_terms(z)
    return std_coeff * terms["variance"] + cov_coeff * terms["covariance"]


# --- EMA teacher (I-JEPA) -------------------------------------------------------------------


def ema_momentum(step: int, total_steps: int, start: float = 0.996, end: float = 1.0) -> float:
    """I-JEPA's linear momentum schedule: `start` at step 0 to `end` at `total_steps`.

    Steps outside [0, total_steps] are clamped. (I-JEPA stretches its schedule by
    `ipe_scale`; pass the stretched length as total_steps to get the same values.)
    """
    if total_steps <= 0:
        raise ValueError(f"total_steps must be positive, got {total_steps}")
    step = min(max(step, 0), total_steps)
    return start + step * (end - start) / total_steps


def ema_update(
    teacher: nn.Module, student: nn.Module, momentum: float, copy_buffers: bool = True
) -> None:
    """teacher <- momentum * teacher + (1 - momentum) * student, parameter by parameter.

    Buffers (e.g. batch-norm statistics) are copied from the student when
    `copy_buffers`; I-JEPA's ViT has none, so its update touches parameters only.
    """
    with torch.no_grad():
        for teacher_param, student_param in zip(
            teacher.parameters(), student.parameters(), strict=True
        ):
            teacher_param.mul_(momentum).add_(student_param.detach(), alpha=1.0 - momentum)
        if copy_buffers:
            for teacher_buffer, student_buffer in zip(
                teacher.buffers(), student.buffers(), strict=True
            ):
                teacher_buffer.copy_(student_buffer)
