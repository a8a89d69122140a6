"""The evaluation wing's errors, importable without TensorFlow (the command line's exit codes)."""

from __future__ import annotations

__all__ = [
    "BackendMismatchError",
    "ComparisonConfigError",
    "DaskUnavailableError",
    "FoldsError",
    "RunNotFoundError",
    "SchedulerUnreachableError",
]


class ComparisonConfigError(ValueError):
    """``out_dir`` holds results from a different comparison."""


class FoldsError(ValueError):
    """The training data cannot fill the folds, or miss a class of the test data."""


class DaskUnavailableError(ImportError):
    """``scheduler=`` was given but Dask's ``distributed`` is not installed."""


class SchedulerUnreachableError(ConnectionError):
    """No Dask scheduler answered at the given address."""


class BackendMismatchError(RuntimeError):
    """A worker process runs Keras on another backend than the process that sent it work."""


class RunNotFoundError(FileNotFoundError):
    """The path holds no finished run of the package (no run file)."""
