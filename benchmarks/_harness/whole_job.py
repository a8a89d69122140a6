"""The README's main job (``mnist-estimators compare``) against the reference notebook."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mnist_estimators import load_mnist
from mnist_estimators._environment import tensorflow_onednn
from mnist_estimators._keras.runtime import keras

from .memory import watch_tree
from .networks import PREDICT_BATCH, _images, keras_network
from .runners import MAKERS


def _reference_both_once(X, y, Xt, yt) -> float:
    """Seconds of the reference notebook training both networks once and scoring the test set."""
    start = time.perf_counter()
    for model in MAKERS:
        keras.backend.clear_session()
        net = keras_network(model)
        net.fit(_images(model, X), y, batch_size=32, epochs=5, verbose=0)
        net.evaluate(_images(model, Xt), yt, batch_size=PREDICT_BATCH, verbose=0)
    return time.perf_counter() - start


def whole_job(
    n_jobs: str = "auto",
    out: str | None = None,
    models: list[str] | None = None,
    cv: int | None = None,
    interval: float = 2.0,
) -> dict:
    """Wall time and peak memory of the full comparison, against the reference notebook.

    The reference notebook trains both networks once on the complete MNIST (plain
    Keras, its settings: batch 32, Adam 0.001, 5 epochs) and scores the test set,
    before and again after ``mnist-estimators compare --dataset mnist``, which runs
    in a child process, its memory watched over the whole process tree. The ratio is
    against the faster of the two baselines.

    Parameters
    ----------
    n_jobs : str, default="auto"
        The ``--n-jobs`` of ``compare``.
    out : str, optional
        A new or empty folder for ``compare``'s report (``compare`` resumes from an
        old one and would skip the work); by default, a temporary folder.
    models : list of str, optional
        The ``--models`` of ``compare`` (e.g. ``["all"]``); by default its own.
    cv : int, optional
        The ``--cv`` of ``compare``; by default its own (5).
    interval : float, default=2.0
        Seconds between reads of the tree's memory (:func:`.memory.watch_tree`).

    Returns
    -------
    dict
        ``n_jobs``, ``compare_seconds``, ``peak_pss_gb`` and ``peak_rss_gb`` (the
        tree summed, sampled every ``interval``), ``peak_rss_one_process_gb``,
        ``memory`` (the peaks by role and the processes at the PSS peak:
        :class:`.memory.TreePeak`), ``reference_runs_seconds`` (both baselines),
        ``reference_both_once_seconds`` (the faster), ``ratio`` (compare over it),
        ``ratio_to_slower_reference``, ``reference_onednn`` (the reference's kernels:
        TensorFlow's default, as the notebook ran) and ``interval_s``.

    Raises
    ------
    SystemExit
        If ``out`` exists and is not empty.
    RuntimeError
        If ``compare`` fails.
    """
    # A fresh folder: compare resumes from an old one and would skip the work.
    if out is not None and Path(out).exists() and any(Path(out).iterdir()):
        raise SystemExit(f"--whole-job-out {out} is not empty: compare would resume from it")
    X, y = load_mnist("train", return_X_y=True)
    Xt, yt = load_mnist("test", return_X_y=True)
    references = [_reference_both_once(X, y, Xt, yt)]
    with tempfile.TemporaryDirectory(prefix="harness-compare-") as tmp:
        folder = out or tmp
        start = time.perf_counter()
        command = [sys.executable, "-m", "mnist_estimators.cli", "compare", "--dataset", "mnist"]
        command += ["--models", *models] if models else []
        command += ["--cv", str(cv)] if cv else []
        proc = subprocess.Popen([*command, "--out", folder, "--no-progress", "--n-jobs", n_jobs])
        peak = watch_tree(proc, interval)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"compare failed with exit code {proc.returncode}")
    references.append(_reference_both_once(X, y, Xt, yt))  # the baseline again, after
    reference = min(references)
    return {
        "n_jobs": n_jobs,
        "compare_seconds": wall,
        "peak_pss_gb": peak.pss_gb,
        "peak_rss_gb": peak.rss_gb,
        "peak_rss_one_process_gb": max(r["rss_gb"] for r in peak.by_role.values()),
        "memory": peak.to_dict(),
        "reference_both_once_seconds": reference,
        "reference_runs_seconds": references,
        "ratio": wall / reference,
        "ratio_to_slower_reference": wall / max(references),
        "reference_onednn": tensorflow_onednn(),  # as TensorFlow started here: its default
        "interval_s": interval,
    }
