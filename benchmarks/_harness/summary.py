"""Summaries of the samples, the ratios between them, and the machine's thread settings."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys


def _median(values: list[float]) -> float:
    """The median, as :func:`statistics.median` computes it."""
    return statistics.median(values)


def summarise(samples: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Median, min and max of the training and prediction rates of each variant.

    Parameters
    ----------
    samples : dict
        Variant name -> samples, each with ``train_images_per_s`` and
        ``predict_images_per_s`` (as :func:`measure.throughput` returns them).

    Returns
    -------
    dict
        Variant name -> ``train_median``, ``train_min``, ``train_max``,
        ``predict_median``, ``predict_min``, ``predict_max``.
    """
    out = {}
    for name, runs in samples.items():
        train = [r["train_images_per_s"] for r in runs]
        pred = [r["predict_images_per_s"] for r in runs]
        out[name] = {
            "train_median": _median(train),
            "train_min": min(train),
            "train_max": max(train),
            "predict_median": _median(pred),
            "predict_min": min(pred),
            "predict_max": max(pred),
        }
    return out


def ratios(model: str, summary: dict[str, dict[str, float]], batch_sizes: list[int]) -> dict:
    """The issue's targets, as ratios of this run's median training rates.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network (not used in the figures).
    summary : dict
        As :func:`summarise` returns it: ``ours-defaults`` and, for every batch size
        ``B``, ``ours@B``, ``ours@B-unseeded``, ``keras@B`` and ``keras-matched@B``;
        ``torch@B`` optional.
    batch_sizes : list of int
        The batch sizes to compare at.

    Returns
    -------
    dict
        For every ``B``: the wrapper's overhead (``keras-matched@B`` over ``ours@B``,
        seeded and unseeded), ``ours@B`` over ``keras@B`` and over the fastest
        other variant at ``B`` (plain Keras either way, PyTorch); then ``ours-defaults``
        over the fastest plain Keras variant and, with PyTorch variants, over the
        fastest of those.
    """
    med = {k: v["train_median"] for k, v in summary.items()}
    out = {}
    for b in batch_sizes:
        matched = med[f"keras-matched@{b}"]
        out[f"wrapper_overhead@{b} (keras-matched/ours, seeded)"] = matched / med[f"ours@{b}"]
        out[f"wrapper_overhead@{b} (keras-matched/ours, unseeded)"] = (
            matched / med[f"ours@{b}-unseeded"]
        )
        out[f"ours@{b} / plain Keras@{b} as compiled by default"] = (
            med[f"ours@{b}"] / med[f"keras@{b}"]
        )
        others = [v for k, v in med.items() if k.endswith(f"@{b}") and not k.startswith("ours")]
        out[f"ours@{b} / fastest other way at batch {b}"] = med[f"ours@{b}"] / max(others)
    keras_best = max(v for k, v in med.items() if k.startswith("keras"))
    out["defaults / best plain Keras"] = med["ours-defaults"] / keras_best
    torch_rates = [v for k, v in med.items() if k.startswith("torch@")]
    if torch_rates:
        out["defaults / best PyTorch"] = med["ours-defaults"] / max(torch_rates)
    return out


def thread_settings() -> dict:
    """TensorFlow's and PyTorch's thread settings, and the cores this process may use.

    Returns
    -------
    dict
        ``tf_intra_op``, ``tf_inter_op``, ``OMP_NUM_THREADS``, ``cpu_count``,
        ``usable_cores``; with PyTorch installed, ``torch_version`` and
        ``torch_threads``, asked in a child process (TensorFlow and PyTorch do not
        share one).
    """
    import tensorflow as tf

    from .torch_loop import _torch_available

    out = {
        "tf_intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "tf_inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
    }
    if _torch_available():  # asked in a child process: torch and TF do not share one
        probe = (
            "import torch, json; print(json.dumps([torch.__version__, torch.get_num_threads()]))"
        )
        res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        if res.returncode == 0:
            out["torch_version"], out["torch_threads"] = json.loads(
                res.stdout.strip().splitlines()[-1]
            )
    return out
