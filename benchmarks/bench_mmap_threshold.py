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

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import fresh_fits

#: A process's choice, read in the fresh process that fits (see ``fresh_fits``).
_PINNED = "MNIST_ESTIMATORS_BENCH_LEAVE_PINNED"


def _setup() -> None:
    from mnist_estimators._keras.runtime import BACKEND

    BACKEND.unpins_mmap_threshold = os.environ.get(_PINNED) != "1"


if __name__ == "__main__":
    fresh_fits.main(
        __doc__.split("\n\n")[0],
        __file__,
        {"put back": {_PINNED: "0"}, "left pinned": {_PINNED: "1"}},
        {"put back": _setup, "left pinned": _setup},
    )
