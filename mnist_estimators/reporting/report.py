"""The report of a comparison or a search: report.md, results.csv, results.json,
best.json and the figures.

:func:`write_report` is the one entry point that writes files. The report owns the
sentences that say what the statistics mean (:func:`verdict_sentences`): one
sentence per pair of models, which says plainly when cross-validation and the
test set disagree, and when a result rests on a single training seed. What
differs between a comparison and a search is chosen by the result's type
(``functools.singledispatch``), in one place each.
"""

from __future__ import annotations

import json
import warnings
from functools import singledispatch
from pathlib import Path

import numpy as np

from .._files import atomic_write_text, json_default, write_json
from ..evaluation.ranking import RANKING_RULE, rank_models
from ..evaluation.result import ComparisonResult, PairStatistics, SearchResult
from ..evaluation.stats import ALPHA, format_p
from .figures import FiguresUnavailable, plot_all
from .html import write_html

__all__ = [
    "report_markdown",
    "report_title",
    "verdict_sentence",
    "verdict_sentences",
    "write_report",
]

FIGURE_TITLES = {
    "learning_curves": "Accuracy and cross-entropy loss per epoch",
    "training_time": "Training time",
    "accuracy_vs_time": "Accuracy vs training time",
    "accuracy_vs_parameters": "Accuracy vs parameters",
    "confusion_matrices": "Confusion matrices (test set)",
    "misclassified": "Misclassified test images",
}
FIGURE_CAPTIONS = {
    "misclassified": "The first test images (in test-set order) that each model gets wrong, "
    "from the first seed's refit model; title: true→predicted label.",
    "accuracy_vs_time": "Each large point is one model's (or search candidate's) mean over folds "
    "(bars: one std); the dashed line joins the Pareto front: those that no other beats on both "
    "accuracy and training time.",
    "confusion_matrices": "Rows are true labels, columns predicted ones; first seed's refit model.",
    "accuracy_vs_parameters": "Each point is one model's mean CV accuracy (bars: one std) against "
    "its learnt parameters (log scale); the dashed line joins the Pareto front. Models without a "
    "parameter count (a tree ensemble) are left out.",
}


def _pm(mean, std, fmt="{:.4f}") -> str:
    if mean is None or (isinstance(mean, float) and np.isnan(mean)):
        return "-"
    s = fmt.format(mean)
    if std is not None and not (isinstance(std, float) and np.isnan(std)):
        s += " ± " + fmt.format(std)
    return s


@singledispatch
def report_title(result: ComparisonResult) -> str:
    """``CNN vs LSTM`` from the model names; a search of more than 3 names its count."""
    return " vs ".join(result.names)


@report_title.register
def _(result: SearchResult) -> str:
    names = result.names
    if len(names) > 3:
        return f"{result.search.kind} over {len(names)} candidates"
    return " vs ".join(names)


# -- verdicts -----------------------------------------------------------------------
def _p_text(test: dict) -> str:
    """``p = 0.003``, or with a family of several tests ``Holm-adjusted p = 0.009``."""
    p, adjusted = test["p_value"], test.get("p_adjusted", test["p_value"])
    if adjusted == p:
        return format_p(p)
    return f"Holm-adjusted {format_p(adjusted)}"


def _mcnemar_p(st: PairStatistics) -> str:
    if len(st.mcnemar) == 1:
        return _p_text(st.mcnemar[0])
    ps = [m.get("p_adjusted", m["p_value"]) for m in st.mcnemar]
    adjusted = any(m.get("p_adjusted", m["p_value"]) != m["p_value"] for m in st.mcnemar)
    return (
        f"{'Holm-adjusted ' if adjusted else ''}p = {min(ps):.3g} to {max(ps):.3g} "
        f"over {len(ps)} seeds"
    )


def verdict_sentence(st: PairStatistics | dict, single_seed: bool = False) -> str:
    """One plain sentence for one pair's statistics.

    Parameters
    ----------
    st : PairStatistics or dict
        One entry of a result's ``statistics`` (or its ``to_dict()``).
    single_seed : bool, default=False
        Add that the finding rests on one training seed.
    """
    if isinstance(st, dict):
        st = PairStatistics(**st)
    a, b = st.model_a, st.model_b
    cv, test = st.cv_finding, st.test_finding
    has_cv, has_test = st.has_ttest, st.has_mcnemar
    cv_p = f"corrected t-test, {_p_text(st.ttest)}" if has_cv else ""
    test_p = f"McNemar, {_mcnemar_p(st)}" if has_test else ""

    def other(x):
        return b if x == a else a

    if has_cv and has_test:
        if test == "mixed":
            text = f"The seeds disagree on the test set ({test_p}), so there is no finding; " + (
                f"cross-validation shows {cv} more accurate than {other(cv)} ({cv_p})."
                if cv
                else f"cross-validation shows no significant difference ({cv_p})."
            )
        elif cv and test == cv:
            text = f"{cv} is more accurate than {other(cv)}: cross-validation ({cv_p}) and the test set ({test_p}) agree."
        elif cv and test and test != cv:
            text = (
                f"Cross-validation and the test set disagree: cross-validation favours {cv} ({cv_p}), "
                f"the test set favours {test} ({test_p}); no conclusion."
            )
        elif cv:
            text = (
                f"Cross-validation shows {cv} more accurate than {other(cv)} ({cv_p}), "
                f"a difference that the test set does not confirm ({test_p})."
            )
        elif test:
            text = (
                f"The test set shows {test} more accurate than {other(test)} ({test_p}), "
                f"a difference that cross-validation does not confirm ({cv_p})."
            )
        else:
            text = f"No significant difference in accuracy between {a} and {b} ({cv_p}; {test_p})."
    elif has_cv or has_test:
        found, p = (cv, cv_p) if has_cv else (test, test_p)
        if found == "mixed":
            text = f"The seeds disagree about {a} and {b} ({p}): no finding."
        elif found:
            text = f"{found} is more accurate than {other(found)} ({p})."
        else:
            text = f"No significant difference in accuracy between {a} and {b} ({p})."
    else:
        return f"{a} and {b}: too few folds for a test."
    if single_seed:
        text += " This rests on one training seed: repeat with more seeds to see whether it holds."
    return text


@singledispatch
def _rests_on_one_seed(result: ComparisonResult) -> bool:
    return len(result.seeds) == 1


@_rests_on_one_seed.register
def _(result: SearchResult) -> bool:
    return False  # a search compares candidates on one seed by design


def verdict_sentences(result: ComparisonResult) -> list[str]:
    """One sentence per pair of models (for a search: the best candidate against each other)."""
    single_seed = _rests_on_one_seed(result)
    return [verdict_sentence(st, single_seed) for st in result.statistics]


# -- markdown ---------------------------------------------------------------------------
def _setup_lines(cfg) -> list[str]:
    setup = cfg.get("setup")
    if not setup:
        return []
    lines = ["## Setup", ""]
    for key, label in (
        ("dataset", "Data"),
        ("command", "Command"),
        ("versions", "Versions"),
        ("backend", "Keras backend"),
        ("device", "Device"),
        ("machine", "Machine"),
        ("lstm_path", 'LSTM path (unroll="auto")'),
        ("wall_time", "Wall time"),
        ("date", "Date"),
    ):
        value = setup.get(key)
        if value is None:
            continue
        if key == "versions":
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif key == "wall_time":
            value = (
                f"{value:.0f} s ({value / 60:.1f} min) for the fits of the run's last call "
                "(fits resumed from its earlier calls into the same folder not counted)"
            )
        elif key == "command":
            value = f"`{value}`"
        lines.append(f"- **{label}:** {value}")
    return [*lines, ""]


def _results_table(result) -> list[str]:
    s = result.summary
    has_test = "test_accuracy" in s
    multi_seed = len(result.seeds) > 1
    header = ["Model"]
    if has_test:
        header += ["Test accuracy", "Test log loss", "Training time (s)"]
    header += [
        "CV accuracy",
        "CV log loss",
        "CV fit time (s)",
        "Predict s / 1000 images",
        "Train images/s",
        "Epochs",
        "Parameters",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, r in s.iterrows():
        row = [name]
        if has_test:
            row += [
                _pm(r["test_accuracy"], r.get("test_accuracy_std") if multi_seed else None),
                _pm(r["test_log_loss"], None),
                _pm(r["test_fit_time"], None, "{:.1f}"),
            ]
        row += [
            _pm(r["accuracy_mean"], r["accuracy_std"]),
            _pm(r["log_loss_mean"], r["log_loss_std"]),
            _pm(r["fit_time_mean"], r["fit_time_std"], "{:.1f}"),
            _pm(r["predict_time_per_1000_mean"], None, "{:.3f}"),
            _pm(r["train_images_per_s_mean"], r["train_images_per_s_std"], "{:.0f}"),
            _pm(r["epochs_mean"], None, "{:.0f}"),
            f"{int(r['n_params']):,}"
            if r["n_params"] == r["n_params"] and r["n_params"] is not None
            else "-",
        ]
        lines.append("| " + " | ".join(row) + " |")
    spread = "over every fold of every seed" if multi_seed else "over folds"
    lines += [
        "",
        f"CV columns: mean ± standard deviation {spread}."
        + (
            " Test accuracy: mean ± std over seeds (one refit per seed)."
            if has_test and multi_seed
            else ""
        )
        + " Fit times include the per-epoch evaluation of the held-out data when it was monitored.",
        "",
    ]
    if multi_seed:
        lines += [
            "Spread across seeds (std of the per-seed mean CV accuracy): "
            + ", ".join(f"{n} {_pm(v, None)}" for n, v in s["accuracy_seed_std"].items()),
            "",
        ]
    return lines


def _statistics_lines(result) -> list[str]:
    if not result.statistics:
        return []
    lines = ["## Is the difference real?", ""]
    sentences = verdict_sentences(result)
    for st, sentence in zip(result.statistics, sentences, strict=True):
        a, b = st.model_a, st.model_b
        lines.append(f"**{a} vs {b}: {sentence}**")
        lines.append("")
        if st.has_ttest:
            t = st.ttest
            lines.append(
                f"- *Corrected {'repeated k-fold ' if len(result.seeds) > 1 else ''}t-test* on "
                f"{t['detail']['k']} paired fold accuracies (mean difference {a} - {b} = "
                f"{t['mean_difference']:+.4f}): t = {t['statistic']:.3f}, df = {t['detail']['df']}, "
                f"p = {t['p_value']:.4g}{_adjusted_suffix(t)}."
            )
        for m in st.mcnemar:
            d = m["detail"]
            lines.append(
                f"- *McNemar's test*, seed {m['seed']}, test set: only {a} right "
                f"{d['a_only_right']}, only {b} right {d['b_only_right']} ({d['method']}): "
                f"statistic {m['statistic']:.3f}, p = {m['p_value']:.4g}{_adjusted_suffix(m)}."
            )
        lines.append("")
    return lines


def _adjusted_suffix(test: dict) -> str:
    adjusted = test.get("p_adjusted", test["p_value"])
    return "" if adjusted == test["p_value"] else f" (Holm-adjusted p = {adjusted:.4g})"


def _p_cell(p: float) -> str:
    return "" if np.isnan(p) else f"{p:.3g}" + (" *" if p < ALPHA else "")


def _ranks(result: ComparisonResult) -> bool:
    """Whether a result gets a ranking: a comparison (not a search) of three models or more."""
    return result.search is None and len(result.names) >= 3 and bool(result.statistics)


def _ranking_lines(result: ComparisonResult) -> list[str]:
    """For three models or more: the ranking, the adjusted p-values, the Pareto fronts."""
    if not _ranks(result):
        return []
    ranking = rank_models(result)
    t = ranking.table
    lines = [
        "## Ranking",
        "",
        f"Rule: {RANKING_RULE} (alpha = {ranking.alpha}). A shared rank means the data do "
        "not show the models apart, not that they are equal.",
        "",
        "| rank | model | CV accuracy | test accuracy | fit time (s) | parameters | "
        "Pareto (time) | Pareto (parameters) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in t.iterrows():
        params = "" if np.isnan(r["n_params"]) else f"{int(r['n_params']):,}"
        test = "" if np.isnan(r["test_accuracy"]) else f"{r['test_accuracy']:.4f}"
        lines.append(
            f"| {r['rank']} | {name} | {r['accuracy_mean']:.4f} | {test} | "
            f"{r['fit_time_mean']:.1f} | {params} | {'yes' if r['pareto_time'] else ''} | "
            f"{'yes' if r['pareto_params'] else ''} |"
        )
    lines.append("")
    for title, matrix in (
        ("Corrected t-tests over the folds, Holm-adjusted over all pairs", ranking.ttest_p),
        (
            "McNemar's tests on the test set, Holm-adjusted over all pairs and seeds "
            "(the largest over the seeds)",
            ranking.mcnemar_p,
        ),
    ):
        if matrix.isna().all().all():
            continue
        names = list(matrix.index)
        lines += [
            f"*{title}* (adjusted p; * below {ranking.alpha}):",
            "",
            "| | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names),
        ]
        lines += [
            f"| {a} | " + " | ".join(_p_cell(matrix.loc[a, b]) for b in names) + " |" for a in names
        ]
        lines.append("")
    if t["n_params"].isna().any():
        lines += [
            "Parameters: a network's weights, a linear model's coefficients; a tree "
            "ensemble's are not counted.",
            "",
        ]
    return lines


@singledispatch
def _search_lines(result: ComparisonResult) -> list[str]:
    return []


@_search_lines.register
def _(result: SearchResult) -> list[str]:
    info = result.search
    names = result.names
    lines = ["## The search's choice", ""]
    best = names[info.best_accuracy_index]
    chosen = info.chosen_index
    s = result.summary
    if chosen is None:
        lines.append("The search was not refit: no candidate was chosen.")
    else:
        c = names[chosen]
        if info.tolerance is not None:
            lines.append(
                f"Refit chose **{c}**: the fastest candidate ({s.loc[c, 'fit_time_mean']:.1f} s per fit) "
                f"whose mean CV accuracy ({s.loc[c, 'accuracy_mean']:.4f}) is within "
                f"{info.tolerance} of the best ({best}, {s.loc[best, 'accuracy_mean']:.4f})."
            )
        elif info.refit in ("accuracy", True):
            lines.append(f"Refit chose **{c}**, the candidate with the highest mean CV accuracy.")
        else:
            lines.append(f"Refit chose **{c}** by the rule {info.refit}.")
    pareto = ", ".join(names[i] for i in info.pareto)
    lines += [
        "",
        f"Pareto front (no other candidate is both more accurate and faster): {pareto}.",
        "",
    ]
    return lines


def _folds_phrase(cv) -> str:
    return f"{cv}-fold stratified" if isinstance(cv, int) else f"`{cv}`"


@singledispatch
def _intro(result: ComparisonResult) -> str:
    cfg, s, seeds = result.config, result.summary, result.seeds
    return (
        f"{_folds_phrase(cfg['cv'])} cross-validation "
        f"(scikit-learn's `cross_validate`, the same folds for every model) on "
        f"{cfg['n_train']:,} training images"
        + (
            f", then a refit on all of them tested on {cfg['n_test']:,} held-out images"
            if "test_accuracy" in s
            else ""
        )
        + (
            f"; repeated for {len(seeds)} training seeds ({', '.join(map(str, seeds))})."
            if len(seeds) > 1
            else f"; training seed {seeds[0]}."
        )
    )


@_intro.register
def _(result: SearchResult) -> str:
    folds = result.folds["fold"].nunique()
    return (
        f"{result.search.kind} over {len(result.names)} candidates, {folds}-fold "
        "cross-validation; each candidate is a model below."
    )


def report_markdown(result: ComparisonResult, figures: dict) -> str:
    """The report as Markdown text."""
    cfg = result.config
    lines = [f"# {report_title(result)}: comparison report", "", _intro(result), ""]
    lines += _setup_lines(cfg)
    lines += ["## Results", "", *_results_table(result)]
    lines += _search_lines(result)
    lines += _ranking_lines(result)
    lines += _statistics_lines(result)
    if figures:
        lines += ["## Figures", ""]
        for key, path in figures.items():
            title = FIGURE_TITLES.get(key, key)
            lines += [f"### {title}", "", f"![{title}]({Path(path).name})", ""]
            if key in FIGURE_CAPTIONS:
                lines += [FIGURE_CAPTIONS[key], ""]
    config = {k: v for k, v in cfg.items() if k != "setup"}
    lines += [
        "## Configuration",
        "",
        "```json",
        json.dumps(config, indent=1, default=json_default),
        "```",
        "",
    ]
    return "\n".join(lines)


def results_dict(result: ComparisonResult) -> dict:
    """What ``results.json`` holds: the result's data and the verdict sentences."""
    ranking = {"ranking": rank_models(result).to_dict()} if _ranks(result) else {}
    return {**result.to_dict(), **ranking, "verdicts": verdict_sentences(result)}


@singledispatch
def _write_extra(result: ComparisonResult, out_dir: Path) -> dict:
    return {}


@_write_extra.register
def _(result: SearchResult, out_dir: Path) -> dict:
    """``best.json``: the refit choice, its parameters and its test accuracy."""
    chosen = result.search.chosen_index
    if chosen is None:
        return {}
    name = result.names[chosen]
    test = result.test.get(name)
    best = {
        "best_index": chosen,
        "best_params": result.search.params[chosen],
        "chosen": name,
        "refit": str(result.search.refit),
        "test_accuracy": test[0]["accuracy"] if test else None,
    }
    return {"best.json": write_json(out_dir / "best.json", best)}


def write_report_files(out_dir, *, plot, files: dict, markdown, title: str) -> dict:
    """The files every report writes: figures, data files, report.md and report.html.

    The figures come first (``plot(out_dir)`` -> name -> path; without matplotlib a
    warning says they were skipped), then ``files`` (name -> text), then
    ``markdown(figures)`` as report.md and as a self-contained report.html. Each
    file is written atomically.

    Returns
    -------
    dict
        Name -> path of every file written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        figures = plot(out_dir)
    except FiguresUnavailable as exc:
        warnings.warn(f"{exc} The figures were skipped; the tables and statistics were written.")
        figures = {}
    written = dict(figures)
    for name, text in files.items():
        written[name] = out_dir / name
        atomic_write_text(written[name], text)
    text = markdown(figures)
    written["report.md"] = out_dir / "report.md"
    atomic_write_text(written["report.md"], text)
    written["report.html"] = write_html(text, out_dir, title)
    return written


def write_report(result: ComparisonResult, out_dir) -> dict:
    """Write every report file into ``out_dir``; returns name -> path.

    report.md, report.html (the same, self-contained: figures embedded),
    results.csv, results.json, the PNG figures, and for a search best.json. The
    tables, JSON and report are written even without matplotlib; a warning then
    says that the figures were skipped.

    Parameters
    ----------
    result : ComparisonResult
        From :func:`~mnist_estimators.compare_models` or a search.
    out_dir : str or Path
        Created if needed.

    Returns
    -------
    dict
        Name -> path of every file written.
    """
    files = {
        "results.csv": result.folds.to_csv(index=False),
        "results.json": json.dumps(results_dict(result), indent=1, default=json_default),
    }
    written = write_report_files(
        out_dir,
        plot=lambda folder: plot_all(result, folder),
        files=files,
        markdown=lambda figures: report_markdown(result, figures),
        title=report_title(result),
    )
    return {**written, **_write_extra(result, Path(out_dir))}
