"""Files on disk: the package's one atomic-write helper, JSON, the output folder check.

Every file the package writes for a user (fold records, reports, downloads'
final rename) goes through :func:`atomic_write_bytes` or its text/JSON
wrappers: the content is written to a temporary file in the same folder and
renamed over the target, so a kill leaves either the old file or the new one,
never half of one.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = [
    "OutputFolderError",
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "json_default",
    "normalised",
    "prepare_output_folder",
    "read_json",
    "write_json",
]


class OutputFolderError(OSError):
    """The output folder cannot be created or written; nothing was trained yet."""


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed to ``path``.

    If the block raises, the temporary file is removed and ``path`` is left as
    it was. For streamed writes (downloads); :func:`atomic_write_bytes` is the
    one-call form.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def json_default(o):
    """JSON for numpy scalars and arrays; anything else as its ``repr``."""
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    return repr(o)


def write_json(path: Path, obj) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=1, default=json_default))


def read_json(path: Path):
    """Read a JSON file written by :func:`write_json`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def normalised(obj):
    """``obj`` as it reads back after :func:`write_json` (tuples become lists, ...)."""
    return json.loads(json.dumps(obj, default=json_default))


def prepare_output_folder(path) -> Path:
    """Create ``path`` (and parents) and prove that a file can be written there.

    Called before any training, so that a folder that cannot hold the results
    is refused while nothing has been computed yet.

    Raises
    ------
    OutputFolderError
        ``path`` is an existing file, or the folder cannot be created or
        written (permissions, read-only file system, ...).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputFolderError(
            f"the output path {path} is an existing file, not a folder: choose another --out."
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputFolderError(
            f"cannot write results into {path} ({reason}): choose a writable --out folder."
        ) from None
    return path
