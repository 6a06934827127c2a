"""Model-agnostic planning: the cross-entropy method and a receding-horizon loop.

Nothing here knows about encoders or worlds. A latent planner passes a
`cost_fn` that rolls a predictor forward from an encoded observation and
measures the distance to an encoded goal (as LeWM and DINO-WM do); the toy
world supplies `step_fn`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def cem_plan(
    cost_fn: Callable[[Tensor], Tensor],
    horizon: int,
    action_dim: int,
    samples: int = 256,
    iterations: int = 6,
    elites: int = 32,
    generator: torch.Generator | None = None,
    action_low: float = -1.0,
    action_high: float = 1.0,
    init_mean: Tensor | None = None,
    init_std: float | Tensor | None = None,
    min_std: float = 1e-3,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Cross-entropy method: the mean of an action-sequence Gaussian refit to its elites.

    Each iteration draws `samples` sequences (S, H, A) from N(mean, std^2),
    clips them to [action_low, action_high], scores them with `cost_fn`
    ((S, H, A) -> (S,), lower is better, called under `torch.no_grad`), keeps
    the `elites` cheapest (stable order, so ties are deterministic) and refits
    mean and per-entry std to them (std floored at `min_std`). Starts from
    `init_mean` (H, A) (e.g. the previous plan shifted, see `mpc_control`) or the
    middle of the action box, with std `init_std` or half the box width.
    Returns the final mean, (horizon, action_dim), inside the box.
    """
    if not 0 < elites <= samples:
        raise ValueError(f"need 0 < elites <= samples, got elites={elites}, samples={samples}")
    shape = (horizon, action_dim)
    if init_mean is None:
        mean = torch.full(shape, (action_low + action_high) / 2, dtype=dtype)
    else:
        mean = init_mean.detach().to(dtype).reshape(shape).clone()
    if init_std is None:
        init_std = (action_high - action_low) / 2
    std = torch.as_tensor(init_std, dtype=dtype).expand(shape).clone()
    for _ in range(iterations):
        noise = torch.randn((samples, *shape), generator=generator, dtype=dtype)
        actions = (mean + std * noise).clamp(action_low, action_high)  # (S, H, A)
        with torch.no_grad():
            costs = cost_fn(actions)
        if costs.shape != (samples,):
            raise ValueError(f"cost_fn must return shape ({samples},), got {tuple(costs.shape)}")
        elite_actions = actions[torch.argsort(costs, stable=True)[:elites]]  # (E, H, A)
        mean = elite_actions.mean(0)
        std = elite_actions.std(0, unbiased=False).clamp_min(min_std)
    return mean.clamp(action_low, action_high)


def mpc_control(
    step_fn: Callable[[Tensor], bool | None],
    plan_fn: Callable[[Tensor | None], Tensor],
    steps: int,
    replan_every: int = 1,
) -> Tensor:
    """Receding-horizon control: plan, execute the first actions, replan, for `steps` steps.

    plan_fn(warm_start) -> (H, A) plans from the current state of the world
    (which it reads itself, e.g. by encoding the latest observation).
    warm_start is None the first time, then the unexecuted rest of the last plan
    padded by repeating its final action, the usual CEM warm start
    (`lambda warm: cem_plan(cost, H, A, init_mean=warm, generator=g)`).
    step_fn(action) applies one (A,) action to the world; it returns True to
    stop early (e.g. goal reached). A new plan is made every `replan_every`
    steps, or sooner when the current plan runs out. Returns the executed
    actions, (steps_taken, A).
    """
    if replan_every < 1:
        raise ValueError(f"replan_every must be >= 1, got {replan_every}")
    executed: list[Tensor] = []
    plan: Tensor | None = None
    cursor = 0
    for step in range(steps):
        if plan is None or step % replan_every == 0 or cursor >= plan.shape[0]:
            plan = plan_fn(None if plan is None else _shifted(plan, cursor))
            cursor = 0
        action = plan[cursor]
        cursor += 1
        executed.append(action)
        if step_fn(action):
            break
    if not executed:
        return torch.empty(0, 0)
    return torch.stack(executed)


def _shifted(plan: Tensor, used: int) -> Tensor:
    """The last `len(plan) - used` actions of plan, padded to full length with its final one."""
    rest = plan[used:]
    padding = plan[-1:].expand(plan.shape[0] - rest.shape[0], -1)
    return torch.cat((rest, padding))
