"""The verdict rules' error rates, measured by simulation rather than assumed.

:func:`simulate` draws test-set predictions of two networks over several training
seeds, with a known seed-to-seed spread of the true effect, under the null or under
a known effect, and applies the package's own rules to each draw:

* ``"seed t-test"``: :func:`~.verdicts.decide` on one endpoint (a one-sample t-test
  over the seeds' effects): how often it calls a difference (supported or
  contradicted);
* ``"holm family"``: the same on :data:`~.verdicts.ENDPOINTS`' whole family, every
  endpoint drawn independently: how often any of them is called a difference;
* ``"equivalence"``: how often :func:`~.verdicts.decide` calls the effect equivalent
  (within the margin) when the true effect is ``effect``;
* ``"mixed family"``: the family of the accuracy endpoints, every other one at no
  effect and the rest exactly at the margin, where both kinds of false verdict can happen at once: how
  often any verdict is false (a difference called where there is none, or equivalence
  called at the margin);
* ``"every seed, per image"``: the rule the package used before (a per-image t-test of
  the difference in drops on each seed, a difference only when every seed's test is
  significant in the same direction), for comparison.

The model of one seed: each of the four arms (network a or b, on the original or the
changed images) gets each test image right independently with its accuracy; the
drops' true difference for the seed is ``effect + e`` with ``e ~ N(0, seed_sd)``. So
the observed per-seed effect carries both the spread of training and the sampling of
the test images, as real runs do. docs/explanation/statistics.md gives the rates, from
:func:`rate_table`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from .stats import ALPHA
from .verdicts import ENDPOINTS, MARGINS, decide

__all__ = ["rate_table", "simulate"]


def _draw_effects(rng, n_sims, n_seeds, n_images, seed_sd, effect, accuracy, drop):
    """Per simulation and seed: the observed difference in drops, and the per-image p of
    that seed (the old rule's test)."""
    true = effect + rng.normal(0.0, seed_sd, size=(n_sims, n_seeds))
    p = np.empty((4, n_sims, n_seeds))
    p[0] = accuracy  # a, original
    p[1] = accuracy - drop - true / 2  # a, changed
    p[2] = accuracy  # b, original
    p[3] = accuracy - drop + true / 2  # b, changed
    p = np.clip(p, 0.0, 1.0)
    right = rng.random((4, n_sims, n_seeds, n_images)) < p[..., None]
    d = (right[0].astype(np.int8) - right[1]) - (right[2].astype(np.int8) - right[3])
    observed = d.mean(axis=-1)
    sd = d.std(axis=-1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = observed / (sd / np.sqrt(n_images))
    per_image_p = np.where(sd > 0, 2 * _st.t.sf(np.abs(t), df=n_images - 1), 1.0)
    return observed, per_image_p


def simulate(
    effect: float = 0.0,
    *,
    n_sims: int = 1000,
    n_seeds: int = 5,
    n_images: int = 2000,
    seed_sd: float = 0.004,
    accuracy: float = 0.97,
    drop: float = 0.02,
    alpha: float = ALPHA,
    random_state: int = 0,
) -> dict[str, float]:
    """How often each rule calls a difference (or equivalence), over ``n_sims`` draws.

    Parameters
    ----------
    effect : float, default=0.0
        The true mean difference in drops (accuracy; 0: the null).
    n_sims : int, default=1000
        Simulated runs.
    n_seeds : int, default=5
        Training seeds per run.
    n_images : int, default=2000
        Test images.
    seed_sd : float, default=0.004
        Standard deviation of the true per-seed effect around ``effect``: the
        spread of training runs (0.4 points; experiment b's horizontal shifts varied
        by 6.6 points between seeds on the complete MNIST, so this is mild).
    accuracy, drop : float
        Accuracy on the original images, and each network's mean drop.
    alpha : float, default=ALPHA
    random_state : int, default=0

    Returns
    -------
    dict
        ``"seed t-test"``, ``"holm family"``, ``"mixed family"``, ``"equivalence"`` and
        ``"every seed, per image"``: the fraction of runs in which the rule called a difference
        (``"equivalence"``: called the effect equivalent).

    Examples
    --------
    >>> rates = simulate(0.0, n_sims=200, n_images=500)
    >>> rates["seed t-test"] <= 0.1, rates["every seed, per image"] >= 0.0
    (True, True)
    """
    rng = np.random.default_rng(random_state)
    shape = (n_sims, n_seeds, n_images, seed_sd, effect, accuracy, drop)
    observed, per_image_p = _draw_effects(rng, *shape)
    key = ENDPOINTS[0].key
    calls = [decide({key: row}, alpha, power=False)[key].status for row in observed]
    difference = np.mean([c in ("supported", "contradicted") for c in calls])
    equivalent = np.mean([c == "equivalent" for c in calls])
    # The whole family under the null, every endpoint drawn independently.
    family = []
    for _ in range(n_sims):
        rows, _ = _draw_effects(rng, len(ENDPOINTS), *shape[1:4], 0.0, accuracy, drop)
        calls = decide(
            {e.key: row for e, row in zip(ENDPOINTS, rows, strict=True)}, alpha, power=False
        )
        family.append(any(v.status in ("supported", "contradicted") for v in calls.values()))
    mixed = []
    margin = MARGINS["accuracy"]
    accuracy_endpoints = [e for e in ENDPOINTS if e.unit == "accuracy"]
    at_margin = np.arange(len(accuracy_endpoints)) % 2 == 1  # every other endpoint
    for _ in range(n_sims):
        rows = np.empty((len(accuracy_endpoints), n_seeds))
        for where, true in ((~at_margin, 0.0), (at_margin, margin)):
            rows[where] = _draw_effects(rng, int(where.sum()), *shape[1:4], true, accuracy, drop)[0]
        calls = decide(
            {e.key: row for e, row in zip(accuracy_endpoints, rows, strict=True)},
            alpha,
            power=False,
        )
        mixed.append(
            any(
                (calls[e.key].status == "equivalent")
                if edge
                else (calls[e.key].status in ("supported", "contradicted"))
                for e, edge in zip(accuracy_endpoints, at_margin, strict=True)
            )
        )
    significant = per_image_p < alpha
    same_sign = np.all(observed > 0, axis=1) | np.all(observed < 0, axis=1)
    every_seed = np.all(significant, axis=1) & same_sign
    return {
        "seed t-test": float(difference),
        "holm family": float(np.mean(family)),
        "mixed family": float(np.mean(mixed)),
        "equivalence": float(equivalent),
        "every seed, per image": float(np.mean(every_seed)),
    }


def rate_table(n_sims: int = 2000, n_seeds: int = 5) -> list[dict]:
    """The rates of :func:`simulate` at the null, at the margin and at twice the margin.

    The figures of docs/explanation/statistics.md:
    ``python -c "from mnist_estimators.evaluation.simulation import rate_table; print(rate_table())"``.
    """
    margin = MARGINS["accuracy"]
    return [
        {"effect": effect, **simulate(effect, n_sims=n_sims, n_seeds=n_seeds)}
        for effect in (0.0, margin, 2 * margin)
    ]
