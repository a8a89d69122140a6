"""compare_models (scikit-learn's cross_validate per fold, over seeds), resuming, refusal of a
foreign folder, from_search, the verdict sentences and the report."""

from __future__ import annotations

import base64
import json
import re
import statistics
import time
import warnings

import numpy as np
import pytest
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_validate,
)
from sklearn.pipeline import Pipeline

from mnist_estimators import compare_models, make_cnn_pipeline, make_lstm_pipeline
from mnist_estimators._keras.runtime import BACKEND
from mnist_estimators.evaluation import folds
from mnist_estimators.evaluation.compare import ComparisonConfigError, _splitter
from mnist_estimators.evaluation.parallel import LOKY_RECYCLED_WORKER, run_tasks
from mnist_estimators.evaluation.result import PairStatistics
from mnist_estimators.evaluation.scoring import (
    TIMING_SCORING,
    FastestWithinTolerance,
    pareto_front,
)
from mnist_estimators.evaluation.search import from_search, grid_search
from mnist_estimators.evaluation.store import record_file_name
from mnist_estimators.reporting import figures
from mnist_estimators.reporting.report import verdict_sentence, verdict_sentences, write_report


@pytest.fixture(scope="module")
def tiny(digits):
    X, y = digits
    return X[:240], y[:240], X[1500:1600], y[1500:1600]


def _cnn():
    return make_cnn_pipeline(epochs=2, filters=4, learning_rate=0.01)


def _lstm():
    return make_lstm_pipeline(units=8, epochs=2, learning_rate=0.01)


def _models():
    return {"CNN": _cnn(), "LSTM": _lstm()}


@pytest.fixture(scope="module")
def result(tiny, tmp_path_factory):
    X, y, Xt, yt = tiny
    out = tmp_path_factory.mktemp("cmp")
    return compare_models(
        _models(), X, y, cv=2, X_test=Xt, y_test=yt, out_dir=out, progress=False
    ), out


@pytest.fixture(scope="module")
def two_seeds(tiny):
    X, y, Xt, yt = tiny
    return compare_models(
        _models(), X, y, cv=2, X_test=Xt, y_test=yt, seeds=2, random_state=3, progress=False
    )


def test_every_field(result, tiny):
    res, _ = result
    f = res.folds
    assert list(f.model.unique()) == ["CNN", "LSTM"] and sorted(f.fold.unique()) == [0, 1]
    assert f.seed.unique().tolist() == [0]
    for col in (
        "accuracy",
        "log_loss",
        "fit_time",
        "predict_time_per_1000",
        "train_images_per_s",
        "epochs",
    ):
        assert f[col].notna().all() and (f[col] > 0).all(), col
    assert (f.epochs == 2).all()
    s = res.summary
    for col in ("accuracy_mean", "accuracy_std", "n_params", "test_accuracy", "test_log_loss"):
        assert col in s.columns, col
    assert np.isnan(s.loc["CNN", "accuracy_seed_std"])  # one seed: no spread across seeds
    assert s.loc["CNN", "n_params"] > s.loc["LSTM", "n_params"] > 0
    assert len(res.histories["CNN"]) == 2
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"} <= set(
        res.histories["CNN"][0]
    )
    t = res.test["LSTM"][0]
    assert len(t["predictions"]) == 100 and np.asarray(t["confusion_matrix"]).sum() == 100
    assert t["accuracy"] == pytest.approx(np.mean(np.asarray(t["predictions"]) == tiny[3]))
    st = res.statistics[0]
    assert st["ttest"]["detail"]["k"] == 2 and len(st["mcnemar"]) == 1
    (sentence,) = verdict_sentences(res)
    assert "CNN" in sentence and "LSTM" in sentence and "one training seed" in sentence


def test_folds_are_scikit_learns_cross_validate(two_seeds, tiny):
    """Each seed's per-fold scores are those of a plain cross_validate with that seed."""
    X, y, _, _ = tiny
    for seed in (3, 4):
        plain = cross_validate(
            make_cnn_pipeline(epochs=2, filters=4, learning_rate=0.01, random_state=seed),
            X,
            y,
            cv=StratifiedKFold(2, shuffle=True, random_state=seed),
            scoring=["accuracy", "neg_log_loss"],  # scikit-learn's own scorers
        )
        ours = two_seeds.folds.query("model == 'CNN' and seed == @seed")
        np.testing.assert_array_equal(ours.accuracy.to_numpy(), plain["test_accuracy"])
        np.testing.assert_allclose(ours.log_loss.to_numpy(), -plain["test_neg_log_loss"], rtol=1e-6)


def test_seeds_repeat_folds_and_refit(two_seeds, tmp_path):
    res = two_seeds
    assert res.seeds == [3, 4] and len(res.folds) == 8
    assert [r["seed"] for r in res.test["CNN"]] == [3, 4]
    st = res.statistics[0]
    assert st["ttest"]["detail"]["k"] == 4 and st["ttest"]["detail"]["df"] == 3
    assert [m["seed"] for m in st["mcnemar"]] == [3, 4]
    s = res.summary
    # The summary against the statistics module, from the fold rows one by one.
    rows = [r for r in res.folds.to_dict("records") if r["model"] == "LSTM"]
    per_seed = [statistics.fmean(r["accuracy"] for r in rows if r["seed"] == k) for k in (3, 4)]
    assert s.loc["LSTM", "accuracy_seed_std"] == pytest.approx(statistics.stdev(per_seed))
    assert s.loc["LSTM", "accuracy_mean"] == pytest.approx(
        statistics.fmean(r["accuracy"] for r in rows)
    )
    assert s.loc["LSTM", "accuracy_std"] == pytest.approx(
        statistics.stdev(r["accuracy"] for r in rows)
    )
    accs = [r["accuracy"] for r in res.test["LSTM"]]
    assert s.loc["LSTM", "test_accuracy"] == pytest.approx(statistics.fmean(accs))
    md = write_report(res, tmp_path)["report.md"].read_text()
    assert "2 training seeds (3, 4)" in md and "repeated k-fold t-test" in md
    assert md.count("*McNemar's test*, seed") == 2 and "one training seed" not in md


def test_report_files(result, tmp_path):
    res, _ = result
    written = write_report(res, tmp_path / "report")
    for name in (
        "report.md",
        "results.csv",
        "results.json",
        "learning_curves",
        "training_time",
        "accuracy_vs_time",
        "confusion_matrices",
        "misclassified",
    ):
        assert name in written and written[name].stat().st_size > 0, name
    md = written["report.md"].read_text()
    assert md.startswith("# CNN vs LSTM: comparison report")
    assert "| CNN |" in md and "McNemar" in md and "![" in md and "## Setup" in md
    assert BACKEND.package in md and "scikit-learn" in md  # the versions
    assert f"**Keras backend:** {BACKEND.name}" in md and "**Device:** CPU" in md
    data = json.loads(written["results.json"].read_text())
    assert set(data) >= {"summary", "folds", "histories", "test", "statistics", "config"}
    assert data["verdicts"] == verdict_sentences(res)
    assert data["statistics"][0]["model_a"] == "CNN" and "mcnemar" in data["statistics"][0]
    assert written["learning_curves"].read_bytes()[:4] == b"\x89PNG"
    # report.html: the same report, each figure embedded byte for byte, nothing outside it
    page = written["report.html"].read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    names = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(sources) == len(names) == 5
    for src, name in zip(sources, names, strict=True):
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == (tmp_path / "report" / name).read_bytes()
    assert "<script" not in page and "<link" not in page and 'src="http' not in page
    assert "<h1>CNN vs LSTM: comparison report</h1>" in page and "<table>" in page


def test_save_without_matplotlib_writes_tables_and_warns(result, tmp_path, monkeypatch):
    res, _ = result

    def missing():
        raise figures.FiguresUnavailable("The report's figures need matplotlib.")

    monkeypatch.setattr(figures, "_pyplot", missing)
    with pytest.warns(UserWarning, match="figures were skipped"):
        written = write_report(res, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "report.html",
        "report.md",
        "results.csv",
        "results.json",
    ]
    assert "Is the difference real?" in written["report.md"].read_text()


def test_resume_after_interruption_redoes_nothing(tiny, tmp_path, monkeypatch):
    X, y, Xt, yt = tiny
    calls, interrupted = [], []
    real = folds.evaluate

    def flaky(task, *args):
        calls.append((task.model, task.seed, task.fold))
        if len(calls) == 3 and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt  # as a Ctrl-C during the third fit
        return real(task, *args)

    monkeypatch.setattr(folds, "evaluate", flaky)
    kwargs = {"cv": 2, "X_test": Xt, "y_test": yt, "out_dir": tmp_path, "progress": False}
    with pytest.raises(KeyboardInterrupt):
        compare_models(_models(), X, y, **kwargs)
    # Longest first: the refits (all of X) before the folds, so they were the two finished.
    assert calls[:2] == [("CNN", 0, None), ("LSTM", 0, None)]
    assert len(list((tmp_path / "folds").glob("*.json"))) == 2
    calls.clear()
    res = compare_models(_models(), X, y, **kwargs)
    assert calls == [("CNN", 0, 0), ("LSTM", 0, 0), ("CNN", 0, 1), ("LSTM", 0, 1)]
    assert len(res.folds) == 4
    calls.clear()
    compare_models(_models(), X, y, **kwargs)
    assert calls == []  # everything finished: nothing is redone
    more = compare_models(_models(), X, y, seeds=2, **kwargs)  # a second seed reuses the first
    assert {c[1] for c in calls} == {1} and len(calls) == 6
    assert [c[2] for c in calls] == [None, None, 0, 0, 1, 1]
    assert more.seeds == [0, 1]


def test_foreign_folder_is_refused(result, tiny):
    X, y, Xt, yt = tiny
    _, out = result
    other = {"CNN": make_cnn_pipeline(epochs=3, filters=4), "LSTM": _lstm()}
    with pytest.raises(ComparisonConfigError, match="different comparison .*models"):
        compare_models(other, X, y, cv=2, X_test=Xt, y_test=yt, out_dir=out, progress=False)
    with pytest.raises(ComparisonConfigError, match="cv"):
        compare_models(_models(), X, y, cv=3, X_test=Xt, y_test=yt, out_dir=out, progress=False)


def test_argument_errors(tiny, tmp_path):
    X, y, Xt, yt = tiny
    with pytest.raises(ValueError, match="non-empty"):
        compare_models({}, X, y)
    with pytest.raises(ValueError, match="both X_test and y_test"):
        compare_models(_models(), X, y, X_test=Xt)
    with pytest.raises(ValueError, match="cv must be an int >= 2"):
        compare_models(_models(), X, y, cv=1)
    with pytest.raises(ValueError, match="seeds must be"):
        compare_models(_models(), X, y, seeds=0)
    with pytest.raises(ValueError, match="distinct"):
        compare_models(_models(), X, y, seeds=[1, 1])
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match="existing file"):
        compare_models(_models(), X, y, out_dir=tmp_path / "file")


def test_any_splitter_is_accepted_and_reseeded():
    shuffled = _splitter(StratifiedKFold(3, shuffle=True, random_state=99), seed=7)
    assert shuffled.random_state == 7 and shuffled.n_splits == 3
    plain = KFold(4)
    assert _splitter(plain, seed=7).random_state is None  # no shuffling: nothing to seed
    assert _splitter(5, seed=2).random_state == 2


def test_from_search_one_object_comparison(tiny, tmp_path):
    """The networks themselves as the candidates of one GridSearchCV."""
    X, y, Xt, yt = tiny
    search = GridSearchCV(
        Pipeline([("model", _cnn())]),
        {"model": [_cnn().set_params(cnnclassifier__random_state=0), _lstm()]},
        scoring=TIMING_SCORING,
        refit=FastestWithinTolerance(0.002),
        cv=3,
    ).fit(X, y)
    res = from_search(search, X_test=Xt, y_test=yt)
    assert res.names == ["CNN", "LSTM"] and len(res.folds) == 6
    acc = search.cv_results_["mean_test_accuracy"]
    best, other = int(np.argmax(acc)), 1 - int(np.argmax(acc))
    (st,) = res.statistics
    assert (st.model_a, st.model_b) == (res.names[best], res.names[other])
    # the corrected t-test, computed independently: the plain one-sample t of the
    # differences, rescaled by sqrt((1/k) / (1/k + n_test/n_train)) with n_test/n_train = 1/2
    d = np.array(
        [search.cv_results_[f"split{i}_test_accuracy"][best] for i in range(3)]
    ) - np.array([search.cv_results_[f"split{i}_test_accuracy"][other] for i in range(3)])
    from scipy import stats

    t_plain = stats.ttest_1samp(d, 0.0).statistic
    assert st.ttest["statistic"] == pytest.approx(t_plain * np.sqrt((1 / 3) / (1 / 3 + 1 / 2)))
    chosen = res.names[search.best_index_]
    assert list(res.test) == [chosen] and len(res.test[chosen][0]["predictions"]) == 100
    written = write_report(res, tmp_path)
    md = written["report.md"].read_text()
    assert f"Refit chose **{chosen}**" in md and "within 0.002" in md and "Pareto front" in md
    assert "accuracy_vs_time" in written and "learning_curves" not in written


def test_resumable_grid_search_equals_gridsearchcv(tiny, tmp_path):
    X, y, Xt, yt = tiny
    grid = {"cnnclassifier__filters": [2, 4]}
    ours = grid_search(
        _cnn(), grid, X, y, cv=2, X_test=Xt, y_test=yt, out_dir=tmp_path, progress=False
    )
    theirs = GridSearchCV(
        _cnn().set_params(cnnclassifier__random_state=0),
        grid,
        scoring=TIMING_SCORING,
        refit="accuracy",
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    ).fit(X, y)
    for i, name in enumerate(["filters=2", "filters=4"]):
        np.testing.assert_array_equal(
            ours.folds[ours.folds.model == name].accuracy.to_numpy(),
            [theirs.cv_results_[f"split{f}_test_accuracy"][i] for f in range(2)],
        )
    assert ours.search["chosen_index"] == theirs.best_index_
    chosen = ours.names[ours.search["chosen_index"]]
    assert ours.test[chosen][0]["accuracy"] == pytest.approx(theirs.score(Xt, yt))
    # 2 candidates x 2 folds, and the refit of the chosen one, each in its own file.
    names = sorted(p.name for p in (tmp_path / "folds").iterdir())
    assert len(names) == 5 and record_file_name(folds.Task(chosen, 0)) in names
    written = write_report(ours, tmp_path / "report")
    best = json.loads(written["best.json"].read_text())
    assert best["best_params"] == {"cnnclassifier__filters": [2, 4][theirs.best_index_]}
    assert best["test_accuracy"] == pytest.approx(theirs.score(Xt, yt))
    # A rerun reads every finished fold and the refit back: nothing is trained again.
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "folds").iterdir()}
    again = grid_search(
        _cnn(), grid, X, y, cv=2, X_test=Xt, y_test=yt, out_dir=tmp_path, progress=False
    )
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "folds").iterdir()} == stamps
    assert again.folds.equals(ours.folds) and again.test == ours.test


def test_from_search_needs_the_timing_scorers(tiny):
    X, y, _, _ = tiny
    search = GridSearchCV(_cnn(), {"cnnclassifier__filters": [2, 4]}, cv=2).fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="TIMING_SCORING"):
        from_search(search)


def _stat(ttest=None, cv_finding=None, mcnemar=(), test_finding=None):
    """The statistics of CNN vs LSTM, every finding given as it is (none is computed here)."""
    return PairStatistics(
        "CNN",
        "LSTM",
        ttest=None if ttest is None else {"p_value": ttest[0], "mean_difference": ttest[1]},
        cv_finding=cv_finding,
        mcnemar=[
            {"seed": i, "p_value": p, "mean_difference": d} for i, (p, d) in enumerate(mcnemar)
        ],
        test_finding=test_finding,
    )


@pytest.mark.parametrize(
    ("st", "expected"),
    [
        (
            _stat((0.01, 0.01), "CNN", [(0.01, 0.01)], "CNN"),
            "CNN is more accurate than LSTM: cross-validation (corrected t-test, p = 0.010) and "
            "the test set (McNemar, p = 0.010) agree.",
        ),
        (
            _stat((0.3, 0.01), None, [(0.3, 0.01)], None),
            "No significant difference in accuracy between CNN and LSTM (corrected t-test, "
            "p = 0.300; McNemar, p = 0.300).",
        ),
        (
            _stat((0.3, 0.01), None, [(0.049, 0.002), (0.02, 0.003)], "CNN"),
            "The test set shows CNN more accurate than LSTM (McNemar, p = 0.02 to 0.049 over 2 seeds), "
            "a difference that cross-validation does not confirm (corrected t-test, p = 0.300).",
        ),
        (
            _stat((0.001, -0.01), "LSTM", [(0.4, 0.001)], None),
            "Cross-validation shows LSTM more accurate than CNN (corrected t-test, p = 0.001), "
            "a difference that the test set does not confirm (McNemar, p = 0.400).",
        ),
        (
            _stat((0.01, 0.01), "CNN", [(0.01, -0.01)], "LSTM"),
            "Cross-validation and the test set disagree: cross-validation favours CNN "
            "(corrected t-test, p = 0.010), the test set favours LSTM (McNemar, p = 0.010); "
            "no conclusion.",
        ),
        (
            _stat((0.3, 0.0), None, [(0.01, 0.01), (0.01, -0.01)], "mixed"),
            "The seeds disagree on the test set (McNemar, p = 0.01 to 0.01 over 2 seeds), so "
            "there is no finding; cross-validation shows no significant difference (corrected "
            "t-test, p = 0.300).",
        ),
        (
            _stat((0.2, 0.01), None),
            "No significant difference in accuracy between CNN and LSTM (corrected t-test, "
            "p = 0.200).",
        ),
        (
            _stat(mcnemar=[(0.0001, 0.02)], test_finding="CNN"),
            "CNN is more accurate than LSTM (McNemar, p < 0.001).",
        ),
        (_stat(), "CNN and LSTM: too few folds for a test."),
    ],
)
def test_verdict_sentences(st, expected):
    assert verdict_sentence(st) == expected
    assert verdict_sentence(st.to_dict()) == expected  # results.json's form reads the same
    if st.has_ttest or st.has_mcnemar:
        assert verdict_sentence(st, single_seed=True) == expected + (
            " This rests on one training seed: repeat with more seeds to see whether it holds."
        )


def test_pareto_front_against_brute_force(rng):
    acc, t = rng.random(30), rng.random(30)
    expected = [
        i
        for i in range(30)
        if not any(acc[j] >= acc[i] and t[j] <= t[i] and j != i for j in range(30))
    ]
    assert pareto_front(acc, t).tolist() == expected


def test_predict_proba_is_float64_rows_summing_to_one(result, tiny):
    _, y, Xt, _ = tiny
    pipe = _cnn().set_params(cnnclassifier__random_state=0).fit(tiny[0], y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = pipe.predict_proba(Xt)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_monitored_validation_loss_is_the_folds_log_loss(result):
    """The per-epoch validation curve ends at the fold's own log loss (no double scaling)."""
    res, _ = result
    for model in ("CNN", "LSTM"):
        last = [h["val_loss"][-1] for h in res.histories[model]]
        expected = res.folds[res.folds.model == model].log_loss.to_numpy()
        np.testing.assert_allclose(last, expected, rtol=1e-4)


def test_parallel_and_unmonitored_runs_match_the_serial_one(result, tiny):
    """n_jobs=2 (joblib processes) gives the serial run's folds; no monitoring, no val curves."""
    X, y, Xt, yt = tiny
    res, _ = result
    par = compare_models({"CNN": _cnn()}, X, y, cv=2, n_jobs=2, progress=False)
    serial = res.folds[res.folds.model == "CNN"].accuracy.to_numpy()
    np.testing.assert_array_equal(par.folds.accuracy.to_numpy(), serial)
    quiet = compare_models({"CNN": _cnn()}, X, y, cv=2, monitor_validation=False, progress=False)
    assert all("val_loss" not in h for h in quiet.histories["CNN"])
    np.testing.assert_array_equal(quiet.folds.accuracy.to_numpy(), serial)


def _double_then_recycle(task):
    """2 * task, from a loky worker that then stops as if it leaked memory: after each
    task a worker compares its memory with its first task's (more than one second
    later); a negative allowance makes every such check fail, so loky restarts it."""
    from joblib.externals.loky import process_executor

    process_executor._MAX_MEMORY_LEAK_SIZE = -(10**15)
    time.sleep(1.2)
    return 2 * task


def test_loky_worker_restart_notice_is_silenced_only_while_waiting(recwarn):
    """loky restarts a worker whose memory grew past its first task's and says so from its
    own thread with a warning about 'a memory leak' (LOKY_RECYCLED_WORKER). A real restart:
    that notice is not shown, every result arrives, and the caller's code between two
    results runs under the caller's own warning filters, not the silencing one."""
    from joblib.externals.loky import get_reusable_executor

    warnings.simplefilter("always")
    before = list(warnings.filters)
    results, filters_seen = [], []
    try:
        for value in run_tasks(_double_then_recycle, list(range(1, 7)), (), n_jobs=2):
            filters_seen.append(list(warnings.filters))
            results.append(value)
    finally:
        get_reusable_executor().shutdown(wait=True)  # no patched worker survives the test
    assert sorted(results) == [2, 4, 6, 8, 10, 12]
    assert all(seen == before for seen in filters_seen)
    assert not [w for w in recwarn if LOKY_RECYCLED_WORKER in str(w.message)]
    warnings.warn(f"{LOKY_RECYCLED_WORKER}.", UserWarning)  # outside a run: shown
    assert str(recwarn[-1].message) == f"{LOKY_RECYCLED_WORKER}."


def _as_version_0_1(folder):
    """Turn a comparison's or a search's folder into what version 0.1 wrote: refit records
    with ``"fold": "test"`` and, for a search, the refit in ``refit.json``."""
    for path in (folder / "folds").glob("*__test.json"):
        record = json.loads(path.read_text())
        record.pop("test_data", None)
        record["fold"] = "test"
        path.write_text(json.dumps(record))
    return sorted((folder / "folds").glob("*__test.json"))


def test_a_folder_written_by_version_0_1_resumes_without_training(tiny, tmp_path, monkeypatch):
    X, y, Xt, yt = tiny
    kwargs = {"cv": 2, "X_test": Xt, "y_test": yt, "out_dir": tmp_path / "c", "progress": False}
    first = compare_models(_models(), X, y, **kwargs)
    _as_version_0_1(tmp_path / "c")
    grid = {"cnnclassifier__filters": [2, 4]}
    search_kwargs = {**kwargs, "out_dir": tmp_path / "s"}
    searched = grid_search(_cnn(), grid, X, y, **search_kwargs)
    (stamped,) = (tmp_path / "s" / "folds").glob("*__test.json")
    stamped_text = stamped.read_text()
    (refit_file,) = _as_version_0_1(tmp_path / "s")
    record = json.loads(refit_file.read_text())
    chosen = record["model"]
    test = {k: v for k, v in record.items() if k not in ("model", "seed", "fold")}
    (tmp_path / "s" / "refit.json").write_text(json.dumps({"chosen": chosen, "test": test}))
    refit_file.unlink()

    def no_training(task, *args):
        raise AssertionError(f"{task} was trained again")

    monkeypatch.setattr(folds, "evaluate", no_training)
    again = compare_models(_models(), X, y, **kwargs)
    assert again.folds.equals(first.folds)
    assert [r["accuracy"] for r in again.test["LSTM"]] == [
        r["accuracy"] for r in first.test["LSTM"]
    ]
    resumed = grid_search(_cnn(), grid, X, y, **search_kwargs)
    assert resumed.folds.equals(searched.folds)
    assert resumed.test[chosen][0]["accuracy"] == searched.test[chosen][0]["accuracy"]
    # A refit record of this version names its test set: another test set trains again
    # (version 0.1's refit.json did not name it, and is taken as it was then).
    (tmp_path / "s" / "refit.json").unlink()
    stamped.write_text(stamped_text)
    assert grid_search(_cnn(), grid, X, y, **search_kwargs).test == searched.test
    with pytest.raises(AssertionError, match="trained again"):
        grid_search(_cnn(), grid, X, y, **{**search_kwargs, "X_test": Xt[:50], "y_test": yt[:50]})


def test_a_result_pickled_by_version_0_1_loads_and_reports(result, tmp_path):
    """Version 0.1 pickled the statistics and a search's choice as plain dicts."""
    import pickle

    res, _ = result
    old = pickle.loads(pickle.dumps(res))
    old.__dict__["statistics"] = [st.to_dict() for st in res.statistics]
    loaded = pickle.loads(pickle.dumps(old))
    assert loaded.statistics == res.statistics and loaded.search is None
    assert verdict_sentences(loaded) == verdict_sentences(res)
    assert "Is the difference real?" in write_report(loaded, tmp_path)["report.md"].read_text()
