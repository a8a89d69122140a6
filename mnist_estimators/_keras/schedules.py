"""Learning-rate schedules that run inside the Keras optimizer."""

from __future__ import annotations

import math

from .runtime import keras

__all__ = ["CosineToConstant", "set_cosine_schedule"]


@keras.saving.register_keras_serializable(package="mnist_estimators")
class CosineToConstant(keras.optimizers.schedules.LearningRateSchedule):
    """A half cosine from ``learning_rate`` to 0 over ``decay_steps``, then ``learning_rate`` again.

    The optimizer evaluates it at its own step counter inside the compiled
    training step, so no Python code runs per batch. With ``s = start_step``,
    at step ``s <= t < s + T`` the rate is ``learning_rate * (1 + cos(pi * (t -
    s) / T)) / 2``; outside (the ``partial_fit`` calls that follow a ``fit``)
    it is the constant ``learning_rate``, as ``partial_fit`` promises. A
    warm-started ``fit`` starts a new cosine at the step the last one stopped.

    Parameters
    ----------
    learning_rate : float
        Rate at the first step, and after the horizon.
    decay_steps : int
        Length ``T`` of the cosine, in optimizer steps (batches).
    start_step : int, default=0
        Optimizer step at which the cosine starts.

    Examples
    --------
    >>> schedule = CosineToConstant(0.01, decay_steps=100)
    >>> [round(float(schedule(step)), 6) for step in (0, 50, 99, 100, 250)]
    [0.01, 0.005, 2e-06, 0.01, 0.01]
    >>> restart = CosineToConstant(0.01, decay_steps=100, start_step=100)
    >>> [round(float(restart(step)), 6) for step in (99, 100, 150, 200)]
    [0.01, 0.01, 0.005, 0.01]
    """

    def __init__(self, learning_rate: float, decay_steps: int, start_step: int = 0):
        super().__init__()
        self.learning_rate = float(learning_rate)
        self.decay_steps = int(decay_steps)
        self.start_step = int(start_step)

    def __call__(self, step):
        ops = keras.ops
        step = ops.cast(step, "float32") - float(self.start_step)
        horizon = float(max(self.decay_steps, 1))
        clipped = ops.clip(step, 0.0, horizon)
        cosine = 0.5 * self.learning_rate * (1.0 + ops.cos(math.pi * clipped / horizon))
        return ops.where((step >= 0.0) & (step < horizon), cosine, self.learning_rate)

    def get_config(self) -> dict:
        return {
            "learning_rate": self.learning_rate,
            "decay_steps": self.decay_steps,
            "start_step": self.start_step,
        }


def set_cosine_schedule(model, learning_rate: float, decay_steps: int) -> None:
    """Give ``model``'s optimizer a :class:`CosineToConstant` from its current step on.

    The traced training step holds the schedule it was traced with (its numbers
    are constants of the trace). So when the model already has a traced step and
    its schedule was another one (a warm start that goes on from a later step, a
    reused network trained on another number of batches), the step is traced
    again; with the same schedule, the traced step is kept.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    learning_rate : float
        The rate at the cosine's first step.
    decay_steps : int
        Length of the cosine, in batches.
    """
    optimizer = model.optimizer
    start = int(optimizer.iterations.numpy())
    schedule = CosineToConstant(learning_rate, decay_steps, start_step=start)
    previous = optimizer._learning_rate  # the schedule object itself (Keras keeps no other handle)
    optimizer.learning_rate = schedule
    same = isinstance(previous, CosineToConstant) and previous.get_config() == schedule.get_config()
    if model.train_function is not None and not same:
        model.make_train_function(force=True)
