"""Wall time of one comparison: serially, with n_jobs=2 on loky, on a 2-worker LocalCluster.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_parallel.py [N_TRAIN] [EPOCHS]

Each configuration runs the same ``compare_models`` (CNN and LSTM pipelines, 5 folds
and a refit with test, one seed) in a fresh process, so that TensorFlow's thread
settings start clean; prints seconds and the speed-up against the serial run of
this same invocation, with the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
from mnist_estimators import compare_models, load_mnist, make_cnn_pipeline, make_lstm_pipeline
n, epochs, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
X, y = load_mnist("train", return_X_y=True, n_samples=n, random_state=0)
Xt, yt = load_mnist("test", return_X_y=True, n_samples=2000, random_state=0)
models = {"CNN": make_cnn_pipeline(epochs=epochs), "LSTM": make_lstm_pipeline(epochs=epochs)}
kw = {"n_jobs": 2} if mode == "loky" else {"scheduler": "local"} if mode == "dask" else {}
start = time.perf_counter()
r = compare_models(models, X, y, cv=5, X_test=Xt, y_test=yt, progress=False, **kw)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "accuracy": r.folds.groupby("model").accuracy.mean().round(4).to_dict()}))
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    from mnist_estimators._environment import machine

    print(json.dumps(machine()))
    out = {}
    for mode in ("serial", "loky", "dask"):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(epochs), mode],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        out[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        out[mode]["process_seconds"] = time.perf_counter() - t
    base = out["serial"]["seconds"]
    print(f"{n:,} MNIST images, {epochs} epoch(s), CNN + LSTM, 5 folds + refit:")
    for mode, r in out.items():
        print(
            f"  {mode:7s} {r['seconds']:7.1f} s  speed-up {base / r['seconds']:.2f}x  "
            f"(process {r['process_seconds']:.1f} s)  CV accuracy {r['accuracy']}"
        )


if __name__ == "__main__":
    main()
