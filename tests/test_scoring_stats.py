"""Timing-aware scorers, the refit rule, and the significance tests."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import stats as st
from sklearn.model_selection import GridSearchCV

from mnist_estimators import _clock, make_cnn_pipeline
from mnist_estimators.scoring import (
    TIMING_SCORING,
    AccuracyTimeTradeoff,
    FastestWithinTolerance,
    PredictTimeScorer,
    neg_fit_time_scorer,
)
from mnist_estimators.stats import (
    corrected_paired_ttest,
    finding,
    finding_across_seeds,
    mcnemar_test,
)


class FakeClock:
    """Advances by a fixed step at each reading."""

    def __init__(self, step):
        self.t, self.step = 0.0, step

    def __call__(self):
        self.t += self.step
        return self.t


def test_scorers_and_refit_in_a_real_grid_search(digits):
    X, y = digits
    grid = {"cnnclassifier__filters": [2, 8]}
    refit = FastestWithinTolerance(tolerance=1.0)  # everything is "as good": the fastest wins
    search = GridSearchCV(
        make_cnn_pipeline(epochs=1, random_state=0), grid, scoring=TIMING_SCORING, refit=refit, cv=2
    )
    search.fit(X[:400], y[:400])
    res = search.cv_results_
    for key in (
        "mean_test_accuracy",
        "mean_test_neg_fit_time",
        "mean_test_neg_predict_time",
        "mean_test_tradeoff",
    ):
        assert key in res
    assert np.all(res["mean_test_neg_fit_time"] < 0) and np.all(
        res["mean_test_neg_predict_time"] < 0
    )
    assert search.best_index_ == int(np.argmax(res["mean_test_neg_fit_time"]))
    strict = FastestWithinTolerance(tolerance=0.0)(res)
    assert res["mean_test_accuracy"][strict] == res["mean_test_accuracy"].max()
    fitted = search.best_estimator_
    tradeoff = pickle.loads(pickle.dumps(TIMING_SCORING["tradeoff"]))
    assert tradeoff(fitted, X[:100], y[:100]) == TIMING_SCORING["tradeoff"](
        fitted, X[:100], y[:100]
    )
    assert (
        pickle.loads(pickle.dumps(TIMING_SCORING["neg_fit_time"]))(fitted, X, y)
        == -fitted[-1].fit_time_
    )


def test_fit_time_is_measured_with_the_package_clock(digits, monkeypatch):
    X, y = digits
    monkeypatch.setattr(_clock, "now", FakeClock(2.5))
    pipe = make_cnn_pipeline(epochs=1, random_state=0).fit(X[:100], y[:100])
    assert pipe[-1].fit_time_ == pytest.approx(2.5)
    assert neg_fit_time_scorer(pipe, X, y) == pytest.approx(-2.5)


def test_predict_time_scorer_with_controlled_clock(digits):
    X, y = digits
    pipe = make_cnn_pipeline(epochs=1, random_state=0).fit(X[:100], y[:100])
    assert PredictTimeScorer(clock=FakeClock(0.4))(pipe, X[:500], y[:500]) == pytest.approx(-0.8)
    assert PredictTimeScorer(per=1, clock=FakeClock(1.0))(pipe, X[:4], y[:4]) == pytest.approx(
        -0.25
    )


class _Fixed:
    def __init__(self, fit_time, predictions):
        self.fit_time_, self.predictions = fit_time, np.asarray(predictions)

    def predict(self, X):
        return self.predictions


def test_accuracy_time_tradeoff_semantics():
    y = np.array([0, 1, 1, 1])
    est = _Fixed(fit_time=180.0, predictions=[0, 1, 1, 0])  # accuracy 0.75, 3 minutes
    assert AccuracyTimeTradeoff(cost_per_minute=0.01)(est, None, y) == pytest.approx(0.72)
    assert AccuracyTimeTradeoff(cost_per_minute=0.01, budget_minutes=2)(
        est, None, y
    ) == pytest.approx(0.74)
    assert AccuracyTimeTradeoff(cost_per_minute=0.01, budget_minutes=5)(
        est, None, y
    ) == pytest.approx(0.75)
    with pytest.raises(AttributeError, match="fit_time_"):
        neg_fit_time_scorer(object(), None, None)


def test_fastest_within_tolerance_rules():
    res = {
        "mean_test_accuracy": np.array([0.990, 0.9885, 0.980, np.nan]),
        "mean_fit_time": np.array([100.0, 50.0, 1.0, 0.1]),
    }
    assert FastestWithinTolerance(0.002)(res) == 1
    assert FastestWithinTolerance(0.0)(res) == 0
    assert FastestWithinTolerance(0.02)(res) == 2
    res["mean_test_neg_fit_time"] = -np.array([10.0, 60.0, 1.0, 0.1])
    assert FastestWithinTolerance(0.002)(res) == 0  # the network's own fit time wins over sklearn's
    with pytest.raises(KeyError):
        FastestWithinTolerance(metric="f1")({"mean_fit_time": [1.0]})


def test_corrected_ttest_against_scipy_and_published_values():
    a = np.array([0.99, 0.985, 0.99, 0.98, 0.992])
    b = np.array([0.97, 0.975, 0.96, 0.965, 0.97])
    r = corrected_paired_ttest(a, b, n_train=800, n_test=200)
    # Independent route: scipy's plain paired t, whose variance term is var/k, rescaled
    # to the corrected variance (1/k + n_test/n_train) var.
    plain = st.ttest_rel(a, b)
    t = plain.statistic * np.sqrt((1 / 5) / (1 / 5 + 200 / 800))
    assert r.statistic == pytest.approx(t)
    assert r.p_value == pytest.approx(2 * st.t.sf(abs(t), 4))
    assert r.p_value > plain.pvalue  # the correction is more conservative
    # Worked by hand: d = (.02, .01, .03); mean .02, var .0001; t = .02 / sqrt((1/3 + 1/2) .0001)
    hand = corrected_paired_ttest([0.99, 0.98, 0.99], [0.97, 0.97, 0.96], 200, 100)
    assert hand.statistic == pytest.approx(0.02 / np.sqrt(0.0001 * 5 / 6))
    assert hand.statistic == pytest.approx(2.19089, abs=1e-5)
    same = corrected_paired_ttest(a, a, 800, 200)
    assert same.p_value == 1.0 and finding(same, "CNN", "LSTM") is None


def test_findings_across_seeds():
    sig_a = {"p_value": 0.01, "mean_difference": 0.003}
    sig_b = {"p_value": 0.01, "mean_difference": -0.003}
    weak = {"p_value": 0.3, "mean_difference": 0.001}
    assert finding_across_seeds([sig_a, sig_a], "CNN", "LSTM") == "CNN"
    assert finding_across_seeds([sig_b], "CNN", "LSTM") == "LSTM"
    assert finding_across_seeds([sig_a, weak], "CNN", "LSTM") is None
    assert finding_across_seeds([sig_a, sig_b], "CNN", "LSTM") == "mixed"
    assert finding_across_seeds([], "CNN", "LSTM") is None


def test_mcnemar_exact_and_chi_square():
    y = np.zeros(200, dtype=int)
    a = np.zeros(200, dtype=int)
    b = np.zeros(200, dtype=int)
    b[:10] = 1  # a right, b wrong on 10; never the reverse
    small = mcnemar_test(y, a, b)
    assert small.detail == {"a_only_right": 10, "b_only_right": 0, "method": "exact"}
    assert small.p_value == pytest.approx(2 * 0.5**10)
    b[:60] = 1
    a[100:110] = 1
    big = mcnemar_test(y, a, b)
    assert big.detail["method"].startswith("chi-square")
    assert big.statistic == pytest.approx((abs(60 - 10) - 1) ** 2 / 70)
    assert finding(big, "CNN", "LSTM") == "CNN" and big.p_value < 0.001
