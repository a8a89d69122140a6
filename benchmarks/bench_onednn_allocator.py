"""TensorFlow's oneDNN allocator (a pool that never shrinks) against glibc's malloc.

    TF_ENABLE_ONEDNN_OPTS=1 MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_onednn_allocator.py

With oneDNN on, TensorFlow serves every allocation of 256 KiB or more from its own BFC
pool (``MklCPUAllocator``), which grows to the largest training step's working set and
keeps it for the rest of the process: a worker that trained a CNN keeps its pool while it
trains an LSTM. ``TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1`` (read when TensorFlow starts) serves
them from glibc's malloc instead, which gives freed memory back. This script fits each
network at its default batch on 32,000 images, 2 epochs, 1 TensorFlow thread, each fit in
a fresh process, the two allocators interleaved over rounds, and prints each one's speed,
page faults, peak RSS and the private memory a fit leaves behind (medians over rounds).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import fresh_fits

if __name__ == "__main__":
    fresh_fits.main(
        __doc__.split("\n\n")[0],
        __file__,
        {
            "glibc's malloc": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1"},
            "oneDNN's pool": {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "0"},
        },
    )
