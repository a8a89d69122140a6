"""compare_models: fields, resumability, refusal of a foreign folder, the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_estimators import compare_models, comparison, make_cnn_pipeline, make_lstm_pipeline
from mnist_estimators.comparison import ComparisonConfigError


@pytest.fixture(scope="module")
def tiny(digits):
    X, y = digits
    return X[:240], y[:240], X[1500:1600], y[1500:1600]


def _models():
    return {
        "cnn": make_cnn_pipeline(epochs=1, random_state=0),
        "lstm": make_lstm_pipeline(units=16, epochs=1, random_state=0),
    }


@pytest.fixture(scope="module")
def result(tiny, tmp_path_factory):
    X, y, Xt, yt = tiny
    out = tmp_path_factory.mktemp("cmp")
    return compare_models(
        _models(), X, y, cv=2, X_test=Xt, y_test=yt, out_dir=out, progress=False
    ), out


def test_every_field(result, tiny):
    res, _ = result
    f = res.folds
    assert list(f.model.unique()) == ["cnn", "lstm"] and sorted(f.fold.unique()) == [0, 1]
    for col in (
        "accuracy",
        "log_loss",
        "fit_time",
        "predict_time",
        "train_images_per_s",
        "predict_images_per_s",
        "epochs",
    ):
        assert f[col].notna().all() and (f[col] > 0).all(), col
    s = res.summary
    for col in (
        "accuracy_mean",
        "accuracy_std",
        "fit_time_mean",
        "log_loss_std",
        "n_params",
        "test_accuracy",
        "test_log_loss",
        "test_fit_time",
    ):
        assert col in s.columns, col
    assert s.loc["cnn", "n_params"] > s.loc["lstm", "n_params"] > 0
    assert len(res.histories["cnn"]) == 2
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"} <= set(
        res.histories["cnn"][0]
    )
    t = res.test["lstm"]
    assert len(t["predictions"]) == 100 and np.asarray(t["confusion_matrix"]).sum() == 100
    assert t["accuracy"] == pytest.approx(np.mean(np.asarray(t["predictions"]) == tiny[3]))
    st = res.statistics[0]
    assert 0 <= st["ttest"]["p_value"] <= 1 and 0 <= st["mcnemar"]["p_value"] <= 1
    assert all("CNN" in v and "LSTM" in v for v in res.verdicts) and len(res.verdicts) == 2


def test_report_files(result, tmp_path):
    res, _ = result
    written = res.save(tmp_path / "report")
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
    assert "| cnn |" in md and "McNemar" in md and "Nadeau-Bengio" in md and "![" in md
    data = json.loads(written["results.json"].read_text())
    assert set(data) >= {"summary", "folds", "histories", "test", "statistics", "config"}
    assert written["learning_curves"].read_bytes()[:4] == b"\x89PNG"


def test_resume_after_interruption_redoes_nothing(tiny, tmp_path, monkeypatch):
    X, y, Xt, yt = tiny
    calls = []
    real = comparison._evaluate

    def flaky(name, model, *args):
        calls.append((name, args[-1]))
        if len(calls) == 3:
            raise KeyboardInterrupt  # as a Ctrl-C during the third fit
        return real(name, model, *args)

    monkeypatch.setattr(comparison, "_evaluate", flaky)
    with pytest.raises(KeyboardInterrupt):
        compare_models(
            _models(), X, y, cv=2, X_test=Xt, y_test=yt, out_dir=tmp_path, progress=False
        )
    assert len(list((tmp_path / "folds").glob("*.json"))) == 2
    calls.clear()
    monkeypatch.setattr(
        comparison,
        "_evaluate",
        lambda name, model, *args: calls.append((name, args[-1])) or real(name, model, *args),
    )
    res = compare_models(
        _models(), X, y, cv=2, X_test=Xt, y_test=yt, out_dir=tmp_path, progress=False
    )
    assert calls == [("lstm", 0), ("lstm", 1), ("cnn", "test"), ("lstm", "test")]
    assert len(res.folds) == 4
    calls.clear()
    compare_models(_models(), X, y, cv=2, X_test=Xt, y_test=yt, out_dir=tmp_path, progress=False)
    assert calls == []  # everything finished: nothing is redone


def test_foreign_folder_is_refused(result, tiny):
    X, y, Xt, yt = tiny
    _, out = result
    other = {
        "cnn": make_cnn_pipeline(epochs=2, random_state=0),
        "lstm": make_lstm_pipeline(units=16, epochs=1, random_state=0),
    }
    with pytest.raises(ComparisonConfigError, match="different comparison .*models"):
        compare_models(other, X, y, cv=2, X_test=Xt, y_test=yt, out_dir=out, progress=False)
    with pytest.raises(ComparisonConfigError, match="cv"):
        compare_models(_models(), X, y, cv=3, X_test=Xt, y_test=yt, out_dir=out, progress=False)


def test_argument_errors(tiny):
    X, y, Xt, yt = tiny
    with pytest.raises(ValueError, match="non-empty"):
        compare_models({}, X, y)
    with pytest.raises(ValueError, match="both X_test and y_test"):
        compare_models(_models(), X, y, X_test=Xt)
    with pytest.raises(ValueError, match="cv must be an int >= 2"):
        compare_models(_models(), X, y, cv=1)
