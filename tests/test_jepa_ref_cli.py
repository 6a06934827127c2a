"""`python -m jepa_ref`: list, run (one JSON object on stdout) and usage errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jepa_ref.__main__ import main, parse_assignments
from jepa_ref.experiments import EXPERIMENTS
from jepa_ref.experiments.configs import COLLAPSE_METRICS

REPO = Path(__file__).resolve().parent.parent


def test_list_names_every_registered_experiment_with_its_description(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(EXPERIMENTS)
    assert all(EXPERIMENTS[line.split()[0]].description in line for line in lines)


def test_run_prints_one_json_object_with_the_record_keys():
    command = [
        sys.executable, "-m", "jepa_ref", "run", "collapse_prevention", "--seed", "3",
        "--set", "steps=4", "--set", "batch_size=8", "--set", 'methods=["pure"]',
        "--set", "collapsed_arm=false",
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    record = json.loads(completed.stdout)  # the whole of stdout is one object
    assert set(record) == {"experiment", "seed", "config", "metrics", "curves", "seconds"}
    assert record["experiment"] == "collapse_prevention" and record["seed"] == 3
    assert record["config"]["steps"] == 4 and record["config"]["methods"] == ["pure"]
    assert set(record["metrics"]) == {f"pure_{name}" for name in COLLAPSE_METRICS}
    assert record["seconds"] > 0
    assert "collapse_prevention" in completed.stderr  # progress goes to stderr


def test_set_values_are_json_when_they_parse_and_strings_otherwise():
    parsed = parse_assignments(["steps=50", "lambdas=[0.1, 1]", "tag=abc", "expr=a=b"])
    assert parsed == {"steps": 50, "lambdas": [0.1, 1], "tag": "abc", "expr": "a=b"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "collapse_prevention", "--set", "stepz=3"], "unknown parameter(s) stepz"),
        (["run", "lewm_two_loss", "--set", "steps=0"], "invalid parameters for lewm_two_loss"),
        (["run", "collapse_prevention", "--set", "steps"], "expects key=value"),
        (["run", "no_such_experiment"], "unknown experiment 'no_such_experiment'"),
    ],
)
def test_usage_errors_exit_2_with_a_message_and_nothing_on_stdout(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_unknown_parameter_error_lists_the_known_ones(capsys):
    main(["run", "lewm_two_loss", "--set", "lambda=[0.1]"])
    assert "known: lambdas, steps, batch_size" in capsys.readouterr().err
