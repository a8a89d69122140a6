"""The mnist-estimators command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from mnist_estimators.parallel import default_n_jobs, usable_cores


def run(*args, env=None, timeout=600):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mnist_estimators.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def test_help_is_complete():
    out = run("--help").stdout
    for word in ("compare", "grid-search", "datasets", "MNIST_ESTIMATORS_DATA"):
        assert word in out
    sub = run("compare", "--help").stdout
    for flag in (
        "--dataset",
        "--models",
        "--cv",
        "--epochs",
        "--batch-size",
        "--max-samples",
        "--random-state",
        "--out",
        "--n-jobs",
    ):
        assert flag in sub


@pytest.mark.parametrize(
    "args",
    [
        ("compare", "--dataset", "cifar", "--out", "x"),
        ("compare", "--cv", "1", "--out", "x", "--dataset", "digits"),
        ("compare", "--epochs", "zero", "--out", "x"),
        ("grid-search", "--model", "cnn", "--param", "filters", "--out", "x"),
        (
            "grid-search",
            "--model",
            "cnn",
            "--param",
            "nope=1,2",
            "--out",
            "x",
            "--dataset",
            "digits",
        ),
        (
            "grid-search",
            "--model",
            "cnn",
            "--param",
            "filters=2",
            "--refit",
            "fastest",
            "--out",
            "x",
        ),
        ("frobnicate",),
        ("compare", "--seeds", "0", "--out", "x"),
        (
            "grid-search",
            "--model",
            "lstm",
            "--param",
            "units=abc",
            "--out",
            "x",
            "--data-dir",
            "/nonexistent",
        ),
        ("grid-search", "--model", "cnn", "--param", "dropout=0.2,1.5", "--out", "x"),
        ("compare", "--dataset", "digits", "--cv", "10", "--max-samples", "40", "--out", "x"),
        ("compare", "--dataset", "digits", "--max-samples", "5", "--out", "x"),
        ("compare", "--dataset", "digits", "--n-jobs", "0", "--out", "x"),
        ("compare", "--dataset", "digits", "--n-jobs", "many", "--out", "x"),
        (
            "grid-search",
            "--model",
            "cnn",
            "--param",
            "filters=2",
            "--dataset",
            "digits",
            "--max-samples",
            "12",
            "--cv",
            "3",
            "--out",
            "x",
        ),
    ],
)
def test_bad_arguments_one_line_no_traceback(args, tmp_path):
    args = tuple(str(tmp_path / "out") if a == "x" else a for a in args)
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "error" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_grid_value_is_named_before_any_data_is_loaded():
    proc = run(
        "grid-search", "--model", "lstm", "--param", "units=abc", "--out", "x",
        "--data-dir", "/nonexistent",
    )  # fmt: skip
    assert "--param units: bad value 'abc'" in proc.stderr
    assert "'units' parameter of LSTMClassifier must be an int in the range [1, inf)" in proc.stderr
    assert "not found" not in proc.stderr  # refused before the data was looked for


def test_version():
    from mnist_estimators import __version__

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"mnist-estimators {__version__}"


def test_output_path_that_is_a_file_is_refused_before_training(tmp_path):
    target = tmp_path / "taken"
    target.write_text("a user's file")
    proc = run("compare", "--dataset", "digits", "--out", str(target))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "is an existing file" in proc.stderr and target.read_text() == "a user's file"


@pytest.mark.parametrize("command", ["compare", "grid-search"])
def test_unwritable_output_is_refused_before_training(command):
    extra = ("--model", "cnn", "--param", "filters=2") if command == "grid-search" else ()
    proc = run(command, *extra, "--dataset", "digits", "--out", "/sys/mnist-estimators-out")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "cannot write results into /sys/mnist-estimators-out" in lines[0]


def test_read_only_file_system_message(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    from mnist_estimators._storage import OutputFolderError, prepare_output_folder

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    with pytest.raises(
        OutputFolderError, match=r"cannot write results into .*Read-only file system"
    ):
        prepare_output_folder(tmp_path / "new")


def test_unexpected_errors_are_one_line(tmp_path, monkeypatch, capsys):
    from mnist_estimators import cli

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.cmd_compare.__globals__, "cmd_compare", broken)
    monkeypatch.delenv("MNIST_ESTIMATORS_TRACEBACK", raising=False)
    assert cli.main(["compare", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: boom" in err and "TRACEBACK=1" in err


def test_missing_data_is_a_clear_error(tmp_path):
    proc = run("compare", "--data-dir", str(tmp_path / "none"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "was not found" in proc.stderr and "MNIST_ESTIMATORS_DATA" in proc.stderr


def test_datasets_lists_sources(mnist_dir, tmp_path):
    from test_datasets import write_tiny

    proc = run("datasets", "--json", env={"MNIST_ESTIMATORS_DATA": str(mnist_dir)})
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["mnist"]["train"] == 60000 and rows["mnist"]["complete"] is True
    write_tiny(tmp_path, n_train=30, n_test=20)
    text = run("datasets", "--data-dir", str(tmp_path)).stdout
    assert "INCOMPLETE" in text and "30 of 60,000" in text


def test_compare_end_to_end_and_resume(tmp_path):
    args = (
        "compare",
        "--dataset",
        "digits",
        "--cv",
        "2",
        "--epochs",
        "1",
        "--max-samples",
        "200",
        "--max-test-samples",
        "100",
        "--out",
        str(tmp_path),
        "--no-progress",
    )
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    # --n-jobs auto: one process per core (200 digits are far from the memory cap).
    assert f"; {usable_cores()} process(es)." in proc.stdout
    assert (
        "Report:" in proc.stdout
        and (tmp_path / "report.md").is_file()
        and (tmp_path / "results.csv").is_file()
    )
    assert "CNN" in proc.stdout and "LSTM" in proc.stdout
    again = run(*args)
    assert again.returncode == 0 and "Report:" in again.stdout
    changed = run(*args[:-3], "--epochs", "2", "--out", str(tmp_path), "--no-progress")
    assert changed.returncode == 1 and "different comparison" in changed.stderr


def test_grid_search_with_fastest_refit(tmp_path):
    args = (
        "grid-search",
        "--model",
        "cnn",
        "--dataset",
        "digits",
        "--param",
        "filters=2,4",
        "--param",
        "dense_units=8",
        "--cv",
        "2",
        "--epochs",
        "1",
        "--max-samples",
        "200",
        "--max-test-samples",
        "100",
        "--refit",
        "fastest-within=0.5",
        "--out",
        str(tmp_path),
        "--no-progress",
    )
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    best = json.loads((tmp_path / "best.json").read_text())
    assert "FastestWithinTolerance" in best["refit"]
    report = (tmp_path / "report.md").read_text()
    assert f"Refit chose **{best['chosen']}**" in report and "Pareto front" in report
    rows = json.loads((tmp_path / "results.json").read_text())["folds"]
    assert len(rows) == 4  # 2 candidates x 2 folds
    times = {}
    for r in rows:
        times.setdefault(r["model"], []).append(r["fit_time"])
    assert sorted(times) == ["dense_units=8, filters=2", "dense_units=8, filters=4"]
    # a tolerance of 0.5 makes every candidate "as good": the fastest one must be chosen
    assert best["chosen"] == min(times, key=lambda m: sum(times[m]))
    test = json.loads((tmp_path / "results.json").read_text())["test"][best["chosen"]][0]
    assert best["test_accuracy"] == test["accuracy"]
    assert (tmp_path / "accuracy_vs_time.png").read_bytes()[:4] == b"\x89PNG"
    # Resumable per candidate and fold: as after a kill, one fold is missing; only it reruns.
    folds = sorted((tmp_path / "folds").glob("*.json"))
    assert len(folds) == 4
    stamps = {p.name: p.stat().st_mtime_ns for p in folds}
    folds[0].unlink()
    again = run(*args)
    assert again.returncode == 0, again.stderr
    changed = [p.name for p in sorted((tmp_path / "folds").glob("*.json"))
               if p.stat().st_mtime_ns != stamps[p.name]]  # fmt: skip
    assert changed == [folds[0].name]


def test_n_jobs_auto_is_sized_to_cores_and_memory():
    import numpy as np

    from mnist_estimators.cli import _resolve_n_jobs, build_parser

    def resolve(*flags, n=100):
        args = build_parser().parse_args(["compare", "--out", "x", *flags])
        return _resolve_n_jobs(args, np.zeros((n, 784), np.uint8), np.zeros((10, 784), np.uint8))

    assert resolve() == usable_cores()
    assert resolve("--n-jobs", "1") == 1 and resolve("--n-jobs", "-1") == -1
    assert resolve("--scheduler", "local") is None  # all of the cluster's workers
    assert resolve("--scheduler", "local", "--n-jobs", "3") == 3
    # Each worker is budgeted 1 GB plus 12 bytes per pixel byte (three float32 copies):
    # 120,000 images of 28x28 are 94 MB of pixels, 2.13 GB per worker; 3/4 of 4 GiB
    # (3.22 GB) holds one worker, 3/4 of 16 GiB (12.9 GB) six.
    big = 120_000 * 784
    assert default_n_jobs(big, memory_bytes=4 * 2**30) == 1
    assert default_n_jobs(big, memory_bytes=16 * 2**30) == min(usable_cores(), 6)


@pytest.mark.parametrize(
    ("flags", "lstm_expected"),
    [
        ([], {"learning_rate": 0.003, "lr_schedule": "cosine", "batch_size": 16}),
        (
            ["--reference-training"],
            {"learning_rate": 0.001, "batch_size": 32, "standardize": False},
        ),
        (["--batch-size", "64"], {"batch_size": 64, "lr_schedule": "cosine"}),
        (["--reference-training", "--batch-size", "8"], {"batch_size": 8, "learning_rate": 0.001}),
    ],
)
def test_training_flags_reach_the_pipelines(flags, lstm_expected):
    from mnist_estimators.cli import _pipeline, build_parser

    args = build_parser().parse_args(["compare", "--out", "x", *flags])
    lstm = _pipeline("lstm", args)[-1].get_params()
    assert {k: lstm[k] for k in lstm_expected} == lstm_expected
    cnn = _pipeline("cnn", args)[-1].get_params()
    reference = "--reference-training" in flags
    assert (cnn["learning_rate"], cnn["lr_schedule"]) == (
        (0.001, "constant") if reference else (0.003, "cosine")
    )
    expected_cnn_batch = lstm_expected["batch_size"] if "--batch-size" in flags else 32
    assert cnn["batch_size"] == (
        expected_cnn_batch if reference or "--batch-size" in flags else 128
    )
