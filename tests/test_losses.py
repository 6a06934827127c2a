"""Losses against re-statements of the official code, plus their defining behaviour.

The `official_*` functions below are minimal re-statements of the official
formulas, kept as close to the originals as possible (same operations, same
order, float32 constants where the originals build float32 buffers):

- LeWM `module.py` SIGReg (github.com/lucas-maes/le-wm, identical to the SIGReg
  module in LeJEPA's MINIMAL.md, github.com/rbalestr-lab/lejepa at eddffdd8);
- LeJEPA's `lejepa/univariate/epps_pulley.py` EppsPulley.forward and
  `lejepa/multivariate/slicing.py` SlicingUnivariateTest.forward (world size 1);
- VICReg `main_vicreg.py` VICReg.forward and off_diagonal
  (github.com/facebookresearch/vicreg at 4e12602f);
- I-JEPA `src/train.py` momentum_scheduler and target-encoder update
  (github.com/facebookresearch/ijepa at 52c1ae95).

Largest differences measured on the inputs below (benchmarks/bench_losses.py
reports them for its larger inputs too): SIGReg float32, value 1.0e-7 relative,
gradient 1.4e-7 of its largest entry; float64, 3.0e-8 relative against the
official float32-built constants (exp(-t^2/2) rounded to float32) and 2e-16
(gradient 3e-16) against the same formula with float64 constants. VICReg
float32 1.1e-7 relative, float64 4e-16.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from jepa_ref.losses import (
    ema_momentum,
    ema_update,
    epps_pulley,
    epps_pulley_quadrature,
    prediction_loss,
    random_directions,
    sigreg,
    variance_covariance,
    variance_covariance_terms,
    vicreg,
    vicreg_terms,
)
from jepa_ref.runtime import make_generator

DTYPES = (torch.float32, torch.float64)
# float64 inputs: the official modules build their constants in float32 (then `.double()`).
OFFICIAL_RTOL = {torch.float32: 1e-5, torch.float64: 1e-6}
EXACT_RTOL = {torch.float32: 1e-5, torch.float64: 1e-12}


# --- re-statements of the official code -------------------------------------------------------


def official_sigreg_buffers(knots=17, dtype=torch.float32, buffer_dtype=torch.float32):
    # LeWM module.py SIGReg.__init__; `.to(dtype)` stands for `module.double()`.
    t = torch.linspace(0, 3, knots, dtype=buffer_dtype)
    dt = 3 / (knots - 1)
    weights = torch.full((knots,), 2 * dt, dtype=buffer_dtype)
    weights[[0, -1]] = dt
    window = torch.exp(-t.square() / 2.0)
    return t.to(dtype), window.to(dtype), (weights * window).to(dtype)


def official_sigreg(proj, A, knots=17, buffer_dtype=torch.float32):
    # LeWM module.py SIGReg.forward with the random matrix A passed in; proj: (T, B, D) or (B, D).
    t, phi, weights = official_sigreg_buffers(knots, proj.dtype, buffer_dtype)
    x_t = (proj @ A).unsqueeze(-1) * t
    err = (x_t.cos().mean(-3) - phi).square() + x_t.sin().mean(-3).square()
    statistic = (err @ weights) * proj.size(-2)
    return statistic.mean()


def official_draw_directions(dim, num_proj):
    # The first two lines of LeWM's SIGReg.forward (global RNG).
    A = torch.randn(dim, num_proj)
    return A.div_(A.norm(p=2, dim=0))


def official_epps_pulley(x, t_max=3, n_points=17):
    # lejepa/univariate/epps_pulley.py EppsPulley: __init__ buffers, then forward, world size 1.
    t = torch.linspace(0, t_max, n_points, dtype=torch.float32)
    dt = t_max / (n_points - 1)
    weights = torch.full((n_points,), 2 * dt, dtype=torch.float32)
    weights[[0, -1]] = dt
    phi = t.square().mul_(0.5).neg_().exp_()
    t, phi, weights = t.to(x.dtype), phi.to(x.dtype), (weights * phi).to(x.dtype)
    N = x.size(-2)
    x_t = x.unsqueeze(-1) * t
    cos_mean = torch.cos(x_t).mean(-3)
    sin_mean = torch.sin(x_t).mean(-3)
    err = (cos_mean - phi).square() + sin_mean.square()
    return (err @ weights) * N


def official_slicing_test(x, A):
    # lejepa/multivariate/slicing.py SlicingUnivariateTest.forward, reduction="mean", A given.
    return official_epps_pulley(x @ A).mean()


def official_off_diagonal(x):
    n, m = x.shape
    assert n == m
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def official_vicreg(x, y, sim_coeff=25.0, std_coeff=25.0, cov_coeff=1.0):
    # main_vicreg.py VICReg.forward after the projector, one process (batch_size = N).
    batch_size, num_features = x.shape
    repr_loss = F.mse_loss(x, y)
    x = x - x.mean(dim=0)
    y = y - y.mean(dim=0)
    std_x = torch.sqrt(x.var(dim=0) + 0.0001)
    std_y = torch.sqrt(y.var(dim=0) + 0.0001)
    std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
    cov_x = (x.T @ x) / (batch_size - 1)
    cov_y = (y.T @ y) / (batch_size - 1)
    cov_loss = official_off_diagonal(cov_x).pow_(2).sum().div(num_features) + official_off_diagonal(
        cov_y
    ).pow_(2).sum().div(num_features)
    return sim_coeff * repr_loss + std_coeff * std_loss + cov_coeff * cov_loss


def official_ijepa_momenta(ema, ipe, num_epochs, ipe_scale):
    # src/train.py momentum_scheduler.
    return list(
        ema[0] + i * (ema[1] - ema[0]) / (ipe * num_epochs * ipe_scale)
        for i in range(int(ipe * num_epochs * ipe_scale) + 1)
    )


# --- inputs ----------------------------------------------------------------------------------


def embedding_batches(dtype):
    """Several (N, D) or (T, B, D) inputs: Gaussian, shifted and scaled, skewed, near-collapsed."""
    g = make_generator(7)
    return [
        torch.randn(128, 32, generator=g, dtype=dtype),
        3.0 * torch.randn(64, 16, generator=g, dtype=dtype) + 0.5,
        torch.randn(96, 8, generator=g, dtype=dtype).exp(),
        1e-3 * torch.randn(128, 32, generator=g, dtype=dtype),
        torch.randn(4, 32, 16, generator=g, dtype=dtype),
    ]


def assert_close_with_grad(ours_fn, official_fn, z, rtol):
    z_ours = z.clone().requires_grad_()
    z_official = z.clone().requires_grad_()
    ours, official = ours_fn(z_ours), official_fn(z_official)
    torch.testing.assert_close(ours, official, rtol=rtol, atol=0.0)
    (grad_ours,) = torch.autograd.grad(ours, z_ours)
    (grad_official,) = torch.autograd.grad(official, z_official)
    scale = grad_official.abs().max()
    torch.testing.assert_close(grad_ours, grad_official, rtol=0.0, atol=rtol * scale + 1e-30)


# --- prediction loss -------------------------------------------------------------------------


def test_prediction_loss_is_mean_squared_error():
    pred = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    target = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
    assert prediction_loss(pred, target).item() == pytest.approx((0 + 4 + 1 + 1) / 4)


# --- SIGReg ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigreg_matches_official_lewm_module_value_and_gradient(dtype):
    for z in embedding_batches(dtype):
        directions = random_directions(z.shape[-1], 64, make_generator(1), dtype=dtype)
        assert_close_with_grad(
            lambda x, a=directions: sigreg(x, a),
            lambda x, a=directions: official_sigreg(x, a),
            z,
            OFFICIAL_RTOL[dtype],
        )


def test_sigreg_float64_matches_official_formula_with_float64_constants():
    for z in embedding_batches(torch.float64):
        directions = random_directions(z.shape[-1], 64, make_generator(2), dtype=torch.float64)
        assert_close_with_grad(
            lambda x, a=directions: sigreg(x, a),
            lambda x, a=directions: official_sigreg(x, a, buffer_dtype=torch.float64),
            z,
            EXACT_RTOL[torch.float64],
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigreg_matches_lejepa_package_slicing_test(dtype):
    for z in embedding_batches(dtype):
        directions = random_directions(z.shape[-1], 32, make_generator(3), dtype=dtype)
        ours = sigreg(z, directions)
        assert ours.item() == pytest.approx(
            official_slicing_test(z, directions).item(), rel=OFFICIAL_RTOL[dtype]
        )


def test_epps_pulley_matches_official_per_column():
    x = torch.randn(200, 5, generator=make_generator(4)) * torch.tensor([1.0, 0.5, 2.0, 1.0, 1.0])
    torch.testing.assert_close(epps_pulley(x), official_epps_pulley(x), rtol=1e-5, atol=0.0)


def test_sigreg_without_directions_draws_like_the_official_module():
    z = torch.randn(128, 16, generator=make_generator(5))
    torch.manual_seed(123)
    ours = sigreg(z, num_projections=1024)
    torch.manual_seed(123)
    official = official_sigreg(z, official_draw_directions(16, 1024))
    # Same directions give the same statistic up to summation order (thread count); other
    # directions would differ by ~1e-2, far outside this tolerance.
    assert ours.item() == pytest.approx(official.item(), rel=1e-6)


def test_epps_pulley_custom_backward_passes_gradcheck():
    x = torch.randn(12, 3, generator=make_generator(6), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(epps_pulley, (x,))


def test_sigreg_of_a_large_gaussian_sample_stays_at_the_null_mean_and_vanishes_per_sample():
    # E|ecf(t) - phi(t)|^2 = (1 - phi(t)^2) / N for N(0, 1) samples, so N times it is O(1).
    _, phi, weights = epps_pulley_quadrature(dtype=torch.float64)
    null_mean = (weights * (1 - phi.square())).sum().item()
    assert null_mean == pytest.approx(math.sqrt(2 * math.pi) - math.sqrt(2 * math.pi / 3), rel=0.01)
    g = make_generator(8)
    z = torch.randn(4096, 8, generator=g)
    value = sigreg(z, generator=g).item()
    assert 0.3 * null_mean < value < 3 * null_mean
    assert value / z.shape[0] < 1e-3


def test_sigreg_of_a_constant_embedding_is_large_and_matches_hand_value():
    # At z = 0 every projection is 0: ecf = 1, so the statistic is N * sum w (1 - phi)^2.
    _, phi, weights = epps_pulley_quadrature(dtype=torch.float64)
    for n in (64, 256):
        expected = n * (weights * (1 - phi).square()).sum().item()
        value = sigreg(torch.zeros(n, 16, dtype=torch.float64), generator=make_generator(0))
        assert value.item() == pytest.approx(expected, rel=1e-12)
        assert value.item() > 20


def test_sigreg_grows_with_batch_size_for_anisotropic_embeddings():
    g = make_generator(9)
    scales = torch.tensor([3.0, 1, 1, 1, 1, 1, 1, 0.3])
    small = sigreg(torch.randn(256, 8, generator=g) * scales, generator=make_generator(1))
    large = sigreg(torch.randn(1024, 8, generator=g) * scales, generator=make_generator(1))
    assert small.item() > 5
    assert large.item() > 3 * small.item()


def test_sigreg_gradients_are_finite_at_collapse_and_spread_nearly_collapsed_embeddings():
    collapsed = torch.zeros(64, 8, requires_grad=True)
    sigreg(collapsed, generator=make_generator(0)).backward()
    assert torch.isfinite(collapsed.grad).all()

    z = (1e-2 * torch.randn(64, 8, generator=make_generator(10))).requires_grad_()
    sigreg(z, generator=make_generator(0)).backward()
    assert torch.isfinite(z.grad).all()
    stepped = z.detach() - 1e-3 * z.grad
    assert stepped.std(0).mean() > z.detach().std(0).mean()


def test_sigreg_is_deterministic_given_directions_or_a_seeded_generator():
    z = torch.randn(64, 8, generator=make_generator(11))
    directions = random_directions(8, 32, make_generator(1))
    assert sigreg(z, directions).item() == sigreg(z, directions).item()
    first = sigreg(z, generator=make_generator(5))
    again = sigreg(z, generator=make_generator(5))
    other = sigreg(z, generator=make_generator(6))
    assert first.item() == again.item()
    assert first.item() != other.item()


def test_sigreg_on_time_batched_input_averages_the_per_step_statistic():
    z = torch.randn(3, 64, 8, generator=make_generator(12))  # (T, B, D)
    directions = random_directions(8, 16, make_generator(1))
    per_step = torch.stack([sigreg(z[step], directions) for step in range(3)])
    assert sigreg(z, directions).item() == pytest.approx(per_step.mean().item(), rel=1e-6)


def test_random_directions_are_unit_columns():
    directions = random_directions(8, 100, make_generator(0), dtype=torch.float64)
    assert directions.shape == (8, 100)
    torch.testing.assert_close(directions.norm(dim=0), torch.ones(100, dtype=torch.float64))


# --- VICReg ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_vicreg_matches_official_main_vicreg_value_and_gradient(dtype):
    g = make_generator(13)
    for n, d in ((128, 32), (16, 64), (2, 4)):
        z1 = torch.randn(n, d, generator=g, dtype=dtype) * 0.7
        z2 = z1 + 0.3 * torch.randn(n, d, generator=g, dtype=dtype)
        for coeffs in ((25.0, 25.0, 1.0), (1.0, 3.0, 0.5)):
            z1_ours, z1_official = z1.clone().requires_grad_(), z1.clone().requires_grad_()
            ours = vicreg(z1_ours, z2, *coeffs)
            official = official_vicreg(z1_official, z2, *coeffs)
            torch.testing.assert_close(ours, official, rtol=EXACT_RTOL[dtype], atol=0.0)
            ours.backward()
            official.backward()
            torch.testing.assert_close(
                z1_ours.grad, z1_official.grad, rtol=EXACT_RTOL[dtype], atol=1e-7
            )


def test_vicreg_of_identical_views_with_known_std():
    # Two orthogonal +-1 columns: centred, uncorrelated, unbiased variance 4/3 -> std > 1.
    z = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]], dtype=torch.float64)
    assert vicreg(z, z).item() == 0.0
    # Halved: variance 1/3 per dim, so each dim's hinge is 1 - sqrt(1/3 + 1e-4).
    half = z / 2
    terms = vicreg_terms(half, half)
    assert terms["invariance"].item() == 0.0
    assert terms["covariance"].item() == 0.0
    assert terms["variance"].item() == pytest.approx(1 - math.sqrt(1 / 3 + 1e-4), rel=1e-12)
    assert vicreg(half, half).item() == pytest.approx(25 * (1 - math.sqrt(1 / 3 + 1e-4)))


def test_vicreg_two_sample_example_computed_by_hand():
    z1 = torch.tensor([[0.0, 0.0], [2.0, 2.0]], dtype=torch.float64)
    z2 = torch.tensor([[0.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    # invariance: (0 + 0 + 4 + 1) / 4.
    # z1: variances (2, 2), stds > 1, hinge 0; covariance [[2, 2], [2, 2]]: (4 + 4) / 2 = 4.
    # z2: variances (0, 0.5), hinges (1 - 0.01, 1 - sqrt(0.5001)); no covariance.
    # variance term: (0 + mean of z2's hinges) / 2.
    invariance = 1.25
    variance = ((1 - 0.01) + (1 - math.sqrt(0.5001))) / 2 / 2
    covariance = 4.0
    terms = vicreg_terms(z1, z2)
    assert terms["invariance"].item() == pytest.approx(invariance, rel=1e-12)
    assert terms["variance"].item() == pytest.approx(variance, rel=1e-12)
    assert terms["covariance"].item() == pytest.approx(covariance, rel=1e-12)
    expected = 25 * invariance + 25 * variance + 1 * covariance
    assert vicreg(z1, z2).item() == pytest.approx(expected, rel=1e-12)


def test_variance_covariance_is_one_branch_of_vicreg():
    g = make_generator(14)
    z1, z2 = torch.randn(32, 6, generator=g) * 0.5, torch.randn(32, 6, generator=g) * 2
    one, two = variance_covariance_terms(z1), variance_covariance_terms(z2)
    terms = vicreg_terms(z1, z2)
    assert terms["variance"].item() == pytest.approx((one["variance"] + two["variance"]).item() / 2)
    assert terms["covariance"].item() == pytest.approx(
        (one["covariance"] + two["covariance"]).item()
    )
    expected = 25 * one["variance"] + 1 * one["covariance"]
    assert variance_covariance(z1).item() == pytest.approx(expected.item())


def test_variance_covariance_averages_time_steps():
    z = torch.randn(3, 32, 6, generator=make_generator(15))
    per_step = torch.stack([variance_covariance(z[step]) for step in range(3)])
    assert variance_covariance(z).item() == pytest.approx(per_step.mean().item(), rel=1e-6)


def test_variance_covariance_custom_gram_backward_passes_gradcheck():
    z = torch.randn(2, 5, 3, generator=make_generator(16), dtype=torch.float64) * 0.5
    assert torch.autograd.gradcheck(variance_covariance, (z.requires_grad_(),))


def test_vicreg_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2 samples"):
        vicreg(torch.zeros(1, 4), torch.zeros(1, 4))


# --- EMA -------------------------------------------------------------------------------------


def test_ema_momentum_endpoints_midpoint_and_clamping():
    assert ema_momentum(0, 100) == 0.996
    assert ema_momentum(100, 100) == 1.0
    assert ema_momentum(50, 100) == pytest.approx(0.998)
    assert ema_momentum(-5, 100) == 0.996
    assert ema_momentum(500, 100) == 1.0
    assert ema_momentum(10, 20, start=0.9, end=0.99) == pytest.approx(0.945)
    with pytest.raises(ValueError):
        ema_momentum(0, 0)


def test_ema_momentum_matches_ijepa_scheduler():
    ipe, epochs, ipe_scale = 7, 3, 1.25
    official = official_ijepa_momenta((0.996, 1.0), ipe, epochs, ipe_scale)
    total = ipe * epochs * ipe_scale  # I-JEPA stretches the schedule; it never reaches 1.0
    ours = [ema_momentum(i, total) for i in range(len(official))]
    assert ours == pytest.approx(official, rel=0, abs=1e-15)


def _linear(weight: float, bias: float) -> nn.Module:
    module = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    with torch.no_grad():
        module[0].weight.fill_(weight)
        module[0].bias.fill_(bias)
        module[1].running_mean.fill_(weight)
    return module


def test_ema_update_moves_teacher_towards_student_and_copies_buffers():
    teacher, student = _linear(1.0, -2.0), _linear(3.0, 2.0)
    ema_update(teacher, student, momentum=0.75)
    assert torch.all(teacher[0].weight == 0.75 * 1.0 + 0.25 * 3.0)
    assert torch.all(teacher[0].bias == 0.75 * -2.0 + 0.25 * 2.0)
    assert torch.all(teacher[1].running_mean == 3.0)
    assert torch.all(student[0].weight == 3.0)
    assert teacher[0].weight.grad is None


def test_ema_update_with_momentum_one_keeps_teacher_and_zero_copies_student():
    teacher, student = _linear(1.0, -2.0), _linear(3.0, 2.0)
    ema_update(teacher, student, momentum=1.0, copy_buffers=False)
    assert torch.all(teacher[0].weight == 1.0)
    assert torch.all(teacher[1].running_mean == 1.0)
    ema_update(teacher, student, momentum=0.0)
    assert torch.all(teacher[0].weight == 3.0)
    assert torch.all(teacher[0].bias == 2.0)


def test_ema_update_rejects_mismatched_modules():
    with pytest.raises(ValueError):
        ema_update(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)), 0.9)
