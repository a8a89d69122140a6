"""A finished run's folder: the file that names it, loading it back, packing it.

A comparison (:func:`~mnist_estimators.compare_models`) or an explanation
(:func:`~mnist_estimators.explain`) with an output folder leaves there its per-task
records (``folds/``, or ``refits/``, ``learning/`` and ``parallel/``) and, when it
ends, one run file (:data:`RUN_FILES`): the models' names, the whole configuration
(the analysis plan and the setup included) and the test labels. From these alone,
:func:`load_run` rebuilds the :class:`~.result.ComparisonResult` or
:class:`~.explanation.Explanation`, and with it every table and verdict of the report
(``mnist-estimators report RUN``). :func:`pack_run` writes the records and the run
file into one compressed archive (what docs/reports/ keeps beside each report), which
:func:`load_run` reads as it reads a folder.
"""

from __future__ import annotations

import io
import tarfile
from itertools import combinations
from pathlib import Path

import numpy as np

from .._files import read_json, write_json
from .errors import RunNotFoundError
from .explanation import Explanation
from .result import ComparisonResult

__all__ = ["RUN_FILES", "RunNotFoundError", "load_run", "pack_run", "write_run_file"]

#: The run file of each kind of run.
RUN_FILES = {"compare": "compare.json", "explain": "explain.json"}
#: The record folders of each kind of run.
PARTS = {"compare": ("",), "explain": ("refits", "learning", "parallel")}


def write_run_file(out_dir, kind: str, names: list, config: dict, y_test) -> Path:
    """Write ``kind``'s run file into ``out_dir`` (see the module docstring)."""
    path = Path(out_dir) / RUN_FILES[kind]
    y_test = None if y_test is None else np.asarray(y_test).tolist()
    return write_json(
        path, {"kind": kind, "names": list(names), "config": config, "y_test": y_test}
    )


class _Source:
    """The JSON files of a run, from a folder or a tar archive, by relative path."""

    def __init__(self, path):
        self.path = Path(path)
        if self.path.is_dir():
            self.files = {p.relative_to(self.path).as_posix(): p for p in self.path.rglob("*.json")}
            self._tar = None
        elif self.path.is_file() and tarfile.is_tarfile(self.path):
            self._tar = tarfile.open(self.path)
            self.files = {
                _strip(m.name): m
                for m in self._tar.getmembers()
                if m.isfile() and m.name.endswith(".json")
            }
        else:
            raise RunNotFoundError(
                f"{self.path} is neither a run's output folder nor a tar archive of one."
            )

    def read(self, name: str):
        where = self.files[name]
        if self._tar is None:
            return read_json(where)
        import json

        return json.load(io.TextIOWrapper(self._tar.extractfile(where), encoding="utf-8"))


def _strip(name: str) -> str:
    """An archive member's path without the archive's top folder."""
    parts = Path(name).parts
    return Path(*parts[1:]).as_posix() if len(parts) > 1 else name


def load_run(path) -> ComparisonResult | Explanation:
    """Rebuild a finished run from its records and run file (a folder or a tar archive).

    Raises
    ------
    RunNotFoundError
        ``path`` holds no run file: the run did not finish, or it is no run of the
        package.

    Examples
    --------
    >>> load_run("/nonexistent")
    Traceback (most recent call last):
    ...
    mnist_estimators.evaluation.errors.RunNotFoundError: /nonexistent is neither a run's output folder nor a tar archive of one.
    """
    source = _Source(path)
    kind = next((k for k, f in RUN_FILES.items() if f in source.files), None)
    if kind is None:
        raise RunNotFoundError(
            f"{path} holds no {' or '.join(RUN_FILES.values())}: the run has not finished "
            "(run the same command again to finish it), or it is not a run of mnist-estimators."
        )
    run = source.read(RUN_FILES[kind])
    records: dict[str, list] = {}
    for part in PARTS[kind]:
        prefix = f"{part}/folds/" if part else "folds/"
        names = sorted(n for n in source.files if n.startswith(prefix))
        records[part] = [source.read(n) for n in names]
    y_test = None if run["y_test"] is None else np.asarray(run["y_test"])
    if kind == "explain":
        return Explanation.from_records(records, run["names"], y_test, run["config"])
    loaded = records[""]
    for record in loaded:  # written by version 0.1: the refit was fold "test"
        if record.get("fold") == "test":
            record["fold"] = None
    return ComparisonResult.from_records(
        loaded, run["names"], run["config"], pairs=list(combinations(run["names"], 2)),
        y_test=y_test,
    )  # fmt: skip


def pack_run(run_dir, archive) -> Path:
    """Write a finished run's run file and records into one ``.tar.xz`` archive.

    Parameters
    ----------
    run_dir : str or Path
        The run's output folder.
    archive : str or Path
        The archive to write (its top folder is named after it).

    Returns
    -------
    Path
        The archive.
    """
    run_dir, archive = Path(run_dir), Path(archive)
    kind = next((k for k, f in RUN_FILES.items() if (run_dir / f).is_file()), None)
    if kind is None:
        raise RunNotFoundError(f"{run_dir} holds no finished run (no run file).")
    top = archive.name.split(".")[0]
    files = [run_dir / RUN_FILES[kind]]
    for part in PARTS[kind]:
        folder = run_dir / part
        files += [folder / "config.json", *sorted((folder / "folds").glob("*.json"))]
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:xz", preset=9) as tar:
        for file in files:
            info = tar.gettarinfo(file, arcname=f"{top}/{file.relative_to(run_dir).as_posix()}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with open(file, "rb") as f:
                tar.addfile(info, f)
    return archive
