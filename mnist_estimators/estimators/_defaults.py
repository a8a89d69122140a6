"""The training defaults, in one table that needs no TensorFlow to read.

The classifiers' signatures and docstrings and the command line's help read them
from here.
"""

from __future__ import annotations

__all__ = ["REFERENCE_TRAINING", "TRAINING_DEFAULTS"]

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
        "learning_rate": 0.003,
        "lr_schedule": "cosine",
        "batch_size": 128,
        "standardize": False,
    },
    "lstm": {
        "learning_rate": 0.003,
        "lr_schedule": "cosine",
        "batch_size": 16,
        "standardize": True,
    },
}
