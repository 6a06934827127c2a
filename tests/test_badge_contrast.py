"""Every badge colour in extra.css reads at WCAG AA (4.5:1) with its white text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).parent.parent / "templates" / "assets" / "extra.css"
BADGE_RULE = re.compile(r"\.(wiki-[a-z-]+) \{ background: (#[0-9a-fA-F]{6}); \}")
WCAG_AA = 4.5


def relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    darker, lighter = sorted((relative_luminance(one), relative_luminance(other)))
    return (lighter + 0.05) / (darker + 0.05)


BADGES = BADGE_RULE.findall(CSS.read_text(encoding="utf-8"))


def test_the_stylesheet_has_badge_colours() -> None:
    names = {name for name, _ in BADGES}
    assert {"wiki-grade-moderate", "wiki-verdict-untestable", "wiki-stale"} <= names


def test_every_verdict_and_the_fragile_mark_have_a_badge_colour() -> None:
    from wiki.scoring.types import Verdict

    names = {name for name, _ in BADGES}
    assert {f"wiki-verdict-{verdict.value}" for verdict in Verdict} | {"wiki-fragile"} <= names


@pytest.mark.parametrize(("badge", "colour"), BADGES)
def test_badge_text_meets_wcag_aa(badge: str, colour: str) -> None:
    assert contrast(colour, "#ffffff") >= WCAG_AA, f"{badge} {colour}"


def test_contrast_matches_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#9ca3af", "#ffffff") < WCAG_AA  # the old 'untestable' grey (2.5:1)
