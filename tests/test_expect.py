import math

import pytest

from wiki.expect import (
    Expectation,
    ExpectationSyntaxError,
    evaluate_expectations,
    parse_expectation,
)


@pytest.mark.parametrize(
    ("text", "op", "threshold"),
    [
        (">= 0.5", ">=", 0.5),
        ("> 0.95", ">", 0.95),
        ("< 1e-2", "<", 0.01),
        ("<= 3", "<=", 3.0),
        ("== 1", "==", 1.0),
        ("!= 0", "!=", 0.0),
        ("  >=0.5  ", ">=", 0.5),
        ("> -2.5E+3", ">", -2500.0),
        ("< .5", "<", 0.5),
    ],
)
def test_accepts_operator_then_number(text, op, threshold):
    assert parse_expectation(text) == Expectation(op, threshold)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("", "empty"),
        ("0.5", "does not start with a comparison operator"),
        ("=> 0.5", "unknown operator '=>'"),
        ("= 1", "unknown operator '='"),
        (">> 1", "unknown operator"),
        (">=", "missing the number after '>='"),
        (">= abc", "'abc' is not a number"),
        (">= 0.5 or < 1", "unexpected 'or < 1' after the number"),
        (">= nan", "'nan' is not a number"),
        ("__import__('os')", "does not start with a comparison operator"),
    ],
)
def test_rejects_malformed_text_naming_the_wrong_part(text, names):
    with pytest.raises(ExpectationSyntaxError) as caught:
        parse_expectation(text)
    assert names in str(caught.value)


def test_rejection_lists_the_accepted_forms():
    with pytest.raises(ExpectationSyntaxError, match=r">=, >, <=, <, ==, !="):
        parse_expectation("0.5")


def test_holds_compares_value_to_threshold():
    assert parse_expectation(">= 0.5").holds(0.5)
    assert not parse_expectation("> 0.5").holds(0.5)
    assert parse_expectation("< 1e-2").holds(0.001)
    assert not parse_expectation("!= 0").holds(0.0)
    assert parse_expectation("== 1").holds(1.0)


@pytest.mark.parametrize("text", [">= 0", "<= 0", "!= 0", "== 0"])
def test_nan_or_missing_never_holds(text):
    expectation = parse_expectation(text)
    assert not expectation.holds(math.nan)
    assert not expectation.holds(None)


@pytest.mark.parametrize("text", [">= 0.5", "< 1e-2", "!= -3", "> 1e+20", "<= 0.1"])
def test_str_round_trips(text):
    expectation = parse_expectation(text)
    assert parse_expectation(str(expectation)) == expectation


def test_evaluate_marks_each_expectation_and_missing_metrics():
    results = evaluate_expectations({"a": ">= 1", "b": "< 0", "c": "> 0"}, {"a": 2.0, "b": 1.0})
    assert [(r.metric, r.value, r.held) for r in results] == [
        ("a", 2.0, True),
        ("b", 1.0, False),
        ("c", None, False),
    ]


def test_comparisons_joined_by_and_must_all_hold() -> None:
    window = parse_expectation(">= 0.5 and <= 1.5")
    assert window.thresholds == [0.5, 1.5]
    assert window.holds(1.0) and not window.holds(0.4) and not window.holds(1.6)
    assert str(window) == ">= 0.5 and <= 1.5"
    assert parse_expectation(str(window)) == window


@pytest.mark.parametrize("text", [">= 0.5 and", ">= 0.5 and 1.5", "and <= 1"])
def test_a_broken_part_of_an_and_is_rejected(text: str) -> None:
    with pytest.raises(ExpectationSyntaxError):
        parse_expectation(text)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
@pytest.mark.parametrize("text", ["> 0.95", "< 0.95", "!= 0", ">= -1e308 and <= 1e308"])
def test_non_finite_values_fail_every_expectation(value, text):
    assert not parse_expectation(text).holds(value)
