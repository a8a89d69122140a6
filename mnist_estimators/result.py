"""``ComparisonResult``: what a comparison or a grid search measured, with its statistics.

It is built either from :func:`~mnist_estimators.compare_models`' fold records
or, by :meth:`ComparisonResult.from_search`, from any fitted ``GridSearchCV`` /
``RandomizedSearchCV`` whose scoring has accuracy and the timing scorers. Both
give the same tables, tests and report. The sentences that say what the tests
mean are the report's (:mod:`mnist_estimators.report`); this module holds data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .scoring import final_step
from .stats import ALPHA, corrected_paired_ttest, finding, finding_across_seeds, mcnemar_test

__all__ = ["ALPHA", "METRICS", "ComparisonResult", "candidate_names", "pareto_front", "test_record"]

#: Per-fold metrics, in table order. ``predict_time_per_1000`` is seconds per 1,000 images.
METRICS = (
    "accuracy",
    "log_loss",
    "fit_time",
    "predict_time_per_1000",
    "train_images_per_s",
    "epochs",
)
_TEST_METRICS = ("accuracy", "log_loss", "fit_time", "predict_time_per_1000")


def pareto_front(accuracy, fit_time) -> np.ndarray:
    """Indices of the candidates no other one beats on both accuracy and fit time.

    A candidate is dominated when another is at least as accurate and at least
    as fast, and strictly better in one of the two.

    Examples
    --------
    >>> pareto_front([0.99, 0.98, 0.97, 0.96], [100.0, 40.0, 50.0, 10.0]).tolist()
    [0, 1, 3]
    """
    acc, t = np.asarray(accuracy, float), np.asarray(fit_time, float)
    keep = []
    for i in range(acc.size):
        dominated = np.any((acc >= acc[i]) & (t <= t[i]) & ((acc > acc[i]) | (t < t[i])))
        if not dominated and np.isfinite(acc[i]) and np.isfinite(t[i]):
            keep.append(i)
    return np.asarray(keep, dtype=int)


def _short_name(value) -> str:
    """A readable label for a parameter value; an estimator by its final step's class."""
    if isinstance(value, BaseEstimator):
        name = type(final_step(value)).__name__
        return (
            name[: -len("Classifier")]
            if name.endswith("Classifier") and name != "Classifier"
            else name
        )
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def candidate_names(params_list) -> list[str]:
    """Unique labels for search candidates: ``units=64, dropout=0.5``; an estimator by its class."""
    names = []
    for params in params_list:
        if len(params) == 1 and isinstance(next(iter(params.values())), BaseEstimator):
            label = _short_name(next(iter(params.values())))
        else:
            label = ", ".join(
                f"{k.rsplit('__', 1)[-1]}={_short_name(v)}" for k, v in params.items()
            )
        names.append(label or "default")
    seen: dict[str, int] = {}
    out = []
    for label in names:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if names.count(label) == 1 else f"{label} #{seen[label]}")
    return out


@dataclass
class ComparisonResult:
    """Everything a comparison (or a grid search read by :meth:`from_search`) measured.

    Attributes
    ----------
    folds : DataFrame
        One row per model, seed and fold: the :data:`METRICS` (NaN where a
        source does not measure one).
    summary : DataFrame
        Per model: mean and std over every fold of every seed of each metric,
        ``accuracy_seed_std`` (spread of the per-seed mean accuracies; NaN with
        one seed), ``n_params``, and with a test set ``test_accuracy``,
        ``test_log_loss``, ``test_fit_time``, ``test_predict_time_per_1000``
        (means over seeds) and ``test_accuracy_std`` (over seeds).
    histories : dict
        ``histories[model]`` is a list (one per fold and seed) of per-epoch
        dicts (loss, accuracy, val_loss, val_accuracy, epoch_time).
    test : dict
        ``test[model]`` is a list of test records, one per seed in seed order:
        accuracy, log_loss, fit_time, predictions, classes, confusion_matrix.
    statistics : list of dict
        For each pair of models: ``ttest`` (the corrected repeated k-fold
        t-test on all paired fold accuracies), ``cv_finding``, ``mcnemar`` (one
        test per seed, on the test predictions), ``test_finding``; a finding
        is the better model's name, None (no significant difference) or
        ``"mixed"`` (seeds disagree).
    config : dict
        What was compared (models' parameters, data fingerprints, cv, seeds).
    search : dict or None
        For a result made by :meth:`from_search`: the candidates' parameters,
        the refit rule and choice, the best-accuracy candidate.
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    histories: dict
    test: dict
    statistics: list
    config: dict
    search: dict | None = None
    X_test: np.ndarray | None = field(default=None, repr=False)
    y_test: np.ndarray | None = field(default=None, repr=False)

    # -- construction -----------------------------------------------------------
    @classmethod
    def from_records(cls, records, names, config, X_test=None, y_test=None) -> ComparisonResult:
        """Build the result from :func:`compare_models`' fold and test records."""
        order = {n: i for i, n in enumerate(names)}
        cv_records = sorted(
            (r for r in records if r["fold"] != "test"),
            key=lambda r: (order[r["model"]], r["seed"], r["fold"]),
        )
        test = {n: [] for n in names}
        for r in sorted((r for r in records if r["fold"] == "test"), key=lambda r: r["seed"]):
            test[r["model"]].append(r)
        test = {n: v for n, v in test.items() if v}
        folds = pd.DataFrame(
            [
                {"model": r["model"], "seed": r["seed"], "fold": r["fold"], **_metrics(r)}
                for r in cv_records
            ]
        )
        n_params = {r["model"]: r.get("n_params") for r in cv_records}
        histories = {n: [r["history"] for r in cv_records if r["model"] == n] for n in names}
        sizes = {r["model"]: (r["n_train"], r["n_test"]) for r in cv_records}
        summary = _summary(folds, names, n_params, test)
        statistics = []
        for a, b in combinations(names, 2):
            entry = _ttest_entry(folds, a, b, *sizes.get(a, (None, None)))
            if a in test and b in test and y_test is not None:
                per_seed = _mcnemar_per_seed(test[a], test[b], y_test)
                entry["mcnemar"] = per_seed
                entry["test_finding"] = finding_across_seeds(per_seed, a, b)
            if len(entry) > 2:
                statistics.append(entry)
        return cls(folds, summary, histories, test, statistics, config, None, X_test, y_test)

    @classmethod
    def from_search(
        cls,
        search,
        *,
        X_test=None,
        y_test=None,
        n_train: int | None = None,
        n_test: int | None = None,
    ) -> ComparisonResult:
        """The comparison report of a fitted ``GridSearchCV`` / ``RandomizedSearchCV``.

        Each candidate is a "model": its fold spread, the corrected paired
        t-test of the best-accuracy candidate against each other one (as in
        scikit-learn's example "Statistical comparison of models using grid
        search"), an accuracy-versus-training-time figure with the Pareto
        front, and the refit choice. With ``X_test, y_test`` and a refit
        search, the refit model is tested too.

        Parameters
        ----------
        search : fitted GridSearchCV or RandomizedSearchCV
            Its ``scoring`` must be a dict with ``"accuracy"``,
            ``"neg_fit_time"`` and ``"neg_predict_time"`` (e.g.
            :data:`~mnist_estimators.scoring.TIMING_SCORING`); a
            ``"neg_log_loss"`` entry adds log loss.
        X_test, y_test : arrays, default=None
            Held-out data to test the refit model on.
        n_train, n_test : int, default=None
            Training and test sizes of one fold, for the t-test's correction.
            Only their ratio matters; by default it is k-fold's,
            ``n_test / n_train = 1 / (k - 1)``.

        Returns
        -------
        ComparisonResult
        """
        res = getattr(search, "cv_results_", None)
        if res is None:
            raise ValueError("from_search needs a fitted GridSearchCV or RandomizedSearchCV.")
        needed = ("accuracy", "neg_fit_time", "neg_predict_time")
        missing = [m for m in needed if f"mean_test_{m}" not in res]
        if missing:
            raise ValueError(
                f"The search's scoring lacks {missing}: pass scoring=TIMING_SCORING (or a dict "
                "with 'accuracy', 'neg_fit_time' and 'neg_predict_time') to the search."
            )
        test = None
        chosen = getattr(search, "best_index_", None)
        if X_test is not None and hasattr(search, "best_estimator_"):
            test = test_record(search.best_estimator_, X_test, y_test)
        return cls.from_cv_results(
            res,
            n_splits=int(search.n_splits_),
            refit=search.refit,
            chosen=chosen,
            test=test,
            X_test=X_test,
            y_test=y_test,
            n_train=n_train,
            n_test=n_test,
            config={
                "search": type(search).__name__,
                "estimator": repr(search.estimator),
                "scoring": sorted(search.scorer_) if isinstance(search.scorer_, dict) else None,
            },
        )

    @classmethod
    def from_cv_results(
        cls,
        cv_results: dict,
        *,
        n_splits: int,
        refit=None,
        chosen: int | None = None,
        test: dict | None = None,
        X_test=None,
        y_test=None,
        n_train: int | None = None,
        n_test: int | None = None,
        config: dict | None = None,
    ) -> ComparisonResult:
        """The report of a search from its ``cv_results_``-shaped dict (see :meth:`from_search`).

        ``chosen`` is the refit candidate's index and ``test`` its
        :func:`test_record` on ``X_test, y_test``, if any.
        """
        res = cv_results
        k = int(n_splits)
        if (n_train is None) != (n_test is None):
            raise ValueError("Pass both n_train and n_test, or neither.")
        if n_train is None:
            n_train, n_test = k - 1, 1
        names = candidate_names(res["params"])
        rows = []
        for i, name in enumerate(names):
            for f in range(k):

                def split(metric, f=f, i=i):
                    key = f"split{f}_test_{metric}"
                    return float(res[key][i]) if key in res else float("nan")

                rows.append(
                    {
                        "model": name,
                        "seed": 0,
                        "fold": f,
                        "accuracy": split("accuracy"),
                        "log_loss": -split("neg_log_loss"),
                        "fit_time": -split("neg_fit_time"),
                        "predict_time_per_1000": -split("neg_predict_time"),
                        "train_images_per_s": float("nan"),
                        "epochs": float("nan"),
                    }
                )
        folds = pd.DataFrame(rows)
        mean_acc = np.asarray(res["mean_test_accuracy"], float)
        best = int(np.nanargmax(mean_acc))
        statistics = [
            _ttest_entry(folds, names[best], names[i], n_train, n_test)
            for i in range(len(names))
            if i != best
        ]
        tests = {} if test is None or chosen is None else {names[chosen]: [{"seed": 0, **test}]}
        summary = _summary(folds, names, {}, tests)
        info = {
            "kind": (config or {}).get("search", "GridSearchCV"),
            "params": [dict(p) for p in res["params"]],
            "best_accuracy_index": best,
            "chosen_index": None if chosen is None else int(chosen),
            "refit": refit if isinstance(refit, (str, bool, type(None))) else repr(refit),
            "tolerance": getattr(refit, "tolerance", None),
            "pareto": pareto_front(mean_acc, -np.asarray(res["mean_test_neg_fit_time"])).tolist(),
        }
        config = {
            "search": "GridSearchCV",
            **(config or {}),
            "n_candidates": len(names),
            "cv": k,
            "n_test": None if y_test is None else len(y_test),
            "seeds": [0],
        }
        return cls(
            folds,
            summary,
            {n: [] for n in names},
            tests,
            statistics,
            config,
            info,
            None if X_test is None else np.asarray(X_test),
            None if y_test is None else np.asarray(y_test),
        )

    # -- views -------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return list(self.summary.index)

    @property
    def seeds(self) -> list:
        return sorted(self.folds["seed"].unique().tolist()) if len(self.folds) else []

    @property
    def verdicts(self) -> list[str]:
        """One plain sentence per pair of models (the report's own sentences)."""
        from .report import verdict_sentences

        return verdict_sentences(self)

    def to_dict(self) -> dict:
        import json

        return {
            "config": self.config,
            "summary": json.loads(self.summary.to_json(orient="index")),
            "folds": json.loads(self.folds.to_json(orient="records")),
            "histories": self.histories,
            "test": self.test,
            "statistics": self.statistics,
            "search": self.search,
            "verdicts": self.verdicts,
        }

    def save(self, out_dir) -> dict:
        """Write report.md, results.csv, results.json and PNG figures to ``out_dir``.

        Without matplotlib the tables and statistics are still written, and a
        warning says that the figures were skipped.

        Returns
        -------
        dict
            Name -> path of every file written.
        """
        from .report import write_report

        return write_report(self, Path(out_dir))


# -- helpers --------------------------------------------------------------------------
def _metrics(record: dict) -> dict:
    return {m: float(record[m]) if record.get(m) is not None else float("nan") for m in METRICS}


def _summary(folds: pd.DataFrame, names, n_params: dict, test: dict) -> pd.DataFrame:
    agg = folds.groupby("model", sort=False)[list(METRICS)].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    agg = agg.reindex(names)
    per_seed = folds.groupby(["model", "seed"], sort=False)["accuracy"].mean()
    agg["accuracy_seed_std"] = [
        per_seed[n].std(ddof=1) if n in per_seed and per_seed[n].size > 1 else np.nan for n in names
    ]
    agg["n_params"] = [n_params.get(n) for n in names]
    if test:
        for n in names:
            records = test.get(n, [])
            for m in _TEST_METRICS:
                values = [float(r[m]) for r in records]
                agg.loc[n, f"test_{m}"] = np.mean(values) if values else np.nan
            acc = [r["accuracy"] for r in records]
            agg.loc[n, "test_accuracy_std"] = np.std(acc, ddof=1) if len(acc) > 1 else np.nan
    return agg


def _ttest_entry(folds, a, b, n_train, n_test) -> dict:
    entry = {"model_a": a, "model_b": b}
    fa = folds[folds.model == a].set_index(["seed", "fold"])["accuracy"]
    fb = folds[folds.model == b].set_index(["seed", "fold"])["accuracy"]
    common = fa.index.intersection(fb.index)
    if len(common) >= 2 and n_train:
        t = corrected_paired_ttest(fa[common], fb[common], n_train, n_test)
        entry["ttest"] = t.to_dict()
        entry["cv_finding"] = finding(t, a, b)
    return entry


def _mcnemar_per_seed(records_a, records_b, y_test) -> list[dict]:
    out = []
    by_seed_b = {r["seed"]: r for r in records_b}
    for ra in records_a:
        rb = by_seed_b.get(ra["seed"])
        if rb is not None:
            m = mcnemar_test(y_test, ra["predictions"], rb["predictions"])
            out.append({"seed": ra["seed"], **m.to_dict()})
    return out


def test_record(estimator, X_test, y_test) -> dict:
    """Score a fitted estimator on a test set with :data:`COMPARISON_SCORING`'s scorers.

    Returns accuracy, log loss, the estimator's own fit time, the predict time,
    and the predictions with their confusion matrix (for McNemar's test and the
    figures).
    """
    from sklearn.metrics import check_scoring, confusion_matrix

    from .scoring import COMPARISON_SCORING

    scores = check_scoring(estimator, scoring=COMPARISON_SCORING)(estimator, X_test, y_test)
    pred = estimator.predict(X_test)
    classes = estimator.classes_
    return {
        "accuracy": float(scores["accuracy"]),
        "log_loss": -float(scores["neg_log_loss"]),
        "fit_time": -float(scores["neg_fit_time"]),
        "predict_time_per_1000": -float(scores["neg_predict_time"]),
        "predict_time": -float(scores["neg_predict_time"]) * len(y_test) / 1000.0,
        "n_test": len(y_test),
        "predictions": pred.tolist(),
        "classes": classes.tolist(),
        "confusion_matrix": confusion_matrix(y_test, pred, labels=classes).tolist(),
    }
