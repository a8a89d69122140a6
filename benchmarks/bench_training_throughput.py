"""Training throughput (images/s) of both networks against the reference setting.

The reference setting (batch 32) is measured in the same run as the
alternatives, and ratios are against it. Medians over repeats: these machines
are noisy.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_training_throughput.py
"""

from __future__ import annotations

import argparse
import statistics
import warnings

from mnist_estimators import load_mnist, make_cnn_pipeline, make_lstm_pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="training images")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 256])
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y = load_mnist("train", return_X_y=True, n_samples=args.n)
    print(f"{'model':6} {'batch':>5} {'images/s':>9} {'ratio vs batch 32':>18}")
    for name, make in (("cnn", make_cnn_pipeline), ("lstm", make_lstm_pipeline)):
        base = None
        for bs in args.batch_sizes:
            rates = []
            for r in range(args.repeats):
                pipe = make(epochs=1, batch_size=bs, random_state=r).fit(X, y)
                rates.append(len(y) / pipe[-1].history_["epoch_time"][0])
            med = statistics.median(rates)
            base = base or med
            print(f"{name:6} {bs:5d} {med:9.0f} {med / base:18.2f}")


if __name__ == "__main__":
    main()
