"""The comparison's figures (PNG, matplotlib with the Agg backend).

matplotlib is an optional dependency: ``pip install mnist-estimators[plot]``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..evaluation.scoring import pareto_front

__all__ = ["FiguresUnavailable", "plot_all"]


class FiguresUnavailable(ImportError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise FiguresUnavailable(
            "The report's figures need matplotlib: pip install 'mnist-estimators[plot]' "
            "(or pip install matplotlib)."
        ) from None
    return plt


def _curve(histories, key):
    """Mean and std over folds of one per-epoch series (folds may differ in length)."""
    series = [h[key] for h in histories if h.get(key)]
    if not series:
        return None
    n = max(len(s) for s in series)
    arr = np.full((len(series), n), np.nan)
    for i, s in enumerate(series):
        arr[i, : len(s)] = s
    return np.arange(1, n + 1), np.nanmean(arr, 0), np.nanstd(arr, 0)


def _save(fig, path: Path, plt) -> Path:
    """Lay out, write as PNG and close a figure (closing frees its memory)."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_learning_curves(result, path: Path, plt) -> Path | None:
    if not any(result.histories.values()):
        return None
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        for i, (name, hist) in enumerate(result.histories.items()):
            color = f"C{i}"
            for prefix, style in (("", "-"), ("val_", "--")):
                c = _curve(hist, prefix + metric)
                if c is None:
                    continue
                x, m, s = c
                label = f"{name} {'validation' if prefix else 'train'}"
                ax.plot(x, m, style, color=color, marker="o", label=label)
                ax.fill_between(x, m - s, m + s, color=color, alpha=0.15)
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)  # whole epochs only
        label = "cross-entropy loss" if metric == "loss" else metric
        ax.set_ylabel(label)
        ax.set_title(f"{label} per epoch (mean ± std over folds)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7 if len(result.histories) > 3 else None, ncol=_legend_columns(result))
    return _save(fig, path, plt)


def _legend_columns(result) -> int:
    """Two legend columns from four models on, so that eight stay readable."""
    return 2 if len(result.summary) > 3 else 1


def _spans_decades(values) -> bool:
    """Whether positive values span more than a factor of 20 (then a log axis reads better)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v) & (v > 0)]
    return v.size > 1 and v.max() / v.min() > 20


def plot_training_time(result, path: Path, plt) -> Path:
    s = result.summary
    names = list(s.index)
    fig, ax = plt.subplots(figsize=(6 if len(names) <= 4 else 8, 4))
    x = np.arange(len(names))
    ax.bar(
        x - 0.2,
        s["fit_time_mean"],
        0.4,
        yerr=s["fit_time_std"],
        capsize=4,
        label="CV fold fit (mean ± std)",
    )
    if "test_fit_time" in s and s["test_fit_time"].notna().any():
        ax.bar(x + 0.2, s["test_fit_time"], 0.4, label="refit on all training data")
    ax.set_xticks(x, names, rotation=30 if len(names) > 4 else 0)
    if _spans_decades(s["fit_time_mean"]):
        ax.set_yscale("log")
    ax.set_ylabel("training time (s)")
    ax.set_title("Training time per model")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path, plt)


def plot_accuracy_vs_time(result, path: Path, plt) -> Path:
    s = result.summary
    fig, ax = plt.subplots(figsize=(7, 4.5))
    # A big search: one colour, labels only on the front; a comparison of up to ten
    # models: a colour and a label each.
    many = len(s) > 10 or (result.search is not None and len(s) > 6)
    for i, (name, g) in enumerate(result.folds.groupby("model", sort=False)):
        color = "C0" if many else f"C{i}"
        if not many:
            ax.scatter(g["fit_time"], g["accuracy"], color=color, alpha=0.35, s=15)
        ax.errorbar(
            g["fit_time"].mean(),
            g["accuracy"].mean(),
            xerr=g["fit_time"].std(),
            yerr=g["accuracy"].std(),
            color=color,
            marker="o",
            markersize=7,
            capsize=3,
            label=None if many else f"{name} (mean ± std; dots: folds)",
        )
    _front(ax, s, "fit_time_mean", label_all=not many)
    chosen = result.refit_choice
    if chosen is not None:
        r = s.iloc[chosen]
        ax.scatter(
            r["fit_time_mean"],
            r["accuracy_mean"],
            s=300,
            facecolors="none",
            edgecolors="crimson",
            linewidths=2,
            label="refit choice",
            zorder=5,
        )
    if _spans_decades(s["fit_time_mean"]):
        ax.set_xscale("log")
    ax.set_xlabel("training time per fit (s)")
    ax.set_ylabel("CV accuracy")
    ax.set_title("Accuracy vs training time")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7 if len(s) > 3 else 8, ncol=_legend_columns(result))
    return _save(fig, path, plt)


def _front(ax, s, cost: str, *, label_all: bool) -> None:
    """The Pareto front of mean accuracy against ``cost`` as a dashed line, and labels:
    on every model (``label_all``) or on the front's only."""
    front = pareto_front(s["accuracy_mean"], s[cost])
    if front.size:
        pts = s.iloc[front].sort_values(cost)
        ax.plot(pts[cost], pts["accuracy_mean"], "k--", lw=1, label="Pareto front")
    labelled = s if label_all else s.iloc[front]
    for name, r in labelled.iterrows():
        if np.isfinite(r[cost]):
            ax.annotate(
                name, (r[cost], r["accuracy_mean"]), fontsize=8, xytext=(4, 4),
                textcoords="offset points",
            )  # fmt: skip


def plot_accuracy_vs_parameters(result, path: Path, plt) -> Path | None:
    """For three models or more with a parameter count: accuracy against learnt parameters."""
    s = result.summary
    s = s[_as_float(s["n_params"]).notna()].assign(n_params=lambda d: _as_float(d["n_params"]))
    if result.search is not None or len(result.summary) < 3 or len(s) < 2:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (name, r) in enumerate(s.iterrows()):
        ax.errorbar(
            r["n_params"], r["accuracy_mean"], yerr=r["accuracy_std"], color=f"C{i}",
            marker="o", markersize=7, capsize=3, label=name,
        )  # fmt: skip
    _front(ax, s, "n_params", label_all=True)
    ax.set_xscale("log")
    ax.set_xlabel("learnt parameters")
    ax.set_ylabel("CV accuracy (mean ± std over folds)")
    ax.set_title("Accuracy vs parameters")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=_legend_columns(result))
    return _save(fig, path, plt)


def _as_float(values):
    """``values`` as floats, None as NaN."""
    return values.astype(float)


def plot_confusion_matrices(result, path: Path, plt) -> Path | None:
    items = [(n, t[0]) for n, t in result.test.items() if t and "confusion_matrix" in t[0]]
    if not items:
        return None
    cols = min(len(items), 4)  # eight models: two rows of four
    rows = math.ceil(len(items) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 4.5 * rows), squeeze=False)
    for ax in axes.flat[len(items) :]:
        ax.axis("off")
    for ax, (name, t) in zip(axes.flat, items, strict=False):
        cm = np.asarray(t["confusion_matrix"])
        ax.imshow(cm, cmap="Blues")
        labels = [str(c) for c in t["classes"]]
        ax.set_xticks(range(len(labels)), labels)
        ax.set_yticks(range(len(labels)), labels)
        for (r, c), v in np.ndenumerate(cm):
            ax.text(
                c,
                r,
                str(v),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v > cm.max() / 2 else "black",
            )
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{name}: test accuracy {t['accuracy']:.4f}")
    return _save(fig, path, plt)


def plot_misclassified(result, path: Path, plt, per_model: int = 12) -> Path | None:
    if result.X_test is None or not result.test:
        return None
    X, y = result.X_test, result.y_test
    side = math.isqrt(X.shape[1]) if X.ndim == 2 else X.shape[1]
    names = list(result.test)
    fig, axes = plt.subplots(
        len(names), per_model, figsize=(per_model * 1.1, len(names) * 1.4), squeeze=False
    )
    for row, name in zip(axes, names, strict=True):
        pred = np.asarray(result.test[name][0]["predictions"])
        wrong = np.flatnonzero(pred != y)[:per_model]
        for ax in row:
            ax.axis("off")
        for ax, i in zip(row, wrong, strict=False):
            ax.imshow(np.asarray(X[i]).reshape(side, -1), cmap="gray_r")
            ax.set_title(f"{y[i]}→{pred[i]}", fontsize=8, color="crimson")
        row[0].text(
            -0.5, 0.5, name, transform=row[0].transAxes, ha="right", va="center", fontsize=10
        )
    fig.suptitle("First misclassified test images in test-set order (true→predicted)")
    return _save(fig, path, plt)


#: The comparison report's figures, in the report's order; each is written to ``NAME.png``.
FIGURES = (
    "learning_curves",
    "training_time",
    "accuracy_vs_time",
    "accuracy_vs_parameters",
    "confusion_matrices",
    "misclassified",
)


def plot_all(result, out_dir: Path) -> dict:
    """Write every figure; returns name -> path (figures without data are skipped)."""
    plt = _pyplot()
    out = {
        "learning_curves": plot_learning_curves(result, out_dir / "learning_curves.png", plt),
        "training_time": plot_training_time(result, out_dir / "training_time.png", plt),
        "accuracy_vs_time": plot_accuracy_vs_time(result, out_dir / "accuracy_vs_time.png", plt),
        "accuracy_vs_parameters": plot_accuracy_vs_parameters(
            result, out_dir / "accuracy_vs_parameters.png", plt
        ),
        "confusion_matrices": plot_confusion_matrices(
            result, out_dir / "confusion_matrices.png", plt
        ),
        "misclassified": plot_misclassified(result, out_dir / "misclassified.png", plt),
    }
    return {k: out[k] for k in FIGURES if out[k] is not None}
