"""Keras process state: the backend, quiet logging, threads, seeding, releasing graphs.

Every module of the package that needs Keras or scikeras imports them from here,
so that the first import is always the prepared one:

* the backend is Keras' own choice (``KERAS_BACKEND``, ``keras.json``); what the
  package does differently per backend is :data:`BACKEND`, an instance of its
  class in :mod:`.backends`, and nothing else asks which backend it is on;
* on JAX and PyTorch, TensorFlow is kept out, even where it is installed
  (scikeras and Keras would otherwise import it);
* native log lines (TensorFlow's oneDNN/CUDA notices) go to /dev/null while
  the libraries load and their runtimes start. Python exceptions still
  propagate. Set ``MNIST_ESTIMATORS_TF_LOGS=1`` to see everything.

Importing this module does not start the backend's runtime: its thread counts
can be set (:func:`configure_threads`) until the first operation. A parallel
worker does that with the threads its task was given
(:mod:`mnist_estimators.evaluation.parallel`), then :func:`start` runs the
silenced warm-up; training and prediction call :func:`start` themselves.
This module imports nothing of the package beyond :mod:`.backends` and the
machine facts of :mod:`mnist_estimators._environment`.
"""

from __future__ import annotations

import collections
import contextlib
import random
import threading
from collections.abc import Iterator

from .. import _internals as internals
from .._environment import cpu_model
from .backends import (
    BACKENDS,
    Backend,
    UnsupportedBackendError,
    configured_backend,
    native_logs_silenced,
    quiet_native_import,
    tensorflow_hidden,
)


def _load_keras():
    """Import Keras and scikeras for the configured backend; its :class:`Backend`."""
    wanted = configured_backend()
    try:
        with quiet_native_import(), tensorflow_hidden(wanted != "tensorflow"):
            import keras
            from scikeras.wrappers import KerasClassifier
    except ImportError as exc:
        cls = BACKENDS.get(wanted)
        if cls is None or "keras" in str(exc.name or "").split(".")[0]:
            raise
        others = ", ".join(f"KERAS_BACKEND={b}" for b in BACKENDS if b != cls.name)
        install = "tensorflow" if cls.name == "tensorflow" else f"'mnist-estimators[{cls.name}]'"
        raise UnsupportedBackendError(
            f"Keras is set to the {wanted!r} backend (KERAS_BACKEND, keras.json, or Keras' "
            f"default), but {exc.name or cls.package} cannot be imported ({exc}). Install "
            f"it with: pip install {install}, or choose an installed backend ({others}, "
            "or --backend on the command line)."
        ) from exc
    name = keras.backend.backend()
    if name not in BACKENDS:
        raise UnsupportedBackendError(
            f"mnist-estimators runs on the Keras backends {', '.join(BACKENDS)}, but Keras "
            f"runs {name!r} (set by KERAS_BACKEND or keras.json). Set KERAS_BACKEND to one "
            "of those before importing mnist_estimators."
        )
    backend = BACKENDS[name]()
    backend.after_import()
    return keras, KerasClassifier, backend


keras, KerasClassifier, BACKEND = _load_keras()

__all__ = [
    "BACKEND",
    "KerasClassifier",
    "configure_threads",
    "configure_worker",
    "device_description",
    "fresh_layer_names",
    "gpu_count",
    "gpu_visible",
    "keras",
    "keras_predicting",
    "keras_training",
    "native_logs_silenced",
    "own_process",
    "seeded",
    "start",
    "trains_as_a_worker",
]

#: The backend Keras runs in this process (its class in :data:`.backends.BACKENDS`).
BACKEND: Backend


def configure_threads(threads: int) -> bool:
    """Give the backend ``threads`` CPU threads in this process.

    Possible only before the backend's runtime has started (its first operation);
    returns False, changing nothing, when it has.

    Examples
    --------
    >>> configure_threads(1) in (True, False)
    True
    """
    done = BACKEND.configure_worker(threads)
    if done:
        _OWN_PROCESS["threads"] = int(threads)
    return done


def configure_worker(threads: int | None, gpu_share: float | None = None) -> bool:
    """Give this worker process ``threads`` CPU threads and ``gpu_share`` of each GPU.

    Before the backend's runtime starts only (False, changing nothing, after).
    ``gpu_share`` (a fraction of a GPU's memory) lets workers share a GPU: JAX
    would otherwise take 75 % of it in each process, TensorFlow all of it.
    """
    return BACKEND.configure_worker(threads, gpu_share)


def start() -> None:
    """Start the backend's runtime once.

    Thread counts (:func:`configure_threads`) are fixed from here on. In the package's
    own processes (:func:`own_process`) with a GPU, ops are made deterministic then.
    """
    BACKEND.start()
    if _OWN_PROCESS["declared"] and not _OWN_PROCESS["applied"]:
        _OWN_PROCESS["applied"] = True
        if BACKEND.gpu_count():
            BACKEND.deterministic()


_OWN_PROCESS = {"declared": False, "applied": False, "threads": None}


def own_process() -> None:
    """Declare this process the package's own (a worker it started, its command line).

    What may only be set for a whole process is set in such a process only, never in
    a user's: with a GPU, every op deterministic (:meth:`~.backends.Backend.deterministic`,
    TensorFlow's op determinism, which some GPU kernels need for the same result
    twice), applied when the runtime starts. Not on a CPU: CPU fits give the same
    result for the same seed without it (tested), and it changes TensorFlow's CPU
    kernels' last bits, so a worker's fold would differ from the same fold fitted in
    the user's process.
    """
    _OWN_PROCESS["declared"] = True


def trains_as_a_worker(threads: int) -> bool:
    """Whether this process may train a task of a parallel run beside its workers.

    Only a process of the package's own (:func:`own_process`, the command line) whose
    backend was given ``threads`` threads, as each worker is, before its runtime
    started: so a task gives the same numbers here as in a worker (tested). A
    user's process never does.
    """
    return _OWN_PROCESS["declared"] and _OWN_PROCESS["threads"] == int(threads)


def gpu_count() -> int:
    """GPUs the backend can use in this process.

    Counting does not start the runtime where the backend can count without it
    (TensorFlow lists its physical devices), so the command line can still give its own
    process a worker's threads after sizing the run by it (``--n-jobs auto``).
    """
    return BACKEND.gpu_count()


def gpu_visible() -> bool:
    """Whether the backend sees a GPU (the layers choose their CPU or GPU path by it)."""
    start()
    return gpu_count() > 0


def device_description() -> str:
    """Where training runs: ``"GPU: NVIDIA H200"``, or ``"CPU: "`` and the CPU's model.

    Examples
    --------
    >>> device_description().split(":")[0] in {"CPU", "GPU"}
    True
    """
    names = BACKEND.gpu_names() if gpu_visible() else []
    return f"GPU: {', '.join(names)}" if names else f"CPU: {cpu_model()}"


class _PerThreadRandom:
    """Keras' source of layer seeds, ``seed_generator.python_random``, made per thread.

    Keras seeds every initializer and dropout layer built without a seed from Python's
    global ``random`` module, which every thread shares. Installed once in its place
    (:func:`_install_per_thread_random`), this object hands out the same functions:
    those of a private ``random.Random(seed)`` in a thread inside :func:`seeded`, and
    those of the global module everywhere else, as before. So a seeded build draws
    the very sequence that ``random.seed(seed)`` would give, without touching the
    global generator, and nothing another thread draws can come between its draws
    (a Dask worker's event loop drew from it between Keras' draws: a fold's
    accuracy 0.525 on a worker against 0.183 in this process, measured).
    """

    def __init__(self, shared):
        self._shared = shared
        self._local = threading.local()

    def __getattr__(self, name: str):
        private = getattr(self._local, "generator", None)
        return getattr(private if private is not None else self._shared, name)


def _install_per_thread_random() -> _PerThreadRandom:
    seed_generator = internals.resolve("keras.src.random.seed_generator.python_random", module=True)
    current = seed_generator.python_random
    if not isinstance(current, _PerThreadRandom):
        current = seed_generator.python_random = _PerThreadRandom(current)
    return current


_KERAS_RANDOM = _install_per_thread_random()

#: Keras' per-thread global attributes that seeding sets (``keras.utils.set_random_seed``).
_SEED_ATTRIBUTES = ("global_random_seed", "global_seed_generator")


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Make Keras model building and training reproducible for ``seed``, in this thread.

    ``None`` leaves the random state alone. An int gives Keras, in this thread
    only, a seed generator of its own and a private ``random.Random(seed)`` for
    the seeds of the layers it builds (:class:`_PerThreadRandom`), and seeds what
    the backend draws from (:meth:`~.backends.Backend.seeded`: TensorFlow's
    global seed, PyTorch's generator), all restored after. Python's and NumPy's
    global generators are never touched: the training data are shuffled by a
    generator of the fit's own (:mod:`.data`).
    """
    start()
    if seed is None:
        yield
        return
    global_state = internals.resolve(
        "keras.src.backend.common.global_state.set_global_attribute", module=True
    )
    saved = {name: global_state.get_global_attribute(name) for name in _SEED_ATTRIBUTES}
    saved_random = getattr(_KERAS_RANDOM._local, "generator", None)
    try:
        with BACKEND.seeded(seed):
            global_state.set_global_attribute("global_random_seed", seed)
            global_state.set_global_attribute("global_seed_generator", None)
            _KERAS_RANDOM._local.generator = random.Random(seed)
            yield
    finally:
        _KERAS_RANDOM._local.generator = saved_random
        for name, value in saved.items():
            global_state.set_global_attribute(name, value)


@contextlib.contextmanager
def fresh_layer_names() -> Iterator[None]:
    """Count Keras' automatic layer names (``conv2d``, ``dense_1``, ...) afresh in the block.

    So a network gets the same names in every fit. Keras keeps the counters in a
    per-thread attribute of its global state; this thread's counters are put back
    after, and nothing else of that state is touched (``clear_session`` would
    replace all of it, in every thread: a dtype policy set by the user included).
    """
    global_state = internals.resolve(
        "keras.src.backend.common.global_state.set_global_attribute", module=True
    )
    saved = global_state.get_global_attribute("object_name_uids")
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))
    try:
        yield
    finally:
        global_state.set_global_attribute("object_name_uids", saved)


#: Serialises the package's Keras work in one process, training and prediction alike:
#: Keras' trainers and the backends' global generators (TensorFlow's seed, PyTorch's
#: generator, which Keras' torch dropout and DataLoader draw from) are shared by every
#: thread. A predict in one thread drew from PyTorch's generator while a fit in another
#: was using it: threaded cross-validation scored [0.363, 0.397] against [0.363, 0.340]
#: serially on PyTorch (measured), bit for bit the same once predicts took this lock.
_KERAS_LOCK = threading.RLock()
#: The name of versions <= 0.2.
_TRAINING_LOCK = _KERAS_LOCK


@contextlib.contextmanager
def keras_training() -> Iterator[None]:
    """Run one Keras training call without leaking memory into the process.

    On TensorFlow (:meth:`.backends.TensorFlowBackend.training_call`): each time Keras 3
    traces a ``train_step`` on TensorFlow, the distribution strategy's ``all_reduce`` is
    wrapped in ``tf.custom_gradient``, which adds a uniquely named gradient function to a
    process-wide registry that nothing ever empties (tensorflow/tensorflow#61791,
    keras-team/keras#20552). That function closes over the whole traced training graph,
    so every fit leaves about 6 MB (a tiny CNN) to 13 MB (a small LSTM) behind, and
    ``clear_session()`` does not help. The entries are only read while a gradient is
    being traced; once the training call returns they are dead weight, so this context
    removes the ones it added.

    Training and prediction are serialised by one process-wide lock (:data:`_KERAS_LOCK`).
    Processes (joblib's default ``loky`` backend, so ``n_jobs`` in scikit-learn) still
    train in parallel; threads give the serial results, bit for bit.
    """
    start()
    with _KERAS_LOCK, BACKEND.training_call():
        yield


@contextlib.contextmanager
def keras_predicting(model) -> Iterator[None]:
    """Run ``model.predict`` one batch per call, under the process's Keras lock.

    Keras' predict hands a traced function a Python list of ``steps_per_execution``
    batches, so every new number of batches (a predict of 7,000 images after one of
    10,000) traces the network again: 5.4 s instead of 0.7 s for the unrolled LSTM
    (docs/results.md). A batch of 1,024 images costs far more than the call, so
    prediction runs one batch per call, through a predict function kept for that on
    the model. The model's own ``steps_per_execution`` and predict function are put
    back afterwards, so ``model.predict`` called directly works as Keras made it.
    """
    start()
    with _KERAS_LOCK:
        saved = (model.steps_per_execution, model.predict_function)
        model.steps_per_execution = 1
        model.predict_function = getattr(model, "_one_batch_predict_function", None)
        try:
            yield
        finally:
            model._one_batch_predict_function = model.predict_function
            model.steps_per_execution, model.predict_function = saved


#: The name of versions <= 0.2.
one_batch_per_call = keras_predicting
