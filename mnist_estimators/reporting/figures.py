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
    """Lay out, write as PNG and close a figure (closing frees its memory). The canvas
    grows to hold whatever lies outside the axes (a legend beside them)."""
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
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
        if not _legend_beside(len(result.histories)):
            ax.legend()
    if _legend_beside(len(result.histories)):  # one legend for both panels, beside them
        fig.legend(
            *axes[0].get_legend_handles_labels(), loc="upper left", bbox_to_anchor=(1.0, 0.95),
            fontsize=8,
        )  # fmt: skip
    return _save(fig, path, plt)


def _legend_beside(n_models: int) -> bool:
    """From four models on, a legend goes beside the axes, where it hides no point, curve or
    label (eight models: the browser test); up to three, inside them, where it fits."""
    return n_models > 3


def _legend(ax, n_models: int) -> None:
    """The axes' legend, beside them for four models or more (:func:`_legend_beside`)."""
    if _legend_beside(n_models):
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)
    else:
        ax.legend(fontsize=8)


def _spans_decades(values) -> bool:
    """Whether positive values span more than a factor of 20 (then a log axis reads better)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v) & (v > 0)]
    return v.size > 1 and v.max() / v.min() > 20


def plot_training_time(result, path: Path, plt) -> Path:
    """Bars of training time per model: upright for up to four models, lying (names on
    the vertical axis, where names of any length stay readable) from five on."""
    s = result.summary
    names = list(s.index)
    lying = len(names) > 4
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(names) + 1.5) if lying else (6, 4))
    pos = np.arange(len(names))[::-1] if lying else np.arange(len(names))
    bars, err = (ax.barh, "xerr") if lying else (ax.bar, "yerr")
    shift = -0.2 if lying else 0.2  # the CV bar first: left, or on top
    bars(
        pos - shift, s["fit_time_mean"], 0.4, capsize=4, label="CV fold fit (mean ± std)",
        **{err: s["fit_time_std"]},
    )  # fmt: skip
    if "test_fit_time" in s and s["test_fit_time"].notna().any():
        bars(pos + shift, s["test_fit_time"], 0.4, label="refit on all training data")
    (ax.set_yticks if lying else ax.set_xticks)(pos, names)
    if _spans_decades(s["fit_time_mean"]):
        (ax.set_xscale if lying else ax.set_yscale)("log")
    (ax.set_xlabel if lying else ax.set_ylabel)("training time (s)")
    ax.set_title("Training time per model")
    _legend(ax, len(names))
    ax.grid(axis="x" if lying else "y", alpha=0.3)
    return _save(fig, path, plt)


def plot_accuracy_vs_time(result, path: Path, plt) -> Path:
    s = result.summary
    fig, ax = plt.subplots(figsize=(9 if _legend_beside(len(s)) else 7, 4.5))
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
    front = _front(ax, s, "fit_time_mean")
    _legend(ax, len(s))
    _label_points(ax, s.iloc[front] if many else s, "fit_time_mean")
    return _save(fig, path, plt)


def _front(ax, s, cost: str) -> np.ndarray:
    """Draw the Pareto front of mean accuracy against ``cost`` as a dashed line; returns
    the positions of its rows in ``s``."""
    front = pareto_front(s["accuracy_mean"], s[cost])
    if front.size:
        pts = s.iloc[front].sort_values(cost)
        ax.plot(pts[cost], pts["accuracy_mean"], "k--", lw=1, label="Pareto front")
    return front


#: Where a point's label may go, in points from it, tried in this order: the first place
#: inside the axes that overlaps no label placed before wins (else the first place).
_LABEL_PLACES = (
    (4, 4, "left", "bottom"), (4, -4, "left", "top"), (-4, 4, "right", "bottom"),
    (-4, -4, "right", "top"), (4, 14, "left", "bottom"), (4, -14, "left", "top"),
    (-4, 14, "right", "bottom"), (-4, -14, "right", "top"), (4, 24, "left", "bottom"),
    (4, -24, "left", "top"), (-4, 24, "right", "bottom"), (-4, -24, "right", "top"),
)  # fmt: skip


def _label_points(ax, labelled, cost: str) -> None:
    """Name the points of mean accuracy against ``cost`` of the rows ``labelled``, each
    label where it overlaps no other (:data:`_LABEL_PLACES`).

    The figure is laid out first, so that the places are measured where they will be
    drawn.
    """
    ax.figure.tight_layout()
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed: list = []

    def annotate(name, xy, place):
        dx, dy, ha, va = place
        label = ax.annotate(
            name, xy, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=8
        )
        return label, label.get_window_extent(renderer)

    def free(box) -> bool:
        inside = (
            frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 <= box.y1 <= frame.y1
        )
        return inside and not any(box.padded(3).overlaps(other) for other in placed)

    for name, r in labelled.iterrows():
        xy = (r[cost], r["accuracy_mean"])
        if not np.all(np.isfinite(xy)):
            continue
        for place in _LABEL_PLACES:
            label, box = annotate(name, xy, place)
            if free(box):
                break
            label.remove()
        else:  # nowhere free: the first place
            label, box = annotate(name, xy, _LABEL_PLACES[0])
        placed.append(box)


def plot_accuracy_vs_parameters(result, path: Path, plt) -> Path | None:
    """For three models or more with a parameter count: accuracy against learnt parameters."""
    s = result.summary
    s = s[_as_float(s["n_params"]).notna()].assign(n_params=lambda d: _as_float(d["n_params"]))
    if result.search is not None or len(result.summary) < 3 or len(s) < 2:
        return None
    fig, ax = plt.subplots(figsize=(9 if _legend_beside(len(result.summary)) else 7, 4.5))
    for i, (name, r) in enumerate(s.iterrows()):
        ax.errorbar(
            r["n_params"], r["accuracy_mean"], yerr=r["accuracy_std"], color=f"C{i}",
            marker="o", markersize=7, capsize=3, label=name,
        )  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("learnt parameters")
    ax.set_ylabel("CV accuracy (mean ± std over folds)")
    ax.set_title("Accuracy vs parameters")
    ax.grid(alpha=0.3)
    _front(ax, s, "n_params")
    _legend(ax, len(result.summary))
    _label_points(ax, s, "n_params")
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
