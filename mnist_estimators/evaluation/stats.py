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
    "finding",
    "finding_across_seeds",
    "mcnemar_test",
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
