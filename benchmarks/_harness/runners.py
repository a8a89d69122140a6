"""One fit and one prediction of each variant: our estimator, plain Keras, PyTorch."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from mnist_estimators import REFERENCE_TRAINING
from mnist_estimators._keras.reuse import package_loop
from mnist_estimators._keras.runtime import fresh_layer_names
from mnist_estimators.estimators import MODELS

from .networks import PLAIN_KERAS_TWINS, PREDICT_BATCH, _images, keras_network
from .torch_loop import _torch_available, run_torch

__all__ = ["MAKERS", "_torch_available", "run_keras", "run_ours", "run_torch", "variants"]
#: The registry's pipelines of the networks the harness has a plain-Keras twin of.
MAKERS = {name: MODELS[name].make_pipeline for name in PLAIN_KERAS_TWINS}

Runner = Callable[[np.ndarray, np.ndarray, np.ndarray, int], tuple[float, float]]
"""``run(X, y, Xt, epochs) -> (fit seconds, predict seconds)``."""


def run_ours(
    model: str,
    X: np.ndarray,
    y: np.ndarray,
    Xt: np.ndarray,
    epochs: int,
    batch_size: int | None = None,
    seeded: bool = True,
) -> tuple[float, float]:
    """Fit and predict seconds of our pipeline.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which pipeline.
    X, y : np.ndarray
        Training images (flat, 0-255) and labels.
    Xt : np.ndarray
        Images to predict.
    epochs : int
        Training epochs.
    batch_size : int, optional
        Train at the reference's settings (``REFERENCE_TRAINING``) with this batch size;
        by default, at the pipeline's defaults.
    seeded : bool, default=True
        Set ``random_state=0``; else leave it unset.

    Returns
    -------
    tuple of float
        Seconds of ``fit`` and of ``predict``.
    """
    params = {} if batch_size is None else {**REFERENCE_TRAINING, "batch_size": batch_size}
    pipe = MAKERS[model](epochs=epochs, random_state=0 if seeded else None, **params)
    start = time.perf_counter()
    with package_loop():  # as a fold of the package's own loops fits: compiled networks reused
        pipe.fit(X, y)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    pipe.predict(Xt)
    return fit, time.perf_counter() - start


def run_keras(
    model: str,
    X: np.ndarray,
    y: np.ndarray,
    Xt: np.ndarray,
    epochs: int,
    batch_size: int,
    matched: bool = False,
) -> tuple[float, float]:
    """Fit and predict seconds of the reference network in plain Keras.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    X, y : np.ndarray
        Training images (flat, 0-255) and labels.
    Xt : np.ndarray
        Images to predict.
    epochs : int
        Training epochs.
    batch_size : int
        Training batch size.
    matched : bool, default=False
        Compile with our estimator's speed settings for ``batch_size``
        (see :func:`networks.keras_network`); else as Keras compiles by default.

    Returns
    -------
    tuple of float
        Seconds of ``fit`` (building the network included) and of ``predict``.
    """
    Xi, Xti = _images(model, X), _images(model, Xt)
    # No clear_session: it empties TensorFlow's caches of optimised functions, which would
    # make our estimator's next fit optimise its reused network again (measured: 0.83 s
    # instead of 0.1 s), a cost no cross-validation of ours pays.
    start = time.perf_counter()
    with fresh_layer_names():
        net = keras_network(model, batch_size if matched else None)
    net.fit(Xi, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    net.predict(Xti, batch_size=PREDICT_BATCH, verbose=0).argmax(axis=1)
    return fit, time.perf_counter() - start


def variants(model: str, batch_sizes: list[int], with_torch: bool) -> dict[str, Runner]:
    """Every variant measured for one network.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    batch_sizes : list of int
        The batch sizes of the ``ours@B``, ``ours@B-unseeded``, ``keras@B``,
        ``keras-matched@B`` and ``torch@B`` variants.
    with_torch : bool
        Include the ``torch@B`` variants.

    Returns
    -------
    dict
        Name -> ``run(X, y, Xt, epochs) -> (fit seconds, predict seconds)``, starting
        with ``ours-defaults``, then every variant of each batch size in turn.
    """
    out = {"ours-defaults": lambda X, y, Xt, e: run_ours(model, X, y, Xt, e)}
    for b in batch_sizes:
        out[f"ours@{b}"] = lambda X, y, Xt, e, b=b: run_ours(model, X, y, Xt, e, b)
        out[f"ours@{b}-unseeded"] = lambda X, y, Xt, e, b=b: run_ours(
            model, X, y, Xt, e, b, seeded=False
        )
        out[f"keras@{b}"] = lambda X, y, Xt, e, b=b: run_keras(model, X, y, Xt, e, b)
        out[f"keras-matched@{b}"] = lambda X, y, Xt, e, b=b: run_keras(
            model, X, y, Xt, e, b, matched=True
        )
        if with_torch:
            out[f"torch@{b}"] = lambda X, y, Xt, e, b=b: run_torch(model, X, y, Xt, e, b)
    return out
