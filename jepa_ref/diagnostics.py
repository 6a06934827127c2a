"""Diagnostics of learned embeddings: spread, rank, linear decodability, detection.

All take embeddings z of shape (N, D) (leading axes are flattened into N) and
return plain Python numbers, computed in float64 whatever the input dtype.

Scale matters for collapse: a JEPA trained on prediction alone shrinks its
embeddings to std ~1e-4 while keeping their shape, so `rankme` and
`active_dims` (both scale-invariant) can look healthy on a collapsed model.
Gate on `embedding_std` (absolute) as well.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

RANKME_EPS = 1e-7  # the epsilon of Garrido et al. (2023), added to each normalised singular value


def _as_matrix(z: Tensor) -> Tensor:
    """(…, D) -> (N, D) in float64, detached."""
    z = torch.as_tensor(z).detach().to(torch.float64)
    return z.reshape(-1, z.shape[-1]) if z.ndim != 2 else z


def embedding_std(z: Tensor) -> float:
    """Mean over dimensions of the per-dimension standard deviation (unbiased, over N).

    Absolute, not scale-invariant: ~1 for SIGReg/VICReg-trained embeddings,
    ~1e-4 for a model collapsed by pure prediction, 0 for a constant one.
    """
    return _as_matrix(z).std(dim=0).mean().item()


def active_dims(z: Tensor, threshold: float = 0.99, min_std: float = 0.0) -> int:
    """Number of principal components needed to explain `threshold` of the variance.

    The eigenvalues of the covariance of z, largest first: the smallest k whose
    top-k sum reaches `threshold` of the total. Counts directions, not axes, so
    D copies of one scalar feature give 1. Scale-invariant unless `min_std` > 0:
    components with a standard deviation at or below `min_std` are then not
    counted (and 0 is returned when every one is that small). A constant
    embedding gives 0.
    """
    z = _as_matrix(z)
    centered = z - z.mean(dim=0)
    eigenvalues = torch.linalg.eigvalsh(centered.T @ centered / max(z.shape[0] - 1, 1))
    eigenvalues = eigenvalues.flip(0).clamp_min(0.0)  # largest first; round-off negatives to 0
    total = eigenvalues.sum()
    if total <= 0:
        return 0
    needed = int(torch.searchsorted(torch.cumsum(eigenvalues, 0) / total, threshold).item()) + 1
    needed = min(needed, eigenvalues.numel())
    above_floor = int((eigenvalues.sqrt() > min_std).sum().item())
    return min(needed, above_floor)


def rankme(z: Tensor, eps: float = RANKME_EPS) -> float:
    """RankMe (Garrido et al., 2023): exp of the entropy of the normalised singular values.

    p_k = sigma_k / sum(sigma) + eps over the singular values of z (not
    centred, as in the paper); returns exp(-sum p_k log p_k), a smooth rank
    between ~1 and min(N, D). Scale-invariant. 0 for an all-zero z.
    """
    singular_values = torch.linalg.svdvals(_as_matrix(z))
    total = singular_values.sum()
    if total <= 0:
        return 0.0
    p = singular_values / total + eps
    return math.exp(-(p * p.log()).sum().item())


def linear_probe_r2(
    train_z: Tensor,
    train_y: Tensor,
    test_z: Tensor,
    test_y: Tensor,
    ridge: float = 1e-3,
) -> float:
    """Held-out R^2 of a closed-form ridge regression from embeddings to targets.

    Features are standardised with the train mean and std (dims with zero train
    std are only centred, so a constant embedding carries no signal), targets
    are centred with the train mean, which makes the fitted bias the train mean
    of y. Minimises mean((z w + b - y)^2) + ridge * |w|^2. R^2 = 1 - SS_res / SS_tot
    on the test set per target dim, SS_tot about the test mean, averaged over
    target dims whose test variance is nonzero (NaN if none). A constant
    embedding predicts the train mean: R^2 <= ~0.
    """
    train_z, test_z = _as_matrix(train_z), _as_matrix(test_z)
    train_y, test_y = _as_matrix(_as_column(train_y)), _as_matrix(_as_column(test_y))
    mean, std = train_z.mean(dim=0), train_z.std(dim=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    features = (train_z - mean) / std  # (N, D)
    y_mean = train_y.mean(dim=0)
    gram = features.T @ features + ridge * features.shape[0] * torch.eye(
        features.shape[1], dtype=torch.float64
    )
    weights = torch.linalg.solve(gram, features.T @ (train_y - y_mean))  # (D, Y)
    predicted = ((test_z - mean) / std) @ weights + y_mean  # (M, Y)
    return held_out_r2(test_y, predicted)


def knn_probe_r2(
    train_z: Tensor, train_y: Tensor, test_z: Tensor, test_y: Tensor, k: int = 10
) -> float:
    """Held-out R^2 of k-nearest-neighbour regression from embeddings to targets.

    Features are standardised with the train mean and std (as in `linear_probe_r2`),
    neighbours are the `k` train embeddings nearest in Euclidean distance, the
    prediction is the mean of their targets. Non-linear and free of a fitted
    readout, so it reads the geometry of the embedding (LeJEPA reports k-NN
    beside linear probes). R^2 as in `linear_probe_r2`.
    """
    train_z, test_z = _as_matrix(train_z), _as_matrix(test_z)
    train_y, test_y = _as_matrix(_as_column(train_y)), _as_matrix(_as_column(test_y))
    mean, std = train_z.mean(dim=0), train_z.std(dim=0)
    std = torch.where(std > 0, std, torch.ones_like(std))
    distances = torch.cdist((test_z - mean) / std, (train_z - mean) / std)  # (M, N)
    nearest = distances.topk(min(k, train_z.shape[0]), largest=False).indices  # (M, k)
    predicted = train_y[nearest].mean(dim=1)  # (M, Y)
    return held_out_r2(test_y, predicted)


def held_out_r2(test_y: Tensor, predicted: Tensor) -> float:
    """R^2 per target column, averaged over the columns that vary; NaN if none varies."""
    residual = (test_y - predicted).square().sum(dim=0)
    total = (test_y - test_y.mean(dim=0)).square().sum(dim=0)
    varying = total > 0
    if not bool(varying.any()):
        return float("nan")
    return (1.0 - residual[varying] / total[varying]).mean().item()


def _as_column(y: Tensor) -> Tensor:
    y = torch.as_tensor(y)
    return y.unsqueeze(-1) if y.ndim == 1 else y


def auroc(scores: Tensor | Sequence[float], labels: Tensor | Sequence[int]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties count half.

    Rank-based (Mann-Whitney U with average ranks for tied scores), so it is
    exact and needs no threshold sweep. labels: 1/True positive, 0/False
    negative. 1.0 perfect, 0.5 chance, 0.0 inverted. Raises if a class is absent.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64).flatten()
    labels = torch.as_tensor(labels).flatten().bool()
    if scores.shape != labels.shape:
        raise ValueError(f"{scores.numel()} scores but {labels.numel()} labels")
    positives = int(labels.sum().item())
    negatives = labels.numel() - positives
    if positives == 0 or negatives == 0:
        raise ValueError("auroc needs at least one positive and one negative label")
    ranks = _average_ranks(scores)
    u_statistic = ranks[labels].sum().item() - positives * (positives + 1) / 2
    return u_statistic / (positives * negatives)


def _average_ranks(values: Tensor) -> Tensor:
    """1-based ranks of `values`, tied values sharing the mean of their ranks."""
    _, inverse, counts = torch.unique(values, return_inverse=True, return_counts=True)
    last_rank = torch.cumsum(counts, 0).to(torch.float64)  # rank of each group's last member
    first_rank = last_rank - counts + 1
    return ((first_rank + last_rank) / 2)[inverse]
