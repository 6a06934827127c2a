"""The `expect` grammar: comparisons of a metric against numbers, never eval.

A claim's experiment link says what must hold on every seed, e.g.
`min_emb_std: ">= 0.5"`. A comparison is an operator (`>=`, `>`, `<=`, `<`,
`==`, `!=`) followed by a decimal or scientific literal (`0.5`, `-3`, `1e-2`,
`2.5E+3`), whitespace allowed around both. Several comparisons joined by `and`
must all hold, for a range: `">= 0.5 and <= 1.5"`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
ACCEPTED_FORMS = (
    "an operator (>=, >, <=, <, ==, !=) then a number, e.g. '>= 0.5' or '< 1e-2',"
    " or several joined by 'and', e.g. '>= 0.5 and <= 1.5'"
)
_AND = re.compile(r"\s+and\s+")

# Two-character operators first, so '>=' is not read as '>' followed by '=0.5'.
_OPERATOR = re.compile(r"\s*(>=|<=|==|!=|>|<)\s*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATOR_LIKE = re.compile(r"[<>=!]+")


class ExpectationSyntaxError(ValueError):
    """An `expect` value that is not '<operator> <number>'; the message says which part."""


@dataclass(frozen=True)
class Expectation:
    """A parsed comparison: `holds(value)` is `value <op> threshold`, and every `also` holds."""

    op: str
    threshold: float
    also: tuple[Expectation, ...] = ()  # further comparisons joined by 'and'

    def holds(self, value: float | None) -> bool:
        """Whether a metric value satisfies every comparison; missing, NaN or infinite never does.

        A diverged run (inf) must not pass `> 0.95`: non-finite is no evidence either way.
        """
        if value is None or not math.isfinite(value):
            return False
        held = COMPARISONS[self.op](value, self.threshold)
        return held and all(other.holds(value) for other in self.also)

    @property
    def thresholds(self) -> list[float]:
        return [self.threshold, *(other.threshold for other in self.also)]

    def __str__(self) -> str:
        # repr() of a float is the shortest text that reads back as the same float.
        return " and ".join([f"{self.op} {self.threshold!r}", *map(str, self.also)])


def parse_expectation(text: str) -> Expectation:
    """Parse '<op> <number>' or several joined by 'and' ('>= 0.5 and <= 1.5')."""
    if isinstance(text, str) and _AND.search(text.strip()):
        first, *rest = (_parse_comparison(part) for part in _AND.split(text.strip()))
        return Expectation(first.op, first.threshold, tuple(rest))
    return _parse_comparison(text)


def _parse_comparison(text: str) -> Expectation:
    """Parse '<operator> <number>' (e.g. '>= 0.5', '< 1e-2'); raise ExpectationSyntaxError."""
    if not isinstance(text, str):
        raise ExpectationSyntaxError(
            f"expected a string like '>= 0.5', got {type(text).__name__} {text!r}"
            f"; write {ACCEPTED_FORMS}"
        )
    if not text.strip():
        raise ExpectationSyntaxError(f"empty comparison; write {ACCEPTED_FORMS}")
    op_match = _OPERATOR.match(text)
    if op_match is None:
        raise ExpectationSyntaxError(_missing_operator_message(text))
    rest = text[op_match.end() :]
    number_match = _NUMBER.match(rest)
    if number_match is None:
        raise ExpectationSyntaxError(_bad_number_message(text, op_match.group(1), rest))
    trailing = rest[number_match.end() :]
    if trailing.strip():
        raise ExpectationSyntaxError(
            f"unexpected {trailing.strip()!r} after the number in {text!r}; write {ACCEPTED_FORMS}"
        )
    return Expectation(op_match.group(1), float(number_match.group(0)))


def _missing_operator_message(text: str) -> str:
    stripped = text.strip()
    wrong_operator = _OPERATOR_LIKE.match(stripped)
    if wrong_operator:
        return (
            f"unknown operator {wrong_operator.group(0)!r} in {text!r};"
            f" use one of >=, >, <=, <, ==, !="
        )
    return f"{text!r} does not start with a comparison operator; write {ACCEPTED_FORMS}"


def _bad_number_message(text: str, op: str, rest: str) -> str:
    if not rest.strip():
        return f"missing the number after {op!r} in {text!r}; write {ACCEPTED_FORMS}"
    if _OPERATOR_LIKE.match(rest.strip()):
        return f"unknown operator in {text!r}; use one of >=, >, <=, <, ==, !="
    return f"{rest.strip()!r} is not a number (in {text!r}); write {ACCEPTED_FORMS}"


class ExpectationResult(BaseModel):
    """One expectation checked against one run: what was expected, what came out."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    metric: str
    expect: str
    value: float | None  # None: the run did not produce this metric
    held: bool


def evaluate_expectations(
    expect: Mapping[str, str], metrics: Mapping[str, float]
) -> list[ExpectationResult]:
    """Check every `metric: comparison` of a claim's link against one run's metrics."""
    results = []
    for metric, text in expect.items():
        value = metrics.get(metric)
        held = parse_expectation(text).holds(value)
        results.append(ExpectationResult(metric=metric, expect=text, value=value, held=held))
    return results
