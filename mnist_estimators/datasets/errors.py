"""Exceptions and warnings of the data loaders."""

from __future__ import annotations

__all__ = ["DataFileError", "DatasetNotFoundError", "DownloadError", "IncompleteDatasetWarning"]


class DataFileError(ValueError):
    """A data file exists but is corrupt, truncated or inconsistent."""


class DatasetNotFoundError(FileNotFoundError):
    """No source of a data set was found and none could be downloaded."""


class DownloadError(OSError):
    """A download failed (no network, timeout, HTTP error)."""


class IncompleteDatasetWarning(UserWarning):
    """A split has fewer samples than the official data set."""
