"""The LSTM's computation on this machine: measured per machine, read from a table.

Three computations of the same layer, with the same weights and the same maths
(gates ``i, f, c, o``, sigmoid and tanh; tested to float32 rounding):

* ``"unrolled"``: the loop over the time steps written out in the graph
  (:class:`~mnist_estimators.CPUUnrolledLSTM`), for sequences of at most 64 steps;
* ``"fused"``: the backend's fused LSTM kernel (:class:`~mnist_estimators.FusedLSTM`):
  TensorFlow's ``BlockLSTM``, PyTorch's ``torch._VF.lstm``; JAX has none;
* ``"keras"``: ``keras.layers.LSTM`` and its own loop (on JAX, XLA compiles it).

On a GPU all three are Keras' layer, cuDNN included. Which is fastest on a CPU depends
on the CPU, the backend and the versions: on 2026-11-30 TensorFlow's Keras loop beat
the unrolled one on the AVX-512 machine, where the unrolled one had won on the AVX2
machine. So ``benchmarks/bench_lstm_paths.py`` (or ``mnist-estimators measure-paths``)
times every candidate on the machine at hand and writes an entry of a table, keyed by
the CPU's SIMD level, the backend, its and Keras' versions, and TensorFlow's oneDNN
state (:func:`machine_key`). ``LSTMClassifier(unroll="auto")``, the default, reads the
table when it builds its network: no timing at fit time and no hidden cache, so the
same seed on the same machine always takes the same path. The committed table
(:data:`COMMITTED_TABLE`) is read after a table of the user's own, named by
``MNIST_ESTIMATORS_LSTM_PATHS``; where neither has the machine's key, the backend's
default of version 0.2 is taken (:data:`DEFAULTS`), and :func:`lstm_path` says so.
"""

from __future__ import annotations

import json
import os
from functools import cache

from .layers import CPUUnrolledLSTM, FusedLSTM
from .path_table import COMMITTED_TABLE, TABLE_VARIABLE, machine_key, read_tables, write_entry
from .runtime import BACKEND, keras

__all__ = [
    "CANDIDATES",
    "COMMITTED_TABLE",
    "DEFAULTS",
    "LAYERS",
    "TABLE_VARIABLE",
    "lstm_layer",
    "lstm_path",
    "machine_key",
    "measure",
    "read_tables",
    "write_entry",
]

#: The layer class of each path.
LAYERS = {"unrolled": CPUUnrolledLSTM, "fused": FusedLSTM, "keras": keras.layers.LSTM}
#: The paths worth measuring on each backend's CPU (JAX has no fused kernel).
CANDIDATES = {
    "tensorflow": ("unrolled", "fused", "keras"),
    "jax": ("unrolled", "keras"),
    "torch": ("fused", "unrolled", "keras"),
}
#: Where no table has the machine's key: the path each backend took in version 0.2.
DEFAULTS = {"tensorflow": "unrolled", "jax": "keras", "torch": "fused"}


@cache
def _auto(key_json: str, user_table: str | None) -> tuple[str, str]:
    key = json.loads(key_json)
    for source, entries in read_tables():
        for entry in entries:
            if entry.get("key") == key and entry.get("path") in LAYERS:
                where = "committed table" if source == str(COMMITTED_TABLE) else source
                return entry["path"], f"measured ({where}, {entry.get('measured', '?')})"
    return DEFAULTS[key["backend"]], "no measurement for this machine: the backend's default"


def lstm_path(unroll="auto") -> tuple[str, str]:
    """The path an LSTM classifier takes for its ``unroll``, and where that choice came from.

    Parameters
    ----------
    unroll : "auto", True or False
        "auto": the table's entry for :func:`machine_key` (else :data:`DEFAULTS`);
        True: the backend's default of version 0.2 (:data:`DEFAULTS`); False:
        ``"keras"``.

    Returns
    -------
    tuple of str
        The path (a key of :data:`LAYERS`) and its source, for the report's Setup.

    Examples
    --------
    >>> lstm_path(False)
    ('keras', 'unroll=False')
    >>> lstm_path("auto")[0] in LAYERS
    True
    """
    if unroll == "auto":
        return _auto(json.dumps(machine_key(), sort_keys=True), os.environ.get(TABLE_VARIABLE))
    if unroll:
        return DEFAULTS[BACKEND.name], "unroll=True: the backend's default"
    return "keras", "unroll=False"


def lstm_layer(path: str) -> type:
    """The layer class of ``path``."""
    return LAYERS[path]


def _network(
    path: str, input_shape: tuple, units: int, n_classes: int, dropout: float = 0.5
) -> keras.Model:
    inputs = keras.Input(shape=input_shape)
    x = lstm_layer(path)(units)(inputs)
    x = keras.layers.Dropout(dropout)(x)
    return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(x))


def measure(
    X,
    y,
    *,
    batch_size: int = 128,
    units: int = 128,
    repeats: int = 3,
    candidates=None,
    log=print,
) -> dict:
    """Train the LSTM of the reference notebook by every candidate path on ``X``, and time it.

    Each path trains one untimed epoch (its tracing), then ``repeats`` timed epochs,
    interleaved round by round with the other paths (one round: every path once), so
    that a drift of the machine's speed spreads over all of them; the rate is the median
    of a path's epochs. Before timing, every path is checked to compute the same
    network: from the same weights, its outputs on 256 images and its loss after one
    step of Adam on them equal the ``"keras"`` path's within float32 rounding.

    Parameters
    ----------
    X : ndarray of shape (n, steps, features), float32
        Sequences as the LSTM reads them (an image's rows).
    y : ndarray of shape (n,)
        Integer labels.
    batch_size, units : int
        The training batch and the LSTM's units (the defaults: the classifier's on the
        complete MNIST).
    repeats : int, default=3
        Timed epochs per path.
    candidates : sequence of str, default=None
        The paths to time; :data:`CANDIDATES` of the backend by default.
    log : callable, default=print
        Where each measurement is reported as it is made.

    Returns
    -------
    dict
        ``key`` (:func:`machine_key`), ``rates`` (path -> median images/s),
        ``samples`` (path -> every epoch's images/s), ``max_difference`` (path ->
        largest absolute difference of outputs and loss from the ``"keras"`` path),
        ``path`` (the fastest).
    """
    import time

    import numpy as np

    paths = list(candidates or CANDIDATES[BACKEND.name])
    n_classes = int(np.max(y)) + 1
    shape = tuple(X.shape[1:])
    # The same network by every path: the same outputs, the same loss after a step
    # (without dropout, whose masks each model draws from its own seed).
    probe_x, probe_y = X[:256], y[:256]
    reference = _network("keras", shape, units, n_classes)
    weights = reference.get_weights()
    differences = {}
    for path in paths:
        outputs = []
        for p in ("keras", path):
            model = _network(p, shape, units, n_classes, dropout=0.0)
            model.set_weights(weights)
            model.compile(
                optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy"
            )
            out = model.predict(probe_x, verbose=0)
            loss = model.train_on_batch(probe_x, probe_y)
            outputs.append((out, float(np.asarray(loss).ravel()[0])))
        (o1, l1), (o2, l2) = outputs
        differences[path] = float(max(np.max(np.abs(o1 - o2)), abs(l1 - l2)))
    models = {}
    for path in paths:
        model = _network(path, shape, units, n_classes)
        model.set_weights(weights)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
            steps_per_execution=max(1, 512 // batch_size)
            if BACKEND.max_steps_per_execution is None
            else 1,
        )
        model.fit(X, y, batch_size=batch_size, epochs=1, verbose=0)  # traces; untimed
        models[path] = model
    samples = {path: [] for path in paths}
    for r in range(repeats):
        for path, model in models.items():
            start = time.perf_counter()
            model.fit(X, y, batch_size=batch_size, epochs=1, verbose=0)
            samples[path].append(len(y) / (time.perf_counter() - start))
            log(f"  round {r + 1}/{repeats} {path}: {samples[path][-1]:,.0f} images/s")
    rates = {path: float(np.median(v)) for path, v in samples.items()}
    return {
        "key": machine_key(),
        "rates": rates,
        "samples": samples,
        "max_difference": differences,
        "path": max(rates, key=rates.get),
    }
