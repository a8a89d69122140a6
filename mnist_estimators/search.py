"""A resumable grid search: every finished candidate and fold is kept on disk.

:func:`grid_search` evaluates each candidate of a parameter grid exactly as
``GridSearchCV`` does (a clone with the candidate's parameters, scikit-learn's
``cross_validate`` on the same stratified folds, :data:`TIMING_SCORING`), but
through :func:`~mnist_estimators.compare_models`' fold-by-fold runner, so a
killed search resumes where it stopped. It then applies the ``refit`` rule to
the ``cv_results_``-shaped table, refits the chosen candidate on all training
data, tests it, and returns the same report as
:meth:`ComparisonResult.from_search`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.model_selection import ParameterGrid, StratifiedKFold

from ._storage import read_json, write_json
from .comparison import compare_models, seeded_model
from .result import ComparisonResult, candidate_names, test_record

__all__ = ["cv_results_from", "grid_search"]

_COLUMNS = (  # (scorer name, fold-table column, sign)
    ("accuracy", "accuracy", 1.0),
    ("neg_log_loss", "log_loss", -1.0),
    ("neg_fit_time", "fit_time", -1.0),
    ("neg_predict_time", "predict_time_per_1000", -1.0),
)


def cv_results_from(result: ComparisonResult, params: list[dict], n_splits: int) -> dict:
    """A ``GridSearchCV.cv_results_``-shaped dict from a one-seed comparison of candidates."""
    folds = result.folds.set_index(["model", "fold"])
    names = result.names
    out: dict = {"params": params}
    for scorer, column, sign in _COLUMNS:
        splits = np.array(
            [[sign * folds.loc[(n, f), column] for n in names] for f in range(n_splits)]
        )
        for f in range(n_splits):
            out[f"split{f}_test_{scorer}"] = splits[f]
        out[f"mean_test_{scorer}"] = splits.mean(axis=0)
        out[f"std_test_{scorer}"] = splits.std(axis=0)
        out[f"rank_test_{scorer}"] = rankdata(-out[f"mean_test_{scorer}"], method="min").astype(int)
    return out


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
) -> ComparisonResult:
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
        as :class:`~mnist_estimators.scoring.FastestWithinTolerance`.
    X_test, y_test : arrays, default=None
        The chosen candidate is refit on all of ``X`` and tested here.
    random_state : int, default=0
        Seed of the folds and the networks.
    out_dir : str or Path, default=None
        Folder where each finished fold (``folds/``) and the refit
        (``refit.json``) are written at once; the same call resumes.
    n_jobs, scheduler, progress, setup
        As for :func:`~mnist_estimators.compare_models`.

    Returns
    -------
    ComparisonResult
        The report of :meth:`ComparisonResult.from_search`.
    """
    params = list(ParameterGrid(param_grid))
    names = candidate_names(params)
    models = {n: clone(estimator).set_params(**p) for n, p in zip(names, params, strict=True)}
    splitter = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    cvr = compare_models(
        models,
        X,
        y,
        cv=splitter,
        seeds=[random_state],
        out_dir=out_dir,
        n_jobs=n_jobs,
        scheduler=scheduler,
        monitor_validation=False,
        progress=progress,
        setup=setup,
    )
    res = cv_results_from(cvr, params, cv)
    chosen = int(refit(res)) if callable(refit) else int(np.nanargmax(res["mean_test_accuracy"]))
    test = None
    if X_test is not None:
        path = None if out_dir is None else Path(out_dir) / "refit.json"
        if path is not None and path.exists() and read_json(path).get("chosen") == names[chosen]:
            test = read_json(path)["test"]
        else:
            best = seeded_model(models[names[chosen]], random_state).fit(X, y)
            test = test_record(best, X_test, y_test)
            if path is not None:
                write_json(path, {"chosen": names[chosen], "test": test})
    result = ComparisonResult.from_cv_results(
        res,
        n_splits=cv,
        refit=refit,
        chosen=chosen,
        test=test,
        X_test=X_test,
        y_test=y_test,
        config={"search": "grid search", "estimator": repr(estimator)},
    )
    result.config["setup"] = cvr.config["setup"]
    return result
