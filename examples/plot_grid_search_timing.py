"""
GridSearchCV with the timing-aware refit
========================================

Tune the CNN with ``GridSearchCV`` while scoring accuracy, log loss, training
time and prediction time, and refit the *fastest* candidate whose accuracy is
within half a point of the best rather than the most accurate one.
"""

# %%
import os

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.model_selection import GridSearchCV

from mnist_estimators import load_mnist, make_cnn_pipeline
from mnist_estimators.evaluation import TIMING_SCORING, FastestWithinTolerance

QUICK = os.environ.get("MNIST_ESTIMATORS_QUICK") == "1"
N_TRAIN, EPOCHS = (1200, 1) if QUICK else (20000, 5)

X, y = load_mnist("train", return_X_y=True)
X, y = X[:N_TRAIN], y[:N_TRAIN]

grid = {"cnnclassifier__filters": [8, 32], "cnnclassifier__dense_units": [32, 128]}
search = GridSearchCV(
    make_cnn_pipeline(epochs=EPOCHS, random_state=0),
    grid,
    scoring=TIMING_SCORING,
    refit=FastestWithinTolerance(tolerance=0.005),
    cv=3,
).fit(X, y)

table = pd.DataFrame(search.cv_results_)[
    ["params", "mean_test_accuracy", "std_test_accuracy", "mean_test_neg_fit_time"]
]
table["fit_time"] = -table.pop("mean_test_neg_fit_time")
print(table.to_string(index=False))
print("refit:", search.best_params_)

# %%
# Accuracy against training time
# -------------------------------
# The refit choice is circled: the cheapest candidate within the tolerance.
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.errorbar(
    table["fit_time"], table["mean_test_accuracy"], yerr=table["std_test_accuracy"], fmt="o"
)
for _, row in table.iterrows():
    label = (
        f"{row['params']['cnnclassifier__filters']}f/{row['params']['cnnclassifier__dense_units']}u"
    )
    ax.annotate(label, (row["fit_time"], row["mean_test_accuracy"]), fontsize=8)
best = table.iloc[search.best_index_]
ax.scatter(best["fit_time"], best["mean_test_accuracy"], s=300, facecolors="none", edgecolors="red")
ax.set_xlabel("mean training time per fold (s)")
ax.set_ylabel("mean CV accuracy")
fig.tight_layout()
plt.show()
