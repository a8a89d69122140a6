"""``compare_models``: scikit-learn's cross-validation of several classifiers on the
same folds, repeated over training seeds, then a refit on all training data and
a test, compared with statistics.

Each fold is evaluated by :func:`sklearn.model_selection.cross_validate` with the
package's scoring dict (:data:`~mnist_estimators.scoring.COMPARISON_SCORING`:
accuracy, negated log loss, fit time, predict time) and ``return_estimator``
for the per-epoch histories. A fold is one unit of work: every finished fold is
written to ``out_dir`` at once (atomically, :mod:`mnist_estimators._storage`), so
a kill or Ctrl-C loses at most the folds in progress, and running the same
comparison again with the same folder skips the finished work. A folder that
holds a different configuration is refused, never mixed. Asking for more seeds
later reuses the seeds already finished.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from copy import deepcopy
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import Pipeline

from . import _clock
from ._environment import machine, now_iso, versions
from ._storage import digest, normalised, prepare_output_folder, read_json, write_json
from .parallel import run_tasks
from .result import ComparisonResult, test_record
from .scoring import COMPARISON_SCORING, final_step

__all__ = ["ComparisonConfigError", "ComparisonResult", "compare_models", "resolve_seeds"]

CONFIG_FILE = "config.json"
FOLD_DIR = "folds"


class ComparisonConfigError(ValueError):
    """``out_dir`` holds results from a different comparison."""


# -- configuration and storage -----------------------------------------------------
def _model_description(model) -> dict:
    """The model's parameters, minus the seeds the comparison sets itself."""
    out = {}
    for k, v in sorted(model.get_params(deep=True).items()):
        if k.endswith("random_state") or ("__" not in k and hasattr(v, "get_params")):
            continue
        out[k] = v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)
    return out


def _cv_description(cv) -> object:
    return int(cv) if isinstance(cv, (int, np.integer)) else repr(cv)


def _config(models, X, y, X_test, y_test, cv, monitor) -> dict:
    return {
        "models": {name: _model_description(m) for name, m in models.items()},
        "data": digest(X, y),
        "test_data": digest(X_test, y_test),
        "n_train": len(y),
        "n_test": None if y_test is None else len(y_test),
        "cv": _cv_description(cv),
        "monitor_validation": bool(monitor),
    }


def _check_out_dir(out_dir: Path, config: dict) -> None:
    path = out_dir / CONFIG_FILE
    if not path.exists():
        write_json(path, config)
        return
    stored, wanted = read_json(path), normalised(config)
    if stored != wanted:
        diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        raise ComparisonConfigError(
            f"{out_dir} holds results of a different comparison (differs in: "
            f"{', '.join(diff)}). Use a new output folder, or delete {out_dir} to start over."
        )


def _record_path(out_dir: Path, name: str, seed: int, fold) -> Path:
    part = "test" if fold == "test" else f"fold{fold}"
    return out_dir / FOLD_DIR / f"{name}__seed{seed}__{part}.json"


# -- seeds and folds --------------------------------------------------------------
def resolve_seeds(seeds, random_state) -> list[int]:
    """``seeds`` as a list: an int n is ``random_state, random_state + 1, ...`` (n of them).

    Examples
    --------
    >>> resolve_seeds(3, 10), resolve_seeds([7, 1], 0)
    ([10, 11, 12], [7, 1])
    """
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be >= 1 (a count) or a list of ints, got {seeds!r}.")
        base = 0 if random_state is None else int(random_state)
        return [base + i for i in range(int(seeds))]
    if (
        isinstance(seeds, Sequence)
        and seeds
        and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seeds)
    ):
        out = [int(s) for s in seeds]
        if len(set(out)) != len(out):
            raise ValueError(f"seeds must be distinct, got {seeds!r}.")
        return out
    raise ValueError(f"seeds must be a positive int or a non-empty list of ints, got {seeds!r}.")


def _splitter(cv, seed: int):
    """The fold splitter of one seed: an int is StratifiedKFold shuffled with the seed."""
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv must be an int >= 2 or a scikit-learn splitter, got {cv!r}.")
        return StratifiedKFold(int(cv), shuffle=True, random_state=seed)
    if not hasattr(cv, "split"):
        raise ValueError(f"cv must be an int >= 2 or a scikit-learn splitter, got {cv!r}.")
    cv = deepcopy(cv)
    if getattr(cv, "shuffle", False) or (
        hasattr(cv, "random_state") and not hasattr(cv, "shuffle")
    ):
        cv.random_state = seed  # a shuffling splitter draws its folds from the seed
    return cv


def seeded_model(model, seed: int):
    """A clone of ``model`` with every ``random_state`` parameter set to ``seed``."""
    est = clone(model)
    keys = {k: seed for k in est.get_params(deep=True) if k.endswith("random_state")}
    return est.set_params(**keys) if keys else est


# -- one unit of work ---------------------------------------------------------------
def _validation_params(estimator, X_tr, y_tr, X_val, y_val, monitor: bool) -> dict:
    """Fit parameters that evaluate ``(X_val, y_val)`` after each epoch, if the network takes them."""
    final = final_step(estimator)
    if not monitor or X_val is None:
        return {}
    if "validation_data" not in inspect.signature(final.fit).parameters:
        return {}
    from .pipelines import ImagePipeline

    if isinstance(estimator, ImagePipeline):  # it sends them through its own transformers
        return {"validation_data": (X_val, y_val)}
    if isinstance(estimator, Pipeline):
        pre = clone(estimator[:-1]).fit(X_tr, y_tr)
        return {f"{estimator.steps[-1][0]}__validation_data": (pre.transform(X_val), y_val)}
    return {"validation_data": (X_val, y_val)}


def _fitted_facts(estimator, n_train: int, fit_time: float) -> dict:
    final = final_step(estimator)
    history = getattr(final, "history_", {})
    epochs = int(getattr(final, "n_iter_", len(history.get("loss", []))))
    return {
        "epochs": epochs,
        "train_images_per_s": n_train * epochs / fit_time if fit_time > 0 else float("nan"),
        "n_params": int(final.count_params()) if hasattr(final, "count_params") else None,
        "history": history,
    }


def _scores_to_record(scores: dict, n_train: int, n_test: int) -> dict:
    """``cross_validate``'s scores of one fold (``test_<name>``) as the record's metrics."""
    per_1000 = -float(scores["test_neg_predict_time"])
    return {
        "accuracy": float(scores["test_accuracy"]),
        "log_loss": -float(scores["test_neg_log_loss"]),
        "fit_time": -float(scores["test_neg_fit_time"]),
        "predict_time_per_1000": per_1000,
        "predict_time": per_1000 * n_test / 1000.0,
        "n_train": int(n_train),
        "n_test": int(n_test),
    }


def _evaluate_fold(model, X, y, train, test, monitor: bool) -> dict:
    """One cross-validation fold, evaluated by scikit-learn's ``cross_validate``."""
    params = _validation_params(model, X[train], y[train], X[test], y[test], monitor)
    cvr = cross_validate(
        model,
        X,
        y,
        cv=[(train, test)],
        scoring=COMPARISON_SCORING,
        return_estimator=True,
        params=params,
        error_score="raise",
    )
    record = _scores_to_record({k: v[0] for k, v in cvr.items()}, len(train), len(test))
    record.update(_fitted_facts(cvr["estimator"][0], len(train), record["fit_time"]))
    return record


def _evaluate_test(model, X, y, X_test, y_test, monitor: bool) -> dict:
    """Refit on all training data and score the test set with the same scorers."""
    est = clone(model)
    est.fit(X, y, **_validation_params(est, X, y, X_test, y_test, monitor))
    record = {**test_record(est, X_test, y_test), "n_train": len(y)}
    record.update(_fitted_facts(est, len(y), record["fit_time"]))
    return record


def _run_task(task, X, y, X_test, y_test, models, monitor):
    """One fold (or the refit and test) of one model and seed; returns its record.

    Runs wherever the folds run (this process, a loky worker, a Dask worker); the
    caller writes the record, so ``out_dir`` never has to be visible to workers.
    """
    name, seed, fold, split = task
    model = seeded_model(models[name], seed)
    if fold == "test":
        record = _evaluate_test(model, X, y, X_test, y_test, monitor)
    else:
        record = _evaluate_fold(model, X, y, split[0], split[1], monitor)
    return {"model": name, "seed": seed, "fold": fold, **record}


# -- public API -------------------------------------------------------------------
def compare_models(
    models: dict,
    X,
    y,
    *,
    cv=5,
    X_test=None,
    y_test=None,
    seeds=1,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    scheduler=None,
    out_dir=None,
    monitor_validation: bool = True,
    progress: bool = True,
    setup: dict | None = None,
) -> ComparisonResult:
    """Cross-validate and test several classifiers on the same folds, over several seeds.

    For each seed, every model gets its ``random_state`` parameters set to the
    seed and is evaluated by :func:`sklearn.model_selection.cross_validate` on
    the same folds, then (with a test set) refit on all of ``X`` and tested. So
    each seed's per-fold accuracies are exactly those of
    ``cross_validate(model(random_state=s), X, y, cv=StratifiedKFold(cv,
    shuffle=True, random_state=s), scoring=COMPARISON_SCORING)``.

    Parameters
    ----------
    models : dict of str -> estimator
        E.g. ``{"CNN": make_cnn_pipeline(), "LSTM": make_lstm_pipeline()}``. The
        names are used verbatim in tables, figures and verdicts.
    X, y : arrays
        Training data (flat images and labels).
    cv : int or scikit-learn splitter, default=5
        An int k is ``StratifiedKFold(k, shuffle=True, random_state=seed)``. A
        splitter is used as given (a shuffling one is reseeded with each
        seed). Every model sees the same folds, which the paired tests require.
    X_test, y_test : arrays, default=None
        A held-out test set: for each seed, each model is refit on all of
        ``X`` and tested on it (accuracy, log loss, confusion matrix,
        McNemar's test).
    seeds : int or list of int, default=1
        Training seeds: an int n means ``random_state, random_state + 1, ...``.
        Each seed is a full set of folds plus the refit; a difference is only
        stated when it holds across them (see :mod:`mnist_estimators.stats`).
    random_state : int, default=0
        First seed when ``seeds`` is an int.
    n_jobs : int, default=None
        Folds run in parallel processes (joblib's ``loky``, or the backend
        activated by :func:`joblib.parallel_config`, e.g. ``backend="dask"``);
        ``None`` means one at a time (all of a cluster's workers with
        ``scheduler``). Each worker gives TensorFlow only its share of the cores.
    scheduler : str or distributed.Client, default=None
        Run the folds on a Dask cluster (:mod:`mnist_estimators.parallel`):
        ``"local"`` (a ``LocalCluster`` of one single-threaded worker per core),
        a scheduler address such as ``"tcp://host:8786"``, or a connected
        ``Client``. The data are scattered to the workers once. Each fold's
        scores equal a serial run's bit for bit when both give TensorFlow the
        same threads per process (see the cluster how-to). Needs the ``dask`` extra.
    out_dir : str or Path, default=None
        Folder for resumable per-fold results (see module docstring). It is
        created, and checked to be writable, before any training. Records are
        written by this process as the folds finish, wherever they ran, so on a
        cluster ``out_dir`` is a folder of the client's machine.
    monitor_validation : bool, default=True
        Evaluate each fold's held-out part (the test set for the refit) after
        every epoch, as the reference notebook's ``validation_data`` did, for
        the validation curves. It never influences training (unless the model
        uses early stopping) but its cost is part of the fit times.
    progress : bool, default=True
        Show a progress bar over folds, models and seeds, when standard error is
        a terminal (never in a log file, a CI job or a rendered docs example).
    setup : dict, default=None
        Extra lines for the report's "Setup" section, e.g. ``{"dataset": "MNIST,
        60,000 training images (complete)"}``. Library versions, the machine,
        the call, the wall time and the date are recorded by themselves.

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> from mnist_estimators import compare_models, make_cnn_pipeline, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> res = compare_models({"CNN": make_cnn_pipeline(epochs=1, filters=4)},
    ...                      X[:300], y[:300], cv=2, progress=False)
    >>> res.folds[["model", "seed", "fold"]].values.tolist()
    [['CNN', 0, 0], ['CNN', 0, 1]]
    """
    if not models:
        raise ValueError("models must be a non-empty dict of name -> estimator.")
    for name in models:
        if not isinstance(name, str) or not name or "__" in name or "/" in name:
            raise ValueError(
                f"Model names must be non-empty strings without '__' or '/', got {name!r}."
            )
    X, y = np.asarray(X), np.asarray(y)
    if (X_test is None) != (y_test is None):
        raise ValueError("Pass both X_test and y_test, or neither.")
    if X_test is not None:
        X_test, y_test = np.asarray(X_test), np.asarray(y_test)
    start = _clock.now()
    seed_list = resolve_seeds(seeds, random_state)
    splits = {s: list(_splitter(cv, s).split(X, y)) for s in seed_list}
    config = _config(models, X, y, X_test, y_test, cv, monitor_validation)
    if out_dir is not None:
        out_dir = prepare_output_folder(out_dir)
        _check_out_dir(out_dir, config)

    tasks = []
    for s in seed_list:
        tasks += [(name, s, k, split) for k, split in enumerate(splits[s]) for name in models]
        if X_test is not None:
            tasks += [(name, s, "test", None) for name in models]
    records, todo = [], []
    for task in tasks:
        path = None if out_dir is None else _record_path(out_dir, *task[:3])
        if path is not None and path.exists():
            records.append(read_json(path))
        else:
            todo.append(task)

    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(tasks),
        initial=len(records),
        desc="compare",
        unit="fit",
        disable=None if progress else True,  # None: only on a terminal, never into logs
        dynamic_ncols=True,
    )
    try:
        shared = (X, y, X_test, y_test, models, monitor_validation)
        for record in run_tasks(_run_task, todo, shared, n_jobs=n_jobs, scheduler=scheduler):
            if out_dir is not None:  # at once, atomically: a kill loses only folds in flight
                write_json(
                    _record_path(out_dir, record["model"], record["seed"], record["fold"]), record
                )
            records.append(record)
            bar.update()
    finally:
        bar.close()
    call = (
        f"compare_models(models={list(models)}, X, y, cv={cv!r}, "
        f"seeds={seed_list}, X_test={'X_test' if X_test is not None else None}, "
        f"monitor_validation={monitor_validation})"
    )
    config = {
        **config,
        "seeds": seed_list,
        "setup": {
            "command": call,
            "versions": versions(),
            "machine": machine(),
            "wall_time": _clock.now() - start,
            "date": now_iso(),
            **(setup or {}),
        },
    }
    return ComparisonResult.from_records(
        records, list(models), config, X_test=X_test, y_test=y_test
    )
