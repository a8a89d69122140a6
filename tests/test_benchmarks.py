"""The benchmark harness: its summaries and ratios on hand-made figures, its memory watcher,
and a smoke test that it runs and its JSON holds what it promises.

No timing is asserted: speed figures belong to benchmarks/, measured on a quiet machine.
"""

import importlib
import importlib.util
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
HARNESS = BENCHMARKS / "harness.py"


@pytest.fixture
def harness(monkeypatch):
    """benchmarks/harness.py loaded from its path, as a script's module; sys.path is
    restored afterwards (the harness puts its folder on it)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location("harness", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def part(monkeypatch):
    """A module of benchmarks/_harness, by name."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return lambda name: importlib.import_module(f"_harness.{name}")


def _samples(train, predict):
    return [
        {"train_images_per_s": t, "predict_images_per_s": p}
        for t, p in zip(train, predict, strict=True)
    ]


def test_summarise_gives_median_min_and_max_of_each_rate(part):
    summarise = part("summary").summarise
    summary = summarise(
        {
            "odd": _samples([300.0, 100.0, 110.0], [1000.0, 5000.0, 2000.0]),
            "even": _samples([400.0, 100.0, 200.0, 220.0], [10.0, 90.0, 30.0, 20.0]),
            "one": _samples([7.0], [9.0]),
        }
    )
    # By hand: the middle value, or the mean of the two middle ones (never the mean of all).
    assert summary == {
        "odd": {
            "train_median": 110.0,
            "train_min": 100.0,
            "train_max": 300.0,
            "predict_median": 2000.0,
            "predict_min": 1000.0,
            "predict_max": 5000.0,
        },
        "even": {
            "train_median": 210.0,
            "train_min": 100.0,
            "train_max": 400.0,
            "predict_median": 25.0,
            "predict_min": 10.0,
            "predict_max": 90.0,
        },
        "one": {
            "train_median": 7.0,
            "train_min": 7.0,
            "train_max": 7.0,
            "predict_median": 9.0,
            "predict_min": 9.0,
            "predict_max": 9.0,
        },
    }


# Median training rates of one run at two batch sizes, and the ratios worked out by hand.
MEDIANS = {
    "ours-defaults": 200.0,
    "ours@32": 80.0,
    "ours@32-unseeded": 64.0,
    "keras@32": 40.0,
    "keras-matched@32": 100.0,
    "ours@64": 100.0,
    "ours@64-unseeded": 50.0,
    "keras@64": 250.0,
    "keras-matched@64": 400.0,  # the fastest plain Keras
}
RATIOS = {
    "wrapper_overhead@32 (keras-matched/ours, seeded)": 1.25,  # 100 / 80
    "wrapper_overhead@32 (keras-matched/ours, unseeded)": 1.5625,  # 100 / 64
    "ours@32 / plain Keras@32 as compiled by default": 2.0,  # 80 / 40
    "ours@32 / fastest other way at batch 32": 0.8,  # 80 / 100
    "wrapper_overhead@64 (keras-matched/ours, seeded)": 4.0,  # 400 / 100
    "wrapper_overhead@64 (keras-matched/ours, unseeded)": 8.0,  # 400 / 50
    "ours@64 / plain Keras@64 as compiled by default": 0.4,  # 100 / 250
    "ours@64 / fastest other way at batch 64": 0.25,  # 100 / 400
    "defaults / best plain Keras": 0.5,  # 200 / 400
}


def _summary(medians):
    # ratios reads the training medians only; the other figures are there to be ignored.
    return {
        name: {"train_median": m, "train_min": 1.0, "train_max": 1e9, "predict_median": 3.0}
        for name, m in medians.items()
    }


def test_ratios_of_hand_made_medians(part):
    ratios = part("summary").ratios
    out = ratios("cnn", _summary(MEDIANS), [32, 64])
    assert list(out) == list(RATIOS)  # no PyTorch figures: no PyTorch ratio
    assert out == pytest.approx(RATIOS)


def test_path_rates_pool_every_process_of_a_state(monkeypatch):
    """bench_paths runs each oneDNN state in several interleaved processes: a path's rate is
    the median of its epochs over all of them, not a median of per-process medians."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    pooled = importlib.import_module("bench_paths")._pooled

    def run(cnn, lstm, difference):
        return {
            "key": {"onednn": "on"},
            "machine": "m",
            "cnn_batch": 256,
            "cnn_samples": cnn,
            "lstm": {"samples": lstm, "max_difference": {p: difference for p in lstm}},
        }

    r = pooled(
        [
            run([10.0], {"unrolled": [1.0, 2.0], "keras": [9.0]}, 1e-8),
            run([30.0, 20.0], {"unrolled": [8.0], "keras": [3.0, 4.0]}, 3e-8),
        ]
    )
    # By hand: unrolled {1, 2, 8} -> 2; keras {9, 3, 4} -> 4 (medians of per-process medians: 4.75, 6.25).
    assert r["lstm"]["rates"] == {"unrolled": 2.0, "keras": 4.0}
    assert r["lstm"]["path"] == "keras" and r["cnn_rate"] == 20.0 and r["processes"] == 2
    assert r["lstm"]["max_difference"] == {"unrolled": 3e-8, "keras": 3e-8}


def test_ratios_against_the_fastest_pytorch(part):
    ratios = part("summary").ratios
    out = ratios("lstm", _summary({**MEDIANS, "torch@32": 250.0, "torch@64": 800.0}), [32, 64])
    assert out == pytest.approx(
        {
            **RATIOS,
            "ours@32 / fastest other way at batch 32": 0.32,  # 80 / torch's 250
            "ours@64 / fastest other way at batch 64": 0.125,  # 100 / torch's 800
            "defaults / best PyTorch": 0.25,  # 200 / 800
        }
    )


def test_whole_job_memory_watch_sums_the_process_tree(part):
    """The whole job's PSS and RSS are read over the process tree: a parent and its
    child, each holding 150 MB of its own, peak at over 300 MB in all, each role over
    150 MB; the processes at the peak are listed with their role."""
    watch_tree = part("memory").watch_tree
    hold = "b = bytearray(150_000_000); import time; time.sleep(2.5)"
    code = f"import subprocess, sys; c = subprocess.Popen([sys.executable, '-c', {hold!r}]); {hold}; c.wait()"
    peak = watch_tree(subprocess.Popen([sys.executable, "-c", code]), interval=0.25)
    assert peak.pss_gb > 0.3 and peak.rss_gb >= peak.pss_gb, peak
    assert 0.15 < peak.by_role["parent"]["pss_gb"] < 0.3, peak.by_role
    assert 0.15 < peak.by_role["worker"]["pss_gb"] < 0.3, peak.by_role
    assert {r["role"] for r in peak.at_peak} == {"parent", "worker"}


def test_harness_runs_as_a_script_from_another_folder(tmp_path):
    """Its parts are found from any working directory (here: --help, which imports them)."""
    res = subprocess.run(
        [sys.executable, str(HARNESS), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    for option in ("--batch-sizes", "--no-torch", "--only-whole-job", "--json"):
        assert option in res.stdout


def test_harness_runs_and_writes_its_json(harness, tmp_path, monkeypatch, capsys, mnist_dir):
    monkeypatch.setenv("MNIST_ESTIMATORS_DATA", str(mnist_dir))
    out = tmp_path / "bench.json"
    argv = [
        "--n",
        "192",
        "--n-test",
        "128",
        "--repeats",
        "2",
        "--batch-sizes",
        "64",
        "--models",
        "cnn",
        "--no-torch",
        "--no-time-to-accuracy",
        "--json",
        str(out),
    ]
    assert harness.main(argv) == 0
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert "AVX" in report["machine"] or "cores" in report["machine"]
    assert report["threads"]["usable_cores"] >= 1
    assert report["settings"]["n"] == 192 and report["settings"]["batch_sizes"] == [64]
    assert set(report["models"]) == {"cnn"} and "whole_job" not in report
    cnn = report["models"]["cnn"]
    variants = {"ours-defaults", "ours@64", "ours@64-unseeded", "keras@64", "keras-matched@64"}
    assert set(cnn["samples"]) == set(cnn["summary"]) == variants
    assert "time_to_accuracy" not in cnn
    for name, runs in cnn["samples"].items():
        assert len(runs) == 2  # both repeats kept
        for rate in ("train", "predict"):
            values = [r[f"{rate}_images_per_s"] for r in runs]
            assert all(math.isfinite(v) and v > 0 for v in values)
            s = cnn["summary"][name]
            # The summary is of the very samples recorded beside it.
            assert s[f"{rate}_median"] == statistics.median(values)
            assert (s[f"{rate}_min"], s[f"{rate}_max"]) == (min(values), max(values))
    assert set(cnn["ratios"]) == {
        "wrapper_overhead@64 (keras-matched/ours, seeded)",
        "wrapper_overhead@64 (keras-matched/ours, unseeded)",
        "ours@64 / plain Keras@64 as compiled by default",
        "ours@64 / fastest other way at batch 64",
        "defaults / best plain Keras",
    }
    from mnist_estimators._keras.runtime import BACKEND

    assert report["keras_backend"] == BACKEND.name and report["matmul_peak_flops"] > 1e9
    assert cnn["training_flops_per_image"] == pytest.approx(15.8e6, rel=0.01)
    assert all(math.isfinite(v) and v > 0 for v in cnn["ratios"].values())
    fixed = cnn["fixed_cost_seconds"]
    assert set(fixed) == {"ours", "ours_user_fit", "keras"}
    assert all(len(v) == 2 and min(v) > 0 for v in fixed.values())
    assert "wrapper_overhead@64" in printed and "keras-matched@64" in printed
    assert "of peak" in printed and "reusing the compiled network" in printed
    assert "a user's own fit" in printed
    assert cnn["paths"]["chosen_path"] == "conv2d" and "path at the defaults: conv2d" in printed
    assert f"JSON: {out}" in printed
