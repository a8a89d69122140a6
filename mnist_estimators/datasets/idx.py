"""Reading the IDX format of MNIST and Fashion-MNIST (gzip-compressed or raw).

The format: two zero bytes, a type code, the number of dimensions, then each
dimension as a big-endian uint32, then the values. Every part is checked, and
the array is read straight into its final NumPy buffer (no intermediate copy).
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .errors import DataFileError

__all__ = ["IDX_TYPES", "read_idx", "read_idx_header"]

#: Bytes per read: gzip's readinto decompresses into a temporary bytes object
#: of the requested size, so one whole-file read would double peak memory.
_READ_CHUNK = 1 << 20

IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_CORRUPT = (OSError, EOFError, zlib.error)


def _open(path: Path) -> BinaryIO:
    with open(path, "rb") as raw:
        head = raw.read(2)
    if head == _GZIP_MAGIC:
        return gzip.open(path, "rb")
    if path.suffix == ".gz":
        raise DataFileError(
            f"{path}: named .gz but is not a gzip file. Delete it and fetch it again."
        )
    return open(path, "rb")


def _read_exact(f: BinaryIO, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise DataFileError(
            f"{path}: truncated: the file ends inside the {what} "
            f"({len(data)} of {n} bytes). Delete it and fetch it again."
        )
    return data


def _header(f: BinaryIO, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = _read_exact(f, 4, path, "IDX header")
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in IDX_TYPES or magic[3] == 0:
        raise DataFileError(
            f"{path}: not an IDX file (magic bytes {magic.hex()}; expected 0000 followed by a "
            "type code and a dimension count, e.g. 00000803 for images, 00000801 for labels)."
        )
    ndim = magic[3]
    dims = np.frombuffer(_read_exact(f, 4 * ndim, path, "IDX dimensions"), dtype=">u4")
    return IDX_TYPES[magic[2]], tuple(int(d) for d in dims)


def read_idx_header(path: str | Path) -> tuple[np.dtype, tuple[int, ...]]:
    """Return ``(dtype, shape)`` from an IDX file's header without reading the data.

    Parameters
    ----------
    path : str or Path
        An IDX file, gzip-compressed or raw.

    Returns
    -------
    dtype : numpy.dtype
    shape : tuple of int
    """
    path = Path(path)
    try:
        with _open(path) as f:
            return _header(f, path)
    except _CORRUPT as exc:
        raise DataFileError(f"{path}: unreadable ({exc}). Delete it and fetch it again.") from exc


def read_idx(
    path: str | Path, *, ndim: int | None = None, out: np.ndarray | None = None
) -> np.ndarray:
    """Read a whole IDX file into a NumPy array.

    Parameters
    ----------
    path : str or Path
        An IDX file, gzip-compressed or raw.
    ndim : int, optional
        Expected number of dimensions (3 for images, 1 for labels).
    out : ndarray, optional
        A C-contiguous array of exactly the file's shape and type to read
        into (a slice of a larger buffer, say), so that no copy is made.

    Returns
    -------
    ndarray
        Of the file's type (uint8 for MNIST) and shape, native byte order.

    Raises
    ------
    DataFileError
        Bad magic number, wrong dimensions, truncated or over-long data,
        corrupt gzip stream. The message names the file.

    Examples
    --------
    >>> import gzip, tempfile, pathlib
    >>> import numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte.gz"
    >>> p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])))
    31
    >>> read_idx(p)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    try:
        with _open(path) as f:
            dtype, shape = _header(f, path)
            if ndim is not None and len(shape) != ndim:
                raise DataFileError(
                    f"{path}: has {len(shape)} dimensions {shape}, expected {ndim} "
                    f"({'images: count, rows, columns' if ndim == 3 else 'labels: count'})."
                )
            if out is None:
                out = np.empty(shape, dtype=dtype)
            elif out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
                raise DataFileError(
                    f"{path}: holds {dtype} values of shape {shape}, but the buffer to read "
                    f"into is {out.dtype} {out.shape}: the file changed while being read."
                )
            buffer = memoryview(out.reshape(-1)).cast("B")
            filled = 0
            while filled < len(buffer):
                n = f.readinto(buffer[filled : filled + _READ_CHUNK])
                if not n:
                    break
                filled += n
            if filled != len(buffer):
                raise DataFileError(
                    f"{path}: truncated: the header promises {math.prod(shape)} values of "
                    f"shape {shape} ({len(buffer)} bytes) but the file holds {filled}. "
                    "Delete it and fetch it again."
                )
            if f.read(1):
                raise DataFileError(
                    f"{path}: longer than its header says (shape {shape}): corrupt or not an "
                    "IDX file. Delete it and fetch it again."
                )
    except _CORRUPT as exc:
        raise DataFileError(
            f"{path}: corrupt ({type(exc).__name__}: {exc}). Delete it and fetch it again."
        ) from exc
    if not dtype.isnative:
        out = out.astype(dtype.newbyteorder("="))
    return out
