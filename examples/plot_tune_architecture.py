"""
Tuning the architecture through constructor parameters
======================================================

Every layer size is a constructor argument, so scikit-learn's
``validation_curve`` sweeps the CNN's number of filters and the LSTM's number
of units like any other hyperparameter, through the pipeline's step names.
"""

# %%
import os

import matplotlib.pyplot as plt
from sklearn.model_selection import StratifiedKFold, validation_curve

from mnist_estimators import load_mnist, make_cnn_pipeline, make_lstm_pipeline

QUICK = os.environ.get("MNIST_ESTIMATORS_QUICK") == "1"
N_TRAIN, EPOCHS = (1200, 1) if QUICK else (20000, 5)

X, y = load_mnist("train", return_X_y=True)
X, y = X[:N_TRAIN], y[:N_TRAIN]
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

sweeps = [
    (
        "CNN",
        make_cnn_pipeline(epochs=EPOCHS, random_state=0),
        "cnnclassifier__filters",
        [4, 8, 16, 32],
    ),
    (
        "LSTM",
        make_lstm_pipeline(epochs=EPOCHS, random_state=0),
        "lstmclassifier__units",
        [16, 32, 64, 128],
    ),
]

# %%
# One validation curve per network
# --------------------------------
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5), sharey=True)
for ax, (name, pipe, param, values) in zip(axes, sweeps, strict=False):
    train, test = validation_curve(pipe, X, y, param_name=param, param_range=values, cv=cv)
    ax.errorbar(values, test.mean(axis=1), yerr=test.std(axis=1), marker="o", label="held-out fold")
    ax.plot(values, train.mean(axis=1), linestyle="--", label="training folds")
    ax.set_xscale("log", base=2)
    ax.set_xticks(values, [str(v) for v in values])
    ax.set_xlabel(param.split("__")[1])
    ax.set_title(name)
    print(name, dict(zip(values, test.mean(axis=1).round(4), strict=False)))
axes[0].set_ylabel("accuracy")
axes[0].legend()
fig.tight_layout()
plt.show()
