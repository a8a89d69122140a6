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

import contextlib
import os
import random
import threading
from collections.abc import Iterator

import numpy as np

from .._environment import cpu_model
from .backends import (
    BACKENDS,
    Backend,
    UnsupportedBackendError,
    configured_backend,
    native_logs_silenced,
    tensorflow_hidden,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _load_keras():
    """Import Keras and scikeras for the configured backend; its :class:`Backend`."""
    wanted = configured_backend()
    try:
        with native_logs_silenced(), tensorflow_hidden(wanted != "tensorflow"):
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
    "gpu_count",
    "gpu_visible",
    "keras",
    "keras_training",
    "native_logs_silenced",
    "one_batch_per_call",
    "release_keras_state",
    "reset_layer_names",
    "seeded",
    "start",
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
    return BACKEND.configure_worker(threads)


def configure_worker(threads: int | None, gpu_share: float | None = None) -> bool:
    """Give this worker process ``threads`` CPU threads and ``gpu_share`` of each GPU.

    Before the backend's runtime starts only (False, changing nothing, after).
    ``gpu_share`` (a fraction of a GPU's memory) lets workers share a GPU: JAX
    would otherwise take 75 % of it in each process, TensorFlow all of it.
    """
    return BACKEND.configure_worker(threads, gpu_share)


def start() -> None:
    """Start the backend's runtime once, with its one-time notices silenced.

    Thread counts (:func:`configure_threads`) are fixed from here on.
    """
    BACKEND.start()


def gpu_count() -> int:
    """GPUs the backend can use in this process."""
    start()
    return BACKEND.gpu_count()


def gpu_visible() -> bool:
    """Whether the backend sees a GPU (the layers choose their CPU or GPU path by it)."""
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


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Make Keras model building and training reproducible for ``seed``.

    ``None`` leaves the random state alone. An int seeds Python, NumPy, Keras'
    own seed generator and what the backend draws from (TensorFlow's global
    seed and op determinism, PyTorch's generator) for the duration; Python's,
    NumPy's and the backend's states are restored after.
    """
    start()
    if seed is None:
        with native_logs_silenced():
            yield
        return
    saved, saved_np = random.getstate(), np.random.get_state()  # noqa: NPY002 (Keras seeds the global one)
    try:
        with native_logs_silenced(), BACKEND.seeded(seed), private_keras_seeds(seed):
            _set_keras_seed(seed)
            yield
    finally:
        random.setstate(saved)
        np.random.set_state(saved_np)  # noqa: NPY002


def _set_keras_seed(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)`` but for the backend's part.

    Keras' function also calls ``tf.random.set_seed`` whenever TensorFlow is
    loaded, which empties TensorFlow's caches of optimised functions (a reused
    compiled network was optimised again at each fit). The backend's own
    :meth:`~.backends.Backend.seeded` seeds TensorFlow or PyTorch instead.
    """
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    global_state.set_global_attribute("global_random_seed", seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (Keras seeds the global one)


@contextlib.contextmanager
def private_keras_seeds(seed: int) -> Iterator[None]:
    """Let Keras draw its layer seeds from a generator of its own, seeded with ``seed``.

    Keras seeds every initializer and dropout layer built without a seed from
    Python's global ``random`` module, which every thread of the process shares. A
    Dask worker's event loop draws from it too (timer jitter), between Keras'
    draws, so the same seed gave different networks there (measured: a fold's
    accuracy 0.525 on a worker against 0.183 in this process). Inside this
    context Keras draws from ``random.Random(seed)``: the very sequence that
    ``random.seed(seed)`` gives, untouched by other threads.
    """
    try:
        from keras.src.random import seed_generator
    except ImportError:  # pragma: no cover - a Keras without this module
        yield
        return
    saved = seed_generator.python_random
    seed_generator.python_random = random.Random(seed)
    try:
        yield
    finally:
        seed_generator.python_random = saved


def release_keras_state() -> None:
    """Free Keras/TF global state left by earlier fits (graphs, name counters, caches).

    Called when a fit compiles a network of its own while the pool of compiled
    networks is full or off (:mod:`.reuse`), so that memory stays flat over the
    dozens of fits of a cross-validation or grid search. Models that are already
    fitted keep working: they own their variables and compiled functions (which
    TensorFlow optimises again at their next call, its caches being emptied).
    """
    keras.backend.clear_session()  # free_memory=True: it runs gc.collect() itself


def reset_layer_names() -> None:
    """Restart Keras' automatic layer names (``conv2d``, ``conv2d_1``, ...), as ``clear_session`` does.

    Before each fresh fit, so that a network gets the same names in every fit; it
    keeps TensorFlow's caches and runs no garbage collection (0.2 s and 0.4 s of
    a reused LSTM's fit, measured), unlike :func:`release_keras_state`.
    """
    from keras.src.backend.common import global_state

    global_state.GLOBAL_STATE_TRACKER = threading.local()  # what clear_session resets first


#: Serialises training in one process: Keras' global state (``clear_session``,
#: TensorFlow's gradient registry) is shared by every thread.
_TRAINING_LOCK = threading.RLock()


@contextlib.contextmanager
def keras_training() -> Iterator[None]:
    """Run one Keras training call without leaking memory into the process.

    On TensorFlow (:meth:`.backends.TensorFlowBackend.training_call`): each time Keras 3 traces a ``train_step`` on TensorFlow, the distribution
    strategy's ``all_reduce`` is wrapped in ``tf.custom_gradient``, which adds a
    uniquely named gradient function to a process-wide registry that nothing
    ever empties (tensorflow/tensorflow#61791, keras-team/keras#20552). That
    function closes over the whole traced training graph, so every fit leaves
    about 6 MB (a tiny CNN) to 13 MB (a small LSTM) behind, and
    ``clear_session()`` does not help. The entries are only read while a
    gradient is being traced; once the training call returns they are dead
    weight, so this context removes the ones it added.

    Training calls are serialised by a process-wide lock, because Keras' global
    state is not thread safe. Processes (joblib's default ``loky`` backend, so
    ``n_jobs`` in scikit-learn) still train in parallel.
    """
    start()
    with _TRAINING_LOCK, BACKEND.training_call():
        yield


_PREDICT_LOCK = threading.Lock()


@contextlib.contextmanager
def one_batch_per_call(model) -> Iterator[None]:
    """Run ``model.predict`` one batch per call, whatever its ``steps_per_execution``.

    Keras' predict hands a traced function a Python list of ``steps_per_execution``
    batches, so every new number of batches (a predict of 7,000 images after one of
    10,000) traces the network again: 5.4 s instead of 0.7 s for the unrolled LSTM
    (docs/results.md). A batch of 1,024 images costs far more than the call, so
    prediction runs one batch per call, through a predict function kept for that on
    the model. The model's own ``steps_per_execution`` and predict function are put
    back afterwards, so ``model.predict`` called directly works as Keras made it.
    """
    with _PREDICT_LOCK:
        saved = (model.steps_per_execution, model.predict_function)
        model.steps_per_execution = 1
        model.predict_function = getattr(model, "_one_batch_predict_function", None)
        try:
            yield
        finally:
            model._one_batch_predict_function = model.predict_function
            model.steps_per_execution, model.predict_function = saved
