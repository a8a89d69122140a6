"""
CNN vs LSTM in a few lines
==========================

Cross-validate both reference networks on the same folds with scikit-learn's
``cross_validate``, over two training seeds, refit them, test them, and ask
whether the difference is real. Runs on scikit-learn's embedded 8x8 digits (no
files, no network) in a few minutes; swap in ``load_mnist`` for the real question.
"""

import tempfile

from mnist_estimators import (
    compare_models,
    load_digits_images,
    make_cnn_pipeline,
    make_lstm_pipeline,
)

X, y = load_digits_images("train", return_X_y=True)
X_test, y_test = load_digits_images("test", return_X_y=True)

models = {"CNN": make_cnn_pipeline(epochs=5), "LSTM": make_lstm_pipeline(epochs=5)}
out = tempfile.mkdtemp(prefix="compare-")  # resumable: rerun with the same folder to resume
result = compare_models(models, X, y, cv=3, X_test=X_test, y_test=y_test, seeds=2, out_dir=out)
print(result.summary[["accuracy_mean", "accuracy_std", "fit_time_mean", "test_accuracy"]])
for line in result.verdicts:
    print(line)
written = result.save(out)
print("report:", written["report.md"])
