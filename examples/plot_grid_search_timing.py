"""
The cheapest CNN that is as good
================================

Tune the CNN with ``GridSearchCV`` while scoring accuracy, training time and
prediction time, and refit the fastest candidate within 0.5 percentage point of
the best accuracy.
"""

import pandas as pd
from sklearn.model_selection import GridSearchCV

from mnist_estimators import load_digits_images, make_cnn_pipeline
from mnist_estimators.scoring import TIMING_SCORING, FastestWithinTolerance

X, y = load_digits_images("train", return_X_y=True)
grid = {"cnnclassifier__filters": [8, 32], "cnnclassifier__dense_units": [32, 128]}
search = GridSearchCV(
    make_cnn_pipeline(epochs=3, random_state=0),
    grid,
    scoring=TIMING_SCORING,
    refit=FastestWithinTolerance(tolerance=0.005),
    cv=3,
)
search.fit(X, y)
table = pd.DataFrame(search.cv_results_)[["params", "mean_test_accuracy", "mean_test_neg_fit_time"]]
print(table.assign(fit_seconds=-table.pop("mean_test_neg_fit_time")))
print("chosen:", search.best_params_)
