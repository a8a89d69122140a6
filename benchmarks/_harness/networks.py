"""The reference notebook's networks in plain Keras, written independently of the package."""

from __future__ import annotations

import numpy as np

from mnist_estimators._keras.runtime import keras
from mnist_estimators.estimators.base import auto_steps_per_execution
from mnist_estimators.estimators.registry import REFERENCE_MODELS

PREDICT_BATCH = 1024
"""Images per prediction batch, in every variant."""

PLAIN_KERAS_TWINS = REFERENCE_MODELS
"""The registry's models that :func:`keras_network` writes in plain Keras: the reference's."""


def keras_network(model: str, matched_batch: int | None = None) -> keras.Model:
    """The reference notebook's network in plain Keras, compiled.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    matched_batch : int, optional
        Compile it with our estimator's speed settings for this batch size (its
        ``steps_per_execution``; for the LSTM, the unrolled loop). By default, as
        Keras' defaults do (one batch per call; the LSTM's loop).

    Returns
    -------
    keras.Model
        The network, compiled with Adam 0.001 and the sparse categorical cross-entropy.
    """
    matched = matched_batch is not None
    if model == "cnn":
        layers = [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    else:
        layers = [
            keras.Input((28, 28)),
            keras.layers.LSTM(128, unroll=matched),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    net = keras.Sequential(layers)
    net.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=auto_steps_per_execution(matched_batch) if matched else 1,
    )
    return net


def _images(model: str, X: np.ndarray) -> np.ndarray:
    """Flat 0-255 pixels as the plain Keras network takes them: scaled to [0, 1], float32,
    shaped ``(n, 28, 28, 1)`` for the CNN and ``(n, 28, 28)`` for the LSTM."""
    X = (X / 255.0).astype(np.float32)
    return X.reshape(-1, 28, 28, 1) if model == "cnn" else X.reshape(-1, 28, 28)


def training_flops(model: str) -> float:
    """Floating-point operations to train on one image: 3x the forward pass's.

    Counted from the reference networks' shapes (a multiply-add is 2): the CNN's
    convolutions 26x26x32x9 and 11x11x64x(9x32), its dense layers 1600x128 and
    128x10; the LSTM's 28 steps of 4 gates of 128 units over 28 + 128 inputs, and
    128x10. The backward pass costs about twice the forward one.

    Examples
    --------
    >>> round(training_flops("cnn") / 1e6, 1), round(training_flops("lstm") / 1e6, 1)
    (15.8, 13.4)
    """
    if model == "cnn":
        forward = 26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32 + 1600 * 128 + 128 * 10
    else:
        forward = 28 * 4 * 128 * (28 + 128) + 128 * 10
    return 3 * 2 * float(forward)
