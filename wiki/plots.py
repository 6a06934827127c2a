"""Plots of recorded runs, drawn with matplotlib at build time, cached by run key.

Each experiment link with runs gets up to four SVGs, all derived from the records:
- expectations: each expected metric per seed against its threshold (pass/fail colour);
- comparison: metrics that share a suffix across groups (`pure_emb_std`, `sigreg_emb_std`,
  or `jepa_probe_r2`, `ae_probe_r2`) as grouped points, one per seed;
- sensitivity: for a link whose protocol card names a `sensitivity_parameter` P, every
  expected metric M with a `sweep:M` curve drawn against the `sweep:P` curve (the value
  of M at each swept setting), one line per seed, the expectation's threshold dashed;
- curves: every other recorded curve (e.g. loss per step), one line per seed.
Nothing here knows an experiment by name.

Readable on a phone: a figure is at most FIGURE_WIDTH_IN wide (two panels a row) and no
text is smaller than MIN_FONT_PT, so shown at MOBILE_WIDTH_PX (a 390 px screen less the
page margins) its smallest text is still about MIN_FONT_PT px; `smallest_text_px` checks
a drawn SVG against that. A click on a plot opens the full-size SVG.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

from wiki.atomic_write import DEFAULT_MODE, WriteError, write_atomically
from wiki.expect import parse_expectation
from wiki.scoring.types import LinkScore

PLOT_FOLDER = "plots"
SWEEP_PREFIX = "sweep:"  # curves of a sensitivity sweep, drawn by draw_sensitivity only
FIGURE_WIDTH_IN = 4.4  # 317 pt: at most the width a phone shows, so text is not shrunk
MIN_FONT_PT = 9
MOBILE_WIDTH_PX = 350
PLOT_STYLE_VERSION = "3"  # bump to redraw every cached plot after changing the drawing code


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
    parameter = link.sensitivity_parameter
    swept = sensitivity_metrics(runs, parameter, expect) if parameter else []
    if parameter and swept:
        identity = {**base, "kind": "sensitivity", "expect": expect, "parameter": parameter}
        name, svg = cache.get_or_draw(
            identity, lambda: draw_sensitivity(runs, parameter, swept, expect)
        )
        compared = ", ".join(metric_words(metric) for metric in swept)
        caption = (
            f"{link.experiment}: sensitivity to {parameter_words(parameter)}: {compared}"
            " at each swept setting, one line per seed; dashed: the expected threshold"
        )
        plots.append((name, caption, svg))
    if any(_plain_curves(run) for run in runs):
        identity = {**base, "kind": "curves"}
        name, svg = cache.get_or_draw(identity, lambda: draw_curves(runs))
        plots.append((name, f"{link.experiment}: recorded curves per seed", svg))
    return [(f"{PLOT_FOLDER}/{name}", caption, svg) for name, caption, svg in plots]


def sensitivity_metrics(runs: list[Any], parameter: str, expect: dict[str, str]) -> list[str]:
    """The expected metrics that some run swept against `parameter`, in `expect`'s order."""
    swept = [run for run in runs if f"{SWEEP_PREFIX}{parameter}" in run.curves]
    return [
        metric for metric in expect if any(f"{SWEEP_PREFIX}{metric}" in run.curves for run in swept)
    ]


def _plain_curves(run: Any) -> dict[str, list[float]]:
    return {k: v for k, v in run.curves.items() if not k.startswith(SWEEP_PREFIX)}


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


# Words for the settings a sensitivity plot sweeps.
PARAMETER_WORDS = {"lambda": "the SIGReg weight λ"}


def parameter_words(name: str) -> str:
    """'lambda' -> 'the SIGReg weight λ'; other names as words."""
    return PARAMETER_WORDS.get(name, metric_words(name))


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
            "axes.titlesize": 10,
            "axes.labelsize": 10,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "legend.fontsize": MIN_FONT_PT,
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


def _panels(count: int, height: float) -> tuple[Any, list[Any]]:
    """A figure of `count` panels, two a row, FIGURE_WIDTH_IN wide (one panel: narrower)."""
    plt = _pyplot()
    columns = 1 if count == 1 else 2
    rows = (count + columns - 1) // columns
    width = FIGURE_WIDTH_IN if columns == 2 else FIGURE_WIDTH_IN * 0.7
    figure, axes = plt.subplots(rows, columns, figsize=(width, height * rows), squeeze=False)
    flat = list(axes.flat)
    for axis in flat[count:]:
        axis.set_visible(False)
    return figure, flat[:count]


def _finish(figure: Any, axes: list[Any]) -> str:
    figure.tight_layout(pad=0.4, h_pad=0.8, w_pad=0.6)
    _figure_legend(figure, axes)
    return _svg(figure)


def draw_expectations(runs: list[Any], expect: dict[str, str]) -> str:
    """One panel per expected metric: value per seed, threshold dashed, green held / red not."""
    metrics = sorted(expect)
    figure, axes = _panels(len(metrics), 2.2)
    for axis, metric in zip(axes, metrics, strict=True):
        expectation = parse_expectation(expect[metric])
        seeds = [run.seed for run in runs]
        values = [run.metrics.get(metric, float("nan")) for run in runs]
        held = [expectation.holds(v) for v in values]
        for passed, label, colour in ((True, "held", "#2e7d32"), (False, "not held", "#c62828")):
            points = [
                (str(s), v) for s, v, h in zip(seeds, values, held, strict=True) if h is passed
            ]
            if points:
                axis.scatter(*zip(*points, strict=True), c=colour, s=18, zorder=3, label=label)
        for threshold in expectation.thresholds:
            axis.axhline(threshold, linestyle="--", color="#555", linewidth=1, label="threshold")
        if _spans_decades(values + expectation.thresholds):
            _log_scale(axis, "y")
        _title(axis, f"{metric_words(metric)} {expect[metric]}")
        axis.set_xlabel("seed")
        axis.set_ylabel(metric_unit(metric))
    return _finish(figure, axes)


def _log_scale(axis: Any, which: str) -> None:
    """A log axis labelled 0.01, 1, 100 (no superscript exponents: they are tiny text)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    getattr(axis, f"set_{which}scale")("log")
    ticks = getattr(axis, f"{which}axis")
    ticks.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ticks.set_minor_formatter(NullFormatter())


def _figure_legend(figure: Any, axes: list[Any]) -> None:
    """One legend for the whole figure, under the panels, so it never hides a point."""
    unique: dict[str, Any] = {}
    for axis in axes:
        handles, labels = axis.get_legend_handles_labels()
        for label, handle in zip(labels, handles, strict=True):
            unique.setdefault(label, handle)  # one "threshold" entry for a range
    if unique:
        figure.legend(
            unique.values(), unique.keys(), loc="upper center", ncol=min(3, len(unique)),
            bbox_to_anchor=(0.5, 0.0), frameon=False,
        )  # fmt: skip


def _title(axis: Any, text: str) -> None:
    axis.set_title(textwrap.fill(text, 30 if axis.get_figure().get_figwidth() < 5 else 60))


def draw_comparison(runs: list[Any], groups: dict[str, list[str]]) -> str:
    """One panel per shared suffix: each group's value on every seed."""
    suffixes = list(groups)
    figure, axes = _panels(len(suffixes), 2.4)
    for axis, suffix in zip(axes, suffixes, strict=True):
        prefixes = groups[suffix]
        for run in runs:  # one colour per seed, the same in every panel
            values = [run.metrics.get(f"{prefix}_{suffix}", float("nan")) for prefix in prefixes]
            axis.scatter(
                range(len(prefixes)), values, s=16, alpha=0.8, zorder=3, label=f"seed {run.seed}"
            )
        axis.set_xticks(
            range(len(prefixes)), [metric_words(p) for p in prefixes], rotation=30, ha="right"
        )
        axis.set_ylabel(metric_unit(suffix))
        values = [run.metrics.get(f"{p}_{suffix}", float("nan")) for p in prefixes for run in runs]
        if _spans_decades(values):
            _log_scale(axis, "y")
        _title(axis, f"{metric_words(suffix)} by variant")
    return _finish(figure, axes)


def draw_sensitivity(
    runs: list[Any], parameter: str, metrics: list[str], expect: dict[str, str]
) -> str:
    """One panel per swept expected metric against the swept setting, one line per seed."""
    figure, axes = _panels(len(metrics), 2.2)
    key = f"{SWEEP_PREFIX}{parameter}"
    settings = [v for run in runs for v in run.curves.get(key, [])]
    for axis, metric in zip(axes, metrics, strict=True):
        expectation = parse_expectation(expect[metric])
        values: list[float] = []
        for run in runs:
            xs, ys = run.curves.get(key), run.curves.get(f"{SWEEP_PREFIX}{metric}")
            if xs and ys and len(xs) == len(ys):
                axis.plot(xs, ys, marker="o", markersize=3, linewidth=1, label=f"seed {run.seed}")
                values += ys
        for threshold in expectation.thresholds:
            axis.axhline(threshold, linestyle="--", color="#555", linewidth=1, label="threshold")
        positive = [v for v in settings if v > 0]
        if positive and len(positive) == len(settings) and max(positive) / min(positive) >= 10:
            _log_scale(axis, "x")
        ticks = sorted(set(settings))
        axis.set_xticks(ticks, [f"{v:g}" for v in ticks])  # the swept settings themselves
        if _spans_decades(values + expectation.thresholds):
            _log_scale(axis, "y")
        _title(axis, f"{metric_words(metric)} {expect[metric]}")
        axis.set_xlabel(parameter_words(parameter))
        axis.set_ylabel(metric_unit(metric))
    return _finish(figure, axes)


def draw_curves(runs: list[Any]) -> str:
    """One panel per curve name (sweeps excluded), one line per seed."""
    names = sorted({name for run in runs for name in _plain_curves(run)})
    figure, axes = _panels(len(names), 2.1)
    for axis, name in zip(axes, names, strict=True):
        for run in runs:
            curve = run.curves.get(name)
            if curve:
                axis.plot(curve, linewidth=1, label=f"seed {run.seed}")
        if _spans_decades([v for run in runs for v in run.curves.get(name, [])]):
            _log_scale(axis, "y")
        _title(axis, metric_words(name))
        axis.set_xlabel(_curve_x_label(name))
        axis.set_ylabel(metric_unit(name))
    return _finish(figure, axes)


def smallest_text_px(svg: str, shown_px: float = MOBILE_WIDTH_PX) -> float:
    """The smallest text of a drawn SVG, in CSS px, shown at most `shown_px` wide.

    Sizes are in the SVG's user units (points, the viewBox is the width in pt); an image
    narrower than `shown_px` shows at its natural size (1 pt = 4/3 px).
    """
    found = re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', svg)
    if found is None:
        raise ValueError("not a matplotlib SVG: no width in pt")
    width_pt = float(found.group(1))
    sizes = [float(size) for size in re.findall(r"font-size: ?([0-9.]+)px", svg)]
    shown = min(shown_px, width_pt * 4 / 3)
    return min(sizes) * shown / width_pt if sizes else float("inf")


def _curve_x_label(name: str) -> str:
    """'cf_error_by_frame' -> 'frame'; a loss curve is sampled over training."""
    _, by, what = name.rpartition("_by_")
    if by:
        return metric_words(what)
    return "training progress"


def _spans_decades(values: list[float]) -> bool:
    finite = [v for v in values if v == v and v > 0]
    return (
        len(finite) == len([v for v in values if v == v])
        and bool(finite)
        and (max(finite) / min(finite) > 100)
    )
