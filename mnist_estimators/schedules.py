"""Learning-rate schedules that run inside the Keras optimizer."""

from __future__ import annotations

import math

from ._tf import keras

__all__ = ["CosineToConstant"]


@keras.saving.register_keras_serializable(package="mnist_estimators")
class CosineToConstant(keras.optimizers.schedules.LearningRateSchedule):
    """A half cosine from ``learning_rate`` to 0 over ``decay_steps``, then ``learning_rate`` again.

    The optimizer evaluates it at its own step counter inside the compiled
    training step, so no Python code runs per batch. At step ``t < T`` the rate
    is ``learning_rate * (1 + cos(pi * t / T)) / 2``; from step ``T`` on (the
    ``partial_fit`` calls that follow a ``fit``) it is the constant
    ``learning_rate``, as ``partial_fit`` promises.

    Parameters
    ----------
    learning_rate : float
        Rate at the first step, and after the horizon.
    decay_steps : int
        Length ``T`` of the cosine, in optimizer steps (batches).

    Examples
    --------
    >>> schedule = CosineToConstant(0.01, decay_steps=100)
    >>> [round(float(schedule(step)), 6) for step in (0, 50, 99, 100, 250)]
    [0.01, 0.005, 2e-06, 0.01, 0.01]
    """

    def __init__(self, learning_rate: float, decay_steps: int):
        super().__init__()
        self.learning_rate = float(learning_rate)
        self.decay_steps = int(decay_steps)

    def __call__(self, step):
        ops = keras.ops
        step = ops.cast(step, "float32")
        horizon = float(max(self.decay_steps, 1))
        cosine = (
            0.5
            * self.learning_rate
            * (1.0 + ops.cos(math.pi * ops.minimum(step, horizon) / horizon))
        )
        return ops.where(step < horizon, cosine, self.learning_rate)

    def get_config(self) -> dict:
        return {"learning_rate": self.learning_rate, "decay_steps": self.decay_steps}
