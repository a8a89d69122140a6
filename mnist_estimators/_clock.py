"""The one clock used for every timing in the package.

Tests replace :func:`now` to check timing logic deterministically.
"""

from __future__ import annotations

import time

__all__ = ["now"]


def now() -> float:
    """Seconds from a monotonic high-resolution clock."""
    return time.perf_counter()
