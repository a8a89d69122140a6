"""One tuning budget for every model of the registry: the same grid size, the same CV.

A ranking of models measures the models only if each got the same tuning effort. Every
network gets the same grid, batch size x learning rate (cosine decay, its registry
``standardize``), plus its current defaults as one more candidate; every baseline gets a
grid of the same size over its own two main knobs. Each candidate is cross-validated
(3 folds, the same stratified folds for all) on the same stratified subset of the MNIST
training images, 5 epochs, by the package's own resumable grid search
(:func:`mnist_estimators.evaluation.search.grid_search`). The script prints, per model,
each candidate's mean CV accuracy and fit time, and the winner; ``--json`` keeps it all.

Usage (resumable: run the same command again after a kill)::

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_tuning_budget.py \\
        --n 10000 --out runs/tuning-budget
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mnist_estimators import load_mnist
from mnist_estimators._environment import machine, versions
from mnist_estimators.estimators import MODELS, make_pipeline
from mnist_estimators.evaluation.search import grid_search

#: The networks' grid: every network gets exactly this one (plus its defaults).
NETWORK_GRID = {"batch_size": [32, 128], "learning_rate": [0.001, 0.003]}
#: The baselines' grids, of the same size, over each one's own main knobs.
BASELINE_GRIDS = {
    "logreg": {"C": [0.1, 1.0], "max_iter": [100, 300]},
    "hgb": {"learning_rate": [0.1, 0.3], "max_iter": [30, 60]},
}


def _grid(name: str) -> list[dict]:
    """The candidates of one model, as a ``param_grid`` list for its pipeline's last step."""
    spec = MODELS[name]
    step = make_pipeline(name).steps[-1][0]
    if spec.kind == "network":
        grid = {f"{step}__{k}": v for k, v in NETWORK_GRID.items()}
        defaults = {f"{step}__batch_size": [spec.training.get("batch_size", "auto")]}
        return [grid, defaults]
    return [{f"{step}__{k}": v for k, v in BASELINE_GRIDS[name].items()}]


def main(argv: list[str] | None = None) -> int:
    """Run every model's grid, print the tables and the winners, write the JSON.

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
    parser.add_argument("--n", type=int, default=10_000, help="training images (stratified)")
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--out", required=True, help="folder of the searches (resumable)")
    parser.add_argument("--json", help="where to write the results (default: OUT/budget.json)")
    args = parser.parse_args(argv)
    X, y = load_mnist("train", return_X_y=True, n_samples=args.n, random_state=0)
    out = Path(args.out)
    print(f"Tuning budget: {args.n:,} training images, {args.cv}-fold CV, {args.epochs} epochs")
    print(f"Machine: {machine()}")
    rows = {}
    for name in args.models:
        spec = MODELS[name]
        params = {"epochs": args.epochs} if spec.kind == "network" else {}
        result = grid_search(
            make_pipeline(name, **params),
            _grid(name),
            X,
            y,
            cv=args.cv,
            random_state=0,
            out_dir=out / name,
            n_jobs=args.n_jobs,
            progress=False,
        )
        s = result.summary
        best = s["accuracy_mean"].idxmax()
        rows[name] = {
            "candidates": {
                c: {"accuracy": float(s.loc[c, "accuracy_mean"]),
                    "accuracy_std": float(s.loc[c, "accuracy_std"]),
                    "fit_time": float(s.loc[c, "fit_time_mean"])}
                for c in s.index
            },
            "best": best,
        }  # fmt: skip
        print(f"\n{spec.label}")
        for c in s.index:
            mark = "  <- best" if c == best else ""
            print(
                f"  {c:40s} {s.loc[c, 'accuracy_mean']:.4f} ± {s.loc[c, 'accuracy_std']:.4f}"
                f"  {s.loc[c, 'fit_time_mean']:7.1f} s{mark}"
            )
    path = Path(args.json or out / "budget.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"n": args.n, "cv": args.cv, "epochs": args.epochs, "network_grid": NETWORK_GRID,
              "baseline_grids": BASELINE_GRIDS}  # fmt: skip
    path.write_text(json.dumps({"machine": machine(), "versions": versions(), "config": config,
                                "models": rows}, indent=1))  # fmt: skip
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
