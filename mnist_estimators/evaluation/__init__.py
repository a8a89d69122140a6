"""The evaluation wing: scoring, statistics, the fold runner, comparisons and searches.

:mod:`.folds` runs one fold (or one refit and test) into one record, for both
:func:`compare_models` and :func:`grid_search`; :mod:`.store` keeps the finished
records; :mod:`.parallel` decides where the tasks run; :mod:`.result` holds what
was measured. It uses the estimators and never the reporting wing. Names load on
first use (the errors, :mod:`.errors`, need no TensorFlow).
"""

from __future__ import annotations

from .. import _lazy

_EXPORTS = {
    "compare_models": "compare",
    "explain": "experiments",
    "spatial_structure": "experiments",
    "robustness": "experiments",
    "data_efficiency": "experiments",
    "parallel_efficiency": "experiments",
    "calibration": "experiments",
    "Explanation": "explanation",
    "resolve_seeds": "compare",
    "ComparisonResult": "result",
    "PairStatistics": "result",
    "SearchInfo": "result",
    "SearchResult": "result",
    "cv_results_from": "search",
    "from_search": "search",
    "grid_search": "search",
    "ComparisonConfigError": "errors",
    "FoldsError": "errors",
    "TIMING_SCORING": "scoring",
    "COMPARISON_SCORING": "scoring",
    "AccuracyTimeTradeoff": "scoring",
    "FastestWithinTolerance": "scoring",
    "FitTimed": "scoring",
    "Ranking": "ranking",
    "rank_models": "ranking",
    "get_fit_time": "scoring",
    "neg_fit_time_scorer": "scoring",
    "neg_predict_time_scorer": "scoring",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = _lazy.lazy_exports(__name__, _EXPORTS, globals())
