"""Where finished work is kept: a configuration fingerprint and one file per fold.

A comparison or a search writes each finished fold (and each refit) to
``out_dir/folds/`` at once, atomically (:mod:`mnist_estimators._files`), so a kill
or Ctrl-C loses at most the folds in progress, and the same call with the same
folder skips the finished work. ``out_dir/config.json`` fingerprints what is
being run (the models' parameters, the data, the folds); a folder that holds a
different configuration is refused, never mixed.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from .._files import atomic_write_bytes, normalised, prepare_output_folder, read_json, write_json
from .._keras.runtime import BACKEND
from .errors import ComparisonConfigError
from .folds import MODEL_FILE_KEY, Task

__all__ = ["ComparisonConfigError", "RecordStore", "digest", "record_file_name", "run_config"]

CONFIG_FILE = "config.json"
FOLD_DIR = "folds"
MODEL_DIR = "models"


def digest(*arrays) -> str:
    """A short fingerprint of arrays' shapes, dtypes and bytes (None allowed).

    Examples
    --------
    >>> digest(np.zeros(3)) == digest(np.zeros(3)) != digest(np.ones(3))
    True
    """
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
    return h.hexdigest()[:16]


def record_file_name(task: Task) -> str:
    """The file name of a task's record: the one rule, for every entry point.

    A model's name is data (any text a user gives: ``"My CNN / v2"``, an import
    path); its file name is a slug of it, for people, plus the first 8 hex digits of
    its SHA-256, so that two names never share a file.

    Examples
    --------
    >>> record_file_name(Task("CNN", 0, 3))
    'CNN-1f3d47da__seed0__fold3.json'
    >>> record_file_name(Task("My CNN / v2", 1))
    'My-CNN-v2-5f590e05__seed1__test.json'
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", task.model).strip("-.")[:40] or "model"
    digest = hashlib.sha256(task.model.encode()).hexdigest()[:8]
    part = "test" if task.is_refit else f"fold{task.fold}"
    return f"{slug}-{digest}__seed{task.seed}__{part}.json"


def _model_description(model) -> dict:
    """The model's parameters, minus the seeds the runner sets itself."""
    out = {}
    for k, v in sorted(model.get_params(deep=True).items()):
        if k.endswith("random_state") or ("__" not in k and hasattr(v, "get_params")):
            continue
        out[k] = v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)
    return out


def _cv_description(cv) -> object:
    return int(cv) if isinstance(cv, (int, np.integer)) else repr(cv)


def run_config(models: dict, X, y, X_test, y_test, cv, monitor: bool) -> dict:
    """What a run computes, as the JSON-able dict that ``config.json`` holds."""
    return {
        "models": {name: _model_description(m) for name, m in models.items()},
        "data": digest(X, y),
        "test_data": digest(X_test, y_test),
        "n_train": len(y),
        "n_test": None if y_test is None else len(y_test),
        "cv": _cv_description(cv),
        "monitor_validation": bool(monitor),
        "backend": BACKEND.name,
    }


class RecordStore:
    """The finished records of one run, in ``out_dir`` (or nowhere, when it is None).

    Creating it creates the folder, checks that it is writable, and writes or
    checks ``config.json``, all before any training.

    Parameters
    ----------
    out_dir : str, Path or None
        The folder; None keeps nothing (every task runs).
    config : dict
        From :func:`run_config`.
    test_data : str, default=None
        The test set's :func:`digest`, when ``config`` does not hold it (a search's
        does not, as in version 0.1): each refit record is stamped with it, and a
        record of another test set counts as not finished.

    Raises
    ------
    mnist_estimators._files.OutputFolderError
        The folder cannot be created or written.
    ComparisonConfigError
        The folder holds another configuration's results.
    """

    def __init__(
        self, out_dir, config: dict, *, test_data: str | None = None, keep_models: bool = False
    ):
        self.test_data = test_data
        self.keep_models = keep_models
        if keep_models and out_dir is None:
            raise ValueError("Saving the refit models needs an output folder (out_dir).")
        self.out_dir = None if out_dir is None else prepare_output_folder(out_dir)
        if self.out_dir is not None:
            self._check_config(config)

    def _check_config(self, config: dict) -> None:
        path = self.out_dir / CONFIG_FILE
        if not path.exists():
            write_json(path, config)
            return
        # Folders written before the package knew backends (0.1, early 0.2) were TensorFlow's.
        stored, wanted = {"backend": "tensorflow", **read_json(path)}, normalised(config)
        if stored.get("backend") != wanted.get("backend"):
            raise ComparisonConfigError(
                f"{self.out_dir} holds results trained on the Keras backend "
                f"{stored.get('backend')!r}, and this process runs {wanted.get('backend')!r}. "
                f"Resume with KERAS_BACKEND={stored.get('backend')} (--backend "
                f"{stored.get('backend')}), or use a new output folder."
            )
        if stored != wanted:
            diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
            raise ComparisonConfigError(
                f"{self.out_dir} holds results of a different comparison (differs in: "
                f"{', '.join(diff)}). Use a new output folder, or delete {self.out_dir} to "
                "start over."
            )

    def path(self, task: Task) -> Path | None:
        """The file of ``task``'s record (None without a folder): :func:`record_file_name`."""
        if self.out_dir is None:
            return None
        return self.out_dir / FOLD_DIR / record_file_name(task)

    def model_path(self, task: Task) -> Path | None:
        """The model file of a refit task (``models/``, named as its record)."""
        if self.out_dir is None or not task.is_refit:
            return None
        return self.out_dir / MODEL_DIR / record_file_name(task).replace(".json", ".mnist.zip")

    def _legacy_path(self, task: Task) -> Path | None:
        """Where version 0.2 wrote ``task``'s record: the model's name verbatim."""
        part = "test" if task.is_refit else f"fold{task.fold}"
        name = f"{task.model}__seed{task.seed}__{part}.json"
        return None if "/" in task.model else self.out_dir / FOLD_DIR / name

    def load(self, task: Task) -> dict | None:
        """``task``'s finished record, or None when it has not run yet."""
        path = self.path(task)
        if path is None:
            return None
        if not path.exists():  # a folder of version 0.2 resumes from its own file names
            path = self._legacy_path(task)
        if path is None or not path.exists():
            return self._search_refit_of_version_0_1(task)
        if self.keep_models and task.is_refit and not self.model_path(task).exists():
            return None  # finished before its model was asked for: refit it again
        record = read_json(path)
        if record.get("fold") == "test":  # written by version 0.1: the refit was fold "test"
            record["fold"] = None
        if (
            task.is_refit
            and self.test_data
            and record.get("test_data", self.test_data) != (self.test_data)
        ):
            return None  # tested on other data: not this run's
        return record

    def _search_refit_of_version_0_1(self, task: Task) -> dict | None:
        """Version 0.1's grid search kept its refit and test in ``refit.json``."""
        old = self.out_dir / "refit.json"
        if not (task.is_refit and old.exists()):
            return None
        stored = read_json(old)
        if stored.get("chosen") != task.model:
            return None
        return {"model": task.model, "seed": task.seed, "fold": None, **stored["test"]}

    def save(self, task: Task, record: dict) -> dict:
        """Write ``task``'s record at once, atomically (nothing without a folder).

        Returns the record as it will load again (a refit's names its test set).
        """
        model_file = record.get(MODEL_FILE_KEY)
        record = {k: v for k, v in record.items() if k != MODEL_FILE_KEY}
        if model_file is not None and self.out_dir is not None:  # first: a record's model exists
            self.model_path(task).parent.mkdir(exist_ok=True)
            atomic_write_bytes(self.model_path(task), model_file)
        if task.is_refit and self.test_data:
            record = {**record, "test_data": self.test_data}
        path = self.path(task)
        if path is not None:
            write_json(path, record)
        return record
