"""Keras' backends side by side: training images/s of each network on each, in one run.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_backends.py

For every installed backend (TensorFlow, JAX, PyTorch) and each network (the
reference CNN and LSTM) it measures, on the same images, one epoch each, fixed cost
included:

* ``ours-defaults``: our pipeline at its defaults (CNN batch 128, LSTM batch 16);
* ``ours@B``: our pipeline at the reference's training settings and batch ``B``;
* ``keras@B``: the same network in plain Keras on that backend, compiled as Keras
  compiles by default;

and, as the baseline of every ratio, ``torch-loop@B``: PyTorch's own ``nn.Conv2d`` /
``nn.LSTM`` network and training loop (``benchmarks/torch_reference.py``) at each
batch size used (the defaults' and ``--batch-sizes``).

Each backend runs in a process of its own (``KERAS_BACKEND``; a process holds one
backend): round ``r`` runs every backend's variants once, then the PyTorch loops,
before round ``r + 1``. Medians over ``--repeats`` rounds, with the min-max spread.
The CPU, its vector flags and ``TF_ENABLE_ONEDNN_OPTS`` (TensorFlow runs oneDNN's
kernels by default only on CPUs with AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX) are
printed beside the table, because a rate says nothing across machines.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from mnist_estimators._environment import cpu_model, machine, tensorflow_onednn, versions

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # for _harness, imported by the children
    sys.path.insert(0, str(HERE))

BACKENDS = ("tensorflow", "jax", "torch")
#: Each pipeline's default batch size (its training defaults table), for the baselines.
DEFAULT_BATCH = {"cnn": 128, "lstm": 16}


def installed_backends() -> list[str]:
    """The backends whose library is installed (found without importing it)."""
    return [b for b in BACKENDS if importlib.util.find_spec(b) is not None]


def child(backend: str, n: int, epochs: int, batch_sizes: list[int]) -> dict:
    """One round of every variant in this process, on ``backend``: seconds per variant."""
    from _harness.runners import run_keras, run_ours

    from mnist_estimators import load_mnist
    from mnist_estimators._keras.runtime import BACKEND, device_description

    assert BACKEND.name == backend, (BACKEND.name, backend)
    X, y = load_mnist("train", return_X_y=True, n_samples=n, random_state=0)
    Xt, _ = load_mnist("test", return_X_y=True, n_samples=2000, random_state=0)
    out: dict = {"device": device_description(), "fit_seconds": {}}
    for model in ("cnn", "lstm"):
        runs = {"ours-defaults": lambda m=model: run_ours(m, X, y, Xt, epochs)}
        for b in batch_sizes:
            runs[f"ours@{b}"] = lambda m=model, b=b: run_ours(m, X, y, Xt, epochs, b)
            runs[f"keras@{b}"] = lambda m=model, b=b: run_keras(m, X, y, Xt, epochs, b)
        for name, run in runs.items():
            out["fit_seconds"][f"{model} {name}"] = run()[0]
    return out


def run_child(backend: str, args) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend}
    cmd = [sys.executable, __file__, "--child", backend, "--n", str(args.n)]
    cmd += ["--epochs", str(args.epochs), "--batch-sizes", *map(str, args.batch_sizes)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{backend} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_loops(args, X, y, Xt) -> dict:
    from _harness.torch_loop import run_torch

    out = {}
    for model in ("cnn", "lstm"):
        for b in sorted({DEFAULT_BATCH[model], *args.batch_sizes}):
            out[f"{model} torch-loop@{b}"] = run_torch(model, X, y, Xt, args.epochs, b)[0]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="training images (default 20,000)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128])
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=None)
    parser.add_argument("--json", default="runs/bench/backends.json")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.n, args.epochs, args.batch_sizes)))
        return 0
    backends = args.backends or installed_backends()
    with_torch = importlib.util.find_spec("torch") is not None
    from mnist_estimators.datasets import load_mnist  # no Keras in this process

    X, y = load_mnist("train", return_X_y=True, n_samples=args.n, random_state=0)
    Xt, _ = load_mnist("test", return_X_y=True, n_samples=2000, random_state=0)
    header = {
        "machine": machine(),
        "cpu": cpu_model(),
        "tensorflow": tensorflow_onednn(),
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "versions": versions(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "child")},
    }
    print(header["machine"], "|", header["tensorflow"], flush=True)
    seconds: dict[str, list[float]] = {}
    devices = {}
    for r in range(args.repeats):
        for backend in backends:
            start = time.perf_counter()
            res = run_child(backend, args)
            devices[backend] = res["device"]
            for name, s in res["fit_seconds"].items():
                seconds.setdefault(f"{backend} {name}", []).append(s)
            print(
                f"  round {r + 1}/{args.repeats} {backend}: {time.perf_counter() - start:.0f} s",
                flush=True,
            )
        if with_torch:
            for name, s in torch_loops(args, X, y, Xt).items():
                seconds.setdefault(name, []).append(s)
    rates = {k: [args.n * args.epochs / s for s in v] for k, v in seconds.items()}
    table = print_table(rates, backends, args)
    report = {**header, "devices": devices, "images_per_s": rates, "table": table}
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1))
    print(f"JSON: {path}")
    return 0


def print_table(rates: dict, backends: list[str], args) -> list[dict]:
    """Print medians (min-max) per network, variant and backend, and the ratio of each to
    PyTorch's own loop at the same batch size; return the rows."""
    rows = []
    print(
        "\nTraining images/s, median (min-max) of",
        args.repeats,
        "rounds;",
        args.n,
        "images,",
        args.epochs,
        "epoch(s), fixed cost included",
    )
    print(f"| network | variant | batch | {' | '.join(backends)} | PyTorch's own loop |")
    print("|---|---|---|" + "---|" * (len(backends) + 1))
    for model in ("cnn", "lstm"):
        variants = ["ours-defaults"] + [
            f"{v}@{b}" for b in args.batch_sizes for v in ("ours", "keras")
        ]
        for variant in variants:
            batch = (
                DEFAULT_BATCH[model] if variant == "ours-defaults" else int(variant.split("@")[1])
            )
            base = rates.get(f"{model} torch-loop@{batch}")
            base_med = statistics.median(base) if base else None
            row = {"network": model, "variant": variant, "batch": batch}
            cells = []
            for backend in backends:
                sample = rates.get(f"{backend} {model} {variant}")
                if not sample:
                    cells.append("-")
                    continue
                med = statistics.median(sample)
                row[backend] = med
                ratio = f", {med / base_med:.2f}x" if base_med else ""
                cells.append(f"{med:,.0f} ({min(sample):,.0f}-{max(sample):,.0f}){ratio}")
            row["torch-loop"] = base_med
            rows.append(row)
            loop = f"{base_med:,.0f}" if base_med else "-"
            print(f"| {model} | {variant} | {batch} | {' | '.join(cells)} | {loop} |")
    return rows


if __name__ == "__main__":
    sys.exit(main())
