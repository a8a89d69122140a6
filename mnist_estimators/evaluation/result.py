"""``ComparisonResult``: what a comparison or a grid search measured, with its statistics.

This module holds data and the statistics computed from it, nothing else: no
files (the report writes them, :mod:`mnist_estimators.reporting`), no sentences
(the report's too), no predictions (the fold runner makes them,
:mod:`.folds`). Both :func:`~mnist_estimators.compare_models` and the searches
(:mod:`.search`) build it from fold records with :meth:`ComparisonResult.from_records`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._files import json_default
from .scoring import SCORE_COLUMNS, final_step
from .stats import ALPHA, corrected_paired_ttest, finding, finding_across_seeds, holm, mcnemar_test

__all__ = [
    "ALPHA",
    "METRICS",
    "ComparisonResult",
    "PairStatistics",
    "SearchInfo",
    "SearchResult",
    "candidate_names",
]

#: Per-fold metrics, in table order. ``predict_time_per_1000`` is seconds per 1,000 images.
METRICS = (
    "accuracy",
    "log_loss",
    "fit_time",
    "predict_time_per_1000",
    "train_images_per_s",
    "epochs",
)
_TEST_METRICS = tuple(column for _, column, _ in SCORE_COLUMNS)


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


@dataclass(eq=True)
class PairStatistics(Mapping):
    """The significance tests of one pair of models.

    Attributes
    ----------
    model_a, model_b : str
        The pair; differences are ``a - b``.
    ttest : dict or None
        The corrected (repeated k-fold) t-test on all paired fold accuracies
        (:meth:`~mnist_estimators.evaluation.stats.TestResult.to_dict`), with
        ``p_adjusted``: Holm's adjustment over every pair's t-test of the
        comparison; None with fewer than 2 paired folds.
    cv_finding : str or None
        The model the t-test found more accurate at the adjusted p, or None.
    mcnemar : list of dict
        McNemar's test on the test predictions, one per seed (with its
        ``seed``), with ``p_adjusted``: Holm's adjustment over every pair's and
        seed's McNemar test; empty without a test of both models.
    test_finding : str or None
        The model every seed's McNemar test found more accurate at the adjusted p,
        ``"mixed"`` when significant seeds disagree, else None.
    """

    model_a: str
    model_b: str
    ttest: dict | None = None
    cv_finding: str | None = None
    mcnemar: list = field(default_factory=list)
    test_finding: str | None = None

    @property
    def has_ttest(self) -> bool:
        return self.ttest is not None

    @property
    def has_mcnemar(self) -> bool:
        return bool(self.mcnemar)

    def to_dict(self) -> dict:
        """The tests as JSON-able dict; keys of tests that were not run are left out."""
        out = {"model_a": self.model_a, "model_b": self.model_b}
        if self.has_ttest:
            out.update(ttest=self.ttest, cv_finding=self.cv_finding)
        if self.has_mcnemar:
            out.update(mcnemar=self.mcnemar, test_finding=self.test_finding)
        return out

    # Read as the dict of version 0.1 (``st["ttest"]``, ``"mcnemar" in st``, ``len(st)``):
    # a Mapping over :meth:`to_dict`.
    def __getitem__(self, key: str):
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


@dataclass(eq=True)
class SearchInfo(Mapping):
    """What a search chose, beside its candidates' results.

    Attributes
    ----------
    kind : str
        ``"grid search"``, ``"GridSearchCV"``, ``"RandomizedSearchCV"``, ...
    params : list of dict
        Each candidate's parameters, in candidate order.
    best_accuracy_index : int
        The candidate with the highest mean CV accuracy.
    chosen_index : int or None
        The candidate the ``refit`` rule chose (None: not refit).
    refit : str, bool or None
        The refit rule (its ``repr`` when it is a callable).
    tolerance : float or None
        The tolerance of a :class:`~mnist_estimators.evaluation.scoring.FastestWithinTolerance` rule.
    pareto : list of int
        The candidates on the accuracy / training-time Pareto front.
    """

    kind: str
    params: list
    best_accuracy_index: int
    chosen_index: int | None
    refit: object
    tolerance: float | None
    pareto: list

    # Read as the dict of version 0.1 (``result.search["chosen_index"]``): a Mapping
    # over the fields.
    def __getitem__(self, key: str):
        if key not in {f.name for f in fields(self)}:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in fields(self))

    def __len__(self) -> int:
        return len(fields(self))


@dataclass
class ComparisonResult:
    """Everything a comparison measured.

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
    statistics : list of PairStatistics
        For each pair of models compared: the t-test on the folds and McNemar's
        test per seed on the test set, with their findings.
    config : dict
        What was compared (models' parameters, data fingerprints, cv, seeds, and
        under ``setup`` the call, versions, machine and wall time).
    X_test, y_test : ndarray or None
        The test set (for the figures of misclassified images).
    search : None
        A comparison has no search (:class:`SearchResult` has one).
    names, seeds : list
        The models in table order, and the training seeds.
    refit_choice : int or None
        The index of the model a search's refit chose; None for a comparison.
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    histories: dict
    test: dict
    statistics: list
    config: dict
    X_test: np.ndarray | None = field(default=None, repr=False)
    y_test: np.ndarray | None = field(default=None, repr=False)

    #: A comparison has no search; :class:`SearchResult` has one.
    search = None

    @classmethod
    def from_records(
        cls,
        records: Iterable[dict],
        names: list[str],
        config: dict,
        *,
        pairs: Iterable[tuple[str, str]],
        X_test=None,
        y_test=None,
        **extra,
    ) -> ComparisonResult:
        """Build the result from the fold runner's records (:func:`.folds.evaluate`).

        Parameters
        ----------
        records : iterable of dict
            Fold records (``fold`` an int) and refit records (``fold`` None).
        names : list of str
            The models, in table order.
        config : dict
            Stored as :attr:`config`.
        pairs : iterable of (str, str)
            The pairs of models to test.
        X_test, y_test : arrays, default=None
            The test set; McNemar's test needs ``y_test``.
        **extra
            Further fields of ``cls`` (a :class:`SearchResult`'s ``search``).
        """
        records = list(records)
        order = {n: i for i, n in enumerate(names)}
        cv_records = sorted(
            (r for r in records if r["fold"] is not None),
            key=lambda r: (order[r["model"]], r["seed"], r["fold"]),
        )
        test = {n: [] for n in names}
        for r in sorted((r for r in records if r["fold"] is None), key=lambda r: r["seed"]):
            test[r["model"]].append(r)
        test = {n: v for n, v in test.items() if v}
        folds = pd.DataFrame(
            [
                {"model": r["model"], "seed": r["seed"], "fold": r["fold"], **_metrics(r)}
                for r in cv_records
            ],
            columns=["model", "seed", "fold", *METRICS],
        )
        n_params = {r["model"]: r.get("n_params") for r in cv_records}
        histories = {
            n: [r["history"] for r in cv_records if r["model"] == n and r.get("history")]
            for n in names
        }
        sizes = {r["model"]: (r.get("n_train"), r.get("n_test")) for r in cv_records}
        summary = _summary(folds, names, n_params, test)
        statistics = []
        for a, b in pairs:
            entry = _ttest(folds, a, b, *sizes.get(a, (None, None)))
            if a in test and b in test and y_test is not None:
                entry.mcnemar = _mcnemar_per_seed(test[a], test[b], y_test)
                entry.test_finding = finding_across_seeds(entry.mcnemar, a, b)
            if entry.has_ttest or entry.has_mcnemar:
                statistics.append(entry)
        _correct_for_multiplicity(statistics)
        X_test = None if X_test is None else np.asarray(X_test)
        y_test = None if y_test is None else np.asarray(y_test)
        return cls(folds, summary, histories, test, statistics, config, X_test, y_test, **extra)

    # -- views -------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """The models (or search candidates), in table order."""
        return list(self.summary.index)

    @property
    def seeds(self) -> list:
        """The training seeds, sorted."""
        return sorted(self.folds["seed"].unique().tolist()) if len(self.folds) else []

    @property
    def refit_choice(self) -> int | None:
        """The index of the model a search's refit rule chose; None for a comparison."""
        return None

    def to_dict(self) -> dict:
        """The result as JSON-able data (what ``results.json`` holds, beside the verdicts)."""
        return json.loads(
            json.dumps(
                {
                    "config": self.config,
                    "summary": json.loads(self.summary.to_json(orient="index")),
                    "folds": json.loads(self.folds.to_json(orient="records")),
                    "histories": self.histories,
                    "test": self.test,
                    "statistics": [st.to_dict() for st in self.statistics],
                    "search": None if self.search is None else asdict(self.search),
                },
                default=json_default,
            )
        )

    @classmethod
    def from_search(cls, *args, **kwargs):
        """Moved: :func:`mnist_estimators.evaluation.search.from_search`."""
        raise AttributeError(
            "ComparisonResult.from_search moved out of the result, which now holds data "
            "only: use mnist_estimators.evaluation.search.from_search(search, ...) "
            "(also mnist_estimators.from_search)."
        )

    def __setstate__(self, state: dict) -> None:
        """Load a result pickled by version 0.1: plain dicts for the statistics and search."""
        stats = state.get("statistics") or []
        state["statistics"] = [
            st if isinstance(st, PairStatistics) else PairStatistics(**st) for st in stats
        ]
        search = state.get("search")
        if isinstance(search, dict):
            state["search"] = SearchInfo(**search)
            self.__class__ = SearchResult
        elif search is None:
            state.pop("search", None)
        self.__dict__.update(state)

    # Moved in version 0.2 (the result holds data only): say where to.
    def __getattr__(self, name: str):
        moved = {
            "save": "mnist_estimators.reporting.write_report(result, out_dir)",
            "verdicts": "mnist_estimators.reporting.verdict_sentences(result)",
        }
        if name in moved:
            raise AttributeError(
                f"ComparisonResult.{name} moved out of the result, which now holds data "
                f"only: use {moved[name]}."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@dataclass
class SearchResult(ComparisonResult):
    """The result of a search: each candidate is a model, plus what the search chose.

    Attributes
    ----------
    search : SearchInfo
        The candidates' parameters, the refit rule and its choice, the
        best-accuracy candidate and the Pareto front.
    """

    search: SearchInfo = field(kw_only=True)

    @property
    def refit_choice(self) -> int | None:
        return self.search.chosen_index


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


def _correct_for_multiplicity(statistics: list[PairStatistics]) -> None:
    """Holm's adjusted p of each test, in two families: the pairs' t-tests, and every
    pair's McNemar test of every seed. The findings follow the adjusted p; with two
    models and one seed it equals the p of each test."""
    ttests = [st.ttest for st in statistics if st.has_ttest]
    for test, adjusted in zip(ttests, holm([t["p_value"] for t in ttests]), strict=True):
        test["p_adjusted"] = float(adjusted)
    mcnemar = [m for st in statistics for m in st.mcnemar]
    for test, adjusted in zip(mcnemar, holm([m["p_value"] for m in mcnemar]), strict=True):
        test["p_adjusted"] = float(adjusted)
    for st in statistics:
        a, b = st.model_a, st.model_b
        if st.has_ttest:
            st.cv_finding = finding(_adjusted(st.ttest), a, b)
        if st.has_mcnemar:
            st.test_finding = finding_across_seeds([_adjusted(m) for m in st.mcnemar], a, b)


def _adjusted(test: dict) -> dict:
    """A test's dict with its Holm-adjusted p as its p."""
    return {**test, "p_value": test["p_adjusted"]}


def _ttest(folds, a, b, n_train, n_test) -> PairStatistics:
    entry = PairStatistics(a, b)
    fa = folds[folds.model == a].set_index(["seed", "fold"])["accuracy"]
    fb = folds[folds.model == b].set_index(["seed", "fold"])["accuracy"]
    common = fa.index.intersection(fb.index)
    if len(common) >= 2 and n_train:
        t = corrected_paired_ttest(fa[common], fb[common], n_train, n_test)
        entry.ttest = t.to_dict()
        entry.cv_finding = finding(t, a, b)
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
