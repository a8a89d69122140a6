"""Keras callbacks used by the classifiers."""

from __future__ import annotations

import math
import time

from ._tf import keras

__all__ = ["CosineLearningRate", "EpochTimer"]


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


class CosineLearningRate(keras.callbacks.Callback):
    """Decay the learning rate from its start value to 0 along a half cosine.

    Batch by batch over the whole training call (all its epochs): at step
    ``t`` of ``T`` the rate is ``lr * (1 + cos(pi * t / T)) / 2``. The start
    value is put back when training ends, so a later ``partial_fit`` starts
    from it again.

    Parameters
    ----------
    learning_rate : float
        Rate at the first step.

    Examples
    --------
    >>> CosineLearningRate(0.01).rate_at(step=50, total=100)
    0.005
    """

    def __init__(self, learning_rate: float):
        super().__init__()
        self.learning_rate = float(learning_rate)

    def rate_at(self, step: int, total: int) -> float:
        """Learning rate at ``step`` (0-based) of ``total`` steps."""
        fraction = min(step, total) / max(total, 1)
        return round(self.learning_rate * 0.5 * (1.0 + math.cos(math.pi * fraction)), 12)

    def on_train_begin(self, logs=None):
        self._steps_per_epoch = self.params.get("steps") or 1
        self._step = 0
        self._total = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._total is None:  # first epoch of this call: epochs run = epochs - initial_epoch
            self._total = self._steps_per_epoch * max(self.params.get("epochs", 1) - epoch, 1)

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.rate_at(self._step, self._total))
        self._step += 1

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self.learning_rate)
