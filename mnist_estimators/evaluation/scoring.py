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

from collections.abc import Callable, Mapping

import numpy as np
from sklearn.metrics import accuracy_score, check_scoring, log_loss
from sklearn.pipeline import Pipeline

from .. import _clock
from ..estimators.timing import FitTimed

__all__ = [
    "COMPARISON_SCORING",
    "SCORE_COLUMNS",
    "SEPARATE_SCORING",
    "TIMING_SCORING",
    "AccuracyTimeTradeoff",
    "ComparisonScorer",
    "FastestWithinTolerance",
    "FitTimed",
    "PredictTimeScorer",
    "accuracy_scorer",
    "columns_from_scores",
    "final_step",
    "get_fit_time",
    "neg_fit_time_scorer",
    "neg_predict_time_scorer",
    "pareto_front",
    "predicts_argmax_of_proba",
    "scores_from_columns",
]


def _chain(estimator):
    """``estimator``, then each estimator inside it down to the final one: a Pipeline's
    last step, a :class:`~mnist_estimators.estimators.timing.FitTimed`'s (fitted) estimator."""
    while True:
        yield estimator
        if isinstance(estimator, Pipeline):
            estimator = estimator[-1]
        elif isinstance(estimator, FitTimed):
            estimator = getattr(estimator, "estimator_", estimator.estimator)
        else:
            return


def final_step(estimator):
    """The estimator at the end of (possibly nested) Pipelines and :class:`FitTimed`
    wrappers; ``estimator`` itself otherwise."""
    *_, last = _chain(estimator)
    return last


def get_fit_time(estimator) -> float:
    """Training seconds recorded by an estimator: the ``fit_time_`` of the first of it,
    its Pipeline's last step, and a :class:`FitTimed`'s estimator, that records one.

    A network of the package records its own (training only, not the pipeline's
    preprocessing); wrap any other estimator in :class:`FitTimed` to time its ``fit``
    (the package's comparisons and searches do that themselves).

    Raises
    ------
    AttributeError
        Nothing in the estimator recorded a training time (it is not fitted, or it is
        a scikit-learn estimator not wrapped in ``FitTimed``).
    """
    for level in _chain(estimator):
        if hasattr(level, "fit_time_"):
            return float(level.fit_time_)
    final = final_step(estimator)
    raise AttributeError(
        f"{type(final).__name__} records no fit_time_: the fit-time scorers need a fitted "
        "network of the package, or any estimator wrapped in "
        f"mnist_estimators.FitTimed, e.g. FitTimed({type(final).__name__}(...)) (compare "
        "and grid-search wrap it themselves)."
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
        return self.timed(estimator.predict, X)[1]

    def timed(self, predict: Callable, X) -> tuple:
        """``predict(X)``, and minus the seconds it took per ``per`` images of ``X``."""
        clock = self.clock or _clock.now
        start = clock()
        out = predict(X)
        elapsed = clock() - start
        return out, -elapsed * self.per / max(len(X), 1)

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
#: :func:`~mnist_estimators.evaluation.search.from_search`
#: reads a search scored with it.
TIMING_SCORING = {
    "accuracy": "accuracy",
    "neg_log_loss": "neg_log_loss",
    "neg_fit_time": neg_fit_time_scorer,
    "neg_predict_time": neg_predict_time_scorer,
    "tradeoff": AccuracyTimeTradeoff(),
}

#: The one table of what every fold, refit and search candidate is scored on:
#: (scorer name, column of the results' tables, sign). A column holds
#: ``sign * score``: scorers are greater-is-better, the tables hold log loss and
#: seconds as they are. Everything that turns scores into columns or back reads it.
SCORE_COLUMNS = (
    ("accuracy", "accuracy", 1.0),
    ("neg_log_loss", "log_loss", -1.0),
    ("neg_fit_time", "fit_time", -1.0),
    ("neg_predict_time", "predict_time_per_1000", -1.0),
)

#: The scorers of :data:`SCORE_COLUMNS`, each on its own: three predictions.
SEPARATE_SCORING = {scorer: TIMING_SCORING[scorer] for scorer, _, _ in SCORE_COLUMNS}


def predicts_argmax_of_proba(estimator) -> bool:
    """Whether ``estimator``'s final step says that its ``predict`` is the class of each
    row's largest ``predict_proba`` (its class attribute ``predicts_argmax_of_proba``:
    the package's networks)."""
    return bool(getattr(final_step(estimator), "predicts_argmax_of_proba", False))


class ComparisonScorer:
    """Every score of :data:`SCORE_COLUMNS` for a fitted classifier on ``(X, y)``, from
    one prediction where one gives them all.

    A multi-metric scorer (``scorer(estimator, X, y)`` returns a dict), for
    ``cross_validate(scoring=...)``. scikit-learn's scorers of :data:`SEPARATE_SCORING`
    predict three times: ``predict`` for accuracy, ``predict_proba`` for log loss,
    ``predict`` again, timed. When the estimator's final step predicts the class of its
    largest probability (:func:`predicts_argmax_of_proba`: the package's networks, whose
    ``predict`` and ``predict_proba`` run the same pass of the network), it is asked
    once (after one untimed call on the first image, which traces a fresh network's
    prediction): its ``predict_proba``, timed, is the predict time; the class of each row's
    largest probability is its prediction, and :func:`~sklearn.metrics.accuracy_score`
    and :func:`~sklearn.metrics.log_loss`, the functions scikit-learn's ``"accuracy"``
    and ``"neg_log_loss"`` apply, give the same scores as those. Any other estimator is
    scored by :data:`SEPARATE_SCORING`.

    Parameters
    ----------
    per : int, default=1000
        The predict time is in seconds per this many images.
    clock : callable, default=None
        Returns seconds; ``None`` is the package clock. Tests pass a fake.

    Examples
    --------
    >>> import numpy as np
    >>> class Network:
    ...     predicts_argmax_of_proba = True
    ...     classes_ = np.array(["a", "b"])
    ...     fit_time_ = 12.0
    ...     def predict_proba(self, X):
    ...         return np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> ticks = iter([0.0, 0.003])  # 3 ms for 3 images: 1 s per 1,000
    >>> scores = ComparisonScorer(clock=lambda: next(ticks))(Network(), np.zeros((3, 1)), ["a", "b", "b"])
    >>> {name: round(value, 4) for name, value in scores.items()}
    {'accuracy': 0.6667, 'neg_log_loss': -0.4149, 'neg_fit_time': -12.0, 'neg_predict_time': -1.0}
    """

    def __init__(self, per: int = 1000, clock: Callable[[], float] | None = None):
        self.per = per
        self.clock = clock

    def __call__(self, estimator, X, y) -> dict[str, float]:
        if not predicts_argmax_of_proba(estimator):
            return check_scoring(estimator, scoring=SEPARATE_SCORING)(estimator, X, y)
        return self.scores_and_predictions(estimator, X, y)[0]

    def scores_and_predictions(self, estimator, X, y) -> tuple[dict[str, float], np.ndarray]:
        """The scores, and the estimator's predictions for ``X`` (by :meth:`__call__`'s
        one prediction, or one more call of ``predict``)."""
        if not predicts_argmax_of_proba(estimator):
            return self(estimator, X, y), estimator.predict(X)
        if isinstance(X, np.ndarray) and len(X) > 1:
            # Untimed, so the time is of a network whose prediction is traced, as the third
            # prediction of scikit-learn's scorers was (tracing: 1-1.5 s for a fresh LSTM).
            estimator.predict_proba(X[:1])
        timer = PredictTimeScorer(per=self.per, clock=self.clock)
        proba, neg_predict_time = timer.timed(estimator.predict_proba, X)
        pred = np.asarray(estimator.classes_)[np.argmax(proba, axis=1)]
        scores = {
            "accuracy": float(accuracy_score(y, pred)),
            "neg_log_loss": -float(log_loss(y, proba)),
            "neg_fit_time": neg_fit_time_scorer(estimator, X, y),
            "neg_predict_time": neg_predict_time,
        }
        return scores, pred

    def __repr__(self) -> str:
        return f"ComparisonScorer(per={self.per})"


#: What :func:`~mnist_estimators.compare_models` and
#: :func:`~mnist_estimators.evaluation.search.grid_search` pass to ``cross_validate`` for
#: each fold (and score each refit with): accuracy, negated log loss, and the fit and
#: predict times, from one prediction of a network (:class:`ComparisonScorer`).
COMPARISON_SCORING = ComparisonScorer()


def columns_from_scores(score: Callable[[str], float | None] | Mapping) -> dict:
    """The table columns of one evaluation, from its scores by scorer name.

    Parameters
    ----------
    score : mapping or callable
        ``score[name]`` or ``score(name)`` gives a scorer's value, or None
        (a missing key too) when it was not measured: that column is NaN.

    Examples
    --------
    >>> columns_from_scores({"accuracy": 0.9, "neg_log_loss": -0.3, "neg_fit_time": -12.0})
    {'accuracy': 0.9, 'log_loss': 0.3, 'fit_time': 12.0, 'predict_time_per_1000': nan}
    """
    get = score.get if isinstance(score, Mapping) else score
    out = {}
    for scorer, column, sign in SCORE_COLUMNS:
        value = get(scorer)
        out[column] = float("nan") if value is None else sign * float(value)
    return out


def scores_from_columns(columns: Mapping) -> dict:
    """The inverse of :func:`columns_from_scores`: scorer name -> score.

    Examples
    --------
    >>> scores_from_columns({"accuracy": 0.9, "log_loss": 0.3, "fit_time": 12.0,
    ...                      "predict_time_per_1000": 0.5})
    {'accuracy': 0.9, 'neg_log_loss': -0.3, 'neg_fit_time': -12.0, 'neg_predict_time': -0.5}
    """
    return {scorer: sign * float(columns[column]) for scorer, column, sign in SCORE_COLUMNS}


def pareto_front(accuracy, fit_time) -> np.ndarray:
    """Indices of the candidates no other one beats on both accuracy and fit time.

    A candidate is dominated when another is at least as accurate and at least
    as fast, and strictly better in one of the two.

    Examples
    --------
    >>> pareto_front([0.99, 0.98, 0.97, 0.96], [100.0, 40.0, 50.0, 10.0]).tolist()
    [0, 1, 3]
    """
    acc, t = np.asarray(accuracy, float), np.asarray(fit_time, float)
    keep = []
    for i in range(acc.size):
        dominated = np.any((acc >= acc[i]) & (t <= t[i]) & ((acc > acc[i]) | (t < t[i])))
        if not dominated and np.isfinite(acc[i]) and np.isfinite(t[i]):
            keep.append(i)
    return np.asarray(keep, dtype=int)


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
