"""The fastest computation of each network on this machine, measured; the table's entries.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_paths.py
    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_paths.py --write

For the backend Keras runs (``KERAS_BACKEND``), in fresh processes, on MNIST training
images: every path of the LSTM (:mod:`mnist_estimators._keras.paths`: the loop unrolled
into the graph, the backend's fused kernel, Keras' own loop), each first checked to
compute the same network, and the CNN at its default batch. On TensorFlow it does so
twice, with oneDNN's kernels off and on (``TF_ENABLE_ONEDNN_OPTS``, which only takes
effect before TensorFlow starts, hence the processes). The processes themselves are
interleaved: ``--rounds`` rounds (default 3), each starting one process per oneDNN state,
the states' order alternating from round to round, so that a drift of the machine's speed
spreads over both; within a process the LSTM's paths are interleaved epoch by epoch.
Every rate is the median of a path's epochs over all rounds. It prints each path's training images/s and its ratio to the fastest,
and which oneDNN state trains both networks fastest (the main job's time per image:
``1 / CNN rate + 1 / best LSTM rate``). With ``--write`` it writes the entries into the
table (the package's committed one by default, ``--table`` for another), where
``LSTMClassifier(unroll="auto")`` and the command line read them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, statistics, sys, time
import numpy as np
from mnist_estimators._keras.runtime import configure_threads
if int(sys.argv[4]):
    configure_threads(int(sys.argv[4]))  # before the backend starts
from mnist_estimators import load_mnist, make_cnn_pipeline
from mnist_estimators._environment import machine
from mnist_estimators._keras import paths
from mnist_estimators.estimators import auto_training
n, repeats, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
X, y = load_mnist("train", return_X_y=True, n_samples=n, random_state=0)
lstm = paths.measure((X.reshape(-1, 28, 28) / 255.0).astype("float32"), y,
                     batch_size=auto_training("lstm", n)[0], repeats=repeats)
cnn = make_cnn_pipeline(epochs=1, random_state=0).fit(X, y)  # traces; untimed
rates = []
for _ in range(repeats):
    cnn.fit(X, y)
    rates.append(n / cnn[-1].history_["epoch_time"][-1])
json.dump({"key": paths.machine_key(), "machine": machine(), "lstm": lstm,
           "cnn_rate": statistics.median(rates), "cnn_samples": rates,
           "cnn_batch": auto_training("cnn", n)[0]}, open(out, "w"))
"""


def _measure(n: int, repeats: int, env: dict, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        subprocess.run(
            [sys.executable, "-c", CHILD, str(n), str(repeats), str(out), str(threads)],
            env=env,
            check=True,
        )
        return json.loads(out.read_text())


def _pooled(runs: list[dict]) -> dict:
    """One state's processes as one measurement: every epoch's rate pooled, medians of them.

    Examples
    --------
    >>> run = {"key": {}, "machine": "m", "cnn_batch": 256, "cnn_samples": [3.0],
    ...        "lstm": {"samples": {"a": [1.0], "b": [4.0]},
    ...                 "max_difference": {"a": 0.0, "b": 1e-8}}}
    >>> other = {**run, "cnn_samples": [5.0, 4.0],
    ...          "lstm": {"samples": {"a": [6.0], "b": [2.0]},
    ...                   "max_difference": {"a": 0.0, "b": 2e-8}}}
    >>> r = _pooled([run, other])
    >>> r["cnn_rate"], r["lstm"]["rates"], r["lstm"]["path"], r["lstm"]["max_difference"]["b"]
    (4.0, {'a': 3.5, 'b': 3.0}, 'a', 2e-08)
    """
    samples = {
        p: [s for r in runs for s in r["lstm"]["samples"][p]] for p in runs[0]["lstm"]["samples"]
    }
    rates = {p: statistics.median(v) for p, v in samples.items()}
    cnn_samples = [s for r in runs for s in r["cnn_samples"]]
    lstm = {
        "rates": rates,
        "samples": samples,
        "max_difference": {p: max(r["lstm"]["max_difference"][p] for r in runs) for p in samples},
        "path": max(rates, key=rates.get),
    }
    return {
        **runs[0],
        "lstm": lstm,
        "cnn_rate": statistics.median(cnn_samples),
        "cnn_samples": cnn_samples,
        "processes": len(runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="training images (default 20,000)")
    parser.add_argument(
        "--repeats", type=int, default=1,
        help="timed epochs per path in each process (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="rounds of processes, one per oneDNN state each, interleaved (default 3)",
    )  # fmt: skip
    parser.add_argument(
        "--threads", type=int, default=0,
        help="the backend's threads in each measuring process (default: its own choice, all "
        "cores; 1 is what each worker of the main job gets)",
    )  # fmt: skip
    parser.add_argument("--write", action="store_true", help="write the entries into the table")
    parser.add_argument("--table", default=None, help="the table file (default: the package's)")
    parser.add_argument("--json", default="runs/bench/paths.json", help="where the JSON goes")
    args = parser.parse_args(argv)
    from mnist_estimators._environment import now_iso
    from mnist_estimators._keras import path_table
    from mnist_estimators._keras.backends import configured_backend

    backend = configured_backend()
    states = ("off", "on") if backend == "tensorflow" else (None,)
    rounds: dict = {state: [] for state in states}
    for i in range(args.rounds):
        for state in states if i % 2 == 0 else states[::-1]:
            env = dict(os.environ)
            if state is not None:
                env["TF_ENABLE_ONEDNN_OPTS"] = "1" if state == "on" else "0"
            print(f"round {i + 1}/{args.rounds}, oneDNN {state or '(not TensorFlow)'}", flush=True)
            rounds[state].append(_measure(args.n, args.repeats, env, args.threads))
    results = {}
    for state in states:
        r = results[state or backend] = _pooled(rounds[state])
        lstm = r["lstm"]
        best = max(lstm["rates"].values())
        print(f"{r['machine']}; key {r['key']}")
        print(f"  CNN (batch {r['cnn_batch']}): {r['cnn_rate']:,.0f} images/s")
        for path, rate in sorted(lstm["rates"].items(), key=lambda kv: -kv[1]):
            print(
                f"  LSTM {path:9} {rate:8,.0f} images/s  {rate / best:.2f}x the fastest  "
                f"(largest difference from Keras' loop {lstm['max_difference'][path]:.1e})"
            )
    per_image = {
        state: 1 / r["cnn_rate"] + 1 / max(r["lstm"]["rates"].values())
        for state, r in results.items()
    }
    fastest = min(per_image, key=per_image.get)
    if backend == "tensorflow":
        other = "on" if fastest == "off" else "off"
        print(
            f"oneDNN {fastest} trains both networks fastest: "
            f"{per_image[other] / per_image[fastest]:.2f}x oneDNN {other}'s time per image"
        )
    table = Path(args.table) if args.table else path_table.COMMITTED_TABLE
    if args.write:
        facts = {"measured": now_iso()[:10], "images": args.n, "repeats": args.repeats,
                 "rounds": args.rounds,
                 "threads": args.threads or "the backend's default",
                 "command": " ".join(["python", *sys.argv])}  # fmt: skip
        for r in results.values():
            path_table.write_entry(table, {
                "key": r["key"], "path": r["lstm"]["path"], "rates": r["lstm"]["rates"],
                "max_difference": r["lstm"]["max_difference"], "machine": r["machine"],
                "cnn_rate": r["cnn_rate"], **facts,
            })  # fmt: skip
        if backend == "tensorflow":
            key = {k: v for k, v in results[fastest]["key"].items() if k != "onednn"}
            path_table.write_entry(table, {
                "kind": "onednn", "key": key, "onednn": fastest,
                "seconds_per_image": per_image, **facts,
            })  # fmt: skip
        print(f"entries written to {table}")
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1))
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
