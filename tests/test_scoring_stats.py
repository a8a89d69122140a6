"""Timing-aware scorers, the refit rule, and the significance tests."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import stats as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV, cross_validate
from statsmodels.stats.contingency_tables import mcnemar as statsmodels_mcnemar

from mnist_estimators import _clock
from mnist_estimators.estimators.pipelines import make_cnn_pipeline
from mnist_estimators.evaluation.scoring import (
    COMPARISON_SCORING,
    TIMING_SCORING,
    AccuracyTimeTradeoff,
    ComparisonScorer,
    FastestWithinTolerance,
    FitTimed,
    PredictTimeScorer,
    neg_fit_time_scorer,
)
from mnist_estimators.evaluation.stats import (
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


def test_comparison_scorer_predicts_a_network_once_with_scikit_learns_scores(digits, monkeypatch):
    """One prediction gives scikit-learn's accuracy and log loss for a network; any other
    estimator is scored by the three scorers, each on its own."""
    X, y = digits
    labels = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    y = labels[y]  # string labels: the predictions are classes, not column indices
    pipe = make_cnn_pipeline(epochs=1, random_state=0).fit(X[:300], y[:300])
    X_val, y_val = X[300:700], y[300:700]
    expected = {
        "accuracy": accuracy_score(y_val, pipe.predict(X_val)),
        "neg_log_loss": -log_loss(y_val, pipe.predict_proba(X_val)),
    }
    calls = []
    network = type(pipe[-1])
    original = network._predict_raw
    monkeypatch.setattr(
        network, "_predict_raw", lambda self, X: calls.append(len(X)) or original(self, X)
    )
    scores, pred = COMPARISON_SCORING.scores_and_predictions(pipe, X_val, y_val)
    # One pass of the network for all four scores and the predictions, after one untimed
    # image that traces a fresh network's prediction.
    assert calls == [1, 400]
    assert scores["accuracy"] == expected["accuracy"]
    assert scores["neg_log_loss"] == pytest.approx(expected["neg_log_loss"], rel=1e-12)
    assert scores["neg_fit_time"] == -pipe[-1].fit_time_
    np.testing.assert_array_equal(pred, pipe.predict(X_val))
    # The clock times that one prediction.
    ticks = ComparisonScorer(per=100, clock=FakeClock(0.2))(pipe, X_val, y_val)
    assert ticks["neg_predict_time"] == pytest.approx(-0.05)
    # scikit-learn's cross_validate takes it as a multi-metric scorer, pickled to workers.
    cvr = cross_validate(
        make_cnn_pipeline(epochs=1, random_state=0),
        X[:400],
        y[:400],
        cv=2,
        scoring=pickle.loads(pickle.dumps(COMPARISON_SCORING)),
    )
    plain = cross_validate(
        make_cnn_pipeline(epochs=1, random_state=0),
        X[:400],
        y[:400],
        cv=2,
        scoring=["accuracy", "neg_log_loss"],
    )
    np.testing.assert_array_equal(cvr["test_accuracy"], plain["test_accuracy"])
    np.testing.assert_allclose(cvr["test_neg_log_loss"], plain["test_neg_log_loss"], rtol=1e-12)
    assert np.all(cvr["test_neg_predict_time"] < 0)

    # An estimator that does not say it predicts by its largest probability: three calls.
    flat = X.reshape(len(X), -1) / 255.0
    logreg = FitTimed(LogisticRegression(max_iter=200)).fit(flat[:300], y[:300])
    counted = []
    monkeypatch.setattr(
        LogisticRegression,
        "predict_proba",
        lambda self, X, f=LogisticRegression.predict_proba: counted.append("proba") or f(self, X),
    )
    monkeypatch.setattr(
        LogisticRegression,
        "predict",
        lambda self, X, f=LogisticRegression.predict: counted.append("predict") or f(self, X),
    )
    scores = COMPARISON_SCORING(logreg, flat[300:700], y_val)
    assert sorted(counted) == ["predict", "predict", "proba"]
    assert scores["accuracy"] == accuracy_score(y_val, logreg.predict(flat[300:700]))


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


def test_corrected_ttest_against_hand_computed_values():
    # d = (.02, .01, .03): mean .02, sample variance .0001. With n_test / n_train = 1/2 the
    # corrected variance of the mean is (1/3 + 1/2) .0001, so t = .02 / sqrt(.0001 * 5/6)
    # = sqrt(4.8). Student's t with 2 degrees of freedom has a closed-form tail: the
    # two-sided p is 1 - t / sqrt(t^2 + 2) = 1 - sqrt(4.8 / 6.8) = 0.159831949583194.
    r = corrected_paired_ttest([0.99, 0.98, 0.99], [0.97, 0.97, 0.96], n_train=200, n_test=100)
    assert r.statistic == pytest.approx(2.1908902300206643, rel=1e-9)
    assert r.p_value == pytest.approx(0.15983194958319413, rel=1e-9)
    assert r.mean_difference == pytest.approx(0.02)
    assert r.detail == {"k": 3, "df": 2, "n_train": 200, "n_test": 100}
    assert finding(r, "CNN", "LSTM") is None
    # d = (.01, .02, .03, .04, .05): mean .03, sample variance .00025. Corrected for
    # n_test / n_train = 1/4: variance of the mean (1/5 + 1/4) .00025 = .0001125, so
    # t = .03 / sqrt(.0001125) = 2 sqrt(2). With 4 degrees of freedom, x = t / sqrt(t^2 + 4)
    # = sqrt(2/3) and the two-sided p is 1 - x (1 + (1 - x^2) / 2) = 1 - (7/6) sqrt(2/3).
    a = 0.95 + np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    b = np.full(5, 0.95)
    r = corrected_paired_ttest(a, b, n_train=800, n_test=200)
    assert r.statistic == pytest.approx(2.8284271247461903, rel=1e-9)
    assert r.p_value == pytest.approx(0.047420655584319515, rel=1e-9)
    assert r.detail["df"] == 4
    assert finding(r, "CNN", "LSTM") == "CNN"  # just under alpha = 0.05
    # Uncorrected (the same formula without the training-overlap term) it would be
    # t = .03 / sqrt(.00025 / 5) = 3 sqrt(2), x^2 = 18/22, p = 1 - x (1 + 1/11): too optimistic.
    assert r.p_value > 0.013235599563682587
    # The order of the models flips the sign of t and the finding, not the p-value.
    flipped = corrected_paired_ttest(b, a, n_train=800, n_test=200)
    assert flipped.statistic == pytest.approx(-2.8284271247461903, rel=1e-9)
    assert flipped.p_value == pytest.approx(r.p_value, rel=1e-12)
    assert finding(flipped, "CNN", "LSTM") == "LSTM"


def test_corrected_ttest_without_the_correction_term_is_scipys_paired_ttest():
    # With n_test / n_train = 0 the Nadeau-Bengio variance is the plain var(d) / k:
    # the test must then agree with scipy's own paired t-test, an independent implementation.
    rng = np.random.default_rng(3)
    a = rng.uniform(0.95, 0.99, size=10)
    b = a - rng.normal(0.002, 0.004, size=10)
    r = corrected_paired_ttest(a, b, n_train=1, n_test=0)
    plain = st.ttest_rel(a, b)
    assert r.statistic == pytest.approx(plain.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(plain.pvalue, rel=1e-12)
    assert r.detail["df"] == plain.df == 9


def test_corrected_ttest_degenerate_and_invalid_inputs():
    a = np.array([0.99, 0.985, 0.99, 0.98, 0.992])
    same = corrected_paired_ttest(a, a, 800, 200)
    assert (same.statistic, same.p_value) == (0.0, 1.0) and finding(same, "CNN", "LSTM") is None
    # Every fold better by exactly the same amount: no spread, a certain difference.
    shifted = corrected_paired_ttest(a, a - 0.25, 800, 200)
    assert shifted.statistic == np.inf and shifted.p_value == 0.0
    assert finding(shifted, "CNN", "LSTM") == "CNN"
    for bad in ((a, a[:4]), (a[:1], a[:1]), (a[None], a[None])):
        with pytest.raises(ValueError, match="same number"):
            corrected_paired_ttest(*bad, 800, 200)


def test_findings_across_seeds():
    sig_a = {"p_value": 0.01, "mean_difference": 0.003}
    sig_b = {"p_value": 0.01, "mean_difference": -0.003}
    weak = {"p_value": 0.3, "mean_difference": 0.001}
    assert finding_across_seeds([sig_a, sig_a], "CNN", "LSTM") == "CNN"
    assert finding_across_seeds([sig_b], "CNN", "LSTM") == "LSTM"
    assert finding_across_seeds([sig_a, weak], "CNN", "LSTM") is None
    assert finding_across_seeds([sig_a, sig_b], "CNN", "LSTM") == "mixed"
    assert finding_across_seeds([], "CNN", "LSTM") is None


def _predictions_from_table(both_right, a_only, b_only, both_wrong):
    """Labels and two classifiers' predictions with this 2x2 table of right and wrong,
    shuffled; where both are wrong they predict different wrong digits."""
    n = both_right + a_only + b_only + both_wrong
    y = np.arange(n) % 10
    wrong1, wrong2 = (y + 1) % 10, (y + 2) % 10
    a, b = y.copy(), y.copy()
    cell = np.repeat([0, 1, 2, 3], [both_right, a_only, b_only, both_wrong])
    b[cell == 1] = wrong1[cell == 1]
    a[cell == 2] = wrong1[cell == 2]
    a[cell == 3], b[cell == 3] = wrong1[cell == 3], wrong2[cell == 3]
    order = np.random.default_rng(n).permutation(n)
    return y[order], a[order], b[order]


@pytest.mark.parametrize(
    ("both_right", "a_only", "b_only", "both_wrong", "expected_finding"),
    [
        (180, 0, 0, 20, None),  # no discordant pair at all
        (190, 10, 0, 0, "CNN"),  # exact: p = 2 / 2**10
        (170, 3, 20, 7, "LSTM"),  # exact, b + c = 23
        (150, 12, 12, 26, None),  # exact, a tie: p = 1
        (160, 24, 0, 16, "CNN"),  # b + c = 24: the last exact case
        (160, 13, 12, 15, None),  # b + c = 25: the first chi-square case
        (120, 60, 10, 10, "CNN"),  # chi-square, far from equal
        (100, 40, 45, 15, None),  # chi-square, close
    ],
)
def test_mcnemar_agrees_with_statsmodels(both_right, a_only, b_only, both_wrong, expected_finding):
    y, a, b = _predictions_from_table(both_right, a_only, b_only, both_wrong)
    r = mcnemar_test(y, a, b)
    table = [[both_right, a_only], [b_only, both_wrong]]
    exact = a_only + b_only < 25  # stats.py's documented rule
    ref = statsmodels_mcnemar(table, exact=exact, correction=True)
    assert r.detail == {
        "a_only_right": a_only,
        "b_only_right": b_only,
        "method": "exact" if exact else "chi-square, continuity corrected",
    }
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12, abs=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert r.mean_difference == pytest.approx((a_only - b_only) / len(y))
    assert finding(r, "CNN", "LSTM") == expected_finding


def test_mcnemar_hand_computed_values():
    y, a, b = _predictions_from_table(190, 10, 0, 0)
    assert mcnemar_test(y, a, b).p_value == pytest.approx(2 / 2**10)  # both tails of Bin(10, 1/2)
    # (|60 - 10| - 1)^2 / 70 = 2401 / 70 = 34.3, chi-square with 1 degree of freedom.
    y, a, b = _predictions_from_table(120, 60, 10, 10)
    assert mcnemar_test(y, a, b).statistic == pytest.approx(34.3)
    assert mcnemar_test(y, a, b).p_value < 1e-8
