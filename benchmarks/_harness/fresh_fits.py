"""Two ways of one process setting, compared fit by fit, each fit in a fresh process.

A setting such as glibc's mmap threshold or TensorFlow's allocator belongs to the whole
process, and a fit would inherit what the fit before it left in the heap, so each fit
runs in a process of its own: one network at its default batch, 2 epochs, in one
TensorFlow thread as a comparison's worker trains. The ways alternate within each round
and the rounds repeat, so that a drift of the machine's speed spreads over both. Each fit
reports its last epoch's training images/s, its minor page faults, the peak RSS of its
process and the process's USS (private memory) before and after the fit, once the
garbage is collected and glibc trimmed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable

NETWORKS = ("CNN", "LSTM")


def one_fit(net: str, n: int, setup: Callable[[], None]) -> dict:
    """One network's fit in this process, after ``setup()``; its rate, faults and memory."""
    import psutil

    from mnist_estimators import load_mnist
    from mnist_estimators._keras.runtime import BACKEND, configure_threads, start
    from mnist_estimators._memory import release_freed_memory
    from mnist_estimators.estimators import MODELS
    from mnist_estimators.estimators.registry import REFERENCE_MODELS

    if BACKEND.name != "tensorflow":
        raise SystemExit("These settings are TensorFlow's: run this with the TensorFlow backend.")
    configure_threads(1)
    start()
    setup()
    make = {MODELS[m].label: MODELS[m].make_pipeline for m in REFERENCE_MODELS}[net]
    X, y = load_mnist("train", return_X_y=True, n_samples=n, random_state=0)
    me = psutil.Process()
    uss_before = me.memory_full_info().uss
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    est = make(epochs=2, random_state=0).fit(X, y)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    rate = n / est[-1].history_["epoch_time"][-1]
    del est
    gc.collect()
    release_freed_memory()
    return {
        "rate": rate,
        "faults": faults,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "uss_before_mb": uss_before / 1e6,
        "uss_after_mb": me.memory_full_info().uss / 1e6,
    }


def main(
    description: str,
    script: str,
    ways: dict[str, dict[str, str]],
    setups: dict[str, Callable[[], None]] | None = None,
) -> None:
    """The command line of a comparison script: ``--n``, ``--rounds``.

    Parameters
    ----------
    description : str
        The script's first line, for ``--help``.
    script : str
        The script's own path (``__file__``): each fit runs it again with ``--one-fit``.
    ways : dict
        Each way's name -> the environment variables its processes get (the first way is
        the new one, the second the old).
    setups : dict, optional
        Each way's name -> what its process runs before the fit (in-process settings).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=32000, help="training images (default 32,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--one-fit", nargs=2, metavar=("NETWORK", "WAY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    setups = setups or {}
    if args.one_fit:
        net, way = args.one_fit
        print(json.dumps(one_fit(net, args.n, setups.get(way, lambda: None))))
        return
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset: TensorFlow's default)")
    print(f"TF_ENABLE_ONEDNN_OPTS={onednn}; Python {sys.version.split()[0]}", flush=True)
    rows: dict = {}
    for r in range(args.rounds):
        for net in NETWORKS:
            for way in ways if r % 2 == 0 else list(ways)[::-1]:
                out = subprocess.run(
                    [sys.executable, script, "--n", str(args.n), "--one-fit", net, way],
                    capture_output=True, text=True, check=True, env={**os.environ, **ways[way]},
                )  # fmt: skip
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.setdefault((net, way), []).append(row)
                print(
                    f"round {r + 1}: {net}, {way}: {row['rate']:,.0f} images/s, "
                    f"{row['faults']:,} page faults, peak RSS {row['peak_rss_mb']:,.0f} MB, "
                    f"USS {row['uss_before_mb']:,.0f} -> {row['uss_after_mb']:,.0f} MB",
                    flush=True,
                )
    print(f"\nMedians over {args.rounds} rounds, {args.n:,} images, 1 TensorFlow thread:")
    new, old = ways
    for net in NETWORKS:
        med = {
            (w, k): statistics.median(x[k] for x in rows[(net, w)])
            for w in ways
            for k in ("rate", "faults", "peak_rss_mb", "uss_before_mb", "uss_after_mb")
        }
        kept = {w: med[(w, "uss_after_mb")] - med[(w, "uss_before_mb")] for w in ways}
        print(
            f"{net}: {new} {med[(new, 'rate')]:,.0f} vs {old} {med[(old, 'rate')]:,.0f} images/s "
            f"({med[(new, 'rate')] / med[(old, 'rate')]:.2f}x); "
            f"{med[(new, 'faults')]:,.0f} vs {med[(old, 'faults')]:,.0f} page faults per fit; "
            f"peak RSS {med[(new, 'peak_rss_mb')]:,.0f} vs {med[(old, 'peak_rss_mb')]:,.0f} MB; "
            f"USS kept after the fit +{kept[new]:,.0f} vs +{kept[old]:,.0f} MB"
        )
