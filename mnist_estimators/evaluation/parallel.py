"""Where the folds run: this process, joblib's local processes, or a Dask cluster.

One module owns parallel execution for :func:`~mnist_estimators.compare_models`
and :func:`~mnist_estimators.evaluation.search.grid_search`:

* ``n_jobs`` runs folds in joblib's default ``loky`` processes (or whatever
  backend the caller activated with :func:`joblib.parallel_config`, for example
  ``backend="dask"``);
* ``scheduler=`` runs them on a Dask cluster through joblib's ``dask`` backend:
  an address (``"tcp://host:8786"``), a :class:`distributed.Client`, or
  ``"local"`` for a :class:`distributed.LocalCluster` sized to this machine (one
  single-threaded worker process per core). The training data are scattered to
  the workers once, not pickled again with every task.

Each task carries what its worker must run under, as scikit-learn's
``sklearn.utils.parallel`` does (its ``_FuncWrapper``): scikit-learn's
configuration (and the caller's warning filters, with a scikit-learn that sends
them, as 1.9 does), and here also the backend's
threads the worker may use (its share of the cores for ``loky``, a Dask worker's
own ``nthreads``), its share of a GPU's memory when workers share one, and the
Keras backend it must run (a worker on another one refuses the task). The worker
applies them before the backend's runtime starts,
so parallel fits never oversubscribe the cores; nothing travels through
environment variables, and the caller's process state is left alone.

Results always come back to the calling process, which writes the resumable
per-fold records there: ``out_dir`` needs to exist only where the client runs,
never on the workers.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait

from joblib import parallel_config
from joblib.externals.loky import ProcessPoolExecutor, get_reusable_executor
from sklearn import config_context, get_config
from sklearn.utils.parallel import Parallel, delayed

from .._keras.runtime import (
    BACKEND,
    configure_threads,
    configure_worker,
    gpu_count,
    start,
    trains_as_a_worker,
)
from .._keras.runtime import own_process as _own_process
from .._memory import release_freed_memory
from .._watch import watch_parent
from .errors import BackendMismatchError, DaskUnavailableError, SchedulerUnreachableError

__all__ = [
    "BackendMismatchError",
    "DaskUnavailableError",
    "SchedulerUnreachableError",
    "check_dask_available",
    "configure_tensorflow_threads",
    "dask_client",
    "default_n_jobs",
    "resolve_n_jobs",
    "run_tasks",
    "run_with_threads",
    "usable_cores",
    "worker_gpu_share",
    "worker_threads",
]

#: Give the backend ``threads`` CPU threads in this process (before its runtime
#: starts; False when too late). The Keras runtime owns it; the old name stays.
configure_tensorflow_threads = configure_threads

#: Memory of a GPU that worker processes sharing it may take in all (each its share).
GPU_MEMORY_FOR_WORKERS = 0.9

#: Seconds to wait for a scheduler before giving up (``$MNIST_ESTIMATORS_DASK_TIMEOUT``).
CONNECT_TIMEOUT = 10.0

#: Memory budgeted for one worker process beside its data: Python, TensorFlow's runtime,
#: one network with its optimizer state and traced graphs.
WORKER_BASE_BYTES = 1_000_000_000

#: Memory budgeted per byte of raw (uint8) pixels: the data and what a fit makes of them
#: (the fold's slice, the held-out images in float32 while they are scored, and on PyTorch
#: a float32 copy of the training images). Set when a fit held three float32 copies; with
#: batches scaled as they are read, the main job's largest process peaked at 1.60 GB RSS
#: (AVX-512 machine, 2026-12-04) within the 1.66 GB budgeted.
WORKER_BYTES_PER_PIXEL_BYTE = 12


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, else all of them)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def default_n_jobs(
    data_bytes: int, *, memory_bytes: int | None = None, gpus: int | None = None
) -> int:
    """Worker processes for a comparison: one single-threaded process per core,
    no more than three quarters of the memory holds; one process when a GPU is visible.

    On this project's 2-core machines, two processes of one TensorFlow thread each
    ran a comparison 1.26x faster than one process with two threads
    (``benchmarks/bench_parallel.py``, docs/results.md).

    Parameters
    ----------
    data_bytes : int
        Size of the raw images every worker receives (``X.nbytes`` plus the test set's).
    memory_bytes : int, default=None
        Physical memory; read from the system when None.
    gpus : int, default=None
        GPUs the backend sees; asked of it when None. With a GPU, the fits run in
        one process, on the GPU: several processes would each take a GPU's memory
        (JAX takes 75 % of it in each, TensorFlow all of it), and Keras trains a
        model on one GPU.

    Returns
    -------
    int
        At least 1; each worker is budgeted ``WORKER_BASE_BYTES`` plus
        ``WORKER_BYTES_PER_PIXEL_BYTE * data_bytes`` (measured on the complete MNIST:
        1.61 GB resident at the peak of the largest worker, within the 1.66 GB
        budgeted).

    Examples
    --------
    >>> from mnist_estimators.evaluation.parallel import default_n_jobs, usable_cores
    >>> default_n_jobs(55_000_000, memory_bytes=24 * 2**30, gpus=0) == min(usable_cores(), 11)
    True
    >>> default_n_jobs(55_000_000, memory_bytes=2 * 2**30, gpus=0)
    1
    >>> default_n_jobs(55_000_000, memory_bytes=128 * 2**30, gpus=1)
    1
    """
    if gpus is None:
        gpus = gpu_count()
    if gpus:
        return 1
    if memory_bytes is None:
        try:
            memory_bytes = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):  # not POSIX: cores only
            return usable_cores()
    per_worker = WORKER_BASE_BYTES + WORKER_BYTES_PER_PIXEL_BYTE * int(data_bytes)
    return max(1, min(usable_cores(), int(0.75 * memory_bytes // per_worker)))


def resolve_n_jobs(n_jobs, data_bytes: int, *, scheduler=None) -> int | None:
    """``n_jobs`` with ``"auto"`` resolved: :func:`default_n_jobs` processes, or with a
    scheduler None (all of the cluster's workers). Other values are returned as they are.

    Examples
    --------
    >>> resolve_n_jobs(3, 10**9), resolve_n_jobs("auto", 10**6, scheduler="local")
    (3, None)
    """
    if n_jobs != "auto":
        return n_jobs
    if scheduler is not None:
        return None
    return default_n_jobs(data_bytes)


def worker_gpu_share(jobs: int, gpus: int | None = None) -> float | None:
    """The share of a GPU's memory each of ``jobs`` worker processes may take; None without a GPU.

    Examples
    --------
    >>> worker_gpu_share(2, gpus=1), worker_gpu_share(2, gpus=0)
    (0.45, None)
    """
    if gpus is None:
        gpus = gpu_count()
    return round(GPU_MEMORY_FOR_WORKERS / max(int(jobs), 1), 3) if gpus else None


def check_dask_available() -> None:
    """Raise :class:`DaskUnavailableError`, saying how to install it, when Dask is missing."""
    _import_distributed()


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise DaskUnavailableError(
            "Running on a Dask cluster needs Dask's distributed scheduler, which is not "
            "installed. Install it with: pip install 'mnist-estimators[dask]'"
        ) from None
    return distributed


@contextlib.contextmanager
def dask_client(scheduler) -> Iterator:
    """A connected :class:`distributed.Client` for ``scheduler``, closed on exit.

    Parameters
    ----------
    scheduler : str or distributed.Client
        ``"local"``: start a :class:`distributed.LocalCluster` with one
        single-threaded worker process per core (closed on exit). An address
        such as ``"tcp://10.0.0.5:8786"``: connect to that scheduler. A
        ``Client``: use it as it is (not closed on exit).

    Raises
    ------
    DaskUnavailableError
        ``distributed`` is not installed.
    SchedulerUnreachableError
        No scheduler answered at the address within ``CONNECT_TIMEOUT`` seconds.
    """
    distributed = _import_distributed()
    if isinstance(scheduler, distributed.Client):
        yield scheduler
        return
    if scheduler == "local":
        cores = usable_cores()
        with (
            distributed.LocalCluster(
                n_workers=cores,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    if not isinstance(scheduler, str) or not scheduler:
        raise ValueError(
            f"scheduler must be 'local', an address such as 'tcp://host:8786', or a "
            f"distributed.Client; got {scheduler!r}."
        )
    timeout = float(os.environ.get("MNIST_ESTIMATORS_DASK_TIMEOUT", CONNECT_TIMEOUT))
    try:
        client = distributed.Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachableError(
            f"Cannot reach the Dask scheduler at {scheduler} (waited {timeout:g} s): {exc}. "
            "Check the address and that the scheduler is running (dask scheduler)."
        ) from None
    with client:
        yield client


def worker_threads() -> int | None:
    """The threads of this process's Dask worker, when it is one; else None.

    Cheap and import-free (Dask is not imported here when it is not loaded).
    """
    if "distributed" not in sys.modules:  # not a Dask worker; do not import it
        return None
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        pass
    try:  # while a task is being unpickled, outside of it: the process's one worker
        from distributed.worker import Worker

        workers = list(Worker._instances)
        return int(workers[0].state.nthreads) if len(workers) == 1 else None
    except (ImportError, AttributeError):
        return None


class _WorkerTask:
    """``func`` as a task: run with its worker's threads, and joblib's sequential backend.

    In a worker process (never in the caller's own process, as under joblib's
    threading backend), the backend gets a Dask worker's own ``nthreads``, else
    ``threads``, before its runtime starts there; a worker that already ran a task
    keeps the threads it started with. The worker process is the package's own: it
    makes every op deterministic (:meth:`~mnist_estimators._keras.backends.Backend.deterministic`)
    and ends when the caller dies (:func:`watch_parent`). scikit-learn's ``Parallel``
    and ``delayed`` wrap this with the caller's configuration (and its warning
    filters, where the installed scikit-learn sends them).

    Inside a task, joblib's ``dask`` backend stays active (its batches run under
    ``parallel_config(backend="dask")``), so the ``Parallel(n_jobs=None)`` inside
    scikit-learn's ``cross_validate`` would send the fit back to the cluster, where
    the worker secedes from its thread and takes another task meanwhile: two Keras
    fits at once in one process, whose shared seeding state (Python, NumPy and
    TensorFlow's global seeds, which scikeras sets and restores around each fit)
    they then race on. Measured: a fold's accuracy 0.6373 instead of 0.6547, in
    about one run out of two.
    """

    def __init__(self, func: Callable, threads: int | None = None, gpu_share: float | None = None):
        self.func = func
        self.threads = threads
        self.gpu_share = gpu_share
        self.backend = BACKEND.name
        self.caller = os.getpid()

    def __call__(self, *args):
        if BACKEND.name != self.backend:
            raise BackendMismatchError(
                f"A worker (process {os.getpid()}) runs Keras on {BACKEND.name!r}, but this "
                f"comparison runs on {self.backend!r}. Start the workers with "
                f"KERAS_BACKEND={self.backend} (a Dask cluster's workers: in their environment)."
            )
        if os.getpid() != self.caller:
            configure_worker(worker_threads() or self.threads, self.gpu_share)
            if watch_parent(self.caller):
                _own_process()
        start()
        try:
            with parallel_config(backend="sequential"):
                return self.func(*args)
        finally:
            if os.getpid() != self.caller:  # a worker of the package's: its heap back
                release_freed_memory()


#: What joblib's process pool (loky) says when it has restarted a worker on purpose: it
#: restarts one whose resident memory grew 300 MB past what it held after its first task
#: (joblib/loky PR #641 gives this case its own message). A comparison's tasks differ in
#: size (48,000-image folds, 60,000-image refits, two networks), so it can happen without
#: a leak (repeated fits in one process stay flat: tests/test_classifiers.py), and no
#: result depends on it, since each task is self-contained. A worker that dies raises
#: ``TerminatedWorkerError`` instead, which is not silenced.
LOKY_RECYCLED_WORKER = "A worker stopped while some jobs were given to the executor"


def run_tasks(
    func: Callable, tasks: list, shared: tuple, *, n_jobs=None, scheduler=None
) -> Iterable:
    """Yield ``func(task, *shared)`` for every task, in the order they finish.

    ``shared`` holds the large arguments common to all tasks (the data): on Dask
    they are scattered to every worker once. Serial when ``n_jobs`` is None or 1
    and no scheduler is given. In parallel, each task runs whole where it was sent:
    whatever joblib calls it makes run there sequentially. The caller's code
    between two results runs under its own warning filters and configuration.
    """
    if scheduler is None and (n_jobs in (None, 1) or len(tasks) <= 1):
        for task in tasks:
            yield func(task, *shared)
        return
    if scheduler is None:
        cores = usable_cores()
        jobs = cores if n_jobs == -1 else min(int(n_jobs), len(tasks))
        threads = max(cores // max(jobs, 1), 1)
        task_func = _WorkerTask(func, threads=threads, gpu_share=worker_gpu_share(jobs))
        if jobs > 1 and trains_as_a_worker(threads):
            yield from _quiet_while_waiting(_beside_workers(task_func, tasks, shared, jobs - 1))
            return
        run = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        yield from _quiet_while_waiting(run(delayed(task_func)(t, *shared) for t in tasks))
        return
    with dask_client(scheduler) as client:
        # The data go to every worker once, before the tasks, under keys of their own
        # (hash=False). joblib's own ``scatter=`` keys them by content, and scattering
        # the same data again while the last run's copy is being released can hang
        # (dask/distributed#8576: seen here in 1 of 5 repeated comparisons on a client).
        arrays = [i for i, a in enumerate(shared) if a is not None and hasattr(a, "nbytes")]
        futures = client.scatter([shared[i] for i in arrays], broadcast=True, hash=False)
        shared = list(shared)
        for i, future in zip(arrays, futures, strict=True):
            shared[i] = future
        with parallel_config(backend="dask", client=client):
            run = Parallel(n_jobs=-1 if n_jobs is None else n_jobs, return_as="generator_unordered")
            try:
                yield from run(delayed(_WorkerTask(func))(t, *shared) for t in tasks)
            finally:
                client.cancel(futures)


class _AsConfigured:
    """A task run under the caller's scikit-learn configuration and warning filters.

    What scikit-learn's ``delayed`` does under its own ``Parallel``, for a task handed to
    loky's executor directly (scikit-learn's wrapper warns there, once per task).
    """

    def __init__(self, func: Callable, config: dict, filters: list):
        self.func, self.config, self.filters = func, config, filters

    def __call__(self, *args):
        with config_context(**self.config), warnings.catch_warnings():
            warnings.filters[:] = self.filters
            return self.func(*args)


def _beside_workers(task_func, tasks: list, shared: tuple, workers: int) -> Iterator:
    """``task_func``'s results, from ``workers`` worker processes and this process.

    For the package's own process (the command line), whose backend has a worker's
    threads (:func:`~mnist_estimators._keras.runtime.trains_as_a_worker`): a thread
    of this process trains the tasks that the workers have not taken, so a run on two
    cores needs one worker process beside it rather than two (each holds TensorFlow's
    runtime and a copy of the data). Both draw from one queue of tasks, and every
    result comes back here as it is ready, so its record is written at once. The
    worker processes are stopped as soon as no task is left for them, not when loky's
    idle timeout ends them: an idle worker keeps its runtime's memory (about 1 GB on
    the complete MNIST) while this process trains its last task and writes the report.
    """
    config = get_config()
    filters = list(warnings.filters)
    pending = iter(tasks)
    lock = threading.Lock()
    stopped = threading.Event()  # the caller has stopped reading: start no more tasks
    results: queue.Queue = queue.Queue()

    def next_task():
        with lock:
            return None if stopped.is_set() else next(pending, None)

    def in_workers() -> None:
        # loky's executor itself: joblib runs n_jobs=1 in the calling process.
        executor = None
        abandoned = False  # a task failed, or the caller stopped reading
        try:
            with config_context(**config):
                executor = get_reusable_executor(
                    max_workers=workers, initializer=watch_parent, initargs=(os.getpid(),)
                )
                running = set()
                while True:
                    while len(running) < workers and (task := next_task()) is not None:
                        wrapped = _AsConfigured(task_func, config, filters)
                        running.add(executor.submit(wrapped, task, *shared))
                    if not running:
                        break
                    done, running = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
                    for future in done:
                        results.put((True, future.result()))
                    if stopped.is_set():
                        abandoned = True
                        break
        except BaseException as exc:  # handed to the caller's thread
            abandoned = True
            results.put((False, exc))
        finally:
            # The workers stop before the caller hears that this thread is done; when
            # the run is abandoned, at once, with their tasks unfinished.
            if executor is not None:
                executor.shutdown(wait=True, kill_workers=abandoned)
            results.put(None)

    def here() -> None:
        try:
            with config_context(**config):
                while (task := next_task()) is not None:
                    results.put((True, task_func(task, *shared)))
        except BaseException as exc:
            results.put((False, exc))
        results.put(None)

    for target in (in_workers, here):
        threading.Thread(
            target=target, name=f"mnist-estimators-{target.__name__}", daemon=True
        ).start()
    running = 2
    try:
        while running:
            item = results.get()
            if item is None:
                running -= 1
                continue
            ok, value = item
            if not ok:
                raise value
            yield value
    finally:
        stopped.set()


def run_with_threads(func: Callable, tasks: list, shared: tuple, *, threads: int) -> Iterator:
    """Yield ``func(task, *shared)`` for every task, one at a time, in a new process
    whose backend runs ``threads`` CPU threads.

    For measurements of a thread count: the count is fixed when a backend's runtime
    starts, so each count needs a process of its own: a fresh one from loky, as
    joblib's workers are, so nothing of this process's runtime is inherited and a
    script needs no ``if __name__ == "__main__"`` guard. The tasks run one after the
    other, never beside each other, so that each has the cores it was given.
    """
    if not tasks:
        return
    with ProcessPoolExecutor(max_workers=1) as pool:
        task_func = _WorkerTask(func, threads=threads)
        for task in tasks:
            yield pool.submit(task_func, task, *shared).result()


def _quiet_while_waiting(results: Iterable) -> Iterator:
    """``results``, with loky's notice of a recycled worker silenced while waiting for each.

    loky's executor thread issues that warning while this process waits for
    results, so the filter is set around each wait, and never while the caller's
    code runs between two results.
    """
    iterator = iter(results)
    while True:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=LOKY_RECYCLED_WORKER)
            try:
                result = next(iterator)
            except StopIteration:
                return
        yield result
