"""Keras callbacks used by the classifiers."""

from __future__ import annotations

import time

from .runtime import keras

__all__ = ["EpochTimer"]


class EpochTimer(keras.callbacks.Callback):
    """Record each epoch's wall time, in seconds, as ``logs["epoch_time"]``.

    Keras' ``History`` callback runs after user callbacks, so the time lands in
    ``model.history.history["epoch_time"]`` next to the loss and metrics (and
    from there in the classifiers' ``history_``).
    """

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_time"] = time.perf_counter() - self._start
