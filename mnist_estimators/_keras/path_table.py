"""The table of measured paths: read and written without importing Keras or a backend.

:mod:`.paths` chooses the LSTM's computation from it; the command line reads from it,
before TensorFlow starts, whether this machine runs faster with TensorFlow's oneDNN
kernels on or off (:func:`onednn_choice`). One file is committed with the package
(:data:`COMMITTED_TABLE`); ``MNIST_ESTIMATORS_LSTM_PATHS`` names a user's own, read first.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .._environment import cpu_flags, tensorflow_onednn
from .backends import BACKENDS, configured_backend

__all__ = [
    "COMMITTED_TABLE",
    "TABLE_VARIABLE",
    "machine_key",
    "onednn_choice",
    "read_tables",
    "write_entry",
]

#: The table measured on the project's machines, shipped with the package.
COMMITTED_TABLE = Path(__file__).with_name("lstm_paths.json")
#: The environment variable naming a table of the user's own, read first.
TABLE_VARIABLE = "MNIST_ESTIMATORS_LSTM_PATHS"


def _minor(package: str) -> str:
    try:
        return ".".join(version(package).split(".")[:2])
    except PackageNotFoundError:
        return "-"


def machine_key() -> dict:
    """What the fastest path depends on: SIMD level, backend, versions, oneDNN.

    Examples
    --------
    >>> sorted(machine_key())
    ['backend', 'backend_version', 'keras', 'onednn', 'simd']
    """
    backend = configured_backend()
    onednn = None
    if backend == "tensorflow":
        onednn = "on" if tensorflow_onednn().startswith("oneDNN on") else "off"
    package = BACKENDS[backend].package if backend in BACKENDS else backend
    return {
        "simd": cpu_flags(),
        "backend": backend,
        "backend_version": _minor(package),
        "keras": _minor("keras"),
        "onednn": onednn,
    }


def read_tables() -> list[tuple[str, list]]:
    """``(source, entries)`` of the user's table (if named) and the committed one, in order."""
    out = []
    paths = [os.environ.get(TABLE_VARIABLE), str(COMMITTED_TABLE)]
    for path in filter(None, paths):
        try:
            entries = json.loads(Path(path).read_text(encoding="utf-8")).get("entries", [])
        except (OSError, ValueError) as exc:
            if path == str(COMMITTED_TABLE):
                entries = []
            else:
                raise ValueError(
                    f"{TABLE_VARIABLE}={path} does not hold a table of LSTM paths ({exc}). "
                    "Write one with `mnist-estimators measure-paths --out FILE`, or unset it."
                ) from None
        out.append((path, entries))
    return out


def write_entry(table, entry: dict) -> Path:
    """Add ``entry`` to the table file ``table``, replacing one of the same kind and key.

    Parameters
    ----------
    table : str or Path
        The JSON file (created if missing).
    entry : dict
        ``{"key": machine_key(), "path": ..., "rates": {...}, ...}`` for an LSTM path, or
        ``{"kind": "onednn", "key": {...}, "onednn": "on" | "off", ...}``.
    """
    table = Path(table)
    entries = []
    if table.exists():
        entries = json.loads(table.read_text(encoding="utf-8")).get("entries", [])

    def same(e):
        return e.get("kind") == entry.get("kind") and e.get("key") == entry["key"]

    entries = [e for e in entries if not same(e)] + [entry]
    entries.sort(key=lambda e: (e.get("kind", ""), json.dumps(e["key"], sort_keys=True)))
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text(json.dumps({"entries": entries}, indent=1) + "\n", encoding="utf-8")
    return table


def onednn_choice() -> tuple[str, str] | None:
    """TensorFlow's oneDNN state that trains the main job fastest here, if measured.

    ``("on" | "off", source)`` from the first table with a ``"onednn"`` entry for this
    machine's SIMD level and TensorFlow and Keras versions; None where none has one, or
    on another backend. The command line sets ``TF_ENABLE_ONEDNN_OPTS`` from it when the
    variable is unset, before TensorFlow starts, in its own process; its workers inherit
    it, so a run with one process and a run with several use the same kernels and give
    the same numbers.
    """
    key = {k: v for k, v in machine_key().items() if k != "onednn"}
    if key["backend"] != "tensorflow":
        return None
    for source, entries in read_tables():
        for entry in entries:
            if entry.get("kind") == "onednn" and entry.get("key") == key:
                where = "committed table" if source == str(COMMITTED_TABLE) else source
                return entry["onednn"], f"measured ({where}, {entry.get('measured', '?')})"
    return None
