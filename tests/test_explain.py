"""The explanation experiments on real MNIST images, checked against independent
computations: a refit trained on pre-permuted arrays, np.roll shifts, the learning
curve's subsets refit by hand, each endpoint's per-seed effect computed from the stored
predictions and tested with scipy, the throughput's per-process rates with numpy. Then
the report, its HTML in a real browser, the stored plan, and resuming after a kill.
The verdict rules themselves are tested in test_verdicts.py."""

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
import pytest
from _browser import NO_CHROMIUM, chromium, open_page
from _reference import rolled
from scipy import stats

from mnist_estimators import make_cnn_pipeline, make_lstm_pipeline
from mnist_estimators.evaluation import experiments
from mnist_estimators.evaluation.experiments import explain
from mnist_estimators.evaluation.folds import Task, seeded_model
from mnist_estimators.evaluation.stats import expected_calibration_error
from mnist_estimators.evaluation.store import record_file_name
from mnist_estimators.evaluation.verdicts import ENDPOINTS, analysis_plan
from mnist_estimators.reporting.explanation import (
    CLAIMS,
    VERDICTS,
    claim_verdicts,
    write_explanation,
)

SEEDS = (0, 1)
PROCESSES = 2


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
        processes=PROCESSES,
        repeats=2,
        out_dir=out,
        progress=False,
    )
    return ex, out


def _record(out, part, name, seed):
    return json.loads((out / part / "folds" / record_file_name(Task(name, seed))).read_text())


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
    assert set(ex.learning["schedule"]) == {"steps", "epochs"}
    assert len(ex.learning) == 2 * 2 * 2 * len(SEEDS)  # schedules x sizes x networks x seeds
    # networks x batches x threads x processes x timed epochs
    assert len(ex.throughput) == 2 * 2 * 2 * PROCESSES * 2
    assert len(ex.rates) == 2 * 2 * 2 * PROCESSES
    assert set(ex.calibration["network"]) == {"CNN", "LSTM"}
    assert list(ex.verdicts) == [e.key for e in ENDPOINTS]


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


def test_learning_points_are_fits_on_the_seed_subset(run, data):
    """A point of either schedule is the network fitted by hand on the seed's subset: the
    epochs schedule with the network's own epochs, the steps schedule with as many
    epochs as give the steps of its default training on all the images."""
    ex, out = run
    X, y, Xt, yt = data
    seed = SEEDS[1]
    order = np.random.RandomState(seed).permutation(len(y))[:200]
    for schedule in ("epochs", "steps"):
        record = _record(out, "learning", f"CNN @200 {schedule}", seed)
        model = seeded_model(_models()["CNN"], seed).set_params(
            cnnclassifier__epochs=record["epochs"]
        )
        model.fit(X[order], y[order])
        row = ex.learning.query(
            "network == 'CNN' and seed == @seed and n_train == 200 and schedule == @schedule"
        )
        assert row["test_accuracy"].item() == pytest.approx(np.mean(model.predict(Xt) == yt))
        assert row["train_accuracy"].item() == pytest.approx(model.score(X[order], y[order]))
        assert record["steps"] == record["epochs"] * int(np.ceil(200 / model[-1].batch_size_))
    # The steps budget: the default training on all 600 images, 1 epoch at batch 32.
    budget = ex.config["steps"]["CNN"]
    assert budget == int(np.ceil(600 / 32))
    steps = _record(out, "learning", "CNN @200 steps", seed)
    per_epoch = int(np.ceil(200 / 32))
    assert abs(steps["steps"] - budget) <= per_epoch / 2  # as near as whole epochs allow
    assert _record(out, "learning", "CNN @200 epochs", seed)["epochs"] == 1


def test_endpoints_and_descriptions_agree_with_hand_computations_and_scipy(run, data):
    """The unit is the seed: each endpoint's effect is computed here from the stored
    predictions, seed by seed, and tested with scipy's one-sample t-test over seeds."""
    ex, out = run
    _, _, _, yt = data

    def acc(name, seed, probe=None):
        record = _record(out, "refits", name, seed)
        pred = record["predictions"] if probe is None else record["probes"][probe]
        return np.mean(np.asarray(pred) == yt)

    per_seed = [
        (acc("CNN, original", s) - acc("CNN, rows shuffled", s))
        - (acc("LSTM, original", s) - acc("LSTM, rows shuffled", s))
        for s in SEEDS
    ]
    verdict = ex.verdicts["rows shuffled"]
    np.testing.assert_allclose(list(verdict.effects.values()), per_seed)
    assert verdict.test.p_value == pytest.approx(stats.ttest_1samp(per_seed, 0.0).pvalue)
    ci = stats.t.interval(0.95, len(SEEDS) - 1, np.mean(per_seed), stats.sem(per_seed))
    assert (verdict.test.ci_low, verdict.test.ci_high) == pytest.approx(ci)
    assert verdict.status == "inconclusive" and "a verdict needs at least 5" in verdict.reason
    # Robustness: the LSTM's drop minus the CNN's, averaged over the shift grid.
    shifts = ["shift x -2", "shift x +2", "shift y -2", "shift y +2"]
    per_seed = [
        np.mean(
            [
                (acc("LSTM, original", s) - acc("LSTM, original", s, p))
                - (acc("CNN, original", s) - acc("CNN, original", s, p))
                for p in shifts
            ]
        )
        for s in SEEDS
    ]
    np.testing.assert_allclose(list(ex.verdicts["robustness"].effects.values()), per_seed)
    # A secondary point: described over the seeds, with its interval, never a verdict.
    row = ex.secondary.query("experiment == 'robustness' and point == 'rotation +15'")
    per_seed = [
        (acc("LSTM, original", s) - acc("LSTM, original", s, "rotation +15"))
        - (acc("CNN, original", s) - acc("CNN, original", s, "rotation +15"))
        for s in SEEDS
    ]
    assert row["effect"].item() == pytest.approx(np.mean(per_seed))
    assert row["p_value"].item() == pytest.approx(stats.ttest_1samp(per_seed, 0.0).pvalue)
    # The per-image test of one seed stays as a description: scipy over the images.
    seed = SEEDS[0]
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


def test_throughput_endpoints_have_the_process_as_their_unit(run):
    """Per process: the median of its timed epochs; per replicate the log of the CNN's
    rate over the LSTM's, averaged over the batch sizes; the speedup pairs the
    replicate's 1-thread and 2-thread processes. From the raw records, with numpy."""
    ex, out = run

    def rate(net, batch, threads, r):
        return np.median(
            _record(out, "parallel", f"{net} b{batch} t{threads} r{r}", 0)["images_per_s"]
        )

    batches = (32, 128)
    for threads, key in ((1, "slower (fewest threads)"), (2, "slower (most threads)")):
        want = [
            np.mean(
                [np.log(rate("CNN", b, threads, r) / rate("LSTM", b, threads, r)) for b in batches]
            )
            for r in range(PROCESSES)
        ]
        np.testing.assert_allclose(list(ex.verdicts[key].effects.values()), want)
    want = [
        np.mean(
            [
                np.log(rate("CNN", b, 2, r) / rate("CNN", b, 1, r))
                - np.log(rate("LSTM", b, 2, r) / rate("LSTM", b, 1, r))
                for b in batches
            ]
        )
        for r in range(PROCESSES)
    ]
    np.testing.assert_allclose(list(ex.verdicts["parallelises worse"].effects.values()), want)
    record = _record(out, "parallel", "LSTM b128 t1 r0", 0)
    assert all(  # the epoch is part of the fit: per epoch, at least as many images per second
        f <= e * (1 + 1e-9)
        for f, e in zip(record["fit_images_per_s"], record["images_per_s"], strict=True)
    )
    assert ex.config["processes"] == PROCESSES and ex.config["batch_sizes"] == list(batches)


def test_the_analysis_plan_is_stored_before_any_data(run):
    """Each part's configuration holds the plan (endpoints, margins, family), written
    before its first record: a resume under another plan is refused."""
    _, out = run
    for part in ("refits", "learning", "parallel"):
        config = json.loads((out / part / "config.json").read_text())
        assert config["plan"] == json.loads(json.dumps(analysis_plan()))
    stored = json.loads((out / "explain.json").read_text())
    assert stored["names"] == ["CNN", "LSTM"] and len(stored["y_test"]) == 300


def test_probabilities_are_stored_for_the_calibration(run, data):
    """float16 probabilities of the original refits: they give back the confidences."""
    _, out = run
    record = _record(out, "refits", "CNN, original", SEEDS[0])
    proba = experiments.decode_proba(record["proba"])
    assert proba.shape == (300, 10)
    np.testing.assert_allclose(proba.max(1), record["confidence"], atol=1e-3)
    np.testing.assert_array_equal(proba.argmax(1), record["predictions"])


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
    assert len(rows) == sum(len(c["evidence"]) for c in CLAIMS.values()) == len(ENDPOINTS)
    for r in rows:
        assert r["status"] == ex.verdicts[r["evidence"]].status  # decided in evaluation
        assert f"**Verdict ({VERDICTS[r['status']]}).** {r['verdict']}" in md
        assert "95 % CI" in r["verdict"]  # no effect without its interval
    assert "A quick run" in md  # 2 seeds: no verdict, and the report says why
    # The grids are read from the run, never written as fixed text.
    assert "shifted along x and along y by -2, +2 px and rotated by +15°" in md
    assert "1-4 px" not in md and "20°" not in md
    page = written["report.html"].read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    names = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(sources) == len(names) == 5
    for src, name in zip(sources, names, strict=True):
        assert base64.b64decode(src.split(",", 1)[1]) == (out / name).read_bytes()
    data = json.loads(written["results.json"].read_text())
    assert [v["status"] for v in data["verdicts"]] == [ex.verdicts[e.key].status for e in ENDPOINTS]


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


def test_argument_errors(data):
    X, y, Xt, yt = data
    with pytest.raises(ValueError, match="need a test set"):
        explain(_models(), X, y, None, None)
    with pytest.raises(ValueError, match="experiments must be among"):
        explain(_models(), X, y, Xt, yt, experiments=("spatial", "z"))
    with pytest.raises(ValueError, match="Model names"):  # checked where every name is
        explain({" CNN": make_cnn_pipeline()}, X, y, Xt, yt)


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
