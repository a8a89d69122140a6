"""Timing-aware scoring and model selection.

Scorers follow scikit-learn's convention (``scorer(estimator, X, y)``, greater
is better), so times are negated like scikit-learn's ``neg_log_loss``. All are
module-level and picklable; use them alone or in a multi-metric dict::

    scoring = {"accuracy": "accuracy", "neg_fit_time": neg_fit_time_scorer,
               "neg_predict_time": neg_predict_time_scorer,
               "tradeoff": AccuracyTimeTradeoff(cost_per_minute=0.01)}
    GridSearchCV(pipe, grid, scoring=scoring, refit=FastestWithinTolerance(0.002))
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

from . import _clock

__all__ = [
    "COMPARISON_SCORING",
    "TIMING_SCORING",
    "AccuracyTimeTradeoff",
    "FastestWithinTolerance",
    "PredictTimeScorer",
    "accuracy_scorer",
    "get_fit_time",
    "neg_fit_time_scorer",
    "neg_predict_time_scorer",
]


def final_step(estimator):
    """The estimator at the end of (possibly nested) Pipelines; ``estimator`` itself otherwise."""
    while isinstance(estimator, Pipeline):
        estimator = estimator[-1]
    return estimator


def get_fit_time(estimator) -> float:
    """Training seconds recorded by an estimator (or a Pipeline's last step).

    Raises
    ------
    AttributeError
        The estimator records no ``fit_time_`` (it is not one of ours, or is
        not fitted).
    """
    final = final_step(estimator)
    try:
        return float(final.fit_time_)
    except AttributeError:
        raise AttributeError(
            f"{type(final).__name__} has no fit_time_: the fit-time scorers need a fitted "
            "CNNClassifier/LSTMClassifier (or a Pipeline ending in one)."
        ) from None


def accuracy_scorer(estimator, X, y) -> float:
    """Accuracy of ``estimator.predict(X)`` (same as ``scoring="accuracy"``)."""
    return float(accuracy_score(y, estimator.predict(X)))


def neg_fit_time_scorer(estimator, X, y) -> float:
    """Minus the training time in seconds, read from the estimator's ``fit_time_``.

    ``X`` and ``y`` are ignored: the time is the fit's, measured inside ``fit``
    (network training only, not the pipeline's preprocessing).
    """
    return -get_fit_time(estimator)


class PredictTimeScorer:
    """Minus the seconds ``estimator.predict`` takes per 1,000 images of ``X``.

    Parameters
    ----------
    per : int, default=1000
        Report seconds per this many images.
    clock : callable, default=None
        Returns seconds; ``None`` is the package clock. Tests pass a fake.

    Examples
    --------
    >>> ticks = iter([0.0, 0.5])
    >>> class Dummy:
    ...     def predict(self, X):
    ...         return X
    >>> PredictTimeScorer(clock=lambda: next(ticks))(Dummy(), [0] * 2000, None)
    -0.25
    """

    def __init__(self, per: int = 1000, clock: Callable[[], float] | None = None):
        self.per = per
        self.clock = clock

    def __call__(self, estimator, X, y=None) -> float:
        clock = self.clock or _clock.now
        start = clock()
        estimator.predict(X)
        elapsed = clock() - start
        return -elapsed * self.per / max(len(X), 1)

    def __repr__(self) -> str:
        return f"PredictTimeScorer(per={self.per})"


neg_predict_time_scorer = PredictTimeScorer()


class AccuracyTimeTradeoff:
    """Accuracy minus a penalty for training time: one number to maximise.

    ``score = accuracy - cost_per_minute * fit_minutes`` where ``fit_minutes``
    is the estimator's ``fit_time_ / 60``. With the default
    ``cost_per_minute=0.001``, one more minute of training must buy at least
    0.1 percentage point of accuracy to be worth it. With ``budget_minutes``
    set, time within the budget is free and only the excess is charged.

    Parameters
    ----------
    cost_per_minute : float, default=0.001
        Accuracy (as a fraction) one minute of training is worth.
    budget_minutes : float, default=0.0
        Training time that costs nothing.

    Examples
    --------
    >>> import numpy as np
    >>> class Fitted:
    ...     fit_time_ = 120.0
    ...     def predict(self, X):
    ...         return np.zeros(len(X))
    >>> AccuracyTimeTradeoff(cost_per_minute=0.01)(Fitted(), np.zeros((4, 1)), [0, 0, 0, 1])
    0.73
    """

    def __init__(self, cost_per_minute: float = 0.001, budget_minutes: float = 0.0):
        self.cost_per_minute = cost_per_minute
        self.budget_minutes = budget_minutes

    def __call__(self, estimator, X, y) -> float:
        accuracy = accuracy_score(y, estimator.predict(X))
        minutes = get_fit_time(estimator) / 60.0
        charged = max(minutes - self.budget_minutes, 0.0)
        return float(round(accuracy - self.cost_per_minute * charged, 12))

    def __repr__(self) -> str:
        return (
            f"AccuracyTimeTradeoff(cost_per_minute={self.cost_per_minute}, "
            f"budget_minutes={self.budget_minutes})"
        )


#: For ``GridSearchCV(scoring=...)``: accuracy, the two times and the trade-off;
#: :meth:`ComparisonResult.from_search <mnist_estimators.ComparisonResult.from_search>`
#: reads a search scored with it.
TIMING_SCORING = {
    "accuracy": "accuracy",
    "neg_log_loss": "neg_log_loss",
    "neg_fit_time": neg_fit_time_scorer,
    "neg_predict_time": neg_predict_time_scorer,
    "tradeoff": AccuracyTimeTradeoff(),
}

#: What :func:`~mnist_estimators.compare_models` passes to ``cross_validate`` for each
#: fold: accuracy, negated log loss, and the fit-time and predict-time scorers.
COMPARISON_SCORING = {
    "accuracy": "accuracy",
    "neg_log_loss": "neg_log_loss",
    "neg_fit_time": neg_fit_time_scorer,
    "neg_predict_time": neg_predict_time_scorer,
}


class FastestWithinTolerance:
    """``refit`` for ``GridSearchCV``: the cheapest candidate that is as good.

    Among candidates whose mean test ``metric`` is within ``tolerance`` of the
    best mean, pick the one with the smallest mean training time. Training time
    is ``-mean_test_neg_fit_time`` when that scorer is in the scoring dict
    (the network's own measure), else scikit-learn's ``mean_fit_time``.

    Parameters
    ----------
    tolerance : float, default=0.002
        Allowed drop in the metric (0.002 = 0.2 percentage point of accuracy).
    metric : str, default="accuracy"
        Name of the metric in a multi-metric ``scoring`` dict; with a single
        metric, ``mean_test_score`` is used.

    Examples
    --------
    >>> import numpy as np
    >>> results = {"mean_test_score": np.array([0.990, 0.989, 0.950]),
    ...            "mean_fit_time": np.array([100.0, 40.0, 5.0])}
    >>> FastestWithinTolerance(0.002)(results)
    1
    """

    def __init__(self, tolerance: float = 0.002, metric: str = "accuracy"):
        self.tolerance = tolerance
        self.metric = metric

    def __call__(self, cv_results) -> int:
        key = f"mean_test_{self.metric}"
        if key not in cv_results:
            key = "mean_test_score"
        if key not in cv_results:
            raise KeyError(
                f"cv_results_ has neither mean_test_{self.metric} nor mean_test_score; "
                f"pass metric= one of the scoring names."
            )
        scores = np.asarray(cv_results[key], dtype=float)
        if "mean_test_neg_fit_time" in cv_results:
            times = -np.asarray(cv_results["mean_test_neg_fit_time"], dtype=float)
        else:
            times = np.asarray(cv_results["mean_fit_time"], dtype=float)
        valid = ~np.isnan(scores)
        if not valid.any():
            raise ValueError("Every candidate failed to score; nothing to refit.")
        best = np.nanmax(scores)
        eligible = np.flatnonzero(valid & (scores >= best - self.tolerance))
        return int(eligible[np.argmin(times[eligible])])

    def __repr__(self) -> str:
        return f"FastestWithinTolerance(tolerance={self.tolerance}, metric={self.metric!r})"
