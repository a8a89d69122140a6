"""Where the main job's memory goes, and its peak over all its processes.

    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_memory.py --budget
    MNIST_ESTIMATORS_DATA=../shared/data/mnist python benchmarks/bench_memory.py --main-job

``--budget`` runs, in this one process set up as a comparison's worker is (one
TensorFlow thread), what a worker of the README's main job runs: the complete MNIST
loaded, one CV fold of each network (48,000 images, the defaults, the held-out fold
evaluated every epoch) and the CNN's refit on 60,000. It prints this process's memory
(USS: its own pages; PSS; RSS) after each stage and its peak during it, and the kinds of
memory at the end (``/proc/self/smaps_rollup``): the per-process budget.

``--main-job`` runs the README's main job (``mnist-estimators compare --dataset mnist``)
in a child process, sampling its whole process tree every 2 s, between two runs of
the reference notebook's training (both networks once, plain Keras) in this process,
and prints the peak PSS summed over the processes (shared pages counted once), RSS
beside it, the peaks by role, the processes at the peak, and the wall-time ratio to the
reference. ``--json`` keeps everything with the machine's description.

Run it where the README's command installs (``pip install -e ".[plot]"`` and psutil), not
in a venv with PyTorch and JAX (the ``bench`` extra): TensorFlow imports JAX where it is
installed (``tensorflow.lite``), about 0.1 GB per process, and until 2026-12-04 the
package imported skops at once, which imports PyTorch too (0.5 GB per process then).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness.memory import smaps_rollup


class _Stages:
    """This process's memory per stage: at its end, and its peak during it (a thread
    reads it every 0.1 s)."""

    def __init__(self):
        self.process = psutil.Process()
        self.rows: list[dict] = []
        self._peak = 0.0
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, self.process.memory_full_info().pss)
            time.sleep(0.1)

    def mark(self, stage: str) -> None:
        time.sleep(0.3)  # one more sample of the stage
        m = self.process.memory_full_info()
        self.rows.append(
            {"stage": stage, "uss_mb": m.uss / 1e6, "pss_mb": m.pss / 1e6, "rss_mb": m.rss / 1e6,
             "peak_pss_mb": self._peak / 1e6}
        )  # fmt: skip
        r = self.rows[-1]
        print(
            f"  {stage:44} USS {r['uss_mb']:6.0f} MB  PSS {r['pss_mb']:6.0f} MB  "
            f"RSS {r['rss_mb']:6.0f} MB  peak PSS during it {r['peak_pss_mb']:6.0f} MB",
            flush=True,
        )
        self._peak = m.pss


def budget() -> dict:
    """One worker's memory, stage by stage (see the module docstring)."""
    stages = _Stages()
    stages.mark("Python, NumPy, pandas, scikit-learn")
    from mnist_estimators.cli import _choose_onednn

    _choose_onednn()  # oneDNN as the command line sets it for its workers: before TensorFlow
    from mnist_estimators._environment import tensorflow_onednn
    from mnist_estimators.evaluation.parallel import configure_tensorflow_threads

    print(f"  TensorFlow: {tensorflow_onednn()}")

    configure_tensorflow_threads(1)
    from sklearn.model_selection import StratifiedKFold

    from mnist_estimators import load_mnist, make_cnn_pipeline, make_lstm_pipeline
    from mnist_estimators._keras.runtime import start
    from mnist_estimators.evaluation.folds import Task, _InPackageLoop, evaluate

    start()
    stages.mark("+ Keras and TensorFlow, runtime started")
    X, y = load_mnist("train", return_X_y=True)
    Xt, yt = load_mnist("test", return_X_y=True)
    stages.mark("+ complete MNIST (uint8)")
    models = {"CNN": make_cnn_pipeline(), "LSTM": make_lstm_pipeline()}
    train, test = next(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    run = _InPackageLoop(evaluate)
    for net in models:
        run(Task(net, 0, 0, train, test), X, y, Xt, yt, models, True)
        stages.mark(f"+ a CV fold of the {net} (48,000 images)")
    run(Task("CNN", 0), X, y, Xt, yt, models, True)
    stages.mark("+ the CNN's refit (60,000) and test")
    gc.collect()
    stages.mark("+ gc.collect()")
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        stages.mark("+ malloc_trim(0)")
    except OSError:  # not glibc
        pass
    kinds = smaps_rollup()
    print(
        "  at the end, by kind: "
        + ", ".join(
            f"{k} {kinds.get(k, 0):.0f} MB" for k in ("Rss", "Pss", "Anonymous", "Pss_File")
        )
    )
    return {"stages": stages.rows, "smaps_rollup_mb": kinds, "onednn": tensorflow_onednn()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", action="store_true", help="one worker's memory by stage")
    parser.add_argument(
        "--main-job", action="store_true", help="the main job's peak, all processes"
    )
    parser.add_argument("--n-jobs", default="auto", help="the main job's --n-jobs (default: auto)")
    parser.add_argument(
        "--out", default=None, help="keep the main job's report and records in this new folder"
    )
    parser.add_argument(
        "--models", nargs="+", default=None,
        help="the main job's --models (default: its own, cnn lstm); e.g. all, for the model zoo",
    )  # fmt: skip
    parser.add_argument("--cv", type=int, default=None, help="the main job's --cv (default: 5)")
    parser.add_argument(
        "--interval", type=float, default=2.0,
        help="seconds between reads of the main job's memory (default 2; each read of a "
        "process's PSS costs about 20 ms of CPU taken from the job)",
    )  # fmt: skip
    parser.add_argument("--json", default="runs/bench/memory.json", help="where the JSON goes")
    args = parser.parse_args(argv)
    if not (args.budget or args.main_job):
        parser.error("say what to measure: --budget and/or --main-job")
    from mnist_estimators._environment import machine, versions

    report = {"machine": machine(), "versions": versions()}
    print(report["machine"])
    if args.budget:
        print("One worker's memory by stage:")
        report["budget"] = budget()
    if args.main_job:
        from _harness.whole_job import whole_job  # imports the package, Keras and TensorFlow

        w = whole_job(args.n_jobs, args.out, args.models, args.cv, interval=args.interval)
        report["main_job"] = w
        m = w["memory"]
        print(
            f"Main job (--n-jobs {w['n_jobs']}): {w['compare_seconds']:.0f} s; peak PSS summed over "
            f"the processes {w['peak_pss_gb']:.2f} GB (RSS {w['peak_rss_gb']:.2f} GB), "
            f"{m['samples']} samples, read in {m['sampler_cpu_s']:.0f} CPU s"
        )
        for name, peak in m["by_role"].items():
            print(f"  largest {name}: PSS {peak['pss_gb']:.2f} GB, RSS {peak['rss_gb']:.2f} GB")
        print(f"  at the PSS peak, {m['peak_at_s']:.0f} s into the job's {m['seconds']:.0f} s: " + "; ".join(
            f"{r['role']} {r['pid']} PSS {r['pss_gb']:.2f} GB (USS {r['uss_gb']:.2f})"
            for r in m["at_peak"]
        ))  # fmt: skip
        print(
            f"  reference notebook, both networks once: "
            f"{' s and '.join(f'{r:.0f}' for r in w['reference_runs_seconds'])} s (before and "
            f"after; {w['reference_onednn']}); the main job is {w['ratio']:.2f}x the faster"
        )
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, default=str))
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
