"""The training defaults, in one table that needs no TensorFlow to read.

The classifiers' signatures and docstrings and the command line's help read them
from here.
"""

from __future__ import annotations

__all__ = ["AUTO_TRAINING", "REFERENCE_TRAINING", "TRAINING_DEFAULTS", "auto_training"]

#: The reference notebook's training setting. ``CNNClassifier(**REFERENCE_TRAINING)``
#: and ``LSTMClassifier(**REFERENCE_TRAINING)`` train exactly as the reference did.
REFERENCE_TRAINING = {
    "learning_rate": 0.001,
    "lr_schedule": "constant",
    "batch_size": 32,
    "standardize": False,
}

#: Each network's own training defaults, chosen by cross-validation (docs/results.md).
TRAINING_DEFAULTS = {
    "cnn": {
        "learning_rate": "auto",
        "lr_schedule": "cosine",
        "batch_size": "auto",
        "standardize": False,
    },
    "lstm": {
        "learning_rate": "auto",
        "lr_schedule": "cosine",
        "batch_size": "auto",
        "standardize": True,
    },
}

#: What ``batch_size="auto"`` and ``learning_rate="auto"`` give, per network: the
#: batch size of the first row whose training-set size bound (None: no bound) holds
#: the fit's number of training images, and the learning rate ``rate * sqrt(batch /
#: batch_of_rate)`` for that batch (the square-root scaling of Adam's rate with the
#: batch). Networks of your own (``network_name`` not listed) get the reference's.
#: Both networks' rows: 5-fold CV on 1,000, 2,000 and 10,000 training images and 3-fold CV
#: on 60,000 (docs/results.md, "Training defaults by data size").
AUTO_TRAINING = {
    "cnn": {
        "batch_sizes": ((3_000, 32), (15_000, 64), (30_000, 128), (None, 256)),
        "rate": (0.003, 128),
    },
    "lstm": {"batch_sizes": ((3_000, 16), (15_000, 32), (None, 128)), "rate": (0.003, 16)},
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
