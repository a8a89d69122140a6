"""TensorFlow's batches sliced from the NumPy arrays, against Keras' whole-array tensors.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_tf_batches.py

One lever of the memory budget (docs/explanation/performance.md): on TensorFlow, Keras
turns the training arrays into whole-array tensors (a float32 copy of all the images)
before its first batch; the package's fits instead slice each batch from the NumPy
arrays (``BACKEND.slices_batches_itself``, True by default; False gives Keras' way). This
script fits each network at its default batch on 48,000 images (a CV fold of the main
job), 2 epochs, in one TensorFlow thread as a comparison's worker does, with each way
in turn, interleaved over rounds. It prints the second epoch's training images/s (no
tracing in it) and the peak of this process's own memory (USS) above what it held
before the fit, medians over the rounds, and the ratio of the two ways.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import statistics
import threading
import time

import psutil

from mnist_estimators import load_mnist
from mnist_estimators._keras.reuse import package_loop
from mnist_estimators._keras.runtime import BACKEND, configure_threads
from mnist_estimators.estimators import MODELS
from mnist_estimators.estimators.registry import REFERENCE_MODELS

#: The reference's two networks, by their registry labels (this lever was measured on them).
MAKERS = {MODELS[m].label: MODELS[m].make_pipeline for m in REFERENCE_MODELS}
WAYS = {"slices of the arrays": True, "whole-array tensors": False}


class _Peak:
    """This process's USS, sampled every 50 ms by a thread."""

    def __init__(self):
        self.process = psutil.Process()
        self.value = 0
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while True:
            self.value = max(self.value, self.process.memory_full_info().uss)
            time.sleep(0.05)

    def reset(self) -> int:
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        time.sleep(0.2)
        self.value = self.process.memory_full_info().uss
        return self.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=48000, help="training images (default 48,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args()
    if BACKEND.name != "tensorflow":
        parser.error(f"it measures TensorFlow's two ways; Keras runs on {BACKEND.name} here")
    configure_threads(1)
    X, y = load_mnist("train", return_X_y=True, n_samples=args.n, random_state=0)
    peak = _Peak()
    rows: dict = {}
    try:
        for r in range(args.rounds):
            for net, make in MAKERS.items():
                for way, from_arrays in WAYS.items():
                    BACKEND.slices_batches_itself = from_arrays
                    base = peak.reset()
                    with package_loop():
                        est = make(epochs=2, random_state=0).fit(X, y)
                    rate = args.n / est[-1].history_["epoch_time"][-1]
                    extra = (peak.value - base) / 1e6
                    rows.setdefault((net, way), []).append((rate, extra))
                    print(f"round {r + 1}: {net}, {way}: {rate:,.0f} images/s, "
                          f"peak +{extra:,.0f} MB", flush=True)  # fmt: skip
                    del est
    finally:
        vars(BACKEND).pop("slices_batches_itself", None)  # the class's own value again
    print(f"\nMedians over {args.rounds} rounds, {args.n:,} images, 1 TensorFlow thread:")
    for net in MAKERS:
        rate = {w: statistics.median(x[0] for x in rows[(net, w)]) for w in WAYS}
        extra = {w: statistics.median(x[1] for x in rows[(net, w)]) for w in WAYS}
        new, old = WAYS
        print(
            f"{net}: {rate[new]:,.0f} vs {rate[old]:,.0f} images/s ({rate[new] / rate[old]:.2f}x); "
            f"peak +{extra[new]:,.0f} vs +{extra[old]:,.0f} MB"
        )


if __name__ == "__main__":
    main()
