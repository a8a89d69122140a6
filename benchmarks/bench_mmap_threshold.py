"""glibc's mmap threshold after TensorFlow's generator op pinned it, against put back.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_mmap_threshold.py
    TF_ENABLE_ONEDNN_OPTS=0 MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_mmap_threshold.py

TensorFlow's ``from_generator`` op, which the package's TensorFlow batches come from,
pins glibc's mmap threshold at 128 KiB (Python 3.11), so every larger allocation became
a fresh ``mmap`` with its pages faulted in. Each epoch puts it back
(``mnist_estimators._memory.unpin_mmap_threshold``;
``TensorFlowBackend.unpins_mmap_threshold``, on by default). This script fits each
network at its default batch on 32,000 images (batch 256 for the CNN and 128 for the
LSTM, as in the main job's folds), 2 epochs, in one TensorFlow thread as a comparison's
worker does, with the threshold left pinned and put back in turn, interleaved over
rounds. Each fit runs in a fresh process: the threshold and the heap are the whole
process's, so a fit would inherit the one before it. oneDNN is as the environment sets
it (run the script once per state). It prints the second epoch's training images/s and
the minor page faults of the whole fit, medians over the rounds, and the ratio of the
two ways.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

NETWORKS = ("CNN", "LSTM")
WAYS = {"put back": True, "left pinned": False}


def one_fit(net: str, unpin: bool, n: int) -> dict:
    """One network's fit in this process; its second epoch's images/s and page faults."""
    from mnist_estimators import load_mnist
    from mnist_estimators._keras.runtime import BACKEND, configure_threads
    from mnist_estimators.estimators import MODELS
    from mnist_estimators.estimators.registry import REFERENCE_MODELS

    if BACKEND.name != "tensorflow":
        raise SystemExit("The generator op is TensorFlow's: run this with the TensorFlow backend.")
    configure_threads(1)
    make = {MODELS[m].label: MODELS[m].make_pipeline for m in REFERENCE_MODELS}[net]
    BACKEND.unpins_mmap_threshold = unpin
    X, y = load_mnist("train", return_X_y=True, n_samples=n, random_state=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    est = make(epochs=2, random_state=0).fit(X, y)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    return {"rate": n / est[-1].history_["epoch_time"][-1], "faults": faults}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=32000, help="training images (default 32,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--one-fit", nargs=2, metavar=("NETWORK", "WAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_fit:
        net, way = args.one_fit
        print(json.dumps(one_fit(net, WAYS[way], args.n)))
        return
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset: TensorFlow's default)")
    print(f"TF_ENABLE_ONEDNN_OPTS={onednn}; Python {sys.version.split()[0]}", flush=True)
    rows: dict = {}
    for r in range(args.rounds):
        for net in NETWORKS:
            for way in WAYS:
                out = subprocess.run(
                    [sys.executable, __file__, "--n", str(args.n), "--one-fit", net, way],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.setdefault((net, way), []).append(row)
                print(f"round {r + 1}: {net}, {way}: {row['rate']:,.0f} images/s, "
                      f"{row['faults']:,} page faults", flush=True)  # fmt: skip
    print(f"\nMedians over {args.rounds} rounds, {args.n:,} images, 1 TensorFlow thread:")
    for net in NETWORKS:
        rate = {w: statistics.median(x["rate"] for x in rows[(net, w)]) for w in WAYS}
        faults = {w: statistics.median(x["faults"] for x in rows[(net, w)]) for w in WAYS}
        new, old = WAYS
        print(
            f"{net}: {rate[new]:,.0f} vs {rate[old]:,.0f} images/s ({rate[new] / rate[old]:.2f}x); "
            f"{faults[new]:,.0f} vs {faults[old]:,.0f} page faults per fit"
        )


if __name__ == "__main__":
    main()
