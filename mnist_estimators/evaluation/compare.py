"""``compare_models``: scikit-learn's cross-validation of several classifiers on the
same folds, repeated over training seeds, then a refit on all training data and
a test, compared with statistics.

Each fold and each refit is one :class:`~mnist_estimators.evaluation.folds.Task`,
run by the fold runner shared with the grid search (:mod:`.folds`): a fold is
evaluated by :func:`sklearn.model_selection.cross_validate` with the package's
scoring dict (:data:`~mnist_estimators.evaluation.scoring.COMPARISON_SCORING`:
accuracy, negated log loss, fit time, predict time) and ``return_estimator`` for
the per-epoch histories. Every finished task is written to ``out_dir`` at once
(:mod:`.store`), so a kill or Ctrl-C loses at most the folds in progress, and
running the same comparison again with the same folder skips the finished work.
A folder that holds a different configuration is refused, never mixed. Asking
for more seeds later reuses the seeds already finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from itertools import combinations

import numpy as np
from sklearn.model_selection import StratifiedKFold

from .. import _clock
from .._environment import machine, now_iso, versions
from .._keras.paths import lstm_path
from .._keras.runtime import BACKEND, device_description
from ..estimators.saving import check_savable
from .folds import Task, check_model_names, run_all, seeded_model
from .result import ComparisonResult
from .runs import write_run_file
from .store import ComparisonConfigError, RecordStore, run_config

__all__ = [
    "ComparisonConfigError",
    "ComparisonResult",
    "compare_models",
    "resolve_seeds",
    "run_setup",
    "seeded_model",
]


def run_setup(command: str, start: float, setup: dict | None) -> dict:
    """The report's "Setup" facts of a run: the call, versions, backend, device, machine
    (with TensorFlow's oneDNN state), the LSTM's path at ``unroll="auto"`` and where it
    was read, wall time, date."""
    path, source = lstm_path("auto")
    return {
        "command": command,
        "versions": versions(),
        "backend": BACKEND.name,
        "device": device_description(),
        "machine": machine(),
        "lstm_path": f"{path} ({source})",
        "wall_time": _clock.now() - start,
        "date": now_iso(),
        **(setup or {}),
    }


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
    save_models: bool = False,
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
        stated when it holds across them (see :mod:`mnist_estimators.evaluation.stats`).
    random_state : int, default=0
        First seed when ``seeds`` is an int.
    n_jobs : int, default=None
        Folds run in parallel processes (joblib's ``loky``, or the backend
        activated by :func:`joblib.parallel_config`, e.g. ``backend="dask"``);
        ``None`` means one at a time (all of a cluster's workers with
        ``scheduler``). Each worker gives TensorFlow only its share of the cores.
    scheduler : str or distributed.Client, default=None
        Run the folds on a Dask cluster (:mod:`mnist_estimators.evaluation.parallel`):
        ``"local"`` (a ``LocalCluster`` of one single-threaded worker per core),
        a scheduler address such as ``"tcp://host:8786"``, or a connected
        ``Client``. The data are scattered to the workers once. Each fold's
        scores equal a serial run's bit for bit when both give TensorFlow the
        same threads per process (see the cluster how-to). Needs the ``dask`` extra.
    out_dir : str or Path, default=None
        Folder for resumable per-fold results (see module docstring). It is
        created, and checked to be writable, before any training. Records are
        written by this process as the folds finish, wherever they ran, so on a
        cluster ``out_dir`` is a folder of the client's machine. When the run
        ends, ``compare.json`` there (names, configuration, test labels) makes the
        folder a finished run that :func:`~.runs.load_run` rebuilds.
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
    save_models : bool, default=False
        Write each refit model (one per model and seed) into ``out_dir/models/`` as a
        model file that loads without pickle (:func:`mnist_estimators.load`). Needs
        ``out_dir`` and a test set.

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
    check_model_names(models)
    X, y = np.asarray(X), np.asarray(y)
    if (X_test is None) != (y_test is None):
        raise ValueError("Pass both X_test and y_test, or neither.")
    if X_test is not None:
        X_test, y_test = np.asarray(X_test), np.asarray(y_test)
    start = _clock.now()
    seed_list = resolve_seeds(seeds, random_state)
    splits = {s: list(_splitter(cv, s).split(X, y)) for s in seed_list}
    config = run_config(models, X, y, X_test, y_test, cv, monitor_validation)
    if save_models and X_test is None:
        raise ValueError("save_models=True saves the refit models, which need a test set.")
    if save_models:  # before any training: a model that cannot be saved fails now
        for model in models.values():
            check_savable(model)
    store = RecordStore(out_dir, config, keep_models=save_models)
    tasks = []
    for s in seed_list:
        tasks += [
            Task(name, s, k, train, test)
            for k, (train, test) in enumerate(splits[s])
            for name in models
        ]
        if X_test is not None:
            tasks += [Task(name, s) for name in models]
    # Longest first: a refit trains on all of X, a fold on (k-1)/k of it. Started last,
    # the refits left one process training alone at the end while the other waited.
    tasks.sort(key=lambda task: not task.is_refit)
    records = run_all(
        tasks,
        (X, y, X_test, y_test, models, monitor_validation, save_models),
        store,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
    )
    call = (
        f"compare_models(models={list(models)}, X, y, cv={cv!r}, "
        f"seeds={seed_list}, X_test={'X_test' if X_test is not None else None}, "
        f"monitor_validation={monitor_validation})"
    )
    config = {**config, "seeds": seed_list, "setup": run_setup(call, start, setup)}
    names = list(models)
    if store.out_dir is not None:  # with the records, it rebuilds the result (runs.load_run)
        write_run_file(store.out_dir, "compare", names, config, y_test)
    return ComparisonResult.from_records(
        records, names, config, pairs=list(combinations(names, 2)), X_test=X_test, y_test=y_test
    )
