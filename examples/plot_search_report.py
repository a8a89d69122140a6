"""
A grid search as a comparison report
====================================

Make the two networks themselves the candidates of one ``GridSearchCV``, scored
with accuracy, log loss and both times, and turn the fitted search into the
same comparison report as ``compare_models``: fold spread, corrected t-tests
against the best candidate, and the accuracy-versus-time Pareto front with the
refit choice circled.
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from mnist_estimators import (
    from_search,
    load_mnist,
    make_cnn_pipeline,
    make_lstm_pipeline,
    write_report,
)
from mnist_estimators.evaluation import TIMING_SCORING, FastestWithinTolerance
from mnist_estimators.reporting import verdict_sentences

QUICK = os.environ.get("MNIST_ESTIMATORS_QUICK") == "1"
N_TRAIN, N_TEST, EPOCHS = (1200, 500, 1) if QUICK else (60000, 10000, 5)

X, y = load_mnist("train", return_X_y=True)
X_test, y_test = load_mnist("test", return_X_y=True)
X, y, X_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X_test[:N_TEST], y_test[:N_TEST]

candidates = [
    make_cnn_pipeline(epochs=EPOCHS, random_state=0),
    make_cnn_pipeline(epochs=EPOCHS, filters=8, random_state=0),
    make_lstm_pipeline(epochs=EPOCHS, random_state=0),
    make_lstm_pipeline(epochs=EPOCHS, units=32, random_state=0),
]
search = GridSearchCV(
    Pipeline([("model", candidates[0])]),
    {"model": candidates},
    scoring=TIMING_SCORING,
    refit=FastestWithinTolerance(0.005),
    cv=3,
).fit(X, y)

# %%
# The report
# ----------
# ``from_search`` reads the fitted search into a ``SearchResult`` (the refit
# model tested on ``X_test``); ``write_report`` writes it, with ``best.json``.
result = from_search(search, X_test=X_test, y_test=y_test)
print(result.summary[["accuracy_mean", "accuracy_std", "fit_time_mean"]])
for line in verdict_sentences(result):
    print(line)
written = write_report(result, tempfile.mkdtemp(prefix="search-"))
print("files:", sorted(written))

# %%
# Accuracy against training time
# ------------------------------
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.imshow(plt.imread(written["accuracy_vs_time"]))
ax.set_axis_off()
fig.tight_layout()
plt.show()
