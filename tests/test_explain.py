"""The explanation experiments on real MNIST images, checked against independent
computations: a refit trained on pre-permuted arrays, np.roll shifts, the learning
curve's subset refit by hand, scipy's and statsmodels' tests, numpy medians. Then
the report, its HTML in a real browser, the verdict rules, and resuming after a kill."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from _browser import NO_CHROMIUM, chromium, open_page
from _reference import rolled
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from mnist_estimators import make_cnn_pipeline, make_lstm_pipeline
from mnist_estimators.evaluation import experiments
from mnist_estimators.evaluation.experiments import explain
from mnist_estimators.evaluation.explanation import Explanation
from mnist_estimators.evaluation.folds import seeded_model
from mnist_estimators.evaluation.stats import expected_calibration_error
from mnist_estimators.reporting.explanation import (
    CLAIMS,
    VERDICTS,
    claim_verdicts,
    write_explanation,
)

SEEDS = (0, 1)


def _models():
    return {
        "CNN": make_cnn_pipeline(epochs=1, filters=8, dense_units=32),
        "LSTM": make_lstm_pipeline(epochs=1, units=16),
    }


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y, Xt, yt = mnist_small
    return X[:600], y[:600], Xt[:300], yt[:300]


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    """Every experiment on 600 training and 300 test images, one epoch, two seeds, in
    this process (so the checks below can refit the same networks bit for bit)."""
    X, y, Xt, yt = data
    out = tmp_path_factory.mktemp("explain")
    ex = explain(
        _models(),
        X,
        y,
        Xt,
        yt,
        seeds=len(SEEDS),
        shifts=(-2, 2),
        rotations=(15,),
        train_sizes=(200, 600),
        batch_sizes=(32, 128),
        throughput_images=256,
        repeats=2,
        out_dir=out,
        progress=False,
    )
    return ex, out


def _record(out, part, name, seed):
    return json.loads((out / part / "folds" / f"{name}__seed{seed}__test.json").read_text())


def _rolled(X, dx, dy):
    """Flat 28x28 images shifted by the reference np.roll shift."""
    return rolled(X.reshape(-1, 28, 28), dx, dy).reshape(len(X), -1)


def test_tables_have_every_point(run):
    ex, _ = run
    assert len(ex.spatial) == 2 * 4 * len(SEEDS)
    assert set(ex.spatial["condition"]) == set(experiments.CONDITIONS)
    assert set(ex.spatial_tests["condition"]) == {"pixels permuted", "rows shuffled", "transposed"}
    points = ex.robustness[["probe", "amount"]].drop_duplicates().values.tolist()
    assert points == [
        ["rotation", 0], ["rotation", 15], ["shift x", -2], ["shift x", 0], ["shift x", 2],
        ["shift y", -2], ["shift y", 0], ["shift y", 2],
    ]  # fmt: skip
    assert sorted(ex.learning["n_train"].unique()) == [200, 600]
    assert len(ex.throughput) == 2 * 2 * 2 * 2  # networks x batches x threads x repeats
    assert set(ex.calibration["network"]) == {"CNN", "LSTM"}


def test_permuted_condition_equals_a_network_trained_on_permuted_arrays(run, data):
    """The experiment's Pipeline(PixelPermuter, network) against the network trained on
    arrays permuted here with numpy: the seed's permutation, same predictions."""
    ex, out = run
    X, y, Xt, yt = data
    seed = SEEDS[1]
    perm = np.random.RandomState(seed).permutation(784)
    pipe = seeded_model(_models()["CNN"], seed).fit(X[:, perm], y)
    want = pipe.predict(Xt[:, perm])
    got = _record(out, "refits", "CNN, pixels permuted", seed)["predictions"]
    np.testing.assert_array_equal(got, want)
    row = ex.spatial.query("network == 'CNN' and condition == 'pixels permuted' and seed == @seed")
    assert row["accuracy"].item() == pytest.approx(np.mean(want == yt))


def test_shift_probe_equals_np_roll_on_the_refit_model(run, data):
    """No retraining: the original refit, predicting test images shifted by np.roll."""
    ex, _ = run
    X, y, Xt, yt = data
    seed = SEEDS[0]
    model = seeded_model(_models()["LSTM"], seed).fit(X, y)
    for dx, dy, probe, amount in ((2, 0, "shift x", 2), (0, -2, "shift y", -2)):
        want = np.mean(model.predict(_rolled(Xt, dx, dy)) == yt)
        r = ex.robustness
        got = r[
            (r.network == "LSTM") & (r.seed == seed) & (r.probe == probe) & (r.amount == amount)
        ]
        got = got["accuracy"]
        assert got.item() == pytest.approx(want)


def test_learning_point_is_a_fit_on_the_seed_subset(run, data):
    ex, _ = run
    X, y, Xt, yt = data
    seed = SEEDS[1]
    order = np.random.RandomState(seed).permutation(len(y))[:200]
    model = seeded_model(_models()["CNN"], seed).fit(X[order], y[order])
    row = ex.learning.query("network == 'CNN' and seed == @seed and n_train == 200")
    assert row["test_accuracy"].item() == pytest.approx(np.mean(model.predict(Xt) == yt))
    assert row["train_accuracy"].item() == pytest.approx(model.score(X[order], y[order]))


def test_tests_agree_with_scipy_statsmodels_and_numpy(run, data):
    ex, out = run
    _, _, _, yt = data
    seed = SEEDS[0]
    # Difference in drops: a one-sample t-test over images of the per-image difference.
    ok = {
        (net, cond): np.asarray(_record(out, "refits", f"{net}, {cond}", seed)["predictions"]) == yt
        for net in ("CNN", "LSTM")
        for cond in ("original", "rows shuffled")
    }
    d = (ok["CNN", "original"] * 1.0 - ok["CNN", "rows shuffled"]) - (
        ok["LSTM", "original"] * 1.0 - ok["LSTM", "rows shuffled"]
    )
    row = ex.spatial_tests.query("condition == 'rows shuffled' and seed == @seed")
    assert row["drop_p"].item() == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue)
    assert row["drop_difference"].item() == pytest.approx(d.mean())
    # McNemar at a shifted point: statsmodels' chi-square with continuity correction.
    cnn = np.asarray(_record(out, "refits", "CNN, original", seed)["probes"]["shift x +2"])
    lstm = np.asarray(_record(out, "refits", "LSTM, original", seed)["probes"]["shift x +2"])
    table = [
        [np.sum((cnn == yt) & (lstm == yt)), np.sum((cnn == yt) & (lstm != yt))],
        [np.sum((cnn != yt) & (lstm == yt)), np.sum((cnn != yt) & (lstm != yt))],
    ]
    discordant = table[0][1] + table[1][0]
    want = mcnemar(table, exact=discordant < 25, correction=True).pvalue
    got = ex.robustness_tests.query("probe == 'shift x' and amount == 2 and seed == @seed")
    assert got["p_value"].item() == pytest.approx(want)
    # Learning curve: scipy's paired t-test over the seeds.
    wide = ex.learning.pivot(index=["n_train", "seed"], columns="network", values="test_accuracy")
    part = wide.loc[600]
    want = stats.ttest_rel(part["CNN"], part["LSTM"]).pvalue
    assert ex.learning_tests.query("n_train == 600")["p_value"].item() == pytest.approx(want)
    # Speedup: median images/s with 2 threads over median with 1, from the raw records.
    rec = {k: _record(out, "parallel", f"LSTM b128 t{k}", 0)["images_per_s"] for k in (1, 2)}
    want = np.median(rec[2]) / np.median(rec[1])
    # The epoch is part of the fit: per epoch, at least as many images per second.
    record = _record(out, "parallel", "LSTM b128 t1", 0)
    assert all(
        f <= e * (1 + 1e-9)
        for f, e in zip(record["fit_images_per_s"], record["images_per_s"], strict=True)
    )
    got = ex.speedups.query("network == 'LSTM' and batch_size == 128")["speedup"]
    assert got.item() == pytest.approx(want)


def test_expected_calibration_error_against_a_direct_loop(run, data):
    ex, out = run
    _, _, _, yt = data
    rec = _record(out, "refits", "CNN, original", SEEDS[1])
    correct = np.asarray(rec["predictions"]) == yt
    conf = np.asarray(rec["confidence"])
    total = 0.0
    for lo in np.arange(15) / 15:  # bins (lo, lo + 1/15]
        inside = [
            (c, k) for c, k in zip(conf, correct, strict=True) if lo < c <= lo + 1 / 15 + 1e-12
        ]
        if inside:
            cs, ks = zip(*inside, strict=True)
            total += len(inside) / len(conf) * abs(np.mean(ks) - np.mean(cs))
    got = ex.calibration.query("network == 'CNN' and seed == @SEEDS[1]")["ece"].item()
    assert got == pytest.approx(total, abs=1e-9)
    assert expected_calibration_error([True, False], [1.0, 1.0]) == pytest.approx(0.5)


def test_report_answers_each_claim_with_its_test_and_embeds_its_figures(run):
    ex, out = run
    written = write_explanation(ex, out)
    md = written["report.md"].read_text()
    assert "## Does the reference's explanation hold?" in md
    for claim in CLAIMS.values():
        assert f"> {claim['quote']}" in md
    rows = claim_verdicts(ex)
    assert len(rows) == sum(len(c["evidence"]) for c in CLAIMS.values())
    for r in rows:
        assert r["status"] in VERDICTS and r["status"] != "not run"
        assert f"**Verdict ({VERDICTS[r['status']]}).** {r['verdict']}" in md
        assert re.search(r"p [=<≤]", r["verdict"]), r["verdict"]  # no verdict without its test
    page = written["report.html"].read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    names = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(sources) == len(names) == 5
    for src, name in zip(sources, names, strict=True):
        assert base64.b64decode(src.split(",", 1)[1]) == (out / name).read_bytes()
    data = json.loads(written["results.json"].read_text())
    assert [v["status"] for v in data["verdicts"]] == [r["status"] for r in rows]


@pytest.mark.skipif(chromium() is None, reason=NO_CHROMIUM)
def test_report_html_in_a_real_browser(run, tmp_path):
    ex, out = run
    written = write_explanation(ex, tmp_path)
    page = open_page(written["report.html"])
    assert page["loaded"]
    assert len(page["images"]) == 5
    for image in page["images"]:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
    assert page["console_errors"] == [] and page["exceptions"] == []
    assert page["failed_requests"] == []


def _synthetic(drops_a, drops_b, ps, gaps=(0.01, 0.01, 0.01), gap_ps=(0.001,) * 3):
    tests = pd.DataFrame(
        {
            "condition": "pixels permuted",
            "seed": range(len(ps)),
            "drop_CNN": drops_a,
            "drop_LSTM": drops_b,
            "drop_difference": np.subtract(drops_a, drops_b),
            "drop_p": ps,
            "gap": gaps,
            "gap_p": gap_ps,
        }
    )
    return Explanation(
        names=["CNN", "LSTM"], config={"experiments": ["spatial"]}, spatial_tests=tests
    )


@pytest.mark.parametrize(
    "drops_a, drops_b, ps, status",
    [
        ((0.04, 0.05, 0.045), (0.004, 0.006, 0.005), (1e-5, 1e-6, 1e-5), "supported"),
        ((0.004, 0.006, 0.005), (0.04, 0.05, 0.045), (1e-5, 1e-6, 1e-5), "contradicted"),
        ((0.04, 0.05, 0.045), (0.004, 0.006, 0.005), (1e-5, 0.2, 1e-5), "mixed"),
    ],
)
def test_verdict_rules(drops_a, drops_b, ps, status):
    row = next(
        r
        for r in claim_verdicts(_synthetic(drops_a, drops_b, ps))
        if r["evidence"] == "pixels permuted"
    )
    assert row["status"] == status
    assert f"the CNN loses {100 * np.mean(drops_a):.2f} points" in row["verdict"]
    others = [
        r
        for r in claim_verdicts(_synthetic(drops_a, drops_b, ps))
        if r["evidence"] != "pixels permuted"
    ]
    assert {r["status"] for r in others} == {"not run"}


def test_argument_errors(data):
    X, y, Xt, yt = data
    with pytest.raises(ValueError, match="need a test set"):
        explain(_models(), X, y, None, None)
    with pytest.raises(ValueError, match="experiments must be among"):
        explain(_models(), X, y, Xt, yt, experiments=("spatial", "z"))
    with pytest.raises(ValueError, match="Model names"):
        explain({"CNN, big": make_cnn_pipeline()}, X, y, Xt, yt)


def test_explain_resumes_after_a_kill(mnist_dir, tmp_path):
    """SIGKILL the command line mid-run; the same command finishes the rest and keeps
    every record written before the kill, byte for byte."""
    out = tmp_path / "run"
    command = [
        sys.executable, "-m", "mnist_estimators.cli", "explain", "--data-dir", str(mnist_dir),
        "--max-samples", "300", "--max-test-samples", "200", "--epochs", "1", "--seeds", "2",
        "--experiments", "spatial", "--n-jobs", "1", "--no-progress", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    folds = out / "refits" / "folds"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(folds.glob("*.json"))) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {p.name: p.read_bytes() for p in folds.glob("*.json")}
    assert 3 <= len(before) < 16, "killed too late to test a resume"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    after = {p.name: p.read_bytes() for p in folds.glob("*.json")}
    assert len(after) == 16  # 4 conditions x 2 networks x 2 seeds
    for name, content in before.items():
        assert after[name] == content, f"{name} was trained again"
    assert (out / "report.html").is_file()
    assert "Claim 1, pixels permuted:" in done.stdout
