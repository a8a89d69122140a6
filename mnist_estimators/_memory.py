"""Memory helpers: arrays TensorFlow can take in one copy, and freed heap given back.

* :func:`aligned_empty`: NumPy aligns its arrays to 16 bytes; TensorFlow wants 64
  (``EIGEN_MAX_ALIGN_BYTES`` with AVX-512) and converts a less aligned array through a
  temporary aligned copy: 314 MB of transient memory for the 150 MB of a fold's scaled
  images, against 151 MB for an aligned array (measured, TensorFlow 2.21).
* :func:`release_freed_memory`: glibc keeps freed heap pages in its arenas; after a
  task, a worker process of the package gives them back to the system.
* :func:`unpin_mmap_threshold`: TensorFlow's generator dataset op pins glibc's mmap
  threshold at 128 KiB on Python 3.11, so every larger allocation (a batch, most
  tensors) became a fresh ``mmap`` with its pages faulted in, and was unmapped when
  freed; the threshold is put back to glibc's own ceiling.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

import numpy as np

__all__ = [
    "ALIGNMENT",
    "MMAP_THRESHOLD",
    "TRIM_THRESHOLD",
    "aligned_empty",
    "release_freed_memory",
    "unpin_mmap_threshold",
]

#: Bytes of alignment of the arrays handed to the backend (a cache line; AVX-512's width).
ALIGNMENT = 64


def aligned_empty(shape, dtype, alignment: int = ALIGNMENT) -> np.ndarray:
    """An uninitialised C-contiguous array whose data start at a multiple of ``alignment``.

    Examples
    --------
    >>> a = aligned_empty((3, 5), np.float32)
    >>> a.ctypes.data % 64, a.shape, a.dtype.name, a.flags.c_contiguous
    (0, (3, 5), 'float32', True)
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + alignment, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    return raw[start : start + nbytes].view(dtype).reshape(shape)


#: glibc's ``mallopt`` parameters (malloc.h) and the ceiling of its own dynamic mmap
#: threshold on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``, 32 MiB).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap above which glibc gives it back at once.
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD


@functools.cache
def _libc_function(name: str):
    """glibc's function ``name``, or None where there is no glibc (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def unpin_mmap_threshold() -> bool:
    """Undo what TensorFlow's generator dataset op does to glibc's allocator.

    Each time TensorFlow constructs that op (``tf.data.Dataset.from_generator``, which
    the package's TensorFlow batches come from), it calls ``mallopt(M_MMAP_THRESHOLD,
    131072)`` (``ApplyPython311MemoryPatch``, seen in a debugger with TensorFlow 2.21 on
    Python 3.11). A fixed threshold also turns off glibc's own adjustment of it, so from
    then on every allocation above 128 KiB (a batch sliced from the images, the
    network's activations where TensorFlow's allocator is glibc's) was a fresh ``mmap``,
    its pages faulted in and zeroed, then unmapped when freed. With oneDNN off, a fit of
    the CNN (32,000 images, 2 epochs, one thread) took 10 million page faults and
    trained 1.75x slower than with the threshold put back (measured,
    ``benchmarks/bench_mmap_threshold.py``).

    This sets the threshold to 32 MiB, the ceiling glibc's own adjustment rises to, and
    the trim threshold to twice that, as glibc's adjustment pairs them. Returns False
    where there is no glibc.

    Examples
    --------
    >>> import sys
    >>> unpin_mmap_threshold() == sys.platform.startswith("linux")
    True
    """
    mallopt = _libc_function("mallopt")
    if mallopt is None:
        return False
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return True


def release_freed_memory() -> bool:
    """Give the heap pages freed so far back to the system (glibc's ``malloc_trim``).

    For the package's own worker processes, between tasks: a task frees hundreds of
    MB of images and buffers that glibc would otherwise keep in its arenas for the
    next one. Returns False where there is no glibc (macOS, Windows, musl).
    """
    trim = _libc_function("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True
