"""The explanation experiments' figures (PNG, matplotlib's Agg backend), one per experiment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.calibration import CalibrationDisplay

from ..evaluation.explanation import Explanation
from .figures import _pyplot, _save

__all__ = ["plot_explanation"]

_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def _color(ex: Explanation, network: str) -> str:
    return _COLORS[ex.names.index(network) % len(_COLORS)]


def plot_spatial(ex: Explanation, path: Path, plt) -> Path | None:
    """Test accuracy per input condition, bars per network, seeds as points."""
    if ex.spatial.empty:
        return None
    conditions = list(dict.fromkeys(ex.spatial["condition"]))
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(ex.names)
    for i, net in enumerate(ex.names):
        part = ex.spatial[ex.spatial["network"] == net]
        x = np.arange(len(conditions)) + (i - (len(ex.names) - 1) / 2) * width
        means = [part.loc[part["condition"] == c, "accuracy"].mean() for c in conditions]
        stds = [part.loc[part["condition"] == c, "accuracy"].std(ddof=1) for c in conditions]
        ax.bar(
            x, means, width, yerr=np.nan_to_num(stds), capsize=3, label=net, color=_color(ex, net)
        )
        for xi, c in zip(x, conditions, strict=True):
            accs = part.loc[part["condition"] == c, "accuracy"]
            ax.plot([xi] * len(accs), accs, "k.", ms=3)
    lo = ex.spatial["accuracy"].min()
    ax.set_ylim(max(0.0, lo - 0.05), min(1.0, ex.spatial["accuracy"].max() + 0.01))
    ax.set_xticks(np.arange(len(conditions)), conditions)
    ax.set_ylabel("test accuracy")
    ax.set_title("Trained and tested on transformed images (bars: mean over seeds; dots: seeds)")
    ax.legend()
    return _save(fig, path, plt)


def plot_robustness(ex: Explanation, path: Path, plt) -> Path | None:
    """Accuracy against shift and rotation of the test images, one panel per kind."""
    if ex.robustness.empty:
        return None
    kinds = sorted(set(ex.robustness["probe"]), key=lambda k: (k == "rotation", k))
    fig, axes = plt.subplots(1, len(kinds), figsize=(4.2 * len(kinds), 3.8), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        part = ex.robustness[ex.robustness["probe"] == kind]
        for net in ex.names:
            g = part[part["network"] == net].groupby("amount")["accuracy"]
            mean, std = g.mean(), g.std(ddof=1).fillna(0.0)
            ax.plot(mean.index, mean, "o-", color=_color(ex, net), label=net, ms=4)
            ax.fill_between(mean.index, mean - std, mean + std, color=_color(ex, net), alpha=0.2)
        unit = "degrees" if kind == "rotation" else "pixels"
        ax.set_xlabel(f"{kind} ({unit})")
        ax.set_ylabel("test accuracy")
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    fig.suptitle("Tested on shifted and rotated images, no retraining (band: one std over seeds)")
    return _save(fig, path, plt)


#: The learning curves' panel titles, by schedule.
_SCHEDULE_TITLES = {
    "steps": "the same optimizer steps at every size",
    "epochs": "the same epochs at every size",
}


def plot_learning(ex: Explanation, path: Path, plt) -> Path | None:
    """Test (solid) and training (dashed) accuracy against the number of training images,
    one panel per training budget."""
    if ex.learning.empty:
        return None
    schedules = list(dict.fromkeys(ex.learning["schedule"]))
    fig, axes = plt.subplots(1, len(schedules), figsize=(6.5 * len(schedules), 4.2), squeeze=False)
    for ax, schedule in zip(axes[0], schedules, strict=True):
        part = ex.learning[ex.learning["schedule"] == schedule]
        for net in ex.names:
            g = part[part["network"] == net].groupby("n_train")
            for col, style in (("test_accuracy", "o-"), ("train_accuracy", "--")):
                mean, std = g[col].mean(), g[col].std(ddof=1).fillna(0.0)
                label = f"{net} ({'test' if col == 'test_accuracy' else 'training'})"
                ax.plot(mean.index, mean, style, color=_color(ex, net), label=label, ms=4)
                if col == "test_accuracy":
                    ax.fill_between(
                        mean.index, mean - std, mean + std, color=_color(ex, net), alpha=0.2
                    )
        ax.set_xscale("log")
        ax.set_xlabel("training images")
        ax.set_ylabel("accuracy")
        ax.grid(alpha=0.3, which="both")
        ax.set_title(_SCHEDULE_TITLES.get(schedule, schedule))
    axes[0][0].legend()
    fig.suptitle("Learning curves (band: one std over seeds)")
    return _save(fig, path, plt)


def plot_parallel(ex: Explanation, path: Path, plt) -> Path | None:
    """Training images/s against batch size per thread count, and the speedup."""
    if ex.throughput.empty:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    med = ex.throughput.groupby(["network", "threads", "batch_size"])["images_per_s"].median()
    for (net, threads), s in med.groupby(level=[0, 1]):
        s = s.droplevel([0, 1])
        style = "o-" if threads == med.index.get_level_values(1).min() else "s--"
        a1.plot(s.index, s, style, color=_color(ex, net), label=f"{net}, {threads} thread(s)")
    a1.set_xscale("log", base=2)
    a1.set_xlabel("batch size")
    a1.set_ylabel("training images/s (median)")
    a1.legend()
    a1.grid(alpha=0.3)
    if "speedup" in ex.speedups:
        for net in ex.names:
            s = ex.speedups[ex.speedups["network"] == net]
            a2.plot(s["batch_size"], s["speedup"], "o-", color=_color(ex, net), label=net)
        a2.axhline(1.0, color="grey", lw=0.8)
        a2.set_xscale("log", base=2)
        a2.set_xlabel("batch size")
        a2.set_ylabel("speedup from the second thread")
        a2.legend()
        a2.grid(alpha=0.3)
    else:
        a2.set_visible(False)
    return _save(fig, path, plt)


def plot_calibration(ex: Explanation, path: Path, plt) -> Path | None:
    """Reliability diagram of the top-label confidence (scikit-learn's CalibrationDisplay)."""
    if not ex.reliability:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for net, (correct, conf) in ex.reliability.items():
        CalibrationDisplay.from_predictions(
            correct, conf, n_bins=10, strategy="quantile", name=net, ax=ax, color=_color(ex, net)
        )
    ax.set_xlabel("confidence of the predicted class (mean per bin)")
    ax.set_ylabel("fraction correct")
    lo = min(float(np.quantile(c, 0.02)) for _, c in ex.reliability.values())
    ax.set_xlim(max(0.0, lo - 0.02), 1.0)
    ax.set_ylim(max(0.0, lo - 0.02), 1.0)
    ax.set_title("Reliability (10 bins of equal count, all seeds)")
    return _save(fig, path, plt)


#: Figure name -> its function, in the order of the report.
EXPLANATION_FIGURES = {
    "explain_spatial": plot_spatial,
    "explain_robustness": plot_robustness,
    "explain_learning": plot_learning,
    "explain_parallel": plot_parallel,
    "explain_calibration": plot_calibration,
}


def plot_explanation(ex: Explanation, out_dir: Path) -> dict:
    """Write every figure the explanation has data for; returns name -> path.

    Raises
    ------
    FiguresUnavailable
        matplotlib is not installed.
    """
    plt = _pyplot()
    out = {}
    for name, plot in EXPLANATION_FIGURES.items():
        path = plot(ex, Path(out_dir) / f"{name}.png", plt)
        if path is not None:
            out[name] = path
    return out
