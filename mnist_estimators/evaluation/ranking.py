"""The ranking of k compared models, as data: who is ahead, by how much, and at what cost.

:func:`rank_models` reads a :class:`~.result.ComparisonResult`'s pairwise tests
(every pair's corrected repeated k-fold t-test and per-seed McNemar tests, each family
Holm-adjusted in :meth:`~.result.ComparisonResult.from_records`) and gives:

* the **ranking**: models in order of mean cross-validated accuracy; a model shares
  the rank of the best model of the group above it unless the adjusted t-test of
  the two is significant (competition ranking: 1, 1, 3). Sharing a rank says "not
  shown apart", never "equal": no equivalence test is made here.
* the **adjusted p-values as matrices**, one for the t-tests and one for McNemar's
  tests (the largest adjusted p over the seeds: a difference holds across seeds when
  every seed's test is significant, so when that largest p is below alpha);
* the **Pareto fronts** of accuracy against fit time and against the number of
  learnt parameters: the models no other beats on both.

Friedman's test or a critical-difference diagram over the fold-by-seed blocks is
not made: the folds share three quarters of their training images, so the blocks are
not independent (Demšar's diagram is meant for several data sets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scoring import pareto_front
from .stats import ALPHA

__all__ = ["RANKING_RULE", "Ranking", "rank_models"]

#: The ranking rule, in words, as the report states it.
RANKING_RULE = (
    "models in order of mean cross-validated accuracy; a model shares the rank of the "
    "best model of the group above it unless their corrected repeated k-fold t-test, "
    "Holm-adjusted over all pairs, is significant (or did not run)"
)


@dataclass
class Ranking:
    """The ranking of a comparison's models.

    Attributes
    ----------
    table : DataFrame
        One row per model, best first: ``rank``, ``accuracy_mean``,
        ``test_accuracy`` (NaN without a test), ``fit_time_mean``, ``n_params``,
        ``pareto_time`` and ``pareto_params`` (on the front of accuracy against fit
        time, against parameters).
    ttest_p : DataFrame
        The Holm-adjusted p of each pair's corrected t-test (symmetric, NaN on the
        diagonal and where no test ran), rows and columns in ranking order.
    mcnemar_p : DataFrame
        The largest Holm-adjusted p over the seeds of each pair's McNemar test.
    alpha : float
        The significance level of the ranking.
    """

    table: pd.DataFrame
    ttest_p: pd.DataFrame
    mcnemar_p: pd.DataFrame
    alpha: float = ALPHA

    def to_dict(self) -> dict:
        """JSON-able: the table's rows and both matrices."""
        return {
            "rule": RANKING_RULE,
            "alpha": self.alpha,
            "table": self.table.reset_index().to_dict(orient="records"),
            "ttest_p": _matrix_dict(self.ttest_p),
            "mcnemar_p": _matrix_dict(self.mcnemar_p),
        }


def _matrix_dict(matrix: pd.DataFrame) -> dict:
    return {
        row: {col: None if np.isnan(v) else float(v) for col, v in values.items()}
        for row, values in matrix.to_dict(orient="index").items()
    }


def _pair_matrix(names: list[str], values: dict[frozenset, float]) -> pd.DataFrame:
    matrix = pd.DataFrame(np.nan, index=names, columns=names)
    for pair, p in values.items():
        a, b = tuple(pair)
        matrix.loc[a, b] = matrix.loc[b, a] = p
    return matrix


def rank_models(result, alpha: float = ALPHA) -> Ranking:
    """Rank a comparison's models, with the adjusted p-values and the Pareto fronts.

    Parameters
    ----------
    result : ComparisonResult
    alpha : float, default=0.05

    Returns
    -------
    Ranking

    Examples
    --------
    >>> import pandas as pd
    >>> from mnist_estimators.evaluation.result import ComparisonResult
    >>> folds = [(m, 0, k, acc) for m, accs in {"A": [.95, .96, .97, .96],
    ...          "B": [.90, .91, .92, .91], "C": [.951, .962, .968, .961]}.items()
    ...          for k, acc in enumerate(accs)]
    >>> records = [{"model": m, "seed": s, "fold": k, "accuracy": a, "fit_time": 1.0,
    ...             "n_train": 300, "n_test": 100} for m, s, k, a in folds]
    >>> res = ComparisonResult.from_records(records, ["A", "B", "C"], {},
    ...                                     pairs=[("A", "B"), ("A", "C"), ("B", "C")])
    >>> rank_models(res).table["rank"].to_dict()
    {'C': 1, 'A': 1, 'B': 3}
    """
    summary = result.summary
    order = summary["accuracy_mean"].sort_values(ascending=False, kind="stable").index.tolist()
    ttest = {
        frozenset((st.model_a, st.model_b)): st.ttest["p_adjusted"]
        for st in result.statistics
        if st.has_ttest
    }
    mcnemar = {
        frozenset((st.model_a, st.model_b)): max(m["p_adjusted"] for m in st.mcnemar)
        for st in result.statistics
        if st.has_mcnemar
    }
    ranks, leader = {}, None
    for position, name in enumerate(order, start=1):
        p = ttest.get(frozenset((leader, name)), np.nan) if leader is not None else np.nan
        if leader is None or not (p >= alpha):  # a significant, or untested, gap: a new rank
            leader = name
            ranks[name] = position
        else:
            ranks[name] = ranks[leader]
    table = pd.DataFrame(index=pd.Index(order, name="model"))
    table["rank"] = [ranks[n] for n in order]
    table["accuracy_mean"] = summary.loc[order, "accuracy_mean"].to_numpy()
    table["test_accuracy"] = (
        summary.loc[order, "test_accuracy"].to_numpy() if "test_accuracy" in summary else np.nan
    )
    table["fit_time_mean"] = summary.loc[order, "fit_time_mean"].to_numpy()
    table["n_params"] = pd.to_numeric(summary.loc[order, "n_params"], errors="coerce").to_numpy()
    table["pareto_time"] = _on_front(table["accuracy_mean"], table["fit_time_mean"])
    table["pareto_params"] = _on_front(table["accuracy_mean"], table["n_params"])
    return Ranking(table, _pair_matrix(order, ttest), _pair_matrix(order, mcnemar), alpha)


def _on_front(accuracy: pd.Series, cost: pd.Series) -> list[bool]:
    front = set(pareto_front(accuracy.to_numpy(float), cost.to_numpy(float)).tolist())
    return [i in front for i in range(len(accuracy))]
