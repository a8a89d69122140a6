"""The one fold runner under every comparison and search.

A :class:`Task` is one unit of work: a model, a training seed, and either one
cross-validation fold or the refit on all training data followed by the test.
:func:`evaluate` turns it into one record (a JSON-able dict) the same way for
:func:`~mnist_estimators.compare_models` and
:func:`~mnist_estimators.evaluation.search.grid_search`, as scikit-learn's
``_fit_and_score`` does for its searches: a fold through scikit-learn's
``cross_validate`` with :data:`~mnist_estimators.evaluation.scoring.COMPARISON_SCORING`,
the refit through the same scorers (:func:`test_record`). :func:`run_all` runs
the tasks that a store has not finished yet, where :mod:`.parallel` sends them,
and saves each record as it arrives. Each task runs inside the package's own loop
(:func:`~mnist_estimators._keras.reuse.package_loop`): its fits may reuse the
compiled networks of earlier tasks, which no user can reach.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline
from tqdm.auto import tqdm

from .._keras.reuse import empty_pool, package_loop
from ..estimators.pipelines import ImagePipeline
from ..estimators.saving import model_file_bytes
from ..estimators.timing import FitTimed, records_fit_time
from .errors import FoldsError
from .parallel import run_tasks, run_with_threads
from .scoring import COMPARISON_SCORING, columns_from_scores, final_step

__all__ = [
    "MODEL_FILE_KEY",
    "FoldsError",
    "Task",
    "check_folds",
    "check_model_names",
    "evaluate",
    "parameter_count",
    "run_all",
    "seeded_model",
    "test_record",
    "timed",
]


def check_folds(y, y_test, cv: int) -> None:
    """Check, before any training, that stratified ``cv``-fold CV and the test can run.

    Raises
    ------
    FoldsError
        A class has fewer than ``cv`` training images, or the test data hold a
        class that the training data do not.

    Examples
    --------
    >>> check_folds([0, 0, 1, 1, 1], [0, 1], cv=2)
    >>> check_folds([0, 0, 1], [0, 1], cv=2)
    Traceback (most recent call last):
    ...
    mnist_estimators.evaluation.errors.FoldsError: 2 folds need at least 2 training images of every class, but class 1 has 1: use fewer folds or more training data (at least 4 images).
    """
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    if counts.min() < cv:
        few = classes[counts < cv][0]
        n_classes = np.union1d(classes, np.unique(np.asarray(y_test))).size
        raise FoldsError(
            f"{cv} folds need at least {cv} training images of every class, but class {few} "
            f"has {counts[classes == few][0]}: use fewer folds or more training data (at "
            f"least {cv * n_classes} images)."
        )
    unseen = np.setdiff1d(np.unique(np.asarray(y_test)), classes)
    if unseen.size:
        raise FoldsError(
            f"The training data have no image of class(es) {', '.join(map(str, unseen))}, "
            "which the test data have: use more training data."
        )


def check_model_names(names) -> None:
    """Check, in one place for every entry point, that the models' names can name them.

    A name is data: any non-empty text without control characters or surrounding
    spaces (tables, figures and verdicts show it verbatim; file names derive from it,
    :func:`~.store.record_file_name`).

    Examples
    --------
    >>> check_model_names(["CNN", "my.pkg:make_model", "ViT (7x7)"])
    >>> check_model_names(["CNN", " CNN"])
    Traceback (most recent call last):
    ...
    ValueError: Model names must be non-empty text without control characters or surrounding spaces, got ' CNN'.
    """
    for name in names:
        if (
            not isinstance(name, str)
            or not name.strip()
            or name != name.strip()
            or any(ord(c) < 32 for c in name)
        ):
            raise ValueError(
                "Model names must be non-empty text without control characters or "
                f"surrounding spaces, got {name!r}."
            )


@dataclass(frozen=True)
class Task:
    """One unit of work: a cross-validation fold, or the refit and test, of one model and seed.

    Parameters
    ----------
    model : str
        The model's name (a key of the ``models`` dict).
    seed : int
        Its ``random_state`` parameters are set to this.
    fold : int or None
        The fold's index; None for the refit on all training data and the test.
    train, test : ndarray or None
        The fold's training and held-out indices (None for the refit).
    params : tuple of (str, value) pairs, default=()
        What else defines the task (an explanation experiment's network, training size,
        batch size, ...), read with :meth:`param`. The model's name stays a name.
    """

    model: str
    seed: int
    fold: int | None = None
    train: np.ndarray | None = field(default=None, compare=False, repr=False)
    test: np.ndarray | None = field(default=None, compare=False, repr=False)
    params: tuple = ()

    @property
    def is_refit(self) -> bool:
        """True for the refit on all training data and the test."""
        return self.fold is None

    def param(self, name: str):
        """The task's parameter ``name`` (an experiment's network, size, batch, ...): data
        the task carries, never parsed back out of its model's name."""
        try:
            return dict(self.params)[name]
        except KeyError:
            raise KeyError(f"Task {self.model!r} has no parameter {name!r}.") from None


def seeded_model(model, seed: int):
    """A clone of ``model`` with every ``random_state`` parameter set to ``seed``."""
    est = clone(model)
    keys = {k: seed for k in est.get_params(deep=True) if k.endswith("random_state")}
    return est.set_params(**keys) if keys else est


def timed(model):
    """``model`` with a final step that records its training time: the runner's own clone,
    whose final step is wrapped in :class:`~mnist_estimators.estimators.timing.FitTimed`
    when it records none (a scikit-learn baseline). Its parameters, and so its
    results, are unchanged."""
    if isinstance(model, Pipeline):
        name, last = model.steps[-1]
        inner = timed(last)
        return model if inner is last else model.set_params(**{name: inner})
    return model if records_fit_time(model) else FitTimed(model)


def parameter_count(estimator) -> int | None:
    """The learnt numbers of a fitted model's final step: a network's weights, a linear
    model's coefficients and intercepts; None for any other (a tree ensemble's nodes are
    not weights)."""
    final = final_step(estimator)
    if hasattr(final, "count_params"):
        return int(final.count_params())
    if hasattr(final, "coef_"):
        return int(np.size(final.coef_) + np.size(getattr(final, "intercept_", 0)))
    return None


def _validation_params(estimator, X_tr, y_tr, X_val, y_val, monitor: bool) -> dict:
    """Fit parameters that evaluate ``(X_val, y_val)`` after each epoch, if the network takes them."""
    final = final_step(estimator)
    if not monitor or X_val is None:
        return {}
    if "validation_data" not in inspect.signature(final.fit).parameters:
        return {}
    if isinstance(estimator, ImagePipeline):  # it sends them through its own transformers
        return {"validation_data": (X_val, y_val)}
    if isinstance(estimator, Pipeline):
        pre = clone(estimator[:-1]).fit(X_tr, y_tr)
        return {f"{estimator.steps[-1][0]}__validation_data": (pre.transform(X_val), y_val)}
    return {"validation_data": (X_val, y_val)}


def _fitted_facts(estimator, n_train: int, fit_time: float) -> dict:
    final = final_step(estimator)
    history = getattr(final, "history_", None) or {}
    # Epochs are a network's; a baseline's iterations (an array for some) are not.
    epochs = int(getattr(final, "n_iter_", len(history.get("loss", [])))) if history else None
    return {
        "epochs": epochs,
        "lstm_path": getattr(final, "lstm_path_", None),  # the computation an LSTM took
        "train_images_per_s": n_train * epochs / fit_time
        if epochs and fit_time > 0
        else float("nan"),
        "n_params": parameter_count(estimator),
        "history": history,
    }


def _with_predict_time(columns: dict, n_test: int) -> dict:
    """The columns plus the whole predict time and the sizes it was measured on."""
    return {
        **columns,
        "predict_time": columns["predict_time_per_1000"] * n_test / 1000.0,
        "n_test": int(n_test),
    }


def test_record(estimator, X_test, y_test) -> dict:
    """Score a fitted estimator on a test set with :data:`COMPARISON_SCORING`.

    Returns accuracy, log loss, the estimator's own fit time, the predict time,
    and the predictions with their confusion matrix (for McNemar's test and the
    figures): for a network of the package, all from one prediction of the test set.
    """
    scores, pred = COMPARISON_SCORING.scores_and_predictions(estimator, X_test, y_test)
    classes = estimator.classes_
    return {
        **_with_predict_time(columns_from_scores(scores), len(y_test)),
        "predictions": pred.tolist(),
        "classes": classes.tolist(),
        "confusion_matrix": confusion_matrix(y_test, pred, labels=classes).tolist(),
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
    columns = columns_from_scores(lambda scorer: cvr[f"test_{scorer}"][0])
    record = {**_with_predict_time(columns, len(test)), "n_train": len(train)}
    record.update(_fitted_facts(cvr["estimator"][0], len(train), record["fit_time"]))
    return record


#: The key under which a refit record carries its model file to the process that
#: saves the records (:class:`~.store.RecordStore` writes it beside them, never into
#: the record).
MODEL_FILE_KEY = "_model_file"


def _evaluate_refit(model, X, y, X_test, y_test, monitor: bool, keep_model: bool) -> dict:
    """Refit on all training data and score the test set with the same scorers; with
    ``keep_model``, the record carries the refit model's file (:mod:`..estimators.saving`)."""
    est = clone(model)
    est.fit(X, y, **_validation_params(est, X, y, X_test, y_test, monitor))
    record = {**test_record(est, X_test, y_test), "n_train": len(y)}
    record.update(_fitted_facts(est, len(y), record["fit_time"]))
    if keep_model:
        record[MODEL_FILE_KEY] = model_file_bytes(est)
    return record


def evaluate(
    task: Task, X, y, X_test, y_test, models: dict, monitor: bool, keep_models: bool = False
) -> dict:
    """Run one task; returns its record (the model, seed and fold, then what was measured).

    Runs wherever the tasks run (this process, a loky worker, a Dask worker); the
    caller saves the record, so an output folder never has to be visible to workers.
    With ``keep_models``, a refit's record carries its model file too.
    """
    model = timed(seeded_model(models[task.model], task.seed))
    if task.is_refit:
        record = _evaluate_refit(model, X, y, X_test, y_test, monitor, keep_models)
    else:
        record = _evaluate_fold(model, X, y, task.train, task.test, monitor)
    return {"model": task.model, "seed": task.seed, "fold": task.fold, **record}


class _InPackageLoop:
    """``func`` run inside :func:`~mnist_estimators._keras.reuse.package_loop`.

    A task's estimators are the runner's own clones and only its record leaves it, so
    its fits may reuse the compiled networks of the tasks before it in the same
    process. Picklable, for the worker processes.
    """

    def __init__(self, func: Callable):
        self.func = func

    def __call__(self, *args):
        with package_loop():
            return self.func(*args)


def run_all(
    tasks: Iterable[Task],
    shared: tuple,
    store,
    *,
    n_jobs=None,
    scheduler=None,
    progress: bool = True,
    desc: str = "compare",
    func: Callable | None = None,
    threads: int | None = None,
) -> list[dict]:
    """Every task's record: read from ``store`` when finished, else run and saved at once.

    Parameters
    ----------
    tasks : iterable of Task
    shared : tuple
        The arguments ``func`` takes after the task (scattered once on Dask):
        for :func:`evaluate`, ``(X, y, X_test, y_test, models, monitor)``.
    store : RecordStore
        Loads finished records and saves new ones (:mod:`.store`).
    n_jobs, scheduler
        Where the tasks run (:func:`.parallel.run_tasks`).
    progress : bool, default=True
        A progress bar over the tasks, when standard error is a terminal.
    desc : str, default="compare"
        The progress bar's label.
    func : callable, default=None
        :func:`evaluate` when None. Turns ``(task, *shared)`` into the task's record, which names its
        ``model``, ``seed`` and ``fold`` (the explanation experiments bring their own).
    threads : int, default=None
        Run the tasks one at a time in a fresh process whose backend has this many
        threads (:func:`.parallel.run_with_threads`, for timing a thread count)
        instead of where ``n_jobs`` and ``scheduler`` send them.

    Returns
    -------
    list of dict
        The records, finished ones first, then in the order they finished.
    """
    tasks = list(tasks)
    records, todo = [], []
    for task in tasks:
        record = store.load(task)
        if record is None:
            todo.append(task)
        else:
            records.append(record)
    bar = tqdm(
        total=len(tasks),
        initial=len(records),
        desc=desc,
        unit="fit",
        disable=None if progress else True,  # None: only on a terminal, never into logs
        dynamic_ncols=True,
    )
    task_func = _InPackageLoop(func or evaluate)
    try:
        if threads is None:
            results = run_tasks(task_func, todo, shared, n_jobs=n_jobs, scheduler=scheduler)
        else:
            results = run_with_threads(task_func, todo, shared, threads=threads)
        for record in results:
            # At once, atomically: a kill loses only the tasks in flight.
            records.append(
                store.save(Task(record["model"], record["seed"], record["fold"]), record)
            )
            bar.update()
    finally:
        bar.close()
        empty_pool()  # this process's networks of the run (a worker keeps its own)
    return records
