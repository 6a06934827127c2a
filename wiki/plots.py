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
from wiki.scoring.types import LinkScore

PLOT_FOLDER = "plots"
PLOT_STYLE_VERSION = "2"  # bump to redraw every cached plot after changing the drawing code


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

# Words for the parts of metric names, so titles and axes read as text, not keys.
METRIC_WORDS = {
    "emb": "embedding",
    "std": "std",
    "probe": "linear-probe",
    "r2": "R²",
    "rankme": "RankMe",
    "auroc": "AUROC",
    "cf": "counterfactual",
    "ema": "EMA",
    "noema": "no-EMA",
    "sigreg": "SIGReg",
    "vicreg": "VICReg",
    "ae": "autoencoder",
    "jepa": "JEPA",
    "dims": "dimensions",
    "min": "min",
    "max": "max",
}
# What a metric is measured in, by its last word (no unit: a plain number).
METRIC_UNITS = {
    "r2": "R² (1 = perfect)",
    "auroc": "AUROC (0.5 = chance)",
    "std": "std (embedding units)",
    "dims": "dimensions",
    "success": "success rate (0-1)",
    "loss": "loss",
    "rankme": "effective rank",
    "distance": "distance",
}


def metric_words(name: str) -> str:
    """'sigreg_emb_std' -> 'SIGReg embedding std'."""
    return " ".join(METRIC_WORDS.get(part, part) for part in name.split("_"))


def metric_unit(name: str) -> str:
    """The y-axis label of a metric: its unit where known, else the metric in words."""
    return METRIC_UNITS.get(name.split("_")[-1], metric_words(name))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # keep text as text: smaller files, searchable
            "svg.hashsalt": "wiki",  # stable element ids: identical runs give identical files
            "font.size": 10,
            "savefig.transparent": True,  # the page's light or dark background shows through
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
        held = [expectation.holds(v) for v in values]
        for passed, label, colour in ((True, "held", "#2e7d32"), (False, "not held", "#c62828")):
            points = [
                (str(s), v) for s, v, h in zip(seeds, values, held, strict=True) if h is passed
            ]
            if points:
                axis.scatter(*zip(*points, strict=True), c=colour, zorder=3, label=label)
        for threshold in expectation.thresholds:
            axis.axhline(
                threshold,
                linestyle="--",
                color="#555",
                linewidth=1,
                label=f"expected {expect[metric]}",
            )
        if _spans_decades(values + expectation.thresholds):
            axis.set_yscale("log")
        axis.set_title(metric_words(metric))
        axis.set_xlabel("seed")
        axis.set_ylabel(metric_unit(metric))
        axis.legend(fontsize=8, loc="best")
    figure.tight_layout()
    return _svg(figure)


def draw_comparison(runs: list[Any], groups: dict[str, list[str]]) -> str:
    """One panel per shared suffix: each group's value on every seed."""
    plt = _pyplot()
    suffixes = list(groups)
    figure, axes = plt.subplots(1, len(suffixes), figsize=(2.8 * len(suffixes), 2.6), squeeze=False)
    for axis, suffix in zip(axes[0], suffixes, strict=True):
        prefixes = groups[suffix]
        for run in runs:  # one colour per seed, the same in every panel
            values = [run.metrics.get(f"{prefix}_{suffix}", float("nan")) for prefix in prefixes]
            axis.scatter(
                range(len(prefixes)), values, s=16, alpha=0.8, zorder=3, label=f"seed {run.seed}"
            )
        axis.set_xticks(range(len(prefixes)), [metric_words(p) for p in prefixes], rotation=30)
        axis.set_ylabel(metric_unit(suffix))
        values = [run.metrics.get(f"{p}_{suffix}", float("nan")) for p in prefixes for run in runs]
        if _spans_decades(values):
            axis.set_yscale("log")
        axis.set_title(f"{metric_words(suffix)} by variant")
    axes[0][-1].legend(fontsize=8, loc="best")
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
        axis.set_title(metric_words(name))
        axis.set_xlabel(_curve_x_label(name))
        axis.set_ylabel(metric_unit(name))
        axis.legend(fontsize=7, loc="best")
    for axis in list(axes.flat)[len(names) :]:
        axis.set_visible(False)
    figure.tight_layout()
    return _svg(figure)


def _curve_x_label(name: str) -> str:
    """'cf_error_by_frame' -> 'frame'; a loss curve is sampled over training."""
    _, by, what = name.rpartition("_by_")
    if by:
        return metric_words(what)
    return "training progress (logged points)"


def _spans_decades(values: list[float]) -> bool:
    finite = [v for v in values if v == v and v > 0]
    return (
        len(finite) == len([v for v in values if v == v])
        and bool(finite)
        and (max(finite) / min(finite) > 100)
    )
