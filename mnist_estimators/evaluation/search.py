"""Searches: a resumable grid search, and the report of any scikit-learn search.

:func:`grid_search` evaluates each candidate of a parameter grid exactly as
``GridSearchCV`` does (a clone with the candidate's parameters, scikit-learn's
``cross_validate`` on the same stratified folds, the timing scorers), through the
fold runner that :func:`~mnist_estimators.compare_models` uses (:mod:`.folds`),
so a killed search resumes where it stopped. It applies the ``refit`` rule to the
``cv_results_``-shaped table (:func:`cv_results_from`), refits the chosen
candidate on all training data and tests it, as one more task of the same runner.

:func:`from_search` gives the same result for a fitted ``GridSearchCV`` or
``RandomizedSearchCV``.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, StratifiedKFold

from .. import _clock
from ..estimators.saving import check_savable
from .compare import run_setup
from .folds import Task, run_all, test_record
from .result import SearchInfo, SearchResult, candidate_names
from .scoring import SCORE_COLUMNS, columns_from_scores, pareto_front
from .store import RecordStore, digest, run_config

__all__ = ["cv_results_from", "from_search", "grid_search"]


def cv_results_from(records, names: list[str], params: list[dict], n_splits: int) -> dict:
    """A ``GridSearchCV.cv_results_``-shaped dict from the candidates' fold records.

    Parameters
    ----------
    records : iterable of dict
        Fold records of one seed (:func:`.folds.evaluate`); refit records are ignored.
    names : list of str
        The candidates' names, in candidate order.
    params : list of dict
        The candidates' parameters, in the same order.
    n_splits : int
        Folds per candidate.

    Returns
    -------
    dict
        ``params``, and for each scorer of
        :data:`~mnist_estimators.evaluation.scoring.SCORE_COLUMNS`
        ``split<k>_test_<scorer>``, ``mean_test_<scorer>``, ``std_test_<scorer>``
        and ``rank_test_<scorer>``.
    """
    by_key = {(r["model"], r["fold"]): r for r in records if r["fold"] is not None}
    out: dict = {"params": params}
    for scorer, column, sign in SCORE_COLUMNS:
        splits = np.array(
            [[sign * by_key[(n, f)][column] for n in names] for f in range(n_splits)], dtype=float
        )
        for f in range(n_splits):
            out[f"split{f}_test_{scorer}"] = splits[f]
        out[f"mean_test_{scorer}"] = splits.mean(axis=0)
        out[f"std_test_{scorer}"] = splits.std(axis=0)
        out[f"rank_test_{scorer}"] = rankdata(-out[f"mean_test_{scorer}"], method="min").astype(int)
    return out


def _search_info(kind: str, cv_results: dict, refit, chosen: int | None) -> SearchInfo:
    mean_acc = np.asarray(cv_results["mean_test_accuracy"], float)
    return SearchInfo(
        kind=kind,
        params=[dict(p) for p in cv_results["params"]],
        best_accuracy_index=int(np.nanargmax(mean_acc)),
        chosen_index=None if chosen is None else int(chosen),
        refit=refit if isinstance(refit, (str, bool, type(None))) else repr(refit),
        tolerance=getattr(refit, "tolerance", None),
        pareto=pareto_front(mean_acc, -np.asarray(cv_results["mean_test_neg_fit_time"])).tolist(),
    )


def _search_result(records, names, info: SearchInfo, config: dict, X_test, y_test):
    """The candidates as models of one result; the best-accuracy one tested against each other."""
    best = names[info.best_accuracy_index]
    pairs = [(best, n) for n in names if n != best]
    return SearchResult.from_records(
        records, names, config, pairs=pairs, X_test=X_test, y_test=y_test, search=info
    )


def grid_search(
    estimator,
    param_grid,
    X,
    y,
    *,
    cv: int = 3,
    refit="accuracy",
    X_test=None,
    y_test=None,
    random_state: int = 0,
    out_dir=None,
    n_jobs: int | None = None,
    scheduler=None,
    progress: bool = True,
    setup: dict | None = None,
    save_models: bool = False,
) -> SearchResult:
    """Grid search with timing-aware refit, resumable per candidate and fold.

    Parameters
    ----------
    estimator : estimator
        E.g. ``make_lstm_pipeline()``; its ``random_state`` parameters are set
        to ``random_state``.
    param_grid : dict or list of dict
        As for ``GridSearchCV``.
    X, y : arrays
        Training data.
    cv : int, default=3
        ``StratifiedKFold(cv, shuffle=True, random_state=random_state)``.
    refit : "accuracy" or callable, default="accuracy"
        The highest mean accuracy, or a rule on the ``cv_results_`` table such
        as :class:`~mnist_estimators.evaluation.scoring.FastestWithinTolerance`.
    X_test, y_test : arrays, default=None
        The chosen candidate is refit on all of ``X`` and tested here.
    random_state : int, default=0
        Seed of the folds and the networks.
    out_dir : str or Path, default=None
        Folder where each finished fold and the refit (``folds/``) are written at
        once; the same call resumes.
    n_jobs, scheduler, progress, setup, save_models
        As for :func:`~mnist_estimators.compare_models` (``save_models``: the chosen
        candidate's refit, in ``out_dir/models/``).

    Returns
    -------
    SearchResult
        Each candidate is a model; ``search`` says what the refit rule chose.
    """
    X, y = np.asarray(X), np.asarray(y)
    if (X_test is None) != (y_test is None):
        raise ValueError("Pass both X_test and y_test, or neither.")
    start = _clock.now()
    params = list(ParameterGrid(param_grid))
    names = candidate_names(params)
    models = {n: clone(estimator).set_params(**p) for n, p in zip(names, params, strict=True)}
    splitter = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    # The folds do not depend on the test set, so neither does the fingerprint (as in
    # version 0.1, whose folders resume); the refit's record carries the test set's own.
    config = run_config(models, X, y, None, None, splitter, False)
    if save_models:  # before any training: a model that cannot be saved fails now
        check_savable(estimator)
    store = RecordStore(
        out_dir,
        config,
        test_data=digest(X_test, y_test),
        keep_models=save_models and X_test is not None,
    )
    shared = (X, y, X_test, y_test, models, False, save_models)
    run = {"n_jobs": n_jobs, "scheduler": scheduler, "progress": progress, "desc": "search"}
    tasks = [
        Task(name, random_state, k, train, test)
        for k, (train, test) in enumerate(splitter.split(X, y))
        for name in models
    ]
    records = run_all(tasks, shared, store, **run)
    cv_results = cv_results_from(records, names, params, cv)
    chosen = (
        int(refit(cv_results))
        if callable(refit)
        else int(np.nanargmax(cv_results["mean_test_accuracy"]))
    )
    if X_test is not None:
        records += run_all([Task(names[chosen], random_state)], shared, store, **run)
    call = f"grid_search({estimator!r}, {param_grid!r}, X, y, cv={cv}, refit={refit!r})"
    config = {
        **config,
        "test_data": store.test_data,
        "n_test": None if y_test is None else len(y_test),
        "search": "grid search",
        "estimator": repr(estimator),
        "n_candidates": len(names),
        "seeds": [random_state],
        "setup": run_setup(call, start, setup),
    }
    info = _search_info("grid search", cv_results, refit, chosen)
    return _search_result(records, names, info, config, X_test, y_test)


def from_search(
    search,
    *,
    X_test=None,
    y_test=None,
    n_train: int | None = None,
    n_test: int | None = None,
) -> SearchResult:
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
        :data:`~mnist_estimators.evaluation.scoring.TIMING_SCORING`); a
        ``"neg_log_loss"`` entry adds log loss.
    X_test, y_test : arrays, default=None
        Held-out data to test the refit model on.
    n_train, n_test : int, default=None
        Training and test sizes of one fold, for the t-test's correction.
        Only their ratio matters; by default it is k-fold's,
        ``n_test / n_train = 1 / (k - 1)``.

    Returns
    -------
    SearchResult
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
    if (n_train is None) != (n_test is None):
        raise ValueError("Pass both n_train and n_test, or neither.")
    k = int(search.n_splits_)
    if n_train is None:
        n_train, n_test = k - 1, 1
    names = candidate_names(res["params"])
    records = []
    for i, name in enumerate(names):
        for f in range(k):
            scores = {
                scorer: res[key][i]
                for scorer, _, _ in SCORE_COLUMNS
                if (key := f"split{f}_test_{scorer}") in res
            }
            records.append(
                {
                    "model": name,
                    "seed": 0,
                    "fold": f,
                    "n_train": n_train,
                    "n_test": n_test,
                    **columns_from_scores(scores),
                }
            )
    chosen = getattr(search, "best_index_", None)
    if X_test is not None and hasattr(search, "best_estimator_"):
        test = test_record(search.best_estimator_, X_test, y_test)
        records.append({"model": names[chosen], "seed": 0, "fold": None, **test})
    kind = type(search).__name__
    config = {
        "search": kind,
        "estimator": repr(search.estimator),
        "scoring": sorted(search.scorer_) if isinstance(search.scorer_, dict) else None,
        "n_candidates": len(names),
        "cv": k,
        "n_test": None if y_test is None else len(y_test),
        "seeds": [0],
    }
    info = _search_info(kind, res, search.refit, chosen)
    return _search_result(records, names, info, config, X_test, y_test)
