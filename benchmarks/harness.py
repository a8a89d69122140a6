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
import sys
import warnings
from pathlib import Path

# Its parts live in benchmarks/_harness: importable when run as a script from any folder
# (Python puts this folder first on sys.path) and when loaded from its path by importlib.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness.measure import (
    fixed_cost,
    matmul_peak,
    network_paths,
    throughput,
    time_to_accuracy,
)
from _harness.networks import training_flops
from _harness.runners import MAKERS, _torch_available
from _harness.summary import _median, ratios, summarise, thread_settings
from _harness.whole_job import whole_job

from mnist_estimators import load_mnist
from mnist_estimators._environment import machine, versions
from mnist_estimators._keras.runtime import keras


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the report and write the JSON.

    Parameters
    ----------
    argv : list of str, optional
        The command-line arguments (``python benchmarks/harness.py --help``); by
        default, ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0.
    """
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
    report["keras_backend"] = keras.backend.backend()
    print(
        report["machine"], f"Keras backend {report['keras_backend']}", json.dumps(report["threads"])
    )
    report["matmul_peak_flops"] = matmul_peak()
    print(
        f"float32 matmul peak (2048², best of 10): {report['matmul_peak_flops'] / 1e9:.0f} GFLOP/s"
    )
    for model in [] if args.only_whole_job else args.models:
        samples = throughput(
            model, X, y, Xt, args.epochs, args.repeats, args.batch_sizes, with_torch
        )
        summary = summarise(samples)
        entry = {
            "samples": samples,
            "summary": summary,
            "ratios": ratios(model, summary, args.batch_sizes),
            "training_flops_per_image": training_flops(model),
        }
        entry["fixed_cost_seconds"] = fixed_cost(model, X, y, args.repeats)
        entry["paths"] = network_paths(model, X, y, args.repeats)
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


def print_report(report: dict, args: argparse.Namespace) -> None:
    """Print the report as tables: medians with their min-max spread, ratios, fixed
    cost, time to accuracy and the whole job.

    Parameters
    ----------
    report : dict
        As :func:`main` builds it (and writes to the JSON).
    args : argparse.Namespace
        The parsed command line (``n``, ``epochs``, ``repeats`` are printed).
    """
    print(
        f"\n{report['machine']}; {args.n:,} images, {args.epochs} epoch(s), {args.repeats} interleaved repeats, medians [min-max]"
    )
    for model, entry in report["models"].items():
        print(
            f"\n{model.upper():6} {'variant':22} {'train img/s':>24} {'of peak':>7} {'predict img/s':>26}"
        )
        flops, peak = entry["training_flops_per_image"], report["matmul_peak_flops"]
        for name, s in entry["summary"].items():
            print(
                f"{'':6} {name:22} {s['train_median']:9.0f} [{s['train_min']:6.0f}-{s['train_max']:6.0f}]"
                f" {s['train_median'] * flops / peak:7.0%}"
                f" {s['predict_median']:10.0f} [{s['predict_min']:6.0f}-{s['predict_max']:6.0f}]"
            )
        for name, value in entry["ratios"].items():
            print(f"{'':6} {name:45} {value:.2f}x")
        p = entry["paths"]
        if p["chosen_path"] == "conv2d":
            print(f"{'':6} path at the defaults: {p['chosen']}")
        else:
            best = max(p["rates"].values())
            others = ", ".join(
                f"{name} {rate:,.0f} ({rate / best:.2f}x)" for name, rate in p["rates"].items()
            )
            print(
                f"{'':6} path at the defaults: {p['chosen']}; every path, images/s (medians, "
                f"batch {p['batch_size']}): {others}; chosen/fastest "
                f"{p['rates'][p['chosen_path']] / best:.2f}x"
            )
        fc = entry["fixed_cost_seconds"]
        reused = f"{_median(fc['ours'][1:]):.2f} s" if len(fc["ours"]) > 1 else "not measured"
        print(
            f"{'':6} fixed cost of one fit: ours {fc['ours'][0]:.2f} s compiling, {reused} reusing "
            f"the compiled network (the package's loops); a user's own fit "
            f"{_median(fc['ours_user_fit']):.2f} s; plain Keras {_median(fc['keras']):.2f} s"
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
            f"\nwhole job (--n-jobs {w['n_jobs']}): compare {w['compare_seconds']:.0f} s, peak PSS "
            f"{w['peak_pss_gb']:.2f} GB summed over the processes (RSS {w['peak_rss_gb']:.2f} GB; "
            f"{w['peak_rss_one_process_gb']:.2f} GB RSS the largest "
            f"process), reference both once {' s and '.join(f'{r:.0f}' for r in w['reference_runs_seconds'])} s "
            f"(before and after), ratio {w['ratio']:.2f}x to the faster, "
            f"{w['ratio_to_slower_reference']:.2f}x to the slower"
        )


if __name__ == "__main__":
    sys.exit(main())
