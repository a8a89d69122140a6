"""
The full CNN-versus-LSTM comparison
===================================

``compare_models`` cross-validates both networks on the same folds, over two
training seeds, refits them on all training data, tests them, asks whether the
difference is real, and writes the report with its figures. This is what
``mnist-estimators compare`` runs.
"""

# %%
import os
import tempfile

import matplotlib.pyplot as plt

from mnist_estimators import (
    compare_models,
    load_mnist,
    make_cnn_pipeline,
    make_lstm_pipeline,
    write_report,
)
from mnist_estimators.reporting import verdict_sentences

QUICK = os.environ.get("MNIST_ESTIMATORS_QUICK") == "1"
N_TRAIN, N_TEST, EPOCHS, CV = (1200, 500, 1, 2) if QUICK else (60000, 10000, 5, 5)

X, y = load_mnist("train", return_X_y=True)
X_test, y_test = load_mnist("test", return_X_y=True)
X, y, X_test, y_test = X[:N_TRAIN], y[:N_TRAIN], X_test[:N_TEST], y_test[:N_TEST]

models = {"CNN": make_cnn_pipeline(epochs=EPOCHS), "LSTM": make_lstm_pipeline(epochs=EPOCHS)}
out = tempfile.mkdtemp(prefix="compare-")  # resumable: run again with this folder to resume
result = compare_models(
    models, X, y, cv=CV, X_test=X_test, y_test=y_test, seeds=2, out_dir=out, progress=False
)
print(result.summary[["accuracy_mean", "accuracy_std", "fit_time_mean", "test_accuracy"]])

# %%
# Is the difference real?
# -----------------------
# One sentence per pair, from the corrected t-test on the folds and McNemar's
# test on each seed's test predictions (the report's sentences,
# :func:`mnist_estimators.reporting.verdict_sentences`).
for line in verdict_sentences(result):
    print(line)

# %%
# The report's figures
# --------------------
# ``write_report`` writes report.md, results.csv, results.json and these figures;
# the result itself holds only the data and the statistics.
written = write_report(result, out)
for name in ("learning_curves", "accuracy_vs_time"):
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.imshow(plt.imread(written[name]))
    ax.set_axis_off()
    fig.tight_layout()
plt.show()
