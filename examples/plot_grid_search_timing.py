"""
The cheapest CNN that is as good
================================

Tune the CNN with ``GridSearchCV`` while scoring accuracy, log loss, training
time and prediction time, refit the fastest candidate within 0.5 percentage
point of the best accuracy, and turn the search into a comparison report:
each candidate's fold spread, corrected t-tests against the best, and the
accuracy-versus-time Pareto front.
"""

import tempfile

from sklearn.model_selection import GridSearchCV

from mnist_estimators import ComparisonResult, load_digits_images, make_cnn_pipeline
from mnist_estimators.scoring import TIMING_SCORING, FastestWithinTolerance

X, y = load_digits_images("train", return_X_y=True)
X_test, y_test = load_digits_images("test", return_X_y=True)
grid = {"cnnclassifier__filters": [8, 32], "cnnclassifier__dense_units": [32, 128]}
search = GridSearchCV(
    make_cnn_pipeline(epochs=3, random_state=0),
    grid,
    scoring=TIMING_SCORING,
    refit=FastestWithinTolerance(tolerance=0.005),
    cv=3,
)
search.fit(X, y)
result = ComparisonResult.from_search(search, X_test=X_test, y_test=y_test)
print(result.summary[["accuracy_mean", "accuracy_std", "fit_time_mean"]])
for line in result.verdicts:
    print(line)
print("report:", result.save(tempfile.mkdtemp(prefix="search-"))["report.md"])
