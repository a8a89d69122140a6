"""Significance tests for comparing two classifiers.

* :func:`corrected_paired_ttest`: Nadeau & Bengio's (2003) corrected
  resampled t-test on per-fold scores from the *same* folds. The plain paired
  t-test is too optimistic because training sets of different folds overlap;
  the correction inflates the variance by ``n_test / n_train``.
* :func:`mcnemar_test`: McNemar's test on two classifiers' predictions of the
  same test set (exact binomial when fewer than 25 discordant pairs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _st

__all__ = ["TestResult", "corrected_paired_ttest", "mcnemar_test", "verdict"]


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
    scores_a, scores_b : array-like of shape (k,)
        Scores of two models on the same k folds.
    n_train, n_test : int
        Training and test sizes of one fold.

    Returns
    -------
    TestResult
        ``statistic`` is t with ``k - 1`` degrees of freedom; two-sided p-value.

    Examples
    --------
    >>> r = corrected_paired_ttest([0.99, 0.98, 0.99], [0.97, 0.97, 0.96], 200, 100)
    >>> round(r.statistic, 3), round(r.p_value, 3)
    (2.475, 0.132)
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


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def verdict(name_a: str, name_b: str, result: TestResult, alpha: float = 0.05) -> str:
    """One plain sentence, e.g. "CNN is more accurate than LSTM (p = 0.003)".

    Examples
    --------
    >>> r = TestResult("t", 3.0, 0.003, 0.01, {})
    >>> verdict("CNN", "LSTM", r)
    'CNN is more accurate than LSTM (p = 0.003, t).'
    """
    tail = f"({_fmt_p(result.p_value)}, {result.test})."
    if result.p_value < alpha and result.mean_difference != 0:
        better, worse = (name_a, name_b) if result.mean_difference > 0 else (name_b, name_a)
        return f"{better} is more accurate than {worse} {tail}"
    return f"No significant difference in accuracy between {name_a} and {name_b} {tail}"
