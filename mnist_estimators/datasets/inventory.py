"""What data sets are available on this machine, without loading or downloading."""

from __future__ import annotations

import numpy as np

from .errors import DataFileError
from .identity import identify
from .sources import DATASETS, find_local_source

__all__ = ["describe_datasets"]


def describe_datasets(data_dir=None) -> list[dict]:
    """One row per data set: where it was found, sample counts, completeness.

    Reads file headers only; never downloads.

    Parameters
    ----------
    data_dir : str or Path, default=None
        Look only here (as the loaders' ``data_dir``).

    Returns
    -------
    list of dict
        Keys ``name``, ``found``, ``origin``, ``location``, ``train``, ``test``,
        ``complete``, ``note``.

    Examples
    --------
    >>> from mnist_estimators.datasets import describe_datasets
    >>> [row["name"] for row in describe_datasets()]
    ['mnist', 'fashion-mnist', 'digits']
    """
    rows = []
    for spec in DATASETS.values():
        source, searched = find_local_source(spec, data_dir)
        row = {
            "name": spec.name,
            "found": source is not None,
            "origin": None,
            "location": None,
            "train": None,
            "test": None,
            "complete": False,
            "note": "",
        }
        if source is None:
            row["note"] = (
                "not found locally (would download on first load); searched: " + "; ".join(searched)
            )
        else:
            row.update(origin=source.origin, location=str(source.path))
            try:
                counts = source.counts()
            except DataFileError as exc:
                row["note"] = f"unreadable: {exc}"
            else:
                row.update(counts)
                row["complete"] = all(counts[s] == spec.n_official[s] for s in counts)
                others = {
                    identify(spec.name, s, np.empty(0), source.labels(s))
                    for s in counts
                    if counts[s] == spec.n_official[s]
                } - {None}
                if others:
                    row.update(found=False, complete=False)
                    row["note"] = (
                        f"{source.path} holds {', '.join(sorted(others))}, not {spec.name} "
                        "(label counts of the official splits)"
                    )
                    rows.append(row)
                    continue
                if not row["complete"]:
                    row["note"] = "partial: " + ", ".join(
                        f"{s} {counts[s]:,} of {spec.n_official[s]:,}" for s in counts
                    )
        rows.append(row)
    rows.append(
        {
            "name": "digits",
            "found": True,
            "origin": "embedded",
            "location": "sklearn.datasets.load_digits",
            "train": 1437,
            "test": 360,
            "complete": True,
            "note": "8x8, always available",
        }
    )
    return rows
