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
* :func:`replicate_test`: the test behind every verdict of the explanation
  experiments. The training run is the unit of inference: one effect per
  replicate (a training seed, or a process that measured throughput), a
  one-sample t-test over the replicates with its confidence interval, the two
  one-sided tests (TOST) of equivalence within a margin, and the test's power.
* :func:`holm`: Holm's step-down adjustment of a family of p-values;
  :func:`holm_pairs`, the same over endpoints that each have a difference and an
  equivalence test, at most one of whose nulls can be true (Shaffer's constraint).
* :func:`equivalence_power`: the power of TOST when the true effect is 0.
* :func:`expected_calibration_error`: the gap between confidence and accuracy.
* :func:`finding` and :func:`finding_across_seeds`: which model a test found
  better, if any; across seeds, only a difference that every seed shows (the
  comparison's per-seed McNemar tests).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import integrate as _integrate
from scipy import stats as _st

__all__ = [
    "ALPHA",
    "POWER",
    "ReplicateTest",
    "TestResult",
    "corrected_paired_ttest",
    "drop_difference_test",
    "equivalence_power",
    "expected_calibration_error",
    "finding",
    "finding_across_seeds",
    "holm",
    "holm_pairs",
    "mcnemar_test",
    "paired_seed_ttest",
    "replicate_test",
    "t_test_power",
]

#: Significance level of every verdict.
ALPHA = 0.05
#: The power at which the smallest detectable effect is stated.
POWER = 0.8


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


def holm(p_values) -> np.ndarray:
    """Holm's (1979) step-down adjusted p-values of one family of tests.

    The i-th smallest p is multiplied by ``m - i + 1`` (m tests), made non-decreasing
    along that order and capped at 1. Rejecting where the adjusted p is below alpha
    keeps the chance of any false rejection in the family at most alpha, whatever
    the tests' dependence. NaN (a test that did not run) stays NaN and does not count.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, float)
    out = np.full(p.shape, np.nan)
    ran = np.flatnonzero(~np.isnan(p))
    order = ran[np.argsort(p[ran], kind="stable")]
    m = order.size
    running = 0.0
    for i, index in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[index]))
        out[index] = running
    return out


def holm_pairs(p_difference, p_equivalence) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down over each endpoint's difference and equivalence tests at once.

    Each endpoint k has two null hypotheses: "its effect is 0" (``p_difference[k]``) and
    "its effect lies beyond the margin" (``p_equivalence[k]``, TOST). They exclude each
    other, so at most one of the two is true. All ``2m`` tests form one family; the
    step-down is Holm's with Shaffer's (1986) logical constraint: the ``j``-th smallest p
    is multiplied by the number of endpoints that may still hold a true null once the
    ``j - 1`` smaller ones are rejected (those with at least one test not yet rejected),
    made non-decreasing and capped at 1. That keeps the chance of *any* false verdict, a
    false difference or a false equivalence, at most alpha over the whole family, whatever
    the tests' dependence; correcting the two kinds separately, each at alpha, would let
    it reach nearly twice alpha. NaN (a test that did not run) stays NaN and does not
    count.

    Parameters
    ----------
    p_difference, p_equivalence : array-like of shape (m,)
        Each endpoint's two p-values.

    Returns
    -------
    tuple of ndarray
        The adjusted p-values, in the same shapes.

    References
    ----------
    Shaffer, J. P. (1986). Modified sequentially rejective multiple test procedures.
    Journal of the American Statistical Association, 81(395), 826-831.

    Examples
    --------
    >>> diff, eq = holm_pairs([0.001, 0.2], [0.9, 0.01])
    >>> diff.round(3).tolist(), eq.round(3).tolist()
    ([0.002, 0.4], [0.9, 0.02])
    """
    p = np.stack([np.asarray(p_difference, float), np.asarray(p_equivalence, float)], axis=1)
    out = np.full(p.shape, np.nan)
    cells = [(k, j) for k in range(p.shape[0]) for j in range(2) if not np.isnan(p[k, j])]
    cells.sort(key=lambda cell: p[cell])
    open_tests = np.sum(~np.isnan(p), axis=1)  # per endpoint: its tests not yet rejected
    running = 0.0
    for k, j in cells:
        may_be_true = int(np.count_nonzero(open_tests))
        running = max(running, min(1.0, may_be_true * p[k, j]))
        out[k, j] = running
        open_tests[k] -= 1
    return out[:, 0], out[:, 1]


def _has_spread(sd: float, n: int) -> bool:
    """Whether ``n`` replicates with standard deviation ``sd`` can be tested at all."""
    return n >= 2 and bool(np.isfinite(sd)) and sd > 0


def t_test_power(effect: float, sd: float, n: int, alpha: float = ALPHA) -> float:
    """Power of the two-sided one-sample t-test of ``n`` replicates to detect ``effect``.

    From the noncentral t distribution, with noncentrality ``effect / (sd / sqrt(n))``
    and ``n - 1`` degrees of freedom. NaN with fewer than 2 replicates or no spread.

    Examples
    --------
    >>> round(t_test_power(1.0, 1.0, 10), 3)
    0.803
    """
    if not _has_spread(sd, n):
        return float("nan")
    df = n - 1
    crit = _st.t.ppf(1 - alpha / 2, df)
    nc = abs(effect) / (sd / np.sqrt(n))
    return float(_st.nct.sf(crit, df, nc) + _st.nct.cdf(-crit, df, nc))


def equivalence_power(margin: float, sd: float, n: int, alpha: float = ALPHA) -> float:
    """Power of TOST over ``n`` replicates to show equivalence within ``±margin`` when the
    true effect is 0.

    Both one-sided tests reject when ``|mean| < margin - t * s / sqrt(n)`` (``t`` the
    one-sided ``1 - alpha`` quantile, ``n - 1`` df); the mean is normal and the sample
    standard deviation ``s`` an independent scaled chi, so the power is one integral over
    the chi-squared variable. NaN with fewer than 2 replicates or no spread.

    Examples
    --------
    >>> round(equivalence_power(0.5, 0.63, 5), 3)
    0.135
    """
    if not _has_spread(sd, n):
        return float("nan")
    df = n - 1
    crit = _st.t.ppf(1 - alpha, df)
    shift = margin * np.sqrt(n) / sd  # the margin in standard errors of the mean

    def covered(v: float) -> float:  # v: the chi-squared variable, s / sd = sqrt(v / df)
        return (2 * _st.norm.cdf(shift - crit * np.sqrt(v / df)) - 1) * _st.chi2.pdf(v, df)

    upper = df * (shift / crit) ** 2  # beyond it the interval is wider than the margin
    return float(_integrate.quad(covered, 0.0, upper, limit=200)[0])


def _smallest_detectable(sd: float, n: int, alpha: float, power: float) -> float:
    """The effect the two-sided t-test detects with ``power``: solved on the noncentral t."""
    if not _has_spread(sd, n):
        return float("nan")
    se = sd / np.sqrt(n)
    lo, hi = 0.0, 50.0 * se
    for _ in range(80):  # bisection: power grows with the effect
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_test_power(mid, sd, n, alpha) < power else (lo, mid)
    return float(hi)


@dataclass
class ReplicateTest:
    """A one-sample test over replicates (training seeds or processes) of one effect.

    Attributes
    ----------
    n : int
        Replicates.
    effect : float
        Their mean effect.
    sd : float
        Their standard deviation (ddof=1): the spread of training runs.
    ci_low, ci_high : float
        The two-sided ``1 - alpha`` confidence interval of the mean effect (t, n - 1 df).
    p_value : float
        Two-sided p of "the mean effect is 0" (one-sample t-test).
    margin : float
        The equivalence margin: effects within ``±margin`` count as no difference.
    p_equivalence : float
        TOST's p (the larger of the two one-sided tests against ``-margin`` and
        ``+margin``): below alpha, the effect is shown to lie within the margin.
    equivalence_low, equivalence_high : float
        The two-sided ``1 - 2 alpha`` interval (90 % at alpha 0.05): TOST shows
        equivalence exactly when it lies within ``±margin``.
    power_at_margin : float
        Power of the two-sided test to detect an effect of one margin, at the
        observed spread and at the level ``power_alpha`` (a planning figure, not
        evidence).
    equivalence_power : float
        Power of TOST to show equivalence when the true effect is 0, at the observed
        spread and at ``power_alpha``.
    smallest_detectable : float
        The effect the test would detect with :data:`POWER` (80 %) at the observed
        spread and at ``power_alpha``.
    power_alpha : float
        The level the power figures are computed at (a family's strictest threshold,
        ``alpha / m``, makes them lower bounds).
    """

    n: int
    effect: float
    sd: float
    ci_low: float
    ci_high: float
    p_value: float
    margin: float
    p_equivalence: float
    equivalence_low: float
    equivalence_high: float
    power_at_margin: float
    equivalence_power: float
    smallest_detectable: float
    power_alpha: float

    def to_dict(self) -> dict:
        return asdict(self)


def replicate_test(
    effects,
    margin: float,
    alpha: float = ALPHA,
    *,
    power: bool = True,
    power_alpha: float | None = None,
) -> ReplicateTest:
    """Test a per-replicate effect against 0, and its equivalence within ``±margin``.

    One effect per training run (a seed) or per measuring process: the unit of
    inference is the replicate, so the test carries the variance of training, not
    only that of the test images each effect was computed on.

    Parameters
    ----------
    effects : array-like of shape (n,)
        One effect per replicate (e.g. a seed's difference in accuracy drops).
    margin : float
        The equivalence margin (> 0), in the effect's unit.
    alpha : float, default=ALPHA
    power : bool, default=True
        Compute ``power_at_margin``, ``equivalence_power`` and ``smallest_detectable``
        (NaN otherwise: the simulations of the rules' error rates skip them).
    power_alpha : float, optional
        The level of the power figures (default ``alpha``).

    Returns
    -------
    ReplicateTest

    Examples
    --------
    >>> r = replicate_test([0.012, 0.010, 0.015, 0.011, 0.009], margin=0.005)
    >>> round(r.effect, 4), r.p_value < 0.001, r.p_equivalence > 0.5
    (0.0114, True, True)
    >>> r = replicate_test([0.001, -0.001, 0.0005, 0.0, -0.0005], margin=0.005)
    >>> r.p_value > 0.5, r.p_equivalence < 0.001
    (True, True)
    """
    d = np.asarray(effects, float)
    d = d[~np.isnan(d)]
    n = int(d.size)
    level = alpha if power_alpha is None else float(power_alpha)
    nan = float("nan")
    mean = float(d.mean()) if n else nan
    sd = float(d.std(ddof=1)) if n > 1 else nan
    if n < 2:
        return ReplicateTest(n, mean, sd, nan, nan, nan, float(margin), nan, nan, nan, nan, nan, nan, level)  # fmt: skip
    df = n - 1
    se = sd / np.sqrt(n)
    if se == 0.0:  # every replicate gave the same effect
        p = 1.0 if mean == 0.0 else 0.0
        equivalent = 0.0 if abs(mean) < margin else 1.0
        return ReplicateTest(
            n, mean, sd, mean, mean, p, float(margin), equivalent, mean, mean, 1.0, 1.0, 0.0, level
        )
    half = float(_st.t.ppf(1 - alpha / 2, df) * se)
    half_equivalence = float(_st.t.ppf(1 - alpha, df) * se)
    p = float(2 * _st.t.sf(abs(mean) / se, df))
    p_low = float(_st.t.sf((mean + margin) / se, df))  # H0: effect <= -margin
    p_high = float(_st.t.cdf((mean - margin) / se, df))  # H0: effect >= +margin
    return ReplicateTest(
        n=n,
        effect=mean,
        sd=sd,
        ci_low=mean - half,
        ci_high=mean + half,
        p_value=p,
        margin=float(margin),
        p_equivalence=max(p_low, p_high),
        equivalence_low=mean - half_equivalence,
        equivalence_high=mean + half_equivalence,
        power_at_margin=t_test_power(margin, sd, n, level) if power else nan,
        equivalence_power=equivalence_power(margin, sd, n, level) if power else nan,
        smallest_detectable=_smallest_detectable(sd, n, level, POWER) if power else nan,
        power_alpha=level,
    )
