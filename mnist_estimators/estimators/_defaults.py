"""The training defaults, in one table that needs no TensorFlow to read.

The classifiers' signatures and docstrings and the command line's help read them
from here.
"""

from __future__ import annotations

__all__ = ["AUTO_TRAINING", "REFERENCE_TRAINING", "TRAINING_DEFAULTS", "auto_training"]

from .registry import MODELS, REFERENCE_TRAINING

#: Each network's own training defaults, chosen by cross-validation (docs/results.md),
#: read from the registry of models.
TRAINING_DEFAULTS = {name: dict(spec.training) for name, spec in MODELS.items() if spec.training}

#: What ``batch_size="auto"`` and ``learning_rate="auto"`` give, per network: the
#: batch size of the first row whose training-set size bound (None: no bound) holds
#: the fit's number of training images, and the learning rate ``rate * sqrt(batch /
#: batch_of_rate)`` for that batch (the square-root scaling of Adam's rate with the
#: batch). Networks of your own (``network_name`` not listed) get the reference's.
#: The CNN's and LSTM's rows: 5-fold CV on 1,000, 2,000 and 10,000 training images and
#: 3-fold CV on 60,000 (docs/results.md, "Training defaults by data size"); the zoo's
#: networks share them (a GRU the LSTM's, the MLP and ViT the CNN's).
AUTO_TRAINING = {
    **{name: dict(spec.auto) for name, spec in MODELS.items() if spec.auto},
    "reference": {"batch_sizes": ((None, 32),), "rate": (0.001, 32)},
}


def auto_training(network: str, n_samples: int, batch_size="auto") -> tuple[int, float]:
    """The batch size and learning rate that ``"auto"`` gives a network at a data size.

    Parameters
    ----------
    network : str
        A key of :data:`AUTO_TRAINING` (``"cnn"``, ``"lstm"``); any other gets the
        reference's row.
    n_samples : int
        Training images the network learns from in the fit.
    batch_size : int or "auto", default="auto"
        A batch size set by hand, which the learning rate then follows.

    Returns
    -------
    tuple
        ``(batch_size, learning_rate)``.

    Examples
    --------
    >>> auto_training("cnn", 20_000)
    (128, 0.003)
    >>> auto_training("cnn", 60_000)
    (256, 0.004243)
    >>> auto_training("cnn", 2_000)
    (32, 0.0015)
    >>> auto_training("lstm", 2_000, batch_size=64)
    (64, 0.006)
    >>> auto_training("lstm", 60_000)
    (128, 0.008485)
    """
    rule = AUTO_TRAINING.get(network, AUTO_TRAINING["reference"])
    if batch_size == "auto":
        batch_size = next(
            b for bound, b in rule["batch_sizes"] if bound is None or n_samples <= bound
        )
    rate, at = rule["rate"]
    return int(batch_size), round(rate * (batch_size / at) ** 0.5, 6)
