"""PyTorch's own training loop on the reference networks, in a child process.

Imports neither Keras nor TensorFlow, so that a process on any backend, or none, can
run it (``benchmarks/bench_backends.py`` runs it from a process without Keras).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

TORCH_WORKER = Path(__file__).resolve().parents[1] / "torch_reference.py"


def run_torch(
    model: str, X: np.ndarray, y: np.ndarray, Xt: np.ndarray, epochs: int, batch_size: int
) -> tuple[float, float]:
    """Fit and predict seconds of the reference network in PyTorch, in a child process.

    TensorFlow and PyTorch in one process crash here (both load their own OpenMP
    and oneDNN runtimes: segmentation fault), so PyTorch runs in a fresh
    interpreter (``benchmarks/torch_reference.py``) on the same arrays, passed
    through a temporary .npz file.

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    X, y : np.ndarray
        Training images (flat, 0-255) and labels.
    Xt : np.ndarray
        Images to predict.
    epochs : int
        Training epochs.
    batch_size : int
        Training batch size.

    Returns
    -------
    tuple of float
        Seconds of training and of prediction, as the child measured them.
    """
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.npz"
        np.savez(data, X=X, y=y, Xt=Xt)
        out = subprocess.run(
            [
                sys.executable,
                str(TORCH_WORKER),
                str(data),
                model,
                str(epochs),
                str(batch_size),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    fit, predict = json.loads(out.stdout.strip().splitlines()[-1])
    return fit, predict


def _torch_available() -> bool:
    """Whether PyTorch is installed (found without importing it)."""
    return importlib.util.find_spec("torch") is not None


def _torch_available() -> bool:
    """Whether PyTorch is installed (found without importing it)."""
    return importlib.util.find_spec("torch") is not None
