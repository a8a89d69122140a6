"""
CNN vs LSTM in a few lines
==========================

Cross-validate both reference networks on the same folds, refit them, test them,
and ask whether the difference is real. Runs on scikit-learn's embedded 8x8
digits (no files, no network) in about a minute; swap in ``load_mnist`` for the
real question.
"""

from mnist_estimators import (
    compare_models,
    load_digits_images,
    make_cnn_pipeline,
    make_lstm_pipeline,
)

X, y = load_digits_images("train", return_X_y=True)
X_test, y_test = load_digits_images("test", return_X_y=True)

models = {
    "cnn": make_cnn_pipeline(epochs=5, random_state=0),
    "lstm": make_lstm_pipeline(epochs=5, random_state=0),
}
result = compare_models(
    models, X, y, cv=3, X_test=X_test, y_test=y_test, out_dir="runs/example-compare"
)
print(result.summary[["accuracy_mean", "accuracy_std", "fit_time_mean", "test_accuracy"]])
for line in result.verdicts:
    print(line)
written = result.save("runs/example-compare")
print("report:", written["report.md"])
