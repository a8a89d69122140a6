"""``FitTimed``: any estimator, with the wall time of its ``fit`` recorded.

The package's networks record their own training time (``fit_time_``), which the
timing-aware scorers read. A scikit-learn estimator records none; wrapped in
:class:`FitTimed` it does, so the same scorers, searches and comparisons time it
the same way. The package's fold runner wraps every model's final step that records
no time of its own; wrap it yourself for your own searches.
"""

from __future__ import annotations

import copy

from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .. import _clock

__all__ = ["FitTimed", "records_fit_time"]


def records_fit_time(estimator) -> bool:
    """Whether ``estimator`` records its own training time in ``fit_time_`` when fitted.

    True for the package's networks and for :class:`FitTimed`; a class of your own
    says so with a class attribute ``records_fit_time = True``.
    """
    return bool(getattr(type(estimator), "records_fit_time", False))


def _inner_has(method: str):
    def check(self) -> bool:
        getattr(self.estimator_ if hasattr(self, "estimator_") else self.estimator, method)
        return True

    return check


class FitTimed(MetaEstimatorMixin, BaseEstimator):
    """An estimator that fits a clone of ``estimator`` and records how long that took.

    Everything else is the wrapped estimator's: its predictions, probabilities,
    scores, classes and tags (a wrapped classifier is a classifier, so
    cross-validation stratifies as it would).

    Parameters
    ----------
    estimator : estimator
        Any scikit-learn estimator (a Pipeline too). It is cloned at each fit.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone.
    fit_time_ : float
        Wall time of ``estimator_.fit``, in seconds (the package's clock).
    classes_ : ndarray
        The fitted estimator's classes, when it has them.
    n_features_in_ : int
        The number of features seen in ``fit``, when the estimator records it.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mnist_estimators.evaluation import neg_fit_time_scorer
    >>> X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]
    >>> timed = FitTimed(LogisticRegression()).fit(X, y)
    >>> timed.predict([[0.2], [2.8]]).tolist(), neg_fit_time_scorer(timed, X, y) < 0
    ([0, 1], True)
    """

    records_fit_time = True

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X, y=None, **fit_params):
        """Fit a clone of ``estimator`` on ``(X, y)`` and time it.

        Parameters
        ----------
        X : array-like
        y : array-like, default=None
        **fit_params
            Passed to the estimator's ``fit``.

        Returns
        -------
        self
        """
        estimator = clone(self.estimator)
        start = _clock.now()
        estimator.fit(X, y, **fit_params)
        self.fit_time_ = _clock.now() - start
        self.estimator_ = estimator
        for name in ("classes_", "n_features_in_", "feature_names_in_"):
            if hasattr(estimator, name):
                setattr(self, name, getattr(estimator, name))
        return self

    @available_if(_inner_has("predict"))
    def predict(self, X):
        """The fitted estimator's ``predict``."""
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """The fitted estimator's ``predict_proba``."""
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """The fitted estimator's ``predict_log_proba``."""
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """The fitted estimator's ``decision_function``."""
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @available_if(_inner_has("transform"))
    def transform(self, X):
        """The fitted estimator's ``transform``."""
        check_is_fitted(self)
        return self.estimator_.transform(X)

    @available_if(_inner_has("score"))
    def score(self, X, y=None, **params):
        """The fitted estimator's ``score``."""
        check_is_fitted(self)
        return self.estimator_.score(X, y, **params)

    def __sklearn_tags__(self):
        return copy.deepcopy(get_tags(self.estimator))
