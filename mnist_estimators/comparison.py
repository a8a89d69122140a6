"""``compare_models``: cross-validate several classifiers on the same folds,
refit them on all training data, test them, and compare them with statistics.

Every finished fold is written to ``out_dir`` at once (atomically), so a kill
or Ctrl-C loses at most the folds in progress, and running the same comparison
again with the same folder skips the finished work. A folder that holds a
different configuration is refused, never mixed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from . import _clock
from .stats import corrected_paired_ttest, mcnemar_test, verdict

__all__ = ["ComparisonConfigError", "ComparisonResult", "compare_models"]

METRICS = (
    "accuracy",
    "log_loss",
    "fit_time",
    "predict_time",
    "train_images_per_s",
    "predict_images_per_s",
    "epochs",
)
CONFIG_FILE = "config.json"
FOLD_DIR = "folds"


class ComparisonConfigError(ValueError):
    """``out_dir`` holds results from a different comparison."""


# -- storage ------------------------------------------------------------------
def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1, default=_json_default))
    os.replace(tmp, path)


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()[:16]


def _model_description(model) -> dict:
    return {
        k: repr(v)
        for k, v in sorted(model.get_params(deep=True).items())
        if "__" in k or not hasattr(v, "get_params")
    }


def _config(models, X, y, X_test, y_test, cv, random_state, monitor) -> dict:
    return {
        "models": {name: _model_description(m) for name, m in models.items()},
        "data": _digest(X, y),
        "test_data": _digest(X_test, y_test),
        "n_train": len(y),
        "n_test": None if y_test is None else len(y_test),
        "cv": int(cv),
        "random_state": random_state,
        "monitor_validation": bool(monitor),
    }


def _check_out_dir(out_dir: Path, config: dict) -> None:
    path = out_dir / CONFIG_FILE
    if not path.exists():
        _write_json(path, config)
        return
    stored = json.loads(path.read_text())
    wanted = json.loads(json.dumps(config, default=_json_default))  # as it would be stored
    if stored != wanted:
        diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        raise ComparisonConfigError(
            f"{out_dir} holds results of a different comparison (differs in: "
            f"{', '.join(diff)}). Use a new output folder, or delete {out_dir} to start over."
        )


# -- one unit of work -----------------------------------------------------------
def _final_step(estimator):
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def _fit_with_monitor(estimator, X_tr, y_tr, X_val, y_val, monitor: bool):
    """Fit; when the network accepts it, evaluate (X_val, y_val) after each epoch."""
    final = _final_step(estimator)
    params = {}
    if (
        monitor
        and X_val is not None
        and "validation_data" in inspect.signature(final.fit).parameters
    ):
        if isinstance(estimator, Pipeline):
            pre = clone(estimator[:-1]).fit(X_tr, y_tr)
            params[f"{estimator.steps[-1][0]}__validation_data"] = (pre.transform(X_val), y_val)
        else:
            params["validation_data"] = (X_val, y_val)
    start = _clock.now()
    estimator.fit(X_tr, y_tr, **params)
    return _clock.now() - start


def _evaluate(name, model, X_tr, y_tr, X_te, y_te, monitor, fold) -> dict:
    est = clone(model)
    fit_wall = _fit_with_monitor(est, X_tr, y_tr, X_te, y_te, monitor)
    final = _final_step(est)
    fit_time = float(getattr(final, "fit_time_", fit_wall))
    start = _clock.now()
    proba = est.predict_proba(X_te)
    predict_time = _clock.now() - start
    classes = est.classes_
    pred = classes[np.argmax(proba, axis=1)]
    history = getattr(final, "history_", {})
    epochs = int(getattr(final, "n_iter_", len(history.get("loss", []))))
    record = {
        "model": name,
        "fold": fold,
        "accuracy": float(accuracy_score(y_te, pred)),
        "log_loss": float(log_loss(y_te, proba, labels=classes)),
        "fit_time": fit_time,
        "predict_time": float(predict_time),
        "train_images_per_s": len(y_tr) * epochs / fit_time if fit_time > 0 else float("nan"),
        "predict_images_per_s": len(y_te) / predict_time if predict_time > 0 else float("nan"),
        "epochs": epochs,
        "n_train": len(y_tr),
        "n_test": len(y_te),
        "n_params": int(final.count_params()) if hasattr(final, "count_params") else None,
        "history": history,
        "predictions": pred.tolist(),
    }
    if fold == "test":
        record["confusion_matrix"] = confusion_matrix(y_te, pred, labels=classes).tolist()
        record["classes"] = classes.tolist()
    return record


def _run_task(task, X, y, X_test, y_test, models, monitor, out_dir):
    name, fold, train_idx, test_idx = task
    if fold == "test":
        record = _evaluate(name, models[name], X, y, X_test, y_test, monitor, fold)
    else:
        record = _evaluate(
            name, models[name], X[train_idx], y[train_idx], X[test_idx], y[test_idx], monitor, fold
        )
        record["test_index"] = np.asarray(test_idx).tolist()
    if out_dir is not None:
        _write_json(_record_path(out_dir, name, fold), record)
    return record


def _record_path(out_dir: Path, name: str, fold) -> Path:
    return out_dir / FOLD_DIR / f"{name}__{'test' if fold == 'test' else f'fold{fold}'}.json"


# -- public API -------------------------------------------------------------------
def compare_models(
    models: dict,
    X,
    y,
    *,
    cv: int = 5,
    X_test=None,
    y_test=None,
    random_state: int | None = 0,
    n_jobs: int | None = None,
    out_dir=None,
    monitor_validation: bool = True,
    progress: bool = True,
) -> ComparisonResult:
    """Cross-validate and test several classifiers on the same folds.

    Parameters
    ----------
    models : dict of str -> estimator
        E.g. ``{"cnn": make_cnn_pipeline(), "lstm": make_lstm_pipeline()}``.
    X, y : arrays
        Training data (flat images and labels).
    cv : int, default=5
        Number of stratified folds (shuffled with ``random_state``); every
        model sees the same folds, which the paired t-test requires.
    X_test, y_test : arrays, default=None
        A held-out test set: each model is refit on all of ``X`` and tested on
        it (accuracy, log loss, confusion matrix, McNemar's test).
    random_state : int, default=0
        Seed of the fold split.
    n_jobs : int, default=None
        Fits run in parallel processes (joblib); ``None`` means one at a time.
    out_dir : str or Path, default=None
        Folder for resumable per-fold results (see module docstring).
    monitor_validation : bool, default=True
        Evaluate each fold's held-out part (the test set for the refit) after
        every epoch, as the reference notebook's ``validation_data`` did, for
        the validation curves. It never influences training (unless the model
        uses early stopping) but its cost is part of the fit times.
    progress : bool, default=True
        Show a progress bar over folds and models.

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> from mnist_estimators import compare_models, make_cnn_pipeline, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> res = compare_models({"cnn": make_cnn_pipeline(epochs=1, random_state=0)},
    ...                      X[:300], y[:300], cv=2, progress=False)  # doctest: +SKIP
    >>> list(res.summary.index)  # doctest: +SKIP
    ['cnn']
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
    if not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an int >= 2, got {cv!r}.")
    splits = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, y))
    config = _config(models, X, y, X_test, y_test, cv, random_state, monitor_validation)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        _check_out_dir(out_dir, config)

    tasks = [(name, k, tr, te) for name in models for k, (tr, te) in enumerate(splits)]
    if X_test is not None:
        tasks += [(name, "test", None, None) for name in models]
    records, todo = [], []
    for task in tasks:
        path = None if out_dir is None else _record_path(out_dir, task[0], task[1])
        if path is not None and path.exists():
            records.append(json.loads(path.read_text()))
        else:
            todo.append(task)

    from tqdm.auto import tqdm

    bar = tqdm(
        total=len(tasks), initial=len(records), desc="compare", unit="fit", disable=not progress
    )
    try:
        if n_jobs in (None, 1) or len(todo) <= 1:
            for task in todo:
                bar.set_postfix_str(f"{task[0]} fold {task[1]}")
                records.append(
                    _run_task(task, X, y, X_test, y_test, models, monitor_validation, out_dir)
                )
                bar.update()
        else:
            from joblib import Parallel, delayed

            run = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
            for record in run(
                delayed(_run_task)(t, X, y, X_test, y_test, models, monitor_validation, out_dir)
                for t in todo
            ):
                records.append(record)
                bar.update()
    finally:
        bar.close()
    return ComparisonResult.from_records(
        records, list(models), config, X_test=X_test, y_test=y_test
    )


@dataclass
class ComparisonResult:
    """Everything :func:`compare_models` measured.

    Attributes
    ----------
    folds : DataFrame
        One row per model and fold: accuracy, log_loss, fit_time (s),
        predict_time (s), train/predict images per second, epochs.
    summary : DataFrame
        Per model: mean and std of each fold metric, n_params, and the test
        set's accuracy, log loss and fit time when there was one.
    histories : dict
        ``histories[model]`` is a list (one per fold) of per-epoch dicts
        (loss, accuracy, val_loss, val_accuracy, epoch_time).
    test : dict
        ``test[model]``: accuracy, log_loss, fit_time, confusion_matrix,
        predictions, history (empty without a test set).
    statistics : list of dict
        For each pair of models: the corrected t-test on fold accuracies, and
        McNemar's test on test predictions, each with a one-line verdict.
    config : dict
        What was compared (models' parameters, data fingerprints, cv).
    """

    folds: pd.DataFrame
    summary: pd.DataFrame
    histories: dict
    test: dict
    statistics: list
    config: dict
    X_test: np.ndarray | None = field(default=None, repr=False)
    y_test: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_records(cls, records, names, config, X_test=None, y_test=None) -> ComparisonResult:
        cv_records = sorted(
            (r for r in records if r["fold"] != "test"),
            key=lambda r: (names.index(r["model"]), r["fold"]),
        )
        test = {r["model"]: r for r in records if r["fold"] == "test"}
        folds = pd.DataFrame([{k: r[k] for k in ("model", "fold", *METRICS)} for r in cv_records])
        agg = folds.groupby("model", sort=False)[list(METRICS)].agg(["mean", "std"])
        agg.columns = [f"{m}_{s}" for m, s in agg.columns]
        agg = agg.reindex(names)
        agg["n_params"] = [
            next((r["n_params"] for r in cv_records if r["model"] == n), None) for n in names
        ]
        for n in names:
            if n in test:
                for k in ("accuracy", "log_loss", "fit_time"):
                    agg.loc[n, f"test_{k}"] = test[n][k]
        histories = {n: [r["history"] for r in cv_records if r["model"] == n] for n in names}
        statistics = []
        for a, b in combinations(names, 2):
            entry = {"model_a": a, "model_b": b}
            fa = folds[folds.model == a].set_index("fold")["accuracy"]
            fb = folds[folds.model == b].set_index("fold")["accuracy"]
            common = fa.index.intersection(fb.index)
            if len(common) >= 2:
                n_test = int(np.mean([r["n_test"] for r in cv_records if r["model"] == a]))
                n_train = int(np.mean([r["n_train"] for r in cv_records if r["model"] == a]))
                t = corrected_paired_ttest(fa[common], fb[common], n_train, n_test)
                entry["ttest"] = t.to_dict()
                entry["ttest_verdict"] = verdict(a.upper(), b.upper(), t)
            if a in test and b in test and y_test is not None:
                m = mcnemar_test(y_test, test[a]["predictions"], test[b]["predictions"])
                entry["mcnemar"] = m.to_dict()
                entry["mcnemar_verdict"] = verdict(a.upper(), b.upper(), m)
            statistics.append(entry)
        return cls(folds, agg, histories, test, statistics, config, X_test, y_test)

    @property
    def verdicts(self) -> list[str]:
        """The plain-language verdicts, McNemar's first when there is a test set."""
        out = []
        for s in self.statistics:
            out += [s[k] for k in ("mcnemar_verdict", "ttest_verdict") if k in s]
        return out

    def to_dict(self) -> dict:
        return {
            "config": self.config,
            "summary": json.loads(self.summary.to_json(orient="index")),
            "folds": json.loads(self.folds.to_json(orient="records")),
            "histories": self.histories,
            "test": {
                k: {kk: vv for kk, vv in v.items() if kk != "test_index"}
                for k, v in self.test.items()
            },
            "statistics": self.statistics,
        }

    def save(self, out_dir) -> dict:
        """Write report.md, results.csv, results.json and PNG figures to ``out_dir``.

        Returns
        -------
        dict
            Name -> path of every file written.
        """
        from .report import write_report

        return write_report(self, Path(out_dir))
