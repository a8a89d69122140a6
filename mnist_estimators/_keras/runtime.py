"""TensorFlow/Keras process state: quiet logging, threads, seeding, releasing graphs.

Importing TensorFlow >= 2.20 prints oneDNN/CUDA notices through abseil before
``absl::InitializeLog()`` is called, which no setting (``TF_CPP_MIN_LOG_LEVEL``,
``ABSL_MIN_LOG_LEVEL``) filters (abseil/abseil-cpp#1957). So this module
imports TensorFlow with file descriptor 2 pointed at /dev/null, and
:func:`start` triggers its other one-time notices (device init, tf.data) the
same way. Python exceptions still propagate. Every module
of the package that needs TensorFlow, Keras or scikeras imports them from
here, so that the first import is always the silenced one. Set
``MNIST_ESTIMATORS_TF_LOGS=1`` to see everything.

Importing this module does not start TensorFlow's runtime: its thread counts
can be set (:func:`configure_threads`) until the first operation. A parallel
worker does that with the threads its task was given
(:mod:`mnist_estimators.evaluation.parallel`), then :func:`start` runs the
silenced warm-up; training and prediction call :func:`start` themselves.
This module imports nothing of the package.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import threading
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def native_logs_silenced() -> Iterator[None]:
    """Send TensorFlow's native (C++) log lines to /dev/null for the duration.

    Python's own ``sys.stderr`` keeps writing to the real terminal, so Python
    warnings and exceptions stay visible; only fd-level writes are dropped.
    Set ``MNIST_ESTIMATORS_TF_LOGS=1`` to keep everything.
    """
    if os.environ.get("MNIST_ESTIMATORS_TF_LOGS"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2 (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    py_stderr = sys.stderr
    replacement = None
    if py_stderr is sys.__stderr__ and py_stderr is not None:
        py_stderr.flush()
        replacement = open(os.dup(saved), "w", buffering=1, closefd=True)
        sys.stderr = replacement
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
        if replacement is not None:
            sys.stderr = py_stderr
            replacement.close()


with native_logs_silenced():
    import keras
    import tensorflow as tf
    from scikeras.utils.random_state import tensorflow_random_state
    from scikeras.wrappers import KerasClassifier

tf.get_logger().setLevel(logging.ERROR)
try:  # absl prints "WARNING: All log messages before absl::InitializeLog()" otherwise
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
except ImportError:  # pragma: no cover
    pass

__all__ = [
    "KerasClassifier",
    "configure_threads",
    "gpu_visible",
    "keras",
    "keras_training",
    "native_logs_silenced",
    "one_batch_per_call",
    "release_keras_state",
    "seeded",
    "start",
    "tf",
]

_started = False


def configure_threads(threads: int) -> bool:
    """Give TensorFlow ``threads`` intra-op and inter-op threads in this process.

    Possible only before TensorFlow's runtime has started (its first operation);
    returns False, changing nothing, when it has.

    Examples
    --------
    >>> configure_threads(1) in (True, False)
    True
    """
    try:
        with native_logs_silenced():
            tf.config.threading.set_intra_op_parallelism_threads(int(threads))
            tf.config.threading.set_inter_op_parallelism_threads(int(threads))
    except RuntimeError:
        return False
    return True


def start() -> None:
    """Start TensorFlow's runtime once, with its one-time notices silenced.

    Device initialisation and tf.data print notices the first time they run;
    this triggers them with file descriptor 2 pointed at /dev/null. Thread
    counts (:func:`configure_threads`) are fixed from here on.
    """
    global _started
    if _started:
        return
    with native_logs_silenced():
        tf.config.list_logical_devices()
        for _ in tf.data.Dataset.from_tensor_slices([0.0]).map(lambda v: v, num_parallel_calls=2):
            pass
    _started = True


def gpu_visible() -> bool:
    """Whether TensorFlow sees a GPU (the layers choose their CPU or GPU path by it)."""
    return bool(tf.config.list_logical_devices("GPU"))


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Make Keras model building and training reproducible for ``seed``.

    ``None`` leaves the random state alone. An int seeds Python, NumPy,
    TensorFlow and Keras' own seed generator, and turns on TensorFlow's op
    determinism for the duration (scikeras' context manager restores it after).
    """
    start()
    if seed is None:
        with native_logs_silenced():
            yield
        return
    with tensorflow_random_state(seed), native_logs_silenced(), private_keras_seeds(seed):
        keras.utils.set_random_seed(seed)
        yield


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
    """Free Keras/TF global state left by earlier fits (graphs, name counters).

    Called before each fresh fit so that memory stays flat over the dozens of
    fits of a cross-validation or grid search. Models that are already fitted
    keep working: they own their variables and compiled functions.
    """
    keras.backend.clear_session()  # free_memory=True: it runs gc.collect() itself


#: Serialises training in one process: Keras' global state (``clear_session``,
#: the gradient registry below) is shared by every thread.
_TRAINING_LOCK = threading.RLock()


def _gradient_registry() -> dict | None:
    """TensorFlow's process-wide registry of gradient functions, if reachable."""
    try:
        from tensorflow.python.framework import ops as tf_ops

        registry = tf_ops._gradient_registry._registry
    except (ImportError, AttributeError):  # pragma: no cover - a TF without it
        return None
    return registry if isinstance(registry, dict) else None


@contextlib.contextmanager
def keras_training() -> Iterator[None]:
    """Run one Keras training call without leaking memory into the process.

    Each time Keras 3 traces a ``train_step`` on TensorFlow, the distribution
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
    with _TRAINING_LOCK:
        registry = _gradient_registry()
        before = set(registry) if registry is not None else set()
        try:
            yield
        finally:
            if registry is not None:
                for key in [k for k in registry if k not in before]:
                    if key.startswith("CustomGradient-"):
                        del registry[key]


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
