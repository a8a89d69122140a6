"""Training settings by training-set size: cross-validated accuracy and fit time.

For each network and each size ``n`` (the first ``n`` images of a stratified draw of
the official training split; the test split is never used), every candidate setting
is cross-validated on the same stratified folds, 5 epochs by default: the reference
notebook's training (``REFERENCE_TRAINING``), the earlier fixed defaults
(CNN batch 128; LSTM batch 16), and other batches, each with its learning rate
scaled as ``learning_rate="auto"`` scales it. ``auto`` is what the defaults
(``batch_size="auto"``) choose at that size.
Fit times are medians over the folds (the first fold compiles each network, the next
ones reuse it, as in any cross-validation); every ratio is against the reference of
the same size, in the same run.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_defaults_by_size.py \\
        --model cnn --sizes 1000 2000 10000 --json runs/bench/sizes-cnn.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import warnings
from pathlib import Path

from sklearn.model_selection import StratifiedKFold, cross_validate

from mnist_estimators import REFERENCE_TRAINING, load_mnist
from mnist_estimators._environment import machine, versions
from mnist_estimators.estimators import auto_training, make_pipeline

#: Candidates per network: name -> parameters on top of the pipeline's defaults (the
#: cosine schedule; the learning rate "auto", i.e. scaled with the square root of the batch).
CANDIDATES = {
    "cnn": {
        "reference (b32, lr 0.001 constant)": REFERENCE_TRAINING,
        "auto (the default)": {},
        "b32": {"batch_size": 32},
        "b64": {"batch_size": 64},
        "b128 (the earlier default)": {"batch_size": 128},
        "b256": {"batch_size": 256},
    },
    "lstm": {
        "reference (b32, lr 0.001 constant)": REFERENCE_TRAINING,
        "auto (the default)": {},
        "b16 (the earlier default)": {"batch_size": 16},
        "b32": {"batch_size": 32},
        "b64": {"batch_size": 64},
        "b128": {"batch_size": 128},
        "b256": {"batch_size": 256},
    },
}


def main(argv: list[str] | None = None) -> int:
    """Run the candidates at each size, print the table and write the JSON.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``--help``); by default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(CANDIDATES), default="cnn")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 10000])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--only", nargs="+", default=None, help="candidate names to run")
    parser.add_argument("--json", default=None, help="write every fold's figures here")
    args = parser.parse_args(argv)
    candidates = {
        name: params
        for name, params in CANDIDATES[args.model].items()
        if args.only is None or any(name.startswith(o) for o in args.only)
    }
    print(machine())
    rows = []
    for n in args.sizes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            X, y = load_mnist("train", return_X_y=True, n_samples=n, random_state=0)
        cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
        print(f"\n{args.model}: {n:,} training images, {args.folds}-fold CV, {args.epochs} epochs")
        print(
            f"{'setting':36} {'batch':>5} {'lr':>8} {'CV accuracy':>17} {'fit s':>7} {'vs ref':>6}"
        )
        base = None
        for name, params in candidates.items():
            pipe = make_pipeline(args.model, epochs=args.epochs, random_state=0, **params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = cross_validate(pipe, X, y, cv=cv, scoring="accuracy")
            acc, fit = res["test_score"], statistics.median(res["fit_time"])
            clf = pipe[-1]  # "auto" resolved as the fit resolves it, for a fold's training size
            n_train = next(iter(cv.split(X, y)))[0].size
            batch, rate = auto_training(args.model, n_train, clf.batch_size)
            rate = rate if clf.learning_rate == "auto" else clf.learning_rate
            base = base or fit
            print(
                f"{name:36} {batch:5d} {rate:8.5f} {acc.mean():.4f} ± {acc.std():.4f} {fit:7.1f} "
                f"{fit / base:5.2f}x   folds {' '.join(f'{a:.4f}' for a in acc)}",
                flush=True,
            )
            rows.append(
                {
                    "model": args.model,
                    "n": n,
                    "setting": name,
                    "batch_size": int(batch),
                    "learning_rate": float(rate),
                    "accuracy": acc.tolist(),
                    "fit_seconds": res["fit_time"].tolist(),
                }
            )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        report = {"machine": machine(), "versions": versions(), "settings": vars(args)}
        path.write_text(json.dumps({**report, "rows": rows}, indent=1))
        print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
