"""Cross-validated accuracy and training time of training settings, step by step.

For each network, starts from the reference notebook's training setting (Adam
0.001, constant, batches of 32, pixels in [0, 1]) and evaluates one change at a
time, on the same stratified folds of the training split only (the official
test set is not used to choose anything). Fit times are medians over the folds,
and ratios are against the reference measured in the same run.

* ``--model lstm``: the steps from the reference to the LSTM's defaults.
* ``--model cnn``: larger batches, alone and with the learning rate raised and
  decayed along a cosine, the evidence for the CNN's default.
* ``--speed``: the steps that change no maths, only how fast it runs: one batch
  per call into TensorFlow (``steps_per_execution=1``) against the default, and for
  the LSTM, Keras' loop (``unroll=False``) against the unrolled recurrence.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_training_defaults.py --model lstm
"""

from __future__ import annotations

import argparse
import statistics
import warnings

from sklearn.model_selection import StratifiedKFold, cross_validate

from mnist_estimators import REFERENCE_TRAINING, load_mnist
from mnist_estimators.estimators import make_pipeline

COSINE = {"lr_schedule": "cosine", "standardize": False}
STEPS = {
    "lstm": [
        ("reference (lr 0.001, constant, batch 32)", REFERENCE_TRAINING),
        ("+ lr 0.003 with cosine decay", {"learning_rate": 0.003, "batch_size": 32, **COSINE}),
        (
            "+ standardized inputs",
            {"learning_rate": 0.003, "batch_size": 32, **COSINE, "standardize": True},
        ),
        ("+ batch 16 (the default)", {}),
    ],
    "cnn": [
        ("reference (lr 0.001, constant, batch 32)", REFERENCE_TRAINING),
        ("batch 128", {**REFERENCE_TRAINING, "batch_size": 128}),
        ("batch 64, lr 0.002 cosine", {"learning_rate": 0.002, "batch_size": 64, **COSINE}),
        ("batch 128, lr 0.003 cosine (the default)", {}),
    ],
}
ONE_BATCH_PER_CALL = {"steps_per_execution": 1}
SPEED_STEPS = {
    "lstm": [
        ("defaults, Keras' loop, 1 batch per call", {"unroll": False, **ONE_BATCH_PER_CALL}),
        ("+ 512 images per call", {"unroll": False}),
        ("+ unrolled on CPU (the default)", {}),
    ],
    "cnn": [
        ("reference, 1 batch per call", {**REFERENCE_TRAINING, **ONE_BATCH_PER_CALL}),
        ("reference, 512 images per call", REFERENCE_TRAINING),
        ("defaults, 1 batch per call", ONE_BATCH_PER_CALL),
        ("defaults (512 images per call)", {}),
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(STEPS), default="lstm")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--n", type=int, default=None, help="training images (default: all)")
    parser.add_argument("--speed", action="store_true", help="the speed steps (same maths)")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y = load_mnist("train", return_X_y=True, n_samples=args.n, random_state=0)
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    print(f"{args.model}: {len(y)} training images, {args.folds}-fold CV, {args.epochs} epochs")
    print(f"{'setting':42} {'accuracy':>17} {'fit s':>7} {'time ratio':>10}")
    base = None
    for name, params in (SPEED_STEPS if args.speed else STEPS)[args.model]:
        pipe = make_pipeline(args.model, epochs=args.epochs, random_state=0, **params)
        res = cross_validate(pipe, X, y, cv=cv, scoring="accuracy")
        acc = res["test_score"]
        fit = statistics.median(res["fit_time"])
        base = base or fit
        print(
            f"{name:42} {acc.mean():.4f} ± {acc.std():.4f} {fit:7.1f} {fit / base:10.2f}"
            f"   folds {' '.join(f'{a:.4f}' for a in acc)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
