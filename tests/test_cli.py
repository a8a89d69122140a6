"""The mnist-estimators command line.

Almost everything runs in this process through ``cli.main(argv)``, which returns the
exit code (argparse's own errors raise ``SystemExit(2)``) and prints to what pytest's
``capsys`` captures. Two tests start a real process, where the process is the point:
the installed entry point, and a usage error after TensorFlow was imported.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from mnist_estimators import cli
from mnist_estimators.evaluation.folds import Task
from mnist_estimators.evaluation.store import record_file_name

#: The version the package is built with, as pyproject.toml states it (no tomllib on 3.10).
VERSION = re.search(
    r'^version = "([^"]+)"', (Path(__file__).parents[1] / "pyproject.toml").read_text(), re.M
)[1]

#: Tiny, fast training for the runs that really train.
TINY = ("--dataset", "digits", "--epochs", "1", "--n-jobs", "1", "--no-progress")


@pytest.fixture(autouse=True)
def _main_leaves_no_trace(monkeypatch):
    """``main`` sets the warning format and reads ``sys.argv`` as an entry point does;
    restored after each test, and ``MNIST_ESTIMATORS_TRACEBACK`` unset."""
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    monkeypatch.setattr(sys, "argv", ["mnist-estimators"])
    monkeypatch.delenv("MNIST_ESTIMATORS_TRACEBACK", raising=False)


def run_main(capsys, *args) -> tuple[int, str, str]:
    """``cli.main(args)`` as (exit code, stdout, stderr); argparse's exits included."""
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def no_data_loading(monkeypatch):
    """Records every data load the command line attempts (the test expects none)."""
    calls = []
    monkeypatch.setattr(cli, "load_train_test", lambda *a, **k: calls.append((a, k)))
    return calls


class _Stop(BaseException):
    """Stops a command where the library would start training (``main`` catches only Exception)."""


@pytest.fixture
def captured_calls(monkeypatch):
    """Replace compare_models, grid_search and explain by stubs that record their arguments
    and stop."""
    import mnist_estimators.evaluation.compare as compare_module
    import mnist_estimators.evaluation.experiments as experiments_module
    import mnist_estimators.evaluation.search as search_module

    calls = []

    def stub(*args, **kwargs):
        calls.append((args, kwargs))
        raise _Stop

    monkeypatch.setattr(compare_module, "compare_models", stub)
    monkeypatch.setattr(search_module, "grid_search", stub)
    monkeypatch.setattr(experiments_module, "explain", stub)
    return calls


# -- real processes -------------------------------------------------------------------


def test_installed_entry_point_and_module_report_the_version():
    expected = f"mnist-estimators {VERSION}"
    script = Path(sys.executable).with_name("mnist-estimators")
    for command in ([str(script)], [sys.executable, "-m", "mnist_estimators.cli"]):
        proc = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == expected and proc.stderr == ""


def test_usage_error_of_a_real_process_is_one_line_after_tensorflow_loaded(tmp_path):
    # The grid value is checked on a built pipeline, so TensorFlow is imported by then:
    # its start-up logging must not reach stderr either.
    proc = subprocess.run(
        [sys.executable, "-m", "mnist_estimators.cli", "grid-search", "--model", "lstm",
         "--param", "units=abc", "--out", str(tmp_path / "o"), "--data-dir", "/nonexistent"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert line.startswith("mnist-estimators grid-search: error: --param units: bad value 'abc'")
    assert proc.stdout == ""


# -- help and version ---------------------------------------------------------------------


def test_help_lists_the_commands_and_flags(capsys):
    code, out, _ = run_main(capsys, "--help")
    assert code == 0
    for word in ("compare", "grid-search", "explain", "datasets", "MNIST_ESTIMATORS_DATA"):
        assert word in out
    code, out, _ = run_main(capsys, "compare", "--help")
    assert code == 0
    for flag in ("--dataset", "--models", "--cv", "--epochs", "--batch-size", "--max-samples",
                 "--random-state", "--out", "--n-jobs", "--reference-training", "--scheduler",
                 "--seeds"):  # fmt: skip
        assert flag in out
    code, out, _ = run_main(capsys, "grid-search", "--help")
    assert code == 0
    for flag in ("--model", "--param", "--refit", "--cv", "--batch-size", "--out"):
        assert flag in out
    code, out, _ = run_main(capsys, "explain", "--help")
    assert code == 0
    for flag in ("--experiments", "--seeds", "--train-sizes", "--batch-sizes", "--threads",
                 "--throughput-images", "--dataset", "--max-samples", "--out", "--n-jobs"):  # fmt: skip
        assert flag in out
    text = " ".join(out.split())
    assert "a spatial, b robustness, c learning, d parallel, e calibration" in text
    assert "default: 500,1000,2000,5000,10000,20000,60000" in text
    code, out, _ = run_main(capsys, "datasets", "--help")
    assert code == 0 and "--json" in out and "--data-dir" in out


@pytest.mark.parametrize("command", ["compare", "grid-search", "explain"])
def test_batch_size_help_shows_each_models_current_default(capsys, command):
    from mnist_estimators.estimators.cnn import CNNClassifier
    from mnist_estimators.estimators.lstm import LSTMClassifier

    code, out, _ = run_main(capsys, command, "--help")
    assert code == 0
    text = " ".join(out.split())  # argparse wraps the help text
    assert CNNClassifier().batch_size == LSTMClassifier().batch_size == "auto"
    expected = (
        "CNN 32 up to 3,000 images, 64 up to 15,000 images, 128 up to 30,000 images, "
        "256 beyond; "
        "LSTM 16 up to 3,000 images, 32 up to 15,000 images, 128 beyond; "
        "GRU 16 up to 3,000 images, 32 up to 15,000 images, 128 beyond; "
        "MLP 32 up to 3,000 images, 64 up to 15,000 images, 128 up to 30,000 images, "
        "256 beyond; "
        "ViT 16 up to 3,000 images, 32 up to 15,000 images, 128 beyond"
    )
    assert f"default: each model's own: {expected})" in text


def test_version(capsys):
    code, out, err = run_main(capsys, "--version")
    assert code == 0 and out.strip() == f"mnist-estimators {VERSION}"


# -- bad arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("compare", "--dataset", "cifar", "--out", "x"),
        ("compare", "--cv", "1", "--out", "x", "--dataset", "digits"),
        ("compare", "--epochs", "zero", "--out", "x"),
        ("grid-search", "--model", "cnn", "--param", "filters", "--out", "x"),
        ("grid-search", "--model", "cnn", "--param", "nope=1,2", "--out", "x", "--dataset", "digits"),
        ("grid-search", "--model", "cnn", "--param", "filters=2", "--refit", "fastest", "--out", "x"),
        ("grid-search", "--model", "cnn", "--out", "x", "--dataset", "digits"),
        ("frobnicate",),
        ("compare", "--seeds", "0", "--out", "x"),
        ("grid-search", "--model", "lstm", "--param", "units=abc", "--out", "x", "--data-dir", "/nonexistent"),
        ("grid-search", "--model", "cnn", "--param", "dropout=0.2,1.5", "--out", "x"),
        ("compare", "--dataset", "digits", "--cv", "10", "--max-samples", "40", "--out", "x"),
        ("compare", "--dataset", "digits", "--max-samples", "5", "--out", "x"),
        ("compare", "--dataset", "digits", "--n-jobs", "0", "--out", "x"),
        ("compare", "--dataset", "digits", "--n-jobs", "many", "--out", "x"),
        ("grid-search", "--model", "cnn", "--param", "filters=2", "--dataset", "digits",
         "--max-samples", "12", "--cv", "3", "--out", "x"),
        ("explain", "--experiments", "z", "--out", "x"),
        ("explain", "--train-sizes", "0,500", "--out", "x"),
        ("explain", "--batch-sizes", "16,x", "--out", "x"),
        ("explain", "--seeds", "0", "--out", "x"),
        ("explain", "--dataset", "digits", "--max-samples", "5", "--out", "x"),
    ],
)  # fmt: skip
def test_bad_arguments_one_line_exit_2(args, tmp_path, capsys, captured_calls):
    args = [str(tmp_path / "out") if a == "x" else a for a in args]
    code, out, err = run_main(capsys, *args)
    assert code == 2, err
    assert "error" in one_line(err)
    assert captured_calls == []  # nothing reached the training


def test_bad_grid_value_is_named_before_any_data_is_loaded(tmp_path, capsys, no_data_loading):
    out_dir = tmp_path / "o"
    code, _, err = run_main(
        capsys, "grid-search", "--model", "lstm", "--param", "units=abc", "--out", out_dir,
        "--data-dir", "/nonexistent",
    )  # fmt: skip
    assert code == 2
    line = one_line(err)
    assert "--param units: bad value 'abc'" in line
    assert "'units' parameter of LSTMClassifier must be an int in the range [1, inf)" in line
    assert no_data_loading == [] and not out_dir.exists()  # refused before anything else


def test_too_few_images_for_the_folds_is_a_usage_error_naming_the_class_counts(
    tmp_path, capsys, captured_calls
):
    from mnist_estimators.datasets import load_train_test

    # 20 stratified images of 10 digits: 2 of each class, too few for 5 folds.
    y = load_train_test("digits", n_train=20, random_state=0).y
    classes, counts = np.unique(y, return_counts=True)
    assert counts.tolist() == [2] * 10
    code, out, err = run_main(
        capsys, "compare", "--dataset", "digits", "--cv", "5", "--max-samples", "20",
        "--out", tmp_path / "o",
    )  # fmt: skip
    assert code == 2 and captured_calls == []
    line = one_line(err)
    assert line.startswith("mnist-estimators compare: error: 5 folds need at least 5")
    assert f"class {classes[0]} has 2" in line and "at least 50 images" in line
    assert line.endswith("(--cv, --max-samples)")


# -- output folder --------------------------------------------------------------------


def test_output_path_that_is_a_file_is_refused_before_training(tmp_path, capsys, no_data_loading):
    target = tmp_path / "taken"
    target.write_text("a user's file")
    code, _, err = run_main(capsys, "compare", "--dataset", "digits", "--out", target)
    assert code == 1
    assert "is an existing file" in one_line(err)
    assert target.read_text() == "a user's file" and no_data_loading == []


@pytest.mark.parametrize("command", ["compare", "grid-search"])
def test_unwritable_output_is_refused_before_training(command, capsys, no_data_loading):
    extra = ("--model", "cnn", "--param", "filters=2") if command == "grid-search" else ()
    code, _, err = run_main(
        capsys, command, *extra, "--dataset", "digits", "--out", "/sys/mnist-estimators-out"
    )
    assert code == 1, err
    assert "cannot write results into /sys/mnist-estimators-out" in one_line(err)
    assert no_data_loading == []


def test_read_only_file_system_message(tmp_path, capsys, monkeypatch, no_data_loading):
    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    code, _, err = run_main(capsys, "compare", "--dataset", "digits", "--out", tmp_path / "new")
    assert code == 1
    line = one_line(err)
    assert f"cannot write results into {tmp_path / 'new'} (Read-only file system)" in line
    assert no_data_loading == []


# -- errors ---------------------------------------------------------------------------


def test_unexpected_errors_are_one_line(tmp_path, capsys, monkeypatch):
    import mnist_estimators.evaluation.compare as compare_module

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(compare_module, "compare_models", broken)
    args = ("compare", "--dataset", "digits", "--max-samples", "50", "--out", tmp_path / "o")
    code, _, err = run_main(capsys, *args)
    assert code == 1
    line = one_line(err)
    assert "RuntimeError: boom" in line and "MNIST_ESTIMATORS_TRACEBACK=1" in line
    # ... and with MNIST_ESTIMATORS_TRACEBACK set, the error itself comes through.
    monkeypatch.setenv("MNIST_ESTIMATORS_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main([str(a) for a in args])


def test_missing_data_is_a_clear_error(tmp_path, capsys):
    code, _, err = run_main(
        capsys, "compare", "--data-dir", tmp_path / "none", "--out", tmp_path / "o"
    )
    assert code == 1 and "Traceback" not in err
    assert err.startswith(
        "mnist-estimators compare: error: MNIST handwritten digits (mnist) was not found."
    )
    assert str(tmp_path / "none") in err and "MNIST_ESTIMATORS_DATA" in err


# -- datasets -------------------------------------------------------------------------


def test_datasets_lists_sources(mnist_dir, tmp_path, capsys, monkeypatch):
    from test_datasets import write_tiny

    monkeypatch.setenv("MNIST_ESTIMATORS_DATA", str(mnist_dir))
    code, out, _ = run_main(capsys, "datasets", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["mnist"]["train"] == 60000 and rows["mnist"]["test"] == 10000
    assert rows["mnist"]["complete"] is True and rows["digits"]["found"] is True
    write_tiny(tmp_path, n_train=30, n_test=20)
    code, text, _ = run_main(capsys, "datasets", "--data-dir", tmp_path)
    assert code == 0
    mnist_line = next(ln for ln in text.splitlines() if ln.startswith("mnist "))
    assert "INCOMPLETE" in mnist_line and str(tmp_path) in mnist_line
    assert "30 of 60,000" in text


# -- runs that train ------------------------------------------------------------------


def _fold_stamps(out_dir: Path) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in (out_dir / "folds").glob("*.json")}


def test_compare_end_to_end_resume_and_refusal_of_another_config(tmp_path, capsys, monkeypatch):
    args = ["compare", *TINY, "--cv", "2", "--max-samples", "60", "--max-test-samples", "30",
            "--out", str(tmp_path)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["mnist-estimators", *args])
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    assert "Comparing CNN, LSTM on digits: 60 training, 30 test images, 2 folds" in out
    assert "; 1 process(es)." in out
    assert f"Report: {tmp_path / 'report.md'}" in out and (tmp_path / "results.csv").is_file()
    results = json.loads((tmp_path / "results.json").read_text())
    assert sorted(results["test"]) == ["CNN", "LSTM"]
    assert sorted((r["model"], r["fold"]) for r in results["folds"]) == [
        ("CNN", 0), ("CNN", 1), ("LSTM", 0), ("LSTM", 1)
    ]  # fmt: skip
    for name in ("CNN", "LSTM"):  # the printed table starts with the test accuracy
        row = next(ln.split() for ln in out.splitlines() if ln.startswith(name + " "))
        assert float(row[1]) == round(results["test"][name][0]["accuracy"], 4)
    assert results["config"]["setup"]["command"] == "mnist-estimators " + " ".join(args)
    # 2 models x (2 folds + 1 refit)
    stamps = _fold_stamps(tmp_path)
    assert len(stamps) == 6
    # The same command again: every record is read back, nothing is trained.
    code, out, err = run_main(capsys, *args)
    assert code == 0 and "Report:" in out, err
    assert _fold_stamps(tmp_path) == stamps
    # A different configuration in the same folder is refused, and nothing is touched.
    changed = list(args)
    changed[changed.index("--epochs") + 1] = "2"
    code, out, err = run_main(capsys, *changed)
    assert code == 1
    line = one_line(err)
    assert f"{tmp_path} holds results of a different comparison (differs in: models)" in line
    assert _fold_stamps(tmp_path) == stamps


def test_report_rebuilds_a_comparison_from_its_records(tmp_path, capsys):
    """compare, then `report` on its folder (and on a .tar.xz of its records) into other
    folders: the same report.md, with the misclassified images reloaded from the data
    set (digits: embedded) and checked against the run's fingerprint."""
    from mnist_estimators.evaluation.runs import pack_run

    run = tmp_path / "run"
    args = ["compare", *TINY, "--cv", "2", "--max-samples", "60", "--max-test-samples", "30",
            "--out", str(run)]  # fmt: skip
    assert run_main(capsys, *args)[0] == 0
    code, out, err = run_main(capsys, "report", run, "--out", tmp_path / "again")
    assert code == 0, err
    assert (tmp_path / "again" / "report.md").read_text() == (run / "report.md").read_text()
    assert (tmp_path / "again" / "misclassified.png").is_file()
    archive = pack_run(run, tmp_path / "packed" / "records.tar.xz")
    code, out, err = run_main(capsys, "report", archive)
    assert code == 2 and "say where the report goes with --out" in one_line(err)
    code, out, err = run_main(capsys, "report", archive, "--out", tmp_path / "from_archive")
    assert code == 0, err
    assert (tmp_path / "from_archive" / "report.md").read_text() == (run / "report.md").read_text()
    # A folder without a finished run: one line saying so.
    (tmp_path / "empty").mkdir()
    code, out, err = run_main(capsys, "report", tmp_path / "empty")
    assert code == 1 and "holds no compare.json or explain.json" in one_line(err)


def test_grid_search_with_fastest_refit_writes_best_json(tmp_path, capsys):
    args = ["grid-search", "--model", "cnn", *TINY, "--param", "filters=2,4",
            "--param", "dense_units=8", "--cv", "2", "--max-samples", "60",
            "--max-test-samples", "30", "--refit", "fastest-within=0.5", "--out", str(tmp_path)]  # fmt: skip
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    best = json.loads((tmp_path / "best.json").read_text())
    results = json.loads((tmp_path / "results.json").read_text())
    rows = results["folds"]
    assert len(rows) == 4  # 2 candidates x 2 folds
    times = {}
    for r in rows:
        times.setdefault(r["model"], []).append(r["fit_time"])
    assert sorted(times) == ["dense_units=8, filters=2", "dense_units=8, filters=4"]
    # A tolerance of 0.5 makes every candidate "as good": the fastest one is chosen.
    assert best["chosen"] == min(times, key=lambda m: sum(times[m]))
    assert best["refit"] == "FastestWithinTolerance(tolerance=0.5, metric='accuracy')"
    filters = int(best["chosen"].rsplit("=", 1)[1])
    assert best["best_params"] == {
        "cnnclassifier__dense_units": 8,
        "cnnclassifier__filters": filters,
    }
    assert results["search"]["params"][best["best_index"]] == best["best_params"]
    assert list(results["test"]) == [best["chosen"]]  # only the chosen one was refit and tested
    assert best["test_accuracy"] == results["test"][best["chosen"]][0]["accuracy"]
    assert "Chosen (FastestWithinTolerance(tolerance=0.5" in out
    assert f"{best['chosen']}; test accuracy {best['test_accuracy']:.4f}" in out
    report = (tmp_path / "report.md").read_text()
    assert f"Refit chose **{best['chosen']}**" in report and "Pareto front" in report
    assert (tmp_path / "accuracy_vs_time.png").read_bytes()[:4] == b"\x89PNG"
    # Resumable per candidate and fold: as after a kill, one fold is missing; only it reruns.
    # (Its new fit time may change which candidate is the fastest, and so what is refit.)
    stamps = _fold_stamps(tmp_path)
    folds = sorted(n for n in stamps if "__fold" in n)
    refit_file = record_file_name(Task(best["chosen"], 0))
    assert len(folds) == 4 and refit_file in stamps
    (tmp_path / "folds" / folds[0]).unlink()
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    after = _fold_stamps(tmp_path)
    assert set(stamps) <= set(after)
    assert [n for n in stamps if after[n] != stamps[n]] == [folds[0]]


# -- what the command line hands to the library -----------------------------------------


def _fake_data(n_train: int, n_test: int, pixels: int = 784):
    """What load_train_test returns, of a known size in bytes: n * pixels uint8."""
    from sklearn.utils import Bunch

    def load(name, **kwargs):
        return Bunch(
            X=np.zeros((n_train, pixels), np.uint8),
            y=np.arange(n_train) % 10,
            X_test=np.zeros((n_test, pixels), np.uint8),
            y_test=np.arange(n_test) % 10,
            description=f"{name}, fake",
        )

    return load


def _fake_machine(monkeypatch, cores: int, memory_bytes: int):
    real_sysconf = os.sysconf
    pages = {"SC_PHYS_PAGES": memory_bytes // 4096, "SC_PAGE_SIZE": 4096}
    monkeypatch.setattr(os, "sysconf", lambda name: pages.get(name) or real_sysconf(name))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)


def _n_jobs_passed(capsys, captured_calls, *flags, out="x"):
    with pytest.raises(_Stop):
        cli.main(["compare", "--dataset", "digits", "--out", out, *flags])
    stdout = capsys.readouterr().out
    n_jobs = captured_calls.pop()[1]["n_jobs"]
    return n_jobs, stdout


def test_n_jobs_auto_is_sized_to_cores_and_memory(tmp_path, capsys, monkeypatch, captured_calls):
    out = str(tmp_path)
    # This machine as it is: small data fit in memory, so one process per usable core.
    n_jobs, stdout = _n_jobs_passed(capsys, captured_calls, "--max-samples", "100", out=out)
    assert n_jobs == len(os.sched_getaffinity(0))
    assert f"; {n_jobs} process(es)." in stdout
    # 120,000 images of 28x28 are 94,080,000 bytes of pixels. Each worker is budgeted
    # 1 GB plus 12 bytes per pixel byte (three float32 copies): 2,128,960,000 bytes.
    # Three quarters of 4 GiB (3,221,225,472 bytes) hold one worker, of 16 GiB
    # (12,884,901,888 bytes) six, of 64 GiB 24 (more than the 8 cores).
    monkeypatch.setattr(cli, "load_train_test", _fake_data(110_000, 10_000))
    for memory, expected in ((4 * 2**30, 1), (16 * 2**30, 6), (64 * 2**30, 8)):
        _fake_machine(monkeypatch, cores=8, memory_bytes=memory)
        n_jobs, stdout = _n_jobs_passed(capsys, captured_calls, out=out)
        assert n_jobs == expected and f"; {expected} process(es)." in stdout
    # Small data: the cores are the limit (3/4 of 4 GiB over 1,000,115,200 bytes is 3).
    monkeypatch.setattr(cli, "load_train_test", _fake_data(100, 50, pixels=64))
    _fake_machine(monkeypatch, cores=2, memory_bytes=4 * 2**30)
    assert _n_jobs_passed(capsys, captured_calls, out=out)[0] == 2
    _fake_machine(monkeypatch, cores=8, memory_bytes=4 * 2**30)
    assert _n_jobs_passed(capsys, captured_calls, out=out)[0] == 3
    # Explicit values are passed as they are; with a scheduler, auto means all its workers.
    assert _n_jobs_passed(capsys, captured_calls, "--n-jobs", "1", out=out)[0] == 1
    assert _n_jobs_passed(capsys, captured_calls, "--n-jobs", "-1", out=out)[0] == -1
    n_jobs, stdout = _n_jobs_passed(capsys, captured_calls, "--scheduler", "local", out=out)
    assert n_jobs is None and "; on local." in stdout
    assert _n_jobs_passed(capsys, captured_calls, "--scheduler", "local", "--n-jobs", "3", out=out)[0] == 3  # fmt: skip


def _expected_pipelines(flags: list[str], *, epochs: int, random_state: int, verbose: int):
    """The pipelines a user would build by hand for these flags."""
    from mnist_estimators.estimators.pipelines import make_cnn_pipeline, make_lstm_pipeline

    common = {"epochs": epochs, "random_state": random_state, "verbose": verbose}
    if "--reference-training" in flags:
        # The reference notebook: Adam at 0.001, constant, batches of 32, pixels in [0, 1].
        common.update(learning_rate=0.001, lr_schedule="constant", batch_size=32, standardize=False)
    if "--batch-size" in flags:
        common["batch_size"] = int(flags[flags.index("--batch-size") + 1])
    return {"CNN": make_cnn_pipeline(**common), "LSTM": make_lstm_pipeline(**common)}


def _same_pipeline(built, expected) -> None:
    assert [(n, type(s)) for n, s in built.steps] == [(n, type(s)) for n, s in expected.steps]
    for got, want in zip(built, expected, strict=True):
        assert got.get_params() == want.get_params()


@pytest.mark.parametrize(
    "flags",
    [[], ["--reference-training"], ["--batch-size", "64"], ["--reference-training", "--batch-size", "8"]],
)  # fmt: skip
def test_training_flags_reach_the_pipelines(flags, tmp_path, capsys, captured_calls):
    expected = _expected_pipelines(flags, epochs=3, random_state=7, verbose=2)
    data = ("--dataset", "digits", "--max-samples", "50", "--epochs", "3", "--random-state", "7",
            "--verbose", "2", "--out", str(tmp_path), *flags)  # fmt: skip
    with pytest.raises(_Stop):
        cli.main(["compare", *data])
    models = captured_calls.pop()[0][0]
    assert list(models) == ["CNN", "LSTM"]
    for name in models:
        _same_pipeline(models[name], expected[name])
    with pytest.raises(_Stop):
        cli.main(["grid-search", "--model", "lstm", "--param", "units=8,16", *data])
    args, kwargs = captured_calls.pop()
    _same_pipeline(args[0], expected["LSTM"])
    assert args[1] == {"lstmclassifier__units": [8, 16]}
