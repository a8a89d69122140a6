"""
A custom network on KerasImageClassifier
========================================

Subclass :class:`~mnist_estimators.KerasImageClassifier` with your own layers and
get everything else for free: input checks, labels, seeding, the optimizer and
its schedule, validation data, warm starts, timing, pickling, ``clone`` and
``GridSearchCV``. Here, a one-hidden-layer perceptron on flat pixels,
cross-validated against the CNN.
"""

# %%
# The class
# ---------
# Its own parameter (``hidden_units``), declared with its constraint (scikit-learn's
# ``Interval``, re-exported by :mod:`mnist_estimators.estimators`), then the common
# ones passed on to the base class. ``input_layout = "flat"`` asks for ``(n, 784)``
# input; ``"image"`` would give ``(n, 28, 28, 1)``. ``build_network`` applies the
# layers, from ``keras`` (Keras 3 itself, as ``mnist_estimators`` imports it, its
# TensorFlow start-up notices silenced), to the symbolic input and returns the
# output tensor; ``network_name`` names the Keras model.
import os
from numbers import Integral

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline

from mnist_estimators import (
    KerasImageClassifier,
    PixelScaler,
    keras,
    load_mnist,
    make_cnn_pipeline,
)
from mnist_estimators.estimators import Interval


class MLPClassifier(KerasImageClassifier):
    """Dense(hidden_units, relu) -> Dense(n_classes, softmax) on flat pixels."""

    _parameter_constraints = {
        **KerasImageClassifier._parameter_constraints,
        "hidden_units": [Interval(Integral, 1, None, closed="left")],
    }
    input_layout = "flat"
    network_name = "mlp"

    def __init__(self, *, hidden_units=256, epochs=5, batch_size=32, random_state=None):
        self.hidden_units = hidden_units
        super().__init__(epochs=epochs, batch_size=batch_size, random_state=random_state)

    def build_network(self, inputs, n_classes):
        x = keras.layers.Dense(self.hidden_units, activation="relu")(inputs)
        return keras.layers.Dense(n_classes, activation="softmax")(x)


# %%
# It is a scikit-learn classifier
# -------------------------------
QUICK = os.environ.get("MNIST_ESTIMATORS_QUICK") == "1"
N_TRAIN, EPOCHS = (1500, 2) if QUICK else (60000, 5)
X, y = load_mnist("train", return_X_y=True)
X, y = X[:N_TRAIN], y[:N_TRAIN]

mlp = make_pipeline(PixelScaler(), MLPClassifier(epochs=EPOCHS, random_state=0))
print(clone(mlp))
try:
    MLPClassifier(hidden_units=0).fit(X, y)
except ValueError as exc:
    print("ValueError:", exc)

cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
scores = {
    "MLP": cross_validate(mlp, X, y, cv=cv, return_estimator=True),
    "CNN": cross_validate(
        make_cnn_pipeline(epochs=EPOCHS, random_state=0), X, y, cv=cv, return_estimator=True
    ),
}
for name, res in scores.items():
    print(f"{name}: accuracy {res['test_score'].mean():.4f}, fit {res['fit_time'].mean():.1f} s")

# %%
# Training loss per epoch, one line per fold
# ------------------------------------------
# ``history_`` holds the per-epoch loss, accuracy and epoch time.
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for (name, res), color in zip(scores.items(), ["tab:blue", "tab:orange"], strict=False):
    for k, pipe in enumerate(res["estimator"]):
        loss = pipe[-1].history_["loss"]
        ax.plot(np.arange(1, len(loss) + 1), loss, color=color, label=name if k == 0 else None)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend()
fig.tight_layout()
plt.show()
