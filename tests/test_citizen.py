"""A good citizen in the user's process: fits and predicts change nothing the caller can
see, during them as well as after, and threads give the serial results bit for bit.

Written as a user hits it: a thread of the user's writing to stderr while predicts run
(it lost all 880 of 880 bytes before), a watcher thread reading the process's state
while a pipeline fits and predicts, a threaded cross-validation (PyTorch scored
[0.363, 0.397] threaded against [0.363, 0.340] serially before). Runs on whatever
backend the process has (CI: TensorFlow, then JAX and PyTorch in ``.ci/backends``).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import random
import tempfile
import threading
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import cross_val_predict, cross_val_score

from mnist_estimators import keras, make_cnn_pipeline, make_lstm_pipeline
from mnist_estimators._internals import resolve

LOGGERS = ("", "tensorflow", "keras", "absl", "jax", "torch", "mnist_estimators")


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y, Xt, _ = mnist_small
    return X[:600], y[:600], Xt[:300]


def _process_state() -> dict:
    """What a fit or a predict must leave as the caller had it, read from any thread."""
    global_state = resolve(
        "keras.src.backend.common.global_state.get_global_attribute", module=True
    )
    return {
        "environment": dict(os.environ),
        "python random": random.getstate(),
        "numpy random": repr(np.random.get_state()),  # noqa: NPY002 (the global one, on purpose)
        "warning filters": list(warnings.filters),
        "logging levels": {name: logging.getLogger(name).level for name in LOGGERS},
        "stderr": (os.fstat(2).st_dev, os.fstat(2).st_ino),
        "stdout": (os.fstat(1).st_dev, os.fstat(1).st_ino),
        "floatx": keras.config.floatx(),
        "image data format": keras.config.image_data_format(),
        "keras state tracker": id(global_state.GLOBAL_STATE_TRACKER),
    }


class _Watcher(threading.Thread):
    """Reads the process state in a loop, holding its own Keras dtype policy, and
    writes numbered lines to file descriptor 2, until told to stop."""

    def __init__(self, expected: dict):
        super().__init__(daemon=True)
        self.expected = expected
        self.stop = threading.Event()
        self.changes: list[str] = []
        self.lines = 0

    def run(self) -> None:
        keras.config.set_dtype_policy("mixed_bfloat16")  # this thread's own Keras setting
        try:
            while not self.stop.is_set():
                state = _process_state()
                for key, value in self.expected.items():
                    if state[key] != value and key not in self.changes:
                        self.changes.append(key)
                policy_kept = keras.config.dtype_policy().name == "mixed_bfloat16"
                if not policy_kept and "dtype policy" not in self.changes:
                    self.changes.append("dtype policy")
                os.write(2, f"watcher line {self.lines}\n".encode())
                self.lines += 1
                self.stop.wait(0.002)
        finally:
            keras.config.set_dtype_policy("float32")


def test_fits_and_predicts_change_nothing_a_concurrent_thread_can_see(data):
    X, y, Xt = data
    with tempfile.TemporaryFile() as log:
        saved_stderr = os.dup(2)
        os.dup2(log.fileno(), 2)  # the process's stderr: a file this test reads back
        try:
            expected = _process_state()
            watcher = _Watcher(expected)
            watcher.start()
            for make in (make_cnn_pipeline, make_lstm_pipeline):
                est = make(epochs=1, random_state=0).fit(X, y)
                est.predict(Xt)
                est.predict_proba(Xt)
                est.score(Xt, est.predict(Xt))
            watcher.stop.set()
            watcher.join()
            after = _process_state()
        finally:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
        log.seek(0)
        written = log.read().decode(errors="replace")
    assert watcher.changes == [], f"changed while fitting or predicting: {watcher.changes}"
    changed_after = [key for key in expected if after[key] != expected[key]]
    assert changed_after == [], f"changed after: {changed_after}"
    assert watcher.lines > 10
    lost = [i for i in range(watcher.lines) if f"watcher line {i}\n" not in written]
    assert lost == [], f"{len(lost)} of {watcher.lines} lines written to stderr were lost"


def test_the_callers_keras_settings_survive_a_fit(data):
    """A dtype policy set with keras.config (in the fitting thread) stays set; the
    network is built under it, as Keras builds any network."""
    X, y, Xt = data
    keras.config.set_dtype_policy("float32")
    policy = keras.config.dtype_policy()
    try:
        make_cnn_pipeline(filters=4, dense_units=8, epochs=1, random_state=0).fit(X, y)
        assert keras.config.dtype_policy() is policy
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline], ids=["cnn", "lstm"])
def test_threaded_cross_validation_gives_the_serial_results_bit_for_bit(make, data):
    X, y, _ = data
    est = make(epochs=1, random_state=0)
    serial = cross_val_score(est, X, y, cv=3)
    serial_proba = cross_val_predict(est, X, y, cv=3, method="predict_proba")
    with parallel_config(backend="threading"):
        threaded = cross_val_score(est, X, y, cv=3, n_jobs=3)
        threaded_proba = cross_val_predict(est, X, y, cv=3, method="predict_proba", n_jobs=3)
    np.testing.assert_array_equal(threaded, serial)
    np.testing.assert_array_equal(threaded_proba, serial_proba)


@pytest.mark.parametrize("in_loop", [False, True], ids=["users-fit", "package-loop"])
@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_a_dropped_fit_keeps_no_copy_of_its_data(make, in_loop, data):
    """Once a fitted pipeline is dropped, nothing holds its data: neither the user's
    images nor the scaled copies it trained and validated on, in a fit of the user's
    and inside the package's own loops (where the network stays pooled). On
    TensorFlow, ``tf.data.Dataset.from_generator`` keeps the function it is given
    (tensorflow/tensorflow#57690); when that function held the data adapter, a fit
    with validation data left half its scaled arrays alive (4 of 8 here), and a
    worker of the README's main job grew with each fold."""
    import weakref

    from mnist_estimators._keras import reuse
    from mnist_estimators._memory import aligned_empty
    from mnist_estimators.estimators import preprocessing

    X, y, Xt = data
    made = []

    def watched(shape, dtype, alignment=64):
        out = aligned_empty(shape, dtype, alignment)
        made.append(weakref.ref(out.base))  # the buffer the backend reads from
        return out

    X = X.copy()  # the user's own array
    user = weakref.ref(X)
    real = preprocessing.aligned_empty
    preprocessing.aligned_empty = watched
    try:
        with reuse.package_loop() if in_loop else contextlib.nullcontext():
            for seed in (0, 1):  # in the loop, the second fit reuses the first's network
                model = make(epochs=1, random_state=seed)
                step = model.steps[-1][0]  # validated every epoch, as the fold runner does
                held_out = (model[0].fit(X).transform(X[:200]), y[:200])
                model.fit(X, y, **{f"{step}__validation_data": held_out}).predict(Xt)
                del model, held_out
            del X
            gc.collect()
            assert reuse.pool_stats()["pooled"] == (1 if in_loop else 0)
            assert made, "the scaler no longer makes aligned copies: watch what it makes"
            assert user() is None
            assert [ref() is None for ref in made] == [True] * len(made)
    finally:
        preprocessing.aligned_empty = real
        reuse.empty_pool()
