"""
Cross-validating both pipelines
===============================

``cross_validate`` the CNN and the LSTM pipelines on the same stratified folds,
exactly as any scikit-learn classifier, and plot each fold's accuracy and
training time side by side.
"""

# %%
# Data and sizes
# --------------
# ``MNIST_ESTIMATORS_QUICK=1`` (the docs build) caps the data and epochs.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_validate

from mnist_estimators import load_mnist, make_cnn_pipeline, make_lstm_pipeline

QUICK = os.environ.get("MNIST_ESTIMATORS_QUICK") == "1"
N_TRAIN, EPOCHS = (1500, 1) if QUICK else (60000, 5)

X, y = load_mnist("train", return_X_y=True)
X, y = X[:N_TRAIN], y[:N_TRAIN]

# %%
# The same folds for both
# -----------------------
# One ``StratifiedKFold`` object, so fold ``k`` holds out the same images for both
# networks and the per-fold results are paired.
cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
results = {
    name: cross_validate(make(epochs=EPOCHS, random_state=0), X, y, cv=cv, n_jobs=1)
    for name, make in [("CNN", make_cnn_pipeline), ("LSTM", make_lstm_pipeline)]
}
for name, res in results.items():
    acc = res["test_score"]
    print(
        f"{name}: accuracy {acc.mean():.4f} +/- {acc.std():.4f}, fit {res['fit_time'].mean():.1f} s"
    )

# %%
# Paired folds
# ------------
# A line joins the two networks' results on the same fold.
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
for ax, key, label in [
    (axes[0], "test_score", "accuracy"),
    (axes[1], "fit_time", "training time per fold (s)"),
]:
    values = np.array([results["CNN"][key], results["LSTM"][key]])
    ax.plot([0, 1], values, color="grey", alpha=0.6, marker="o")
    ax.set_xticks([0, 1], ["CNN", "LSTM"])
    ax.set_xlim(-0.4, 1.4)
    ax.set_ylabel(label)
fig.suptitle(f"3-fold CV on {len(y):,} MNIST images, {EPOCHS} epoch(s)")
fig.tight_layout()
plt.show()
