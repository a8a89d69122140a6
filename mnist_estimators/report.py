"""Writing a comparison's report: report.md, results.csv, results.json, figures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

__all__ = ["report_markdown", "write_report"]


def _pm(mean, std, fmt="{:.4f}") -> str:
    if mean is None or (isinstance(mean, float) and np.isnan(mean)):
        return "-"
    s = fmt.format(mean)
    if std is not None and not (isinstance(std, float) and np.isnan(std)):
        s += " ± " + fmt.format(std)
    return s


def report_markdown(result, figures: dict) -> str:
    """The report as Markdown text."""
    s = result.summary
    cfg = result.config
    has_test = "test_accuracy" in s
    lines = [
        "# CNN vs LSTM: comparison report",
        "",
        f"{cfg['cv']}-fold stratified cross-validation on {cfg['n_train']:,} training images"
        + (
            f", then a refit on all of them tested on {cfg['n_test']:,} held-out images"
            if has_test
            else ""
        )
        + f" (fold seed {cfg['random_state']}).",
        "",
        "## Results",
        "",
    ]
    header = ["Model"]
    if has_test:
        header += ["Test accuracy", "Test log loss", "Training time (s)"]
    header += [
        "CV accuracy",
        "CV log loss",
        "CV fit time (s)",
        "Train images/s",
        "Epochs",
        "Parameters",
    ]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, r in s.iterrows():
        row = [name]
        if has_test:
            row += [
                f"{r['test_accuracy']:.4f}",
                f"{r['test_log_loss']:.4f}",
                f"{r['test_fit_time']:.1f}",
            ]
        row += [
            _pm(r["accuracy_mean"], r["accuracy_std"]),
            _pm(r["log_loss_mean"], r["log_loss_std"]),
            _pm(r["fit_time_mean"], r["fit_time_std"], "{:.1f}"),
            _pm(r["train_images_per_s_mean"], r["train_images_per_s_std"], "{:.0f}"),
            _pm(r["epochs_mean"], None, "{:.1f}"),
            f"{int(r['n_params']):,}" if r["n_params"] == r["n_params"] else "-",
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Mean ± standard deviation over folds. Fit times include the per-epoch evaluation of the held-out data when it was monitored.",
        "",
    ]
    if result.statistics:
        lines += ["## Is the difference real?", ""]
        for st in result.statistics:
            a, b = st["model_a"], st["model_b"]
            if "mcnemar" in st:
                m = st["mcnemar"]
                lines.append(
                    f"- **McNemar's test** on the test set ({a} right/{b} wrong: {m['detail']['a_only_right']}, "
                    f"{a} wrong/{b} right: {m['detail']['b_only_right']}; {m['detail']['method']}): "
                    f"statistic {m['statistic']:.3f}, p = {m['p_value']:.4g}. {st['mcnemar_verdict']}"
                )
            if "ttest" in st:
                t = st["ttest"]
                lines.append(
                    f"- **Nadeau-Bengio corrected paired t-test** on the {t['detail']['k']} fold accuracies "
                    f"(mean difference {a} - {b} = {t['mean_difference']:+.4f}): t = {t['statistic']:.3f}, "
                    f"df = {t['detail']['df']}, p = {t['p_value']:.4g}. {st['ttest_verdict']}"
                )
        lines.append("")
    titles = {
        "learning_curves": "Accuracy and loss per epoch",
        "training_time": "Training time",
        "accuracy_vs_time": "Accuracy vs training time",
        "confusion_matrices": "Confusion matrices (test set)",
        "misclassified": "Misclassified test images",
    }
    if figures:
        lines += ["## Figures", ""]
        for key, path in figures.items():
            lines += [
                f"### {titles.get(key, key)}",
                "",
                f"![{titles.get(key, key)}]({Path(path).name})",
                "",
            ]
    lines += ["## Configuration", "", "```json", json.dumps(cfg, indent=1), "```", ""]
    return "\n".join(lines)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_report(result, out_dir: Path) -> dict:
    """Write every report file into ``out_dir``; returns name -> path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    from .figures import plot_all

    figures = plot_all(result, out_dir)
    written = dict(figures)
    result.folds.to_csv(out_dir / "results.csv", index=False)
    written["results.csv"] = out_dir / "results.csv"
    _atomic_write(out_dir / "results.json", json.dumps(result.to_dict(), indent=1, default=str))
    written["results.json"] = out_dir / "results.json"
    _atomic_write(out_dir / "report.md", report_markdown(result, figures))
    written["report.md"] = out_dir / "report.md"
    return written
