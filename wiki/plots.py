"""Plots of recorded runs, drawn with matplotlib at build time, cached by run key.

Each experiment link with runs gets up to three SVGs, all derived from the records:
- expectations: each expected metric per seed against its threshold (pass/fail colour);
- comparison: metrics that share a suffix across groups (`pure_emb_std`, `sigreg_emb_std`,
  or `jepa_probe_r2`, `ae_probe_r2`) as grouped points, one per seed;
- curves: every recorded curve (e.g. loss per step), one line per seed.
Nothing here knows an experiment by name.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from wiki.atomic_write import DEFAULT_MODE, WriteError, write_atomically
from wiki.expect import parse_expectation
from wiki.score import LinkScore

PLOT_FOLDER = "plots"
PLOT_STYLE_VERSION = "1"  # bump to redraw every cached plot after changing the drawing code


class PlotCache:
    """SVG text by a hash of what the plot shows (run keys, expectations, kind)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get_or_draw(self, identity: dict[str, Any], draw: Any) -> tuple[str, str]:
        """(file name, svg): read from the cache, else `draw()` and store."""
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        name = f"{identity['kind']}-{digest}.svg"
        cached = self.folder / name
        if cached.exists():
            return name, cached.read_text(encoding="utf-8")
        svg = draw()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # A unique temporary name: two builds drawing the same plot must not collide.
            write_atomically(cached, svg.encode("utf-8"), mode=DEFAULT_MODE)
        except (OSError, WriteError):
            pass  # a cache that cannot be written (full disk) only costs a redraw next time
        return name, svg


def link_plots(
    cache: PlotCache, link: LinkScore, expect: dict[str, str]
) -> list[tuple[str, str, str]]:
    """[(docs path, caption, svg)] for one experiment link's current runs."""
    runs = sorted(link.runs, key=lambda run: run.seed)
    keys = [run.key for run in runs]
    base = {"version": PLOT_STYLE_VERSION, "experiment": link.experiment, "runs": keys}
    plots = []
    if expect:
        identity = {**base, "kind": "expect", "expect": expect}
        name, svg = cache.get_or_draw(identity, lambda: draw_expectations(runs, expect))
        plots.append((name, f"{link.experiment}: expected metrics per seed", svg))
    groups = comparable_groups(runs[0].metrics) if runs else {}
    if groups:
        identity = {**base, "kind": "compare"}
        name, svg = cache.get_or_draw(identity, lambda: draw_comparison(runs, groups))
        plots.append((name, f"{link.experiment}: metrics compared across variants", svg))
    if any(run.curves for run in runs):
        identity = {**base, "kind": "curves"}
        name, svg = cache.get_or_draw(identity, lambda: draw_curves(runs))
        plots.append((name, f"{link.experiment}: recorded curves per seed", svg))
    return [(f"{PLOT_FOLDER}/{name}", caption, svg) for name, caption, svg in plots]


def comparable_groups(metrics: dict[str, float]) -> dict[str, list[str]]:
    """suffix -> group prefixes, for suffixes shared by at least two prefixes.

    `{pure_emb_std, sigreg_emb_std, pure_probe_r2, sigreg_probe_r2}` ->
    `{emb_std: [pure, sigreg], probe_r2: [pure, sigreg]}`; the longest shared suffix wins.
    """
    prefixes: dict[str, set[str]] = defaultdict(set)
    for name in metrics:
        parts = name.split("_")
        for cut in range(1, len(parts)):
            prefixes["_".join(parts[cut:])].add("_".join(parts[:cut]))
    chosen: dict[str, list[str]] = {}
    claimed: set[str] = set()
    for suffix in sorted(prefixes, key=lambda s: (-len(s), s)):
        names = {f"{prefix}_{suffix}" for prefix in prefixes[suffix]} - claimed
        if len(names) >= 2:
            chosen[suffix] = sorted(name[: -len(suffix) - 1] for name in names)
            claimed |= names
    return dict(sorted(chosen.items()))


# --- drawing (matplotlib is imported only when a plot is not cached) ------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # keep text as text: smaller files, searchable
            "svg.hashsalt": "wiki",  # stable element ids: identical runs give identical files
            "font.size": 9,
        }
    )
    import matplotlib.pyplot as plt

    return plt


def _svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(figure)
    return buffer.getvalue()


def draw_expectations(runs: list[Any], expect: dict[str, str]) -> str:
    """One panel per expected metric: value per seed, threshold dashed, green held / red not."""
    plt = _pyplot()
    metrics = sorted(expect)
    figure, axes = plt.subplots(1, len(metrics), figsize=(2.6 * len(metrics), 2.4), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        expectation = parse_expectation(expect[metric])
        seeds = [run.seed for run in runs]
        values = [run.metrics.get(metric, float("nan")) for run in runs]
        colours = ["#2e7d32" if expectation.holds(v) else "#c62828" for v in values]
        axis.scatter([str(s) for s in seeds], values, c=colours, zorder=3)
        for threshold in expectation.thresholds:
            axis.axhline(threshold, linestyle="--", color="#555", linewidth=1)
        if _spans_decades(values + expectation.thresholds):
            axis.set_yscale("log")
        axis.set_title(f"{metric} {expect[metric]}")
        axis.set_xlabel("seed")
    figure.tight_layout()
    return _svg(figure)


def draw_comparison(runs: list[Any], groups: dict[str, list[str]]) -> str:
    """One panel per shared suffix: each group's value on every seed."""
    plt = _pyplot()
    suffixes = list(groups)
    figure, axes = plt.subplots(1, len(suffixes), figsize=(2.8 * len(suffixes), 2.6), squeeze=False)
    for axis, suffix in zip(axes[0], suffixes, strict=True):
        prefixes = groups[suffix]
        for position, prefix in enumerate(prefixes):
            values = [run.metrics.get(f"{prefix}_{suffix}", float("nan")) for run in runs]
            axis.scatter([position] * len(values), values, s=14, alpha=0.8, zorder=3)
        axis.set_xticks(range(len(prefixes)), prefixes, rotation=30)
        values = [run.metrics.get(f"{p}_{suffix}", float("nan")) for p in prefixes for run in runs]
        if _spans_decades(values):
            axis.set_yscale("log")
        axis.set_title(suffix)
    figure.tight_layout()
    return _svg(figure)


def draw_curves(runs: list[Any]) -> str:
    """One panel per curve name, one line per seed."""
    plt = _pyplot()
    names = sorted({name for run in runs for name in run.curves})
    columns = min(3, len(names))
    rows = (len(names) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 2.3 * rows), squeeze=False)
    for axis, name in zip(axes.flat, names, strict=False):
        for run in runs:
            curve = run.curves.get(name)
            if curve:
                axis.plot(curve, linewidth=1, label=f"seed {run.seed}")
        if _spans_decades([v for run in runs for v in run.curves.get(name, [])]):
            axis.set_yscale("log")
        axis.set_title(name)
    for axis in list(axes.flat)[len(names) :]:
        axis.set_visible(False)
    figure.tight_layout()
    return _svg(figure)


def _spans_decades(values: list[float]) -> bool:
    finite = [v for v in values if v == v and v > 0]
    return (
        len(finite) == len([v for v in values if v == v])
        and bool(finite)
        and (max(finite) / min(finite) > 100)
    )
