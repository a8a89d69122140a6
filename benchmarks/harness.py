"""Benchmark harness: our estimators against plain Keras and PyTorch, ratios within one run.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/harness.py --json bench.json

For the CNN and the LSTM it measures, on the same images, batch size and epochs:

* ``ours-defaults``: our pipeline at its defaults (CNN batch 128, lr 0.003 cosine;
  LSTM batch 16, lr 0.003 cosine, standardised inputs);
* ``ours@B`` / ``ours@B-unseeded``: our estimator at the reference's training
  settings (Adam 0.001, constant) and batch ``B``, with ``random_state`` set and unset;
* ``keras@B``: the same network written here in plain Keras, ``model.fit``, compiled
  as Keras compiles by default (one batch per call; the LSTM's loop);
* ``keras-matched@B``: that plain Keras network with our estimator's speed settings
  (the same ``steps_per_execution``; for the LSTM ``unroll=True``, which is what our
  layer computes on CPU): the wrapper's own overhead is ``keras-matched@B`` against
  ``ours@B``;
* ``torch@B``: the same network and an equivalent training loop in PyTorch (``pip
  install 'mnist-estimators[bench]'``; skipped, and said so, without it), in a child
  process (``benchmarks/torch_reference.py``).

Training images/s is ``n * epochs`` over the whole wall time of a fit (building,
tracing, training); prediction images/s is over ``predict`` of the test images, in
batches of 1,024 everywhere. Every variant runs ``--repeats`` times, interleaved
(repeat 1 of every variant, then repeat 2, ...), and is reported as the median
with the min-max spread. Every ratio is computed between figures of this run.

It also measures:

* the fixed cost of one fit (clone, build, trace, first batch): a fit on 64 images;
* time to accuracy: the training time our defaults need to reach the test accuracy
  that the reference configuration (``REFERENCE_TRAINING``, 5 epochs) reaches, against
  the reference configuration's own training time (evaluation time excluded), both as
  the notebook ran it (plain Keras) and as our estimator runs it;
* with ``--whole-job`` (or ``--only-whole-job``): the wall time and peak RSS (the whole
  process tree, summed, and its largest process) of ``mnist-estimators compare`` on the
  complete MNIST at its default ``--n-jobs``, against the reference notebook (plain Keras,
  its settings) training both networks once on the same data and scoring the test set.

The JSON holds the machine (CPU, cores, versions, thread settings) and every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from mnist_estimators import (
    REFERENCE_TRAINING,
    load_mnist,
    make_cnn_pipeline,
    make_lstm_pipeline,
)
from mnist_estimators._environment import machine, versions
from mnist_estimators._tf import keras
from mnist_estimators.base import auto_steps_per_execution

PREDICT_BATCH = 1024
TORCH_WORKER = Path(__file__).with_name("torch_reference.py")
MAKERS = {"cnn": make_cnn_pipeline, "lstm": make_lstm_pipeline}


# -- the networks, written independently of the package ------------------------------
def keras_network(model: str, matched_batch: int | None = None) -> keras.Model:
    """The reference notebook's network in plain Keras.

    ``matched_batch``: compile it with our estimator's speed settings for that batch
    size (its ``steps_per_execution``; for the LSTM, the unrolled loop); else as Keras'
    defaults do."""
    matched = matched_batch is not None
    if model == "cnn":
        layers = [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    else:
        layers = [
            keras.Input((28, 28)),
            keras.layers.LSTM(128, unroll=matched),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    net = keras.Sequential(layers)
    net.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=auto_steps_per_execution(matched_batch) if matched else 1,
    )
    return net


# -- one measurement of each kind ------------------------------------------------------
def _images(model: str, X: np.ndarray) -> np.ndarray:
    X = (X / 255.0).astype(np.float32)
    return X.reshape(-1, 28, 28, 1) if model == "cnn" else X.reshape(-1, 28, 28)


def run_ours(model, X, y, Xt, epochs, batch_size=None, seeded=True):
    params = {} if batch_size is None else {**REFERENCE_TRAINING, "batch_size": batch_size}
    pipe = MAKERS[model](epochs=epochs, random_state=0 if seeded else None, **params)
    start = time.perf_counter()
    pipe.fit(X, y)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    pipe.predict(Xt)
    return fit, time.perf_counter() - start


def run_keras(model, X, y, Xt, epochs, batch_size, matched=False):
    Xi, Xti = _images(model, X), _images(model, Xt)
    keras.backend.clear_session()
    start = time.perf_counter()
    net = keras_network(model, batch_size if matched else None)
    net.fit(Xi, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    net.predict(Xti, batch_size=PREDICT_BATCH, verbose=0).argmax(axis=1)
    return fit, time.perf_counter() - start


def run_torch(model, X, y, Xt, epochs, batch_size):
    """PyTorch's fit and predict seconds, measured in a child process.

    TensorFlow and PyTorch in one process crash here (both load their own OpenMP
    and oneDNN runtimes: segmentation fault), so PyTorch runs in a fresh
    interpreter on the same arrays, passed through a temporary .npz file.
    """
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, X=X, y=y, Xt=Xt)
        out = subprocess.run(
            [
                sys.executable,
                str(TORCH_WORKER),
                str(data),
                model,
                str(epochs),
                str(batch_size),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    fit, predict = json.loads(out.stdout.strip().splitlines()[-1])
    return fit, predict


def _torch_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def variants(model: str, batch_sizes: list[int], with_torch: bool) -> dict:
    """Name -> callable(X, y, Xt, epochs) -> (fit seconds, predict seconds)."""
    out = {"ours-defaults": lambda X, y, Xt, e: run_ours(model, X, y, Xt, e)}
    for b in batch_sizes:
        out[f"ours@{b}"] = lambda X, y, Xt, e, b=b: run_ours(model, X, y, Xt, e, b)
        out[f"ours@{b}-unseeded"] = lambda X, y, Xt, e, b=b: run_ours(
            model, X, y, Xt, e, b, seeded=False
        )
        out[f"keras@{b}"] = lambda X, y, Xt, e, b=b: run_keras(model, X, y, Xt, e, b)
        out[f"keras-matched@{b}"] = lambda X, y, Xt, e, b=b: run_keras(
            model, X, y, Xt, e, b, matched=True
        )
        if with_torch:
            out[f"torch@{b}"] = lambda X, y, Xt, e, b=b: run_torch(model, X, y, Xt, e, b)
    return out


def throughput(model, X, y, Xt, epochs, repeats, batch_sizes, with_torch) -> dict:
    runs = variants(model, batch_sizes, with_torch)
    samples: dict[str, list] = {name: [] for name in runs}
    for r in range(repeats):  # interleaved: every variant once per round
        for name, run in runs.items():
            fit, predict = run(X, y, Xt, epochs)
            samples[name].append(
                {
                    "train_images_per_s": len(y) * epochs / fit,
                    "predict_images_per_s": len(Xt) / predict,
                }
            )
            print(
                f"  [{model} round {r + 1}/{repeats}] {name}: {samples[name][-1]['train_images_per_s']:.0f} img/s",
                flush=True,
            )
    return samples


def fixed_cost(model, X, y, repeats) -> dict:
    """Seconds for a fit on 64 images (one batch of 64): clone, build, trace, first batch."""
    Xs, ys = X[:64], y[:64]
    out = {"ours": [], "keras": []}
    for _ in range(repeats):
        pipe = MAKERS[model](
            epochs=1,
            batch_size=64,
            random_state=0,
            **{k: v for k, v in REFERENCE_TRAINING.items() if k != "batch_size"},
        )
        start = time.perf_counter()
        pipe.fit(Xs, ys)
        out["ours"].append(time.perf_counter() - start)
        keras.backend.clear_session()
        start = time.perf_counter()
        keras_network(model).fit(_images(model, Xs), ys, batch_size=64, epochs=1, verbose=0)
        out["keras"].append(time.perf_counter() - start)
    return out


class _TestAccuracyClock(keras.callbacks.Callback):
    """After each epoch: training seconds so far (evaluation excluded) and test accuracy."""

    def __init__(self, X_test, y_test):
        super().__init__()
        self.X_test, self.y_test = X_test, y_test
        self.start, self.paused, self.points = None, 0.0, []

    def on_epoch_end(self, epoch, logs=None):
        t = time.perf_counter()
        acc = float(
            (
                self.model.predict(self.X_test, batch_size=PREDICT_BATCH, verbose=0).argmax(1)
                == self.y_test
            ).mean()
        )
        self.points.append((t - self.start - self.paused, acc))
        self.paused += time.perf_counter() - t


def time_to_accuracy(model, X, y, Xt, yt) -> dict:
    """Seconds of training (evaluation excluded) for our defaults to reach the test accuracy
    the reference configuration ends its 5 epochs with, against the reference's own time:
    the reference as the notebook ran it (plain Keras) and as our estimator runs it."""
    clocks = {}
    for name, params in (("reference", dict(REFERENCE_TRAINING)), ("defaults", {})):
        clock = _TestAccuracyClock(_images(model, Xt), yt)
        pipe = MAKERS[model](epochs=5, random_state=0, callbacks=[clock], **params)
        clock.start = time.perf_counter()
        pipe.fit(X, y)
        clocks[name] = clock.points
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    clock = _TestAccuracyClock(_images(model, Xt), yt)
    clock.start = time.perf_counter()
    keras_network(model).fit(
        _images(model, X), y, batch_size=32, epochs=5, verbose=0, callbacks=[clock]
    )
    clocks["reference_keras"] = clock.points
    out = {f"{name}_curve": points for name, points in clocks.items()}
    for ref in ("reference", "reference_keras"):
        target_time, target_acc = clocks[ref][-1]
        reached = next((t for t, acc in clocks["defaults"] if acc >= target_acc), None)
        out[ref] = {
            "target_accuracy": target_acc,
            "reference_seconds": target_time,
            "defaults_seconds": reached,
            "ratio": None if reached is None else reached / target_time,
        }
    return out


def _watch_rss(proc) -> tuple[float, float]:
    """Until ``proc`` exits: peak RSS in bytes of its whole process tree (summed), and of
    its largest single process. Sampled every 0.5 s with psutil, else the largest
    single process only, from the kernel's accounting."""
    try:
        import psutil
    except ImportError:
        proc.wait()
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024.0
        return float("nan"), peak
    root, total, single = psutil.Process(proc.pid), 0.0, 0.0
    while proc.poll() is None:
        rss = []
        for p in [root, *root.children(recursive=True)]:
            try:
                rss.append(p.memory_info().rss)
            except psutil.Error:  # exited between listing and reading
                pass
        total, single = max(total, sum(rss)), max([single, *rss])
        time.sleep(0.5)
    return total, single


def whole_job(n_jobs: str = "auto", out: str | None = None) -> dict:
    """The README's main job, and the reference notebook training both networks once
    (plain Keras, its settings: batch 32, Adam 0.001, 5 epochs, then the test set)."""
    # A fresh folder: compare resumes from an old one and would skip the work.
    if out is not None and Path(out).exists() and any(Path(out).iterdir()):
        raise SystemExit(f"--whole-job-out {out} is not empty: compare would resume from it")
    X, y = load_mnist("train", return_X_y=True)
    Xt, yt = load_mnist("test", return_X_y=True)
    start = time.perf_counter()
    for model in MAKERS:
        keras.backend.clear_session()
        net = keras_network(model)
        net.fit(_images(model, X), y, batch_size=32, epochs=5, verbose=0)
        net.evaluate(_images(model, Xt), yt, batch_size=PREDICT_BATCH, verbose=0)
    reference = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="harness-compare-") as tmp:
        folder = out or tmp
        start = time.perf_counter()
        command = [sys.executable, "-m", "mnist_estimators.cli", "compare", "--dataset", "mnist"]
        proc = subprocess.Popen([*command, "--out", folder, "--no-progress", "--n-jobs", n_jobs])
        total, single = _watch_rss(proc)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"compare failed with exit code {proc.returncode}")
    return {
        "n_jobs": n_jobs,
        "compare_seconds": wall,
        "peak_rss_gb": total / 1e9,
        "peak_rss_one_process_gb": single / 1e9,
        "reference_both_once_seconds": reference,
        "ratio": wall / reference,
    }


# -- reporting ------------------------------------------------------------------------
def _median(values):
    return statistics.median(values)


def summarise(samples: dict) -> dict:
    out = {}
    for name, runs in samples.items():
        train = [r["train_images_per_s"] for r in runs]
        pred = [r["predict_images_per_s"] for r in runs]
        out[name] = {
            "train_median": _median(train),
            "train_min": min(train),
            "train_max": max(train),
            "predict_median": _median(pred),
            "predict_min": min(pred),
            "predict_max": max(pred),
        }
    return out


def ratios(model: str, summary: dict, batch_sizes: list[int]) -> dict:
    """The issue's targets, as ratios of this run's medians."""
    med = {k: v["train_median"] for k, v in summary.items()}
    out = {}
    for b in batch_sizes:
        matched = med[f"keras-matched@{b}"]
        out[f"wrapper_overhead@{b} (keras-matched/ours, seeded)"] = matched / med[f"ours@{b}"]
        out[f"wrapper_overhead@{b} (keras-matched/ours, unseeded)"] = (
            matched / med[f"ours@{b}-unseeded"]
        )
        out[f"ours@{b} / plain Keras@{b} as compiled by default"] = (
            med[f"ours@{b}"] / med[f"keras@{b}"]
        )
    keras_best = max(v for k, v in med.items() if k.startswith("keras"))
    out["defaults / best plain Keras"] = med["ours-defaults"] / keras_best
    torch_rates = [v for k, v in med.items() if k.startswith("torch@")]
    if torch_rates:
        out["defaults / best PyTorch"] = med["ours-defaults"] / max(torch_rates)
    return out


def thread_settings() -> dict:
    import tensorflow as tf

    out = {
        "tf_intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "tf_inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
    }
    if _torch_available():  # asked in a child process: torch and TF do not share one
        probe = (
            "import torch, json; print(json.dumps([torch.__version__, torch.get_num_threads()]))"
        )
        res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        if res.returncode == 0:
            out["torch_version"], out["torch_threads"] = json.loads(
                res.stdout.strip().splitlines()[-1]
            )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="training images (default 20,000)")
    parser.add_argument("--n-test", type=int, default=10000, help="test images (default 10,000)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--models", nargs="+", choices=list(MAKERS), default=list(MAKERS))
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--no-time-to-accuracy", action="store_true")
    parser.add_argument(
        "--whole-job", action="store_true", help="also time the full compare (long)"
    )
    parser.add_argument("--only-whole-job", action="store_true", help="time only the full compare")
    parser.add_argument("--whole-job-n-jobs", default="auto", help="its --n-jobs (default: auto)")
    parser.add_argument(
        "--whole-job-out",
        default=None,
        help="keep the whole job's report in this new folder (default: a temporary one)",
    )
    parser.add_argument("--json", default="runs/bench/harness.json", help="where the JSON goes")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    with_torch = not args.no_torch and _torch_available()
    X, y = load_mnist("train", return_X_y=True, n_samples=args.n, random_state=0)
    Xt, yt = load_mnist("test", return_X_y=True, n_samples=args.n_test, random_state=0)
    report = {
        "machine": machine(),
        "versions": versions(),
        "threads": thread_settings(),
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
        "torch": with_torch or "not installed: pip install 'mnist-estimators[bench]'",
        "models": {},
    }
    print(report["machine"], json.dumps(report["threads"]))
    for model in [] if args.only_whole_job else args.models:
        samples = throughput(
            model, X, y, Xt, args.epochs, args.repeats, args.batch_sizes, with_torch
        )
        summary = summarise(samples)
        entry = {
            "samples": samples,
            "summary": summary,
            "ratios": ratios(model, summary, args.batch_sizes),
        }
        entry["fixed_cost_seconds"] = fixed_cost(model, X, y, args.repeats)
        if not args.no_time_to_accuracy:
            entry["time_to_accuracy"] = time_to_accuracy(model, X, y, Xt, yt)
        report["models"][model] = entry
    if args.whole_job or args.only_whole_job:
        report["whole_job"] = whole_job(args.whole_job_n_jobs, args.whole_job_out)
    print_report(report, args)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1))
    print(f"JSON: {path}")
    return 0


def print_report(report: dict, args) -> None:
    print(
        f"\n{report['machine']}; {args.n:,} images, {args.epochs} epoch(s), {args.repeats} interleaved repeats, medians [min-max]"
    )
    for model, entry in report["models"].items():
        print(f"\n{model.upper():6} {'variant':22} {'train img/s':>24} {'predict img/s':>26}")
        for name, s in entry["summary"].items():
            print(
                f"{'':6} {name:22} {s['train_median']:9.0f} [{s['train_min']:6.0f}-{s['train_max']:6.0f}]"
                f" {s['predict_median']:10.0f} [{s['predict_min']:6.0f}-{s['predict_max']:6.0f}]"
            )
        for name, value in entry["ratios"].items():
            print(f"{'':6} {name:45} {value:.2f}x")
        fc = entry["fixed_cost_seconds"]
        print(
            f"{'':6} fixed cost of one fit: ours {_median(fc['ours']):.2f} s, plain Keras {_median(fc['keras']):.2f} s"
        )
        tta = entry.get("time_to_accuracy")
        references = (("reference_keras", "plain Keras"), ("reference", "ours")) if tta else ()
        for ref, label in references:
            t = tta[ref]
            reached = (
                "not reached" if t["defaults_seconds"] is None else f"{t['defaults_seconds']:.1f} s"
            )
            ratio = "" if t["ratio"] is None else f" ({t['ratio']:.2f}x)"
            print(
                f"{'':6} time to the reference's {t['target_accuracy']:.4f} ({label}): reference "
                f"{t['reference_seconds']:.1f} s, defaults {reached}{ratio}"
            )
    if "whole_job" in report:
        w = report["whole_job"]
        print(
            f"\nwhole job (--n-jobs {w['n_jobs']}): compare {w['compare_seconds']:.0f} s, peak RSS "
            f"{w['peak_rss_gb']:.2f} GB in all ({w['peak_rss_one_process_gb']:.2f} GB the largest "
            f"process), reference both once {w['reference_both_once_seconds']:.0f} s, "
            f"ratio {w['ratio']:.2f}x"
        )


if __name__ == "__main__":
    sys.exit(main())
