"""The explanation experiments' analysis plan, and the verdicts it gives: decided here, as data.

The plan is fixed before any data and stored in every run's configuration
(:func:`analysis_plan`), so a run resumed under another plan is refused:

* :data:`ENDPOINTS`: one primary endpoint per piece of evidence. Each is one effect
  per replicate (a training seed, or a process that measured throughput), signed so
  that a positive effect is what the reference's claim predicts.
* :data:`MARGINS`: the equivalence margin of each unit, in one table: effects within
  it count as no effect.
* :data:`VERDICT_WORDS`: the verdicts, in one table.
* :data:`MIN_REPLICATES`: a verdict needs at least this many replicates.

:func:`decide` tests each endpoint over its replicates
(:func:`~.stats.replicate_test`: a one-sample t-test, its confidence interval and the
two one-sided tests of equivalence), corrects the family of primary endpoints
(every endpoint's difference and equivalence tests together, Holm's step-down with
Shaffer's logical constraint: :func:`~.stats.holm_pairs`), and gives each endpoint
one of the words:

* ``equivalent``: no effect beyond the margin, shown by TOST (adjusted p < alpha):
  what the claim predicts is absent, to within the margin (also when a smaller
  difference is significant: it is then noted);
* ``supported``: the effect the claim predicts, adjusted p < alpha;
* ``contradicted``: the opposite effect, adjusted p < alpha;
* ``inconclusive``: neither; or fewer than :data:`MIN_REPLICATES` replicates (such an
  endpoint stays in the family with p = 1, so the family is the one planned).

The rest of each experiment's grid is secondary: described with intervals
(:func:`describe`), never given a verdict. :mod:`mnist_estimators.reporting` only turns
these objects into sentences. The rules' error rates are measured by simulation
(:mod:`.simulation`, docs/explanation/statistics.md).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .stats import ALPHA, ReplicateTest, holm_pairs, replicate_test

__all__ = [
    "ENDPOINTS",
    "MARGINS",
    "MIN_REPLICATES",
    "VERDICT_WORDS",
    "Endpoint",
    "Verdict",
    "analysis_plan",
    "decide",
    "describe",
]

#: A verdict rests on at least this many replicates: with 3 seeds a t-test over seeds
#: has 2 degrees of freedom, and its interval is 4.3 standard errors wide each way.
MIN_REPLICATES = 5

#: The equivalence margin of each unit of effect: an effect within it counts as none.
MARGINS = {
    "accuracy": 0.005,  # 0.5 accuracy points
    "log ratio": math.log(1.05),  # 5 % of throughput or speedup
}

#: Each verdict word: its label in a report, and what it means.
VERDICT_WORDS = {
    "supported": {
        "label": "supports the claim",
        "meaning": "the effect the claim predicts, significant after the family's correction",
    },
    "contradicted": {
        "label": "contradicts the claim",
        "meaning": "the opposite of the effect the claim predicts, significant after the "
        "family's correction",
    },
    "equivalent": {
        "label": "no effect beyond the margin",
        "meaning": "the effect lies within the equivalence margin (two one-sided tests, "
        "corrected for the family): what the claim predicts is absent, to within the margin",
    },
    "inconclusive": {
        "label": "inconclusive",
        "meaning": "neither a significant effect nor equivalence within the margin",
    },
    "not run": {"label": "not run", "meaning": "the experiment did not run"},
}


@dataclass(frozen=True)
class Endpoint:
    """One primary endpoint: what one replicate's effect is, and what supports the claim.

    Attributes
    ----------
    key : str
        Its name, as the report's tables give it.
    claim : int
        The reference's claim it tests (1-3).
    experiment : str
        The experiment that measures it (a name of ``EXPERIMENTS``).
    effect : str
        One replicate's effect, in words; ``{a}`` and ``{b}`` stand for the first and
        second network. A positive effect is what the claim predicts.
    unit : str
        A key of :data:`MARGINS`.
    replicate : str
        ``"seed"`` (one training run) or ``"process"`` (one measuring process).
    """

    key: str
    claim: int
    experiment: str
    effect: str
    unit: str
    replicate: str = "seed"

    @property
    def margin(self) -> float:
        """The equivalence margin of this endpoint's unit."""
        return MARGINS[self.unit]


#: The primary endpoints, one per piece of evidence; one family for the correction.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "pixels permuted", 1, "spatial",
        "the {a}'s accuracy drop minus the {b}'s when both are trained and tested on "
        "images whose pixels are permuted (one fixed permutation per seed)",
        "accuracy",
    ),
    Endpoint(
        "robustness", 1, "robustness",
        "the {b}'s accuracy drop minus the {a}'s on shifted test images, averaged over "
        "every shift of the grid (x and y, each amount)",
        "accuracy",
    ),
    Endpoint(
        "learning", 1, "learning",
        "the {a}'s test accuracy minus the {b}'s at the smallest training size, every "
        "size trained for the same number of optimizer steps",
        "accuracy",
    ),
    Endpoint(
        "rows shuffled", 2, "spatial",
        "the {a}'s accuracy drop minus the {b}'s when both are trained and tested on "
        "images whose rows are shuffled (one fixed order per seed)",
        "accuracy",
    ),
    Endpoint(
        "transposed", 2, "spatial",
        "the {a}'s accuracy drop minus the {b}'s when both are trained and tested on "
        "transposed images (the {b} reads columns)",
        "accuracy",
    ),
    Endpoint(
        "slower (fewest threads)", 3, "parallel",
        "the ratio of the {a}'s training images/s to the {b}'s at the fewest threads "
        "(geometric mean over the batch sizes; tested on its log)",
        "log ratio", "process",
    ),
    Endpoint(
        "slower (most threads)", 3, "parallel",
        "the ratio of the {a}'s training images/s to the {b}'s at the most threads "
        "(geometric mean over the batch sizes; tested on its log)",
        "log ratio", "process",
    ),
    Endpoint(
        "parallelises worse", 3, "parallel",
        "the ratio of the {a}'s speedup from the fewest to the most threads to the {b}'s "
        "(geometric mean over the batch sizes; tested on its log)",
        "log ratio", "process",
    ),
)  # fmt: skip

_BY_KEY = {e.key: e for e in ENDPOINTS}

#: How the family is corrected, as the plan names it (:func:`~.stats.holm_pairs`).
FAMILY = "Holm-Shaffer over the primary endpoints"


def analysis_plan(alpha: float = ALPHA) -> dict:
    """The plan as stored in a run's configuration before any data (JSON-able).

    Examples
    --------
    >>> plan = analysis_plan()
    >>> plan["family"], plan["min_replicates"], plan["margins"]["accuracy"]
    ('Holm-Shaffer over the primary endpoints', 5, 0.005)
    """
    return {
        "alpha": alpha,
        "family": FAMILY,
        "min_replicates": MIN_REPLICATES,
        "margins": dict(MARGINS),
        "endpoints": [asdict(e) for e in ENDPOINTS],
        "unit of inference": "the replicate: a training seed, or a measuring process",
    }


@dataclass
class Verdict:
    """The verdict of one primary endpoint: its word, its test and the adjusted p-values.

    Attributes
    ----------
    endpoint : Endpoint
    status : str
        A key of :data:`VERDICT_WORDS`.
    test : ReplicateTest or None
        The test over the replicates (None when the experiment did not run).
    p_adjusted : float
        Adjusted p of the difference test (NaN outside the family).
    p_equivalence_adjusted : float
        Adjusted p of the equivalence test (NaN outside the family).
    reason : str
        Why there is no verdict, when there is none ("" otherwise).
    note : str
        What the verdict's word leaves out: ``"significant within the margin"`` (an
        equivalence whose smaller difference is also significant) or ``"interval
        reaches within the margin"`` (a difference not shown to exceed the margin);
        ``""`` otherwise.
    effects : dict
        The replicates' effects (replicate -> effect), for the record.
    """

    endpoint: Endpoint
    status: str
    test: ReplicateTest | None = None
    p_adjusted: float = float("nan")
    p_equivalence_adjusted: float = float("nan")
    reason: str = ""
    note: str = ""
    effects: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        out = {
            "endpoint": self.endpoint.key,
            "claim": self.endpoint.claim,
            "status": self.status,
            "p_adjusted": self.p_adjusted,
            "p_equivalence_adjusted": self.p_equivalence_adjusted,
            "reason": self.reason,
            "note": self.note,
            "effects": {str(k): v for k, v in self.effects.items()},
        }
        return {**out, **({} if self.test is None else self.test.to_dict())}


def decide(effects: dict, alpha: float = ALPHA, *, power: bool = True) -> dict[str, Verdict]:
    """Every primary endpoint's verdict from its replicates' effects.

    Parameters
    ----------
    effects : dict
        Endpoint key -> a Series (replicate -> effect), or None when the endpoint's
        experiment did not run. Keys missing count as not run.
    alpha : float, default=ALPHA
    power : bool, default=True
        State each test's power at its margin, its equivalence power and its smallest
        detectable effect, at the family's strictest level ``alpha / m`` (lower bounds).

    Returns
    -------
    dict
        Endpoint key -> :class:`Verdict`, in the order of :data:`ENDPOINTS`.

    Examples
    --------
    >>> import pandas as pd
    >>> clear = pd.Series([0.020, 0.018, 0.025, 0.022, 0.019])
    >>> flat = pd.Series([0.0004, -0.0003, 0.0001, 0.0, -0.0002])
    >>> v = decide({"pixels permuted": clear, "rows shuffled": flat, "transposed": -clear})
    >>> [v[k].status for k in ("pixels permuted", "rows shuffled", "transposed", "learning")]
    ['supported', 'equivalent', 'contradicted', 'not run']
    """
    out: dict[str, Verdict] = {}
    ran = {
        e.key: effects[e.key]
        for e in ENDPOINTS
        if effects.get(e.key) is not None and len(effects[e.key])
    }
    power_alpha = alpha / max(len(ran), 1)  # the family's strictest threshold
    for endpoint in ENDPOINTS:
        if endpoint.key not in ran:
            out[endpoint.key] = Verdict(endpoint, "not run", reason="the experiment did not run")
            continue
        values = pd.Series(ran[endpoint.key], dtype=float).dropna()
        test = replicate_test(
            values.to_numpy(), endpoint.margin, alpha, power=power, power_alpha=power_alpha
        )
        kept = {_key(k): float(v) for k, v in values.items()}
        verdict = Verdict(endpoint, "inconclusive", test, effects=kept)
        if test.n < MIN_REPLICATES:
            plural = "es" if endpoint.replicate.endswith("s") else "s"
            verdict.reason = (
                f"{test.n} {endpoint.replicate}{plural * (test.n != 1)}: a verdict needs at "
                f"least {MIN_REPLICATES}"
            )
        out[endpoint.key] = verdict
    family = [out[k] for k in ran]
    # An endpoint with too few replicates stays in the planned family, with p = 1.
    p_diff = [1.0 if v.reason else v.test.p_value for v in family]
    p_eq = [1.0 if v.reason else v.test.p_equivalence for v in family]
    adjusted, adjusted_eq = holm_pairs(np.nan_to_num(p_diff, nan=1.0), np.nan_to_num(p_eq, nan=1.0))
    for verdict, p, p_e in zip(family, adjusted, adjusted_eq, strict=True):
        verdict.p_adjusted, verdict.p_equivalence_adjusted = float(p), float(p_e)
        if verdict.reason:
            continue
        test = verdict.test
        if p_e < alpha:
            verdict.status = "equivalent"
            verdict.note = "significant within the margin" if p < alpha else ""
        elif p < alpha:
            verdict.status = "supported" if test.effect > 0 else "contradicted"
            nearest = min(abs(test.ci_low), abs(test.ci_high))
            verdict.note = "interval reaches within the margin" if nearest < test.margin else ""
    return out


def describe(effects: pd.Series, unit: str, alpha: float = ALPHA) -> ReplicateTest:
    """A secondary effect over its replicates: its interval and tests, never a verdict.

    Examples
    --------
    >>> import pandas as pd
    >>> r = describe(pd.Series([0.01, 0.02, 0.015]), "accuracy")
    >>> round(r.effect, 3), r.n
    (0.015, 3)
    """
    return replicate_test(pd.Series(effects, dtype=float).dropna().to_numpy(), MARGINS[unit], alpha)


def _key(replicate):
    return int(replicate) if isinstance(replicate, (int, np.integer)) else str(replicate)


def endpoint(key: str) -> Endpoint:
    """The endpoint named ``key``."""
    return _BY_KEY[key]
