"""A package LSTM layer and ``keras.layers.LSTM`` with the same non-trivial weights, for the
layer tests (tests/test_layers.py on TensorFlow, tests/test_backends.py on every backend)."""

from __future__ import annotations

import numpy as np

from mnist_estimators._keras.runtime import keras


def lstm_pair(cls, units=16, steps=28, **kwargs):
    """``(x, layer, plain)``: 7 sequences of ``steps`` rows of 28, the two layers built on them."""
    x = np.random.default_rng(0).normal(size=(7, steps, 28)).astype(np.float32)
    layer, plain = cls(units, **kwargs), keras.layers.LSTM(units, **kwargs)
    layer(x), plain(x)
    rng = np.random.default_rng(1)  # non-trivial weights, the bias included
    weights = [rng.normal(scale=0.3, size=w.shape).astype(np.float32) for w in plain.get_weights()]
    layer.set_weights(weights)
    plain.set_weights(weights)
    return x, layer, plain
