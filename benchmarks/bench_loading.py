"""Load time and peak memory of the data loaders (full Fashion-MNIST from Debian).

python benchmarks/bench_loading.py
"""

from __future__ import annotations

import resource
import statistics
import time
import tracemalloc


def main() -> None:
    from mnist_estimators import load_fashion_mnist

    # Warm-up on the small split: imports (scikit-learn, gzip, ...) are not the loader's cost.
    load_fashion_mnist("test")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for _ in range(5):
        start = time.perf_counter()
        bunch = load_fashion_mnist("all")
        times.append(time.perf_counter() - start)
        del bunch
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    raw = 70000 * 784 / 2**20
    tracemalloc.start()  # NumPy reports its buffers to tracemalloc: the exact peak
    bunch = load_fashion_mnist("all")
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    del bunch
    print(f"load_fashion_mnist('all'): median {statistics.median(times):.2f} s over 5 loads")
    print(
        f"peak RSS growth {peak - before:.0f} MiB for {raw:.0f} MiB of raw pixels (ratio {(peak - before) / raw:.2f})"
    )
    print(
        f"peak traced allocation during one load {traced_peak:.1f} MiB (ratio {traced_peak / raw:.2f})"
    )


if __name__ == "__main__":
    main()
