"""Proof of where training runs: fit each network briefly and print the device of its weights.

    KERAS_BACKEND=jax python benchmarks/gpu_check.py            # or --backend torch

Prints one JSON object: the backend, what the runtime sees (GPUs, their names), the
device of each fitted model's variables as the backend reports it, and the training
images/s of one epoch at the defaults (fixed cost included). Used by
``benchmarks/gpu_run.sh`` on the lent GPU machine; runs the same on a CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def variable_devices(model) -> list[str]:
    """The devices the backend places the model's variables on (deduplicated)."""
    out = set()
    for v in model.variables:
        value = v.value
        if hasattr(value, "devices"):  # JAX arrays
            out.update(str(d) for d in value.devices())
        elif hasattr(value, "device"):  # torch tensors, TensorFlow variables
            out.add(str(value.device))
    return sorted(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("tensorflow", "jax", "torch"), default=None)
    parser.add_argument("--n", type=int, default=10000, help="training images (default 10,000)")
    args = parser.parse_args(argv)
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    from mnist_estimators import load_mnist, make_cnn_pipeline, make_lstm_pipeline
    from mnist_estimators._keras.runtime import BACKEND, device_description, gpu_count

    X, y = load_mnist("train", return_X_y=True, n_samples=args.n, random_state=0)
    Xt, yt = load_mnist("test", return_X_y=True, n_samples=2000, random_state=0)
    report = {
        "backend": BACKEND.name,
        "device": device_description(),
        "gpus": gpu_count(),
        "tensorflow_loaded": "tensorflow" in sys.modules,
        "models": {},
    }
    for name, make in (("cnn", make_cnn_pipeline), ("lstm", make_lstm_pipeline)):
        pipe = make(epochs=1, random_state=0)
        start = time.perf_counter()
        pipe.fit(X, y)
        seconds = time.perf_counter() - start
        clf = pipe[-1]
        report["models"][name] = {
            "variable_devices": variable_devices(clf.model_),
            "train_images_per_s": round(len(y) / seconds, 1),
            "test_accuracy": round(float(pipe.score(Xt, yt)), 4),
        }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
