"""The LSTM's path chosen from a measured table (mnist_estimators._keras.paths): the table
is read, never timing at fit time; every path computes the same network; the command
that measures writes an entry the classifier then takes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnist_estimators import CPUUnrolledLSTM, FusedLSTM, LSTMClassifier, keras
from mnist_estimators._keras import paths
from mnist_estimators._keras.runtime import BACKEND


def _fit(X, y, **params):
    return LSTMClassifier(units=8, epochs=1, random_state=0, **params).fit(X, y)


def _lstm_class(est) -> type:
    return next(type(layer) for layer in est.model_.layers if isinstance(layer, keras.layers.LSTM))


@pytest.fixture
def small(digits):
    X, y = digits
    return X[:200] / 16.0, y[:200]


@pytest.mark.parametrize("path", ["keras", "unrolled"])
def test_auto_takes_the_path_of_the_machines_entry(path, small, tmp_path, monkeypatch):
    table = tmp_path / f"{path}.json"
    paths.write_entry(
        table,
        {"key": paths.machine_key(), "path": path, "rates": {path: 1.0}, "measured": "2026-12-03"},
    )
    monkeypatch.setenv(paths.TABLE_VARIABLE, str(table))
    est = _fit(*small)
    assert est.lstm_path_ == f"{path} (measured ({table}, 2026-12-03))"
    assert _lstm_class(est) is paths.LAYERS[path]


def test_without_an_entry_the_backends_default_is_taken_and_said(small, tmp_path, monkeypatch):
    table = tmp_path / "other.json"
    other = {**paths.machine_key(), "simd": "a CPU that is not this one"}
    paths.write_entry(table, {"key": other, "path": "keras", "rates": {"keras": 1.0}})
    monkeypatch.setenv(paths.TABLE_VARIABLE, str(table))
    est = _fit(*small)
    default = paths.DEFAULTS[BACKEND.name]
    if paths.read_tables()[-1][1]:  # the committed table may have this machine
        assert est.lstm_path_.split(" ")[0] in paths.LAYERS
    else:
        assert (
            est.lstm_path_ == f"{default} (no measurement for this machine: the backend's default)"
        )
    assert _fit(*small, unroll=False).lstm_path_ == "keras (unroll=False)"
    assert _lstm_class(_fit(*small, unroll=True)) is paths.LAYERS[default]


def test_a_broken_user_table_is_refused_with_the_fix(small, tmp_path, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    monkeypatch.setenv(paths.TABLE_VARIABLE, str(bad))
    with pytest.raises(ValueError, match="does not hold a table of LSTM paths"):
        _fit(*small)


def test_every_path_computes_the_same_network_and_is_timed(mnist_small):
    """measure() on 512 real images: each candidate's outputs and first-step loss equal
    Keras' loop's within float32 rounding; a median rate per path; the fastest named."""
    X, y, _, _ = mnist_small
    X = (X[:512].reshape(-1, 28, 28) / 255.0).astype("float32")
    result = paths.measure(X, y[:512], batch_size=128, units=16, repeats=1, log=lambda _: None)
    assert set(result["rates"]) == set(paths.CANDIDATES[BACKEND.name])
    assert all(d < 1e-4 for d in result["max_difference"].values()), result["max_difference"]
    assert result["path"] == max(result["rates"], key=result["rates"].get)
    assert result["key"] == paths.machine_key()


def test_the_command_writes_an_entry_that_the_classifier_takes(
    mnist_dir, tmp_path, monkeypatch, capsys
):
    from mnist_estimators import cli

    table = tmp_path / "mine.json"
    code = cli.main(["measure-paths", "--data-dir", str(mnist_dir), "--max-samples", "600",
                     "--repeats", "1", "--out", str(table)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and f"entry written to {table}" in out
    entry = json.loads(table.read_text())["entries"][0]
    assert entry["key"] == paths.machine_key() and entry["path"] in paths.LAYERS
    assert set(entry["rates"]) == set(paths.CANDIDATES[BACKEND.name])
    monkeypatch.setenv(paths.TABLE_VARIABLE, str(table))
    X = np.random.default_rng(0).random((60, 784), dtype=np.float32)
    est = LSTMClassifier(units=4, epochs=1, random_state=0).fit(X, np.arange(60) % 3)
    assert est.lstm_path_.startswith(f"{entry['path']} (measured ({table}")


def test_the_layers_of_each_path():
    assert paths.LAYERS == {
        "unrolled": CPUUnrolledLSTM, "fused": FusedLSTM, "keras": keras.layers.LSTM
    }  # fmt: skip
    assert set(paths.DEFAULTS) == set(paths.CANDIDATES)


def test_the_command_line_sets_onednn_from_the_table_before_tensorflow_starts(tmp_path):
    """A measured oneDNN choice for this machine: the console script's own process sets
    TF_ENABLE_ONEDNN_OPTS from it (its workers inherit it), unless the user set it, and
    only before TensorFlow is imported."""
    import os
    import subprocess
    import sys

    from mnist_estimators._keras import path_table

    if path_table.machine_key()["backend"] != "tensorflow":
        pytest.skip("oneDNN is TensorFlow's")
    key = {k: v for k, v in path_table.machine_key().items() if k != "onednn"}
    table = path_table.write_entry(
        tmp_path / "t.json", {"kind": "onednn", "key": key, "onednn": "off"}
    )
    code = (
        "import os\n"
        "from mnist_estimators import cli\n"
        "cli._choose_onednn()\n"
        "print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    env[path_table.TABLE_VARIABLE] = str(table)
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert got.stdout.strip() == "0", got.stderr
    env["TF_ENABLE_ONEDNN_OPTS"] = "1"  # the user's own setting stays
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert got.stdout.strip() == "1", got.stderr
    os.environ[path_table.TABLE_VARIABLE] = str(table)
    try:
        assert path_table.onednn_choice() == ("off", f"measured ({table}, ?)")
    finally:
        del os.environ[path_table.TABLE_VARIABLE]
