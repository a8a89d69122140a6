"""Shared fixtures. Real data comes from ../shared/data/mnist, the complete official MNIST
(or $MNIST_ESTIMATORS_DATA); a missing folder is a test failure, never a skip."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MNIST = REPO.parent / "shared" / "data" / "mnist"


def pytest_configure(config):
    """Under pytest-xdist (``-n N``), each worker process gives TensorFlow its share of the
    cores, as the package's own parallel workers do: N processes of one thread each ran
    faster than one process using every core (benchmarks/bench_parallel.py)."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        from mnist_estimators.evaluation.parallel import configure_tensorflow_threads, usable_cores

        configure_tensorflow_threads(max(1, usable_cores() // workers))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    path = Path(os.environ.get("MNIST_ESTIMATORS_DATA") or DEFAULT_MNIST)
    if not (path / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.fail(
            f"Real MNIST files not found in {path}. Set MNIST_ESTIMATORS_DATA to the folder "
            "with the IDX files (../shared/data/mnist beside the repository).",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def mnist_small(mnist_dir):
    """2,000 training and 1,000 official test images (stratified, seeded)."""
    from mnist_estimators import load_mnist

    X, y = load_mnist("train", return_X_y=True, data_dir=mnist_dir, n_samples=2000, random_state=0)
    Xt, yt = load_mnist("test", return_X_y=True, data_dir=mnist_dir, n_samples=1000, random_state=0)
    return X, y, Xt, yt


@pytest.fixture(scope="session")
def digits():
    from mnist_estimators import load_digits_images

    return load_digits_images("all", return_X_y=True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
