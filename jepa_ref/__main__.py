"""Command line of the experiment registry.

    python -m jepa_ref list
    python -m jepa_ref run NAME --seed N [--set key=value ...]

`run` prints one JSON object on stdout, {"experiment", "seed", "config",
"metrics", "curves", "seconds"} (non-finite numbers as null); progress goes to
stderr. `--set` values are parsed as JSON when they parse (`steps=50`,
`'lambdas=[0.1]'`), else taken as strings. Exit codes: 0 ok, 2 usage errors
(unknown experiment, unknown or invalid parameter).
"""

from __future__ import annotations

import os

# Passive OpenMP waiting, set before torch loads its OpenMP runtime: when the two
# cores are shared with other jobs, spinning threads wait on descheduled partners
# and a training step measured here went from ~30 ms to over 1 s.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from pydantic import ValidationError  # noqa: E402

from jepa_ref.experiments import EXPERIMENTS, run_experiment  # noqa: E402

USAGE_ERROR = 2
THREADS = 2  # the calibration of every experiment: 2 CPU cores, so two trainings side by side


class UsageError(Exception):
    """A mistake in the command line; reported on stderr with exit code 2."""


def parse_assignments(assignments: list[str]) -> dict[str, Any]:
    """["steps=50", "lambdas=[0.1]", "tag=abc"] -> {"steps": 50, "lambdas": [0.1], "tag": "abc"}."""
    params: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects key=value, got {assignment!r}")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def resolve_config(name: str, params: dict[str, Any]):
    """The experiment's validated config model, or a UsageError naming what is wrong."""
    if name not in EXPERIMENTS:
        raise UsageError(f"unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}")
    config_model = EXPERIMENTS[name].config
    unknown = sorted(set(params) - set(config_model.model_fields))
    if unknown:
        known = ", ".join(config_model.model_fields)
        raise UsageError(f"unknown parameter(s) {', '.join(unknown)} for {name}; known: {known}")
    try:
        return config_model.model_validate(params)
    except ValidationError as error:
        raise UsageError(f"invalid parameters for {name}:\n{error}") from None


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def run_command(name: str, seed: int, assignments: list[str]) -> dict[str, Any]:
    """Run one experiment for one seed and return the JSON-ready record."""
    config = resolve_config(name, parse_assignments(assignments))
    from jepa_ref.runtime import configure_torch  # imports torch: only when running

    configure_torch(threads=THREADS)
    print(f"running {name} seed={seed}: {config.model_dump_json()}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = run_experiment(name, config, seed)
    seconds = time.perf_counter() - started
    print(f"done {name} seed={seed} in {seconds:.1f} s", file=sys.stderr, flush=True)
    return {
        "experiment": name,
        "seed": seed,
        "config": config.model_dump(mode="json"),
        "metrics": {key: finite_or_none(value) for key, value in result.metrics.items()},
        "curves": {
            key: [finite_or_none(value) for value in values]
            for key, values in result.curves.items()
        },
        "seconds": seconds,
    }


def list_command() -> str:
    width = max(len(name) for name in EXPERIMENTS)
    return "\n".join(
        f"{name:<{width}}  {experiment.description}" for name, experiment in EXPERIMENTS.items()
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m jepa_ref", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the registered experiments")
    run = commands.add_parser("run", help="run one experiment for one seed, print JSON")
    run.add_argument("name", help="experiment name (see `list`)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field; VALUE parsed as JSON when possible (repeatable)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        print(list_command())
        return 0
    try:
        record = run_command(args.name, args.seed, args.assignments)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    print(json.dumps(record, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
