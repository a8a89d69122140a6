"""Significance tests for comparing two classifiers.

* :func:`corrected_paired_ttest`: Nadeau & Bengio's (2003) corrected
  resampled t-test on per-fold scores from the *same* folds. The plain paired
  t-test is too optimistic because training sets of different folds overlap;
  the correction inflates the variance by ``n_test / n_train``. Given the folds
  of r repetitions (seeds) of k-fold cross-validation, all k*r paired scores,
  it is Bouckaert & Frank's (2004) corrected repeated k-fold t-test:
  ``t = mean(d) / sqrt((1/(k r) + n_test/n_train) var(d))`` with ``k r - 1``
  degrees of freedom, which accounts for the variance of both the folds and
  the seeds.
* :func:`mcnemar_test`: McNemar's test on two classifiers' predictions of the
  same test set (exact binomial when fewer than 25 discordant pairs).
* :func:`drop_difference_test`: does a change of the input (a permutation, a
  shift) cost one classifier more than the other? A paired t-test over the test
  images of the per-image difference in differences of correctness.
* :func:`paired_seed_ttest`: two models' scores paired by training seed.
* :func:`expected_calibration_error`: the gap between confidence and accuracy.
* :func:`finding` and :func:`finding_across_seeds`: which model a test found
  better, if any; across seeds, only a difference that every seed shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _st

__all__ = [
    "ALPHA",
    "TestResult",
    "corrected_paired_ttest",
    "drop_difference_test",
    "expected_calibration_error",
    "finding",
    "finding_across_seeds",
    "mcnemar_test",
    "paired_seed_ttest",
]

#: Significance level of every verdict.
ALPHA = 0.05


@dataclass
class TestResult:
    """Outcome of a significance test."""

    test: str
    statistic: float
    p_value: float
    mean_difference: float
    detail: dict

    def to_dict(self) -> dict:
        return asdict(self)


def corrected_paired_ttest(scores_a, scores_b, n_train: int, n_test: int) -> TestResult:
    """Nadeau-Bengio corrected paired t-test on per-fold scores.

    Parameters
    ----------
    scores_a, scores_b : array-like of shape (n,)
        Scores of two models on the same n folds (k folds, or k folds of each
        of r seeds: the corrected repeated k-fold t-test).
    n_train, n_test : int
        Training and test sizes of one fold (only their ratio matters).

    Returns
    -------
    TestResult
        ``statistic`` is t with ``n - 1`` degrees of freedom; two-sided p-value.

    Examples
    --------
    >>> r = corrected_paired_ttest([0.99, 0.98, 0.99], [0.97, 0.97, 0.96], 200, 100)
    >>> round(r.statistic, 3), round(r.p_value, 3)
    (2.191, 0.16)
    """
    a, b = np.asarray(scores_a, float), np.asarray(scores_b, float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError("Need the same number (>= 2) of fold scores for both models.")
    d = a - b
    k = d.size
    mean = float(d.mean())
    var = float(d.var(ddof=1))
    corrected = (1.0 / k + n_test / n_train) * var
    if corrected == 0.0:
        t, p = (0.0, 1.0) if mean == 0.0 else (float(np.sign(mean) * np.inf), 0.0)
    else:
        t = mean / np.sqrt(corrected)
        p = float(2 * _st.t.sf(abs(t), df=k - 1))
    return TestResult(
        "Nadeau-Bengio corrected paired t-test",
        float(t),
        p,
        mean,
        {"k": k, "df": k - 1, "n_train": n_train, "n_test": n_test},
    )


def mcnemar_test(y_true, pred_a, pred_b) -> TestResult:
    """McNemar's test: do two classifiers err on the same test set at different rates?

    Parameters
    ----------
    y_true, pred_a, pred_b : array-like of shape (n,)

    Returns
    -------
    TestResult
        ``detail`` has ``a_only_right`` (b) and ``b_only_right`` (c). Exact
        binomial p-value when b + c < 25, else chi-square with continuity
        correction. ``mean_difference`` is accuracy(a) - accuracy(b).

    Examples
    --------
    >>> y = [0] * 100
    >>> r = mcnemar_test(y, [0] * 95 + [1] * 5, [0] * 80 + [1] * 20)
    >>> r.detail["a_only_right"], r.detail["b_only_right"], round(r.p_value, 5)
    (15, 0, 6e-05)
    """
    y, a, b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    ra, rb = a == y, b == y
    only_a = int(np.sum(ra & ~rb))
    only_b = int(np.sum(~ra & rb))
    n = only_a + only_b
    if n == 0:
        stat, p, method = 0.0, 1.0, "exact"
    elif n < 25:
        stat = float(min(only_a, only_b))
        p = float(_st.binomtest(only_a, n, 0.5).pvalue)
        method = "exact"
    else:
        stat = (abs(only_a - only_b) - 1) ** 2 / n
        p = float(_st.chi2.sf(stat, df=1))
        method = "chi-square, continuity corrected"
    return TestResult(
        "McNemar's test",
        float(stat),
        p,
        float(ra.mean() - rb.mean()),
        {"a_only_right": only_a, "b_only_right": only_b, "method": method},
    )


def finding(result: TestResult | dict, name_a: str, name_b: str, alpha: float = ALPHA):
    """The name of the model a test found more accurate, or None.

    Examples
    --------
    >>> finding(TestResult("t", 3.0, 0.003, 0.01, {}), "CNN", "LSTM")
    'CNN'
    >>> finding(TestResult("t", 1.0, 0.3, 0.01, {}), "CNN", "LSTM") is None
    True
    """
    r = result if isinstance(result, dict) else result.to_dict()
    if r["p_value"] < alpha and r["mean_difference"] != 0:
        return name_a if r["mean_difference"] > 0 else name_b
    return None


def finding_across_seeds(results, name_a: str, name_b: str, alpha: float = ALPHA):
    """A difference that holds across seeds: the model every seed's test found better.

    Returns that model's name when every seed's test is significant in the same
    direction, ``"mixed"`` when significant seeds point both ways, else None.

    Examples
    --------
    >>> sig = {"p_value": 0.01, "mean_difference": 0.002}
    >>> weak = {"p_value": 0.20, "mean_difference": 0.001}
    >>> finding_across_seeds([sig, sig, sig], "CNN", "LSTM")
    'CNN'
    >>> finding_across_seeds([sig, weak, sig], "CNN", "LSTM") is None
    True
    """
    found = [finding(r, name_a, name_b, alpha) for r in results]
    if not found:
        return None
    significant = {f for f in found if f is not None}
    if len(significant) > 1:
        return "mixed"
    if len(significant) == 1 and None not in found:
        return significant.pop()
    return None


def format_p(p: float) -> str:
    """``p < 0.001`` or ``p = 0.042``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def drop_difference_test(y_true, base_a, changed_a, base_b, changed_b) -> TestResult:
    """Does changing the input cost classifier a more accuracy than classifier b?

    For each test image i, ``d_i = (a right on the original - a right on the
    changed input) - (b right on the original - b right on the changed
    input)``, each term 0 or 1; the mean of ``d`` is a's drop minus b's drop.
    A two-sided one-sample t-test over the test images tests it against 0 (the
    images are the independent units; with thousands of them the t distribution
    is exact enough).

    Parameters
    ----------
    y_true : array-like of shape (n,)
    base_a, changed_a, base_b, changed_b : array-like of shape (n,)
        Each classifier's predictions of the original and of the changed
        images (for a model trained on changed images: its own test set, changed
        the same way).

    Returns
    -------
    TestResult
        ``mean_difference`` is drop(a) - drop(b); ``detail`` has both drops.

    Examples
    --------
    >>> y = [0] * 10
    >>> r = drop_difference_test(y, [0] * 10, [0] * 4 + [1] * 6, [0] * 10, [0] * 9 + [1])
    >>> round(r.detail["drop_a"], 2), round(r.detail["drop_b"], 2), round(r.mean_difference, 2)
    (0.6, 0.1, 0.5)
    """
    y = np.asarray(y_true)
    ok = [np.asarray(p) == y for p in (base_a, changed_a, base_b, changed_b)]
    d = (ok[0].astype(float) - ok[1]) - (ok[2].astype(float) - ok[3])
    mean, sd = float(d.mean()), float(d.std(ddof=1)) if d.size > 1 else 0.0
    if sd == 0.0:
        t, p = (0.0, 1.0) if mean == 0.0 else (float(np.sign(mean) * np.inf), 0.0)
    else:
        t = mean / (sd / np.sqrt(d.size))
        p = float(2 * _st.t.sf(abs(t), df=d.size - 1))
    drops = {
        "drop_a": float(ok[0].mean() - ok[1].mean()),
        "drop_b": float(ok[2].mean() - ok[3].mean()),
    }
    return TestResult(
        "paired t-test over test images (difference in drops)",
        float(t),
        p,
        mean,
        {**drops, "n": int(d.size)},
    )


def paired_seed_ttest(scores_a, scores_b) -> TestResult:
    """Paired t-test of two models' scores, one pair per training seed.

    The plain paired t-test (:func:`scipy.stats.ttest_rel`): each seed's two
    scores come from the same training subset and the same test set. With few
    seeds it has little power: a p-value above 0.05 says "not shown", not "equal".

    Examples
    --------
    >>> r = paired_seed_ttest([0.95, 0.96, 0.955], [0.93, 0.935, 0.94])
    >>> round(r.mean_difference, 4), round(r.p_value, 3)
    (0.02, 0.02)
    """
    a, b = np.asarray(scores_a, float), np.asarray(scores_b, float)
    if a.shape != b.shape or a.size < 2:
        raise ValueError("Need the same number (>= 2) of seeds' scores for both models.")
    d = a - b
    if np.all(d == d[0]):
        t, p = (0.0, 1.0) if d[0] == 0 else (float(np.sign(d[0]) * np.inf), 0.0)
    else:
        res = _st.ttest_rel(a, b)
        t, p = float(res.statistic), float(res.pvalue)
    return TestResult("paired t-test over seeds", t, p, float(d.mean()), {"n": int(a.size)})


def expected_calibration_error(correct, confidence, n_bins: int = 15) -> float:
    """Expected calibration error of top-label confidences (Guo et al., 2017).

    ``sum_b (n_b / n) |accuracy_b - mean confidence_b|`` over ``n_bins`` equal
    bins of confidence in ``(0, 1]`` (a bin holds ``lo < confidence <= hi``).

    Parameters
    ----------
    correct : array-like of bool, shape (n,)
        Whether each prediction was right.
    confidence : array-like of float, shape (n,)
        The predicted class's probability.
    n_bins : int, default=15

    Examples
    --------
    >>> expected_calibration_error([True, True, False, True], [0.9, 0.9, 0.9, 0.9])
    0.15
    """
    ok = np.asarray(correct, float)
    conf = np.asarray(confidence, float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(ok[mask].mean() - conf[mask].mean())
    return round(float(total), 12)
