"""Verified downloads into the cache: SHA-256 checked, progress bar, atomic."""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .._files import atomic_output
from .errors import DataFileError, DownloadError

__all__ = ["download_timeout", "download_verified", "sha256_of"]

_CHUNK = 1 << 16


def download_timeout() -> float:
    """Seconds to wait for the network (``MNIST_ESTIMATORS_DOWNLOAD_TIMEOUT``, default 10)."""
    return float(os.environ.get("MNIST_ESTIMATORS_DOWNLOAD_TIMEOUT", "10"))


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_verified(url: str, dest: Path, sha256: str, *, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` if its SHA-256 is ``sha256``.

    The bytes go to a temporary file beside ``dest`` and are renamed only once
    verified (:func:`mnist_estimators._files.atomic_output`), so an
    interrupted or corrupt download never sits in the cache as ``dest``.

    Raises
    ------
    DownloadError
        The network failed or timed out.
    DataFileError
        The downloaded bytes do not have the expected checksum.
    """
    digest = hashlib.sha256()
    with atomic_output(dest) as part:
        try:
            response = urllib.request.urlopen(url, timeout=download_timeout())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DownloadError(f"could not download {url}: {exc}") from exc
        with response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _progress_bar(total, dest.name, progress)
            try:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            except OSError as exc:
                raise DownloadError(f"download of {url} broke off: {exc}") from exc
            finally:
                bar.close()
        if digest.hexdigest() != sha256:
            raise DataFileError(
                f"{url}: checksum mismatch (SHA-256 {digest.hexdigest()}, expected {sha256}); "
                "the download is corrupt and was not kept."
            )
    return dest


def _progress_bar(total, name, enabled):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=f"Downloading {name}",
        unit="B",
        unit_scale=True,
        disable=not enabled,
        file=sys.stderr,
    )
