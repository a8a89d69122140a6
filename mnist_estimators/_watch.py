"""A worker process that ends with the process that started it.

Imports nothing beyond the standard library, so that a worker can start its watch
before it imports anything heavy (loky's ``initializer``).
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["PARENT_POLL_S", "watch_parent"]

#: Seconds between two looks of a worker process at its parent (:func:`watch_parent`).
PARENT_POLL_S = 1.0
_WATCHING: list[int] = []


def watch_parent(parent: int) -> bool:
    """End this worker process within :data:`PARENT_POLL_S` seconds of ``parent``'s death.

    Started once per process, as the worker starts (loky's ``initializer``, for the
    worker beside the command line's own process) or by the first task that runs in a
    direct child of the process that sent it (a loky worker, a process of
    ``run_with_threads``, a worker of a Dask ``LocalCluster`` the package started): a
    daemon thread compares
    ``os.getppid()`` with ``parent`` every second, and ends the process
    (``os._exit``) when the parent is gone, a ``SIGKILL`` included. So a killed
    comparison leaves no worker training on for minutes beside its resumed run
    (two loky workers ran on for 6-12 minutes, measured before). It works on every
    POSIX system, where an orphan is given a new parent; ``prctl(PR_SET_PDEATHSIG)``
    would be Linux only, and fires when the *thread* that started the worker ends.
    A worker whose parent is another process (a Dask cluster's own worker, whose
    parent is its nanny) is left alone: that cluster is not the package's.

    Returns
    -------
    bool
        Whether this process watches ``parent`` (now or already).
    """
    if _WATCHING:
        return _WATCHING[0] == parent
    if os.name != "posix" or os.getppid() != parent:
        return False
    _WATCHING.append(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(70)  # EX_SOFTWARE: the run this worker served is gone

    threading.Thread(target=watch, name="mnist-estimators-parent-watch", daemon=True).start()
    return True
