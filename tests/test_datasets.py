"""Data loaders: real MNIST, Fashion-MNIST from Debian, and tiny files written here."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import socket
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from mnist_estimators import load_digits_images, load_fashion_mnist, load_mnist
from mnist_estimators.datasets import (
    DataFileError,
    DatasetNotFoundError,
    IncompleteDatasetWarning,
    describe_datasets,
    read_idx,
)
from mnist_estimators.datasets import sources as sources_mod

TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
FASHION = Path("/usr/share/datasets/fashion-mnist")


# -- helpers: tiny IDX files --------------------------------------------------------
def idx_bytes(arr: np.ndarray) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    header = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    return header + arr.tobytes()


def write_tiny(folder: Path, n_train=30, n_test=20, gz=True, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    data = {}
    for split, prefix, n in (("train", "train", n_train), ("test", "t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            raw = idx_bytes(arr)
            name = f"{prefix}-{kind}-ubyte"
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
            else:
                (folder / name).write_bytes(raw)
        data[split] = (images, labels)
    return data


def write_npz(path: Path, data: dict) -> None:
    """The tiny data set of ``write_tiny`` as a Keras-format ``mnist.npz``."""
    np.savez(
        path,
        x_train=data["train"][0],
        y_train=data["train"][1],
        x_test=data["test"][0],
        y_test=data["test"][1],
    )


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No env var, empty caches: only what a test puts in place is found."""
    monkeypatch.delenv("MNIST_ESTIMATORS_DATA", raising=False)
    monkeypatch.setenv("MNIST_ESTIMATORS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    fashion = dataclasses.replace(sources_mod.DATASETS["fashion-mnist"], system_dirs=())
    monkeypatch.setitem(sources_mod.DATASETS, "fashion-mnist", fashion)
    return tmp_path


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(self, address, *a, **k):
        calls.append(address)
        raise AssertionError(f"network touched: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return calls


# -- real MNIST ----------------------------------------------------------------------
def test_real_mnist_shapes_dtypes_and_official_test_counts(mnist_dir, no_network):
    bunch = load_mnist("test", data_dir=mnist_dir)
    assert bunch.data.shape == (10000, 784) and bunch.data.dtype == np.uint8
    assert bunch.images.shape == (10000, 28, 28) and np.shares_memory(bunch.data, bunch.images)
    assert bunch.target.dtype == np.int64 and bunch.target.min() == 0 and bunch.target.max() == 9
    assert np.bincount(bunch.target).tolist() == TEST_COUNTS
    assert bunch.complete and "COMPLETE: yes" in bunch.DESCR
    assert not no_network


TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_complete_mnist_training_split(mnist_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error", IncompleteDatasetWarning)
        bunch = load_mnist("train", data_dir=mnist_dir)
    assert bunch.data.shape == (60000, 784) and bunch.complete
    assert np.bincount(bunch.target).tolist() == TRAIN_COUNTS  # the official label counts
    assert "COMPLETE: yes" in bunch.DESCR


def test_partial_training_split_says_so(tmp_path):
    write_tiny(tmp_path, n_train=50, n_test=20)
    with pytest.warns(IncompleteDatasetWarning, match="50 images, not the official 60,000"):
        bunch = load_mnist("train", data_dir=tmp_path)
    assert bunch.data.shape == (50, 784) and not bunch.complete
    assert "COMPLETE: NO" in bunch.DESCR
    with pytest.warns(IncompleteDatasetWarning):
        X, y = load_mnist("all", return_X_y=True, data_dir=tmp_path)
    assert X.shape == (70, 784)
    rows = {r["name"]: r for r in describe_datasets(tmp_path)}
    assert not rows["mnist"]["complete"] and "50 of 60,000" in rows["mnist"]["note"]


def test_env_var_is_used(mnist_dir, monkeypatch, isolated, no_network):
    monkeypatch.setenv("MNIST_ESTIMATORS_DATA", str(mnist_dir))
    bunch = load_mnist("test")
    assert bunch.origin == "MNIST_ESTIMATORS_DATA" and bunch.data.shape == (10000, 784)


# -- Fashion-MNIST from Debian's package ---------------------------------------------------
def test_fashion_mnist_from_debian(monkeypatch):
    monkeypatch.delenv("MNIST_ESTIMATORS_DATA", raising=False)
    assert FASHION.is_dir(), (
        "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"
    )
    bunch = load_fashion_mnist("all")
    assert bunch.data.shape == (70000, 784) and bunch.data.dtype == np.uint8
    assert bunch.origin == "system" and bunch.complete
    assert np.bincount(bunch.target).tolist() == [7000] * 10
    assert bunch.target_names[0] == "T-shirt/top" and bunch.target_names[9] == "Ankle boot"
    X, y = load_fashion_mnist("test", return_X_y=True)
    assert np.bincount(y).tolist() == [1000] * 10


# -- tiny files ----------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_tiny_idx_round_trip(tmp_path, gz, no_network, isolated):
    data = write_tiny(tmp_path / "d", gz=gz)
    X, y = load_mnist("train", return_X_y=True, data_dir=tmp_path / "d")
    np.testing.assert_array_equal(X, data["train"][0].reshape(30, 784))
    np.testing.assert_array_equal(y, data["train"][1])
    with pytest.warns(IncompleteDatasetWarning):
        X, y = load_mnist("all", return_X_y=True, data_dir=tmp_path / "d")
    images = np.concatenate([data["train"][0], data["test"][0]])  # "all" is train then test
    np.testing.assert_array_equal(X, images.reshape(len(images), 784))
    np.testing.assert_array_equal(y, np.concatenate([data["train"][1], data["test"][1]]))


def test_read_idx_into_a_buffer_checks_its_shape(tmp_path):
    data = write_tiny(tmp_path / "d")
    path = next((tmp_path / "d").glob("train-images*"))
    out = np.zeros((31, 28, 28), dtype=np.uint8)
    read_idx(path, out=out[1:])
    np.testing.assert_array_equal(out[1:], data["train"][0])
    assert not out[0].any()
    with pytest.raises(DataFileError, match=r"buffer to read into is uint8 \(29, 28, 28\)"):
        read_idx(path, out=out[2:])


def test_npz_source(tmp_path, isolated):
    data = write_tiny(tmp_path / "idx")
    folder = tmp_path / "npz"
    folder.mkdir()
    write_npz(folder / "mnist.npz", data)
    with pytest.warns(IncompleteDatasetWarning):
        bunch = load_mnist("test", data_dir=folder)
    np.testing.assert_array_equal(bunch.images, data["test"][0])
    np.savez(folder / "mnist.npz", x_train=data["train"][0])
    with pytest.raises(DataFileError, match="missing"):
        load_mnist("test", data_dir=folder)


def _corrupt(folder: Path, case: str) -> str:
    images = folder / "train-images-idx3-ubyte.gz"
    raw = gzip.decompress(images.read_bytes())
    if case == "magic":
        images.write_bytes(gzip.compress(b"\x12\x34" + raw[2:]))
        return "not an IDX file"
    if case == "truncated":
        images.write_bytes(gzip.compress(raw[:-100]))
        return "truncated"
    if case == "too long":
        images.write_bytes(gzip.compress(raw + b"\x00" * 7))
        return "longer than its header"
    if case == "bad gzip":
        images.write_bytes(images.read_bytes()[:40])
        return "corrupt"
    if case == "count mismatch":
        labels = folder / "train-labels-idx1-ubyte.gz"
        labels.write_bytes(gzip.compress(idx_bytes(np.zeros(29, dtype=np.uint8))))
        return "holds 30 images but .* holds 29 labels"
    if case == "dimensions":
        images.write_bytes(gzip.compress(idx_bytes(np.zeros((30, 784), dtype=np.uint8))))
        return "has 2 dimensions"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case", ["magic", "truncated", "too long", "bad gzip", "count mismatch", "dimensions"]
)
def test_corrupt_files_give_clear_errors(tmp_path, case, isolated):
    write_tiny(tmp_path / "d")
    pattern = _corrupt(tmp_path / "d", case)
    with pytest.raises(DataFileError, match=pattern) as info:
        load_mnist("train", data_dir=tmp_path / "d")
    assert "train-" in str(info.value)


def test_search_order(tmp_path, monkeypatch, isolated, no_network):
    env, cache = tmp_path / "env", Path(isolated) / "cache" / "mnist"
    write_tiny(cache, n_test=10, seed=1)
    assert load_mnist("test").origin == "cache"
    keras_file = Path(isolated) / "keras" / "datasets"
    write_tiny(tmp_path / "k", n_test=12)
    keras_file.mkdir(parents=True)
    for f in (tmp_path / "k").iterdir():
        f.rename(keras_file / f.name)
    assert load_mnist("test").origin == "cache"  # our cache before Keras'
    write_tiny(env / "mnist", n_test=14, seed=2)
    monkeypatch.setenv("MNIST_ESTIMATORS_DATA", str(env))
    assert load_mnist("test").data.shape[0] == 14  # env var before caches
    write_tiny(tmp_path / "explicit", n_test=16)
    assert load_mnist("test", data_dir=tmp_path / "explicit").data.shape[0] == 16
    write_tiny(env / "fashion-mnist", n_test=18)
    assert load_fashion_mnist("test").data.shape[0] == 18  # Fashion only from its subfolder


def test_not_found_lists_places_and_does_not_hang(isolated, monkeypatch):
    monkeypatch.setenv("MNIST_ESTIMATORS_DOWNLOAD_TIMEOUT", "2")
    monkeypatch.setattr(
        sources_mod, "KERAS_BASE_URL", "http://127.0.0.1:9/"
    )  # discard port: refused
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist("test")
    msg = str(info.value)
    for needle in (
        "MNIST_ESTIMATORS_DATA: not set",
        "cache:",
        "keras cache:",
        "download:",
        "data_dir=FOLDER",
        "t10k-images-idx3-ubyte.gz",
    ):
        assert needle in msg, needle
    with pytest.raises(DatasetNotFoundError, match="download: disabled"):
        load_mnist("test", download_if_missing=False)
    with pytest.raises(DatasetNotFoundError, match=r"data_dir: .*no such folder"):
        load_mnist("test", data_dir=isolated / "nowhere")


class _Server:
    def __init__(self, files: dict):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = files.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def test_download_verifies_checksum_and_caches(isolated, tmp_path, monkeypatch):
    data = write_tiny(tmp_path / "src")
    write_npz(tmp_path / "mnist.npz", data)
    body = (tmp_path / "mnist.npz").read_bytes()
    server = _Server({"mnist.npz": body})
    spec = sources_mod.DATASETS["mnist"]

    def remote(sha):
        monkeypatch.setitem(
            sources_mod.DATASETS,
            "mnist",
            dataclasses.replace(spec, remote_files={"mnist.npz": sha}),
        )

    try:
        monkeypatch.setattr(sources_mod, "KERAS_BASE_URL", server.url)
        remote("0" * 64)
        with pytest.raises(DataFileError, match="checksum mismatch"):
            load_mnist("test")
        cache = Path(isolated) / "cache" / "mnist"
        assert not cache.exists() or list(cache.iterdir()) == []  # nothing kept, no temp file
        remote(hashlib.sha256(body).hexdigest())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IncompleteDatasetWarning)
            bunch = load_mnist("test")
        assert bunch.origin == "download" and (cache / "mnist.npz").is_file()
    finally:
        server.close()
    np.testing.assert_array_equal(bunch.images, data["test"][0])
    assert load_mnist("test").origin == "cache"  # the server is gone: served from the cache


def test_as_frame_and_stratified_reproducible_subset(mnist_dir):
    bunch = load_mnist("test", as_frame=True, data_dir=mnist_dir, n_samples=500, random_state=3)
    assert bunch.data.shape == (500, 784) and list(bunch.data.columns[:2]) == ["pixel1", "pixel2"]
    assert bunch.target.name == "label" and bunch.frame.shape == (500, 785)
    counts = np.bincount(bunch.target, minlength=10)
    expected = np.array(TEST_COUNTS) / 10000 * 500
    assert np.all(np.abs(counts - expected) <= 1)
    again = load_mnist("test", as_frame=True, data_dir=mnist_dir, n_samples=500, random_state=3)
    assert bunch.data.equals(again.data)
    other = load_mnist("test", data_dir=mnist_dir, n_samples=500, random_state=4)
    assert not np.array_equal(bunch.data.to_numpy(), other.data)
    with pytest.raises(ValueError, match="has only 10000 images"):
        load_mnist("test", data_dir=mnist_dir, n_samples=20000)
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist("validation", data_dir=mnist_dir)


def test_digits_images_format():
    bunch = load_digits_images("all")
    assert (
        bunch.data.shape == (1797, 64) and bunch.data.dtype == np.uint8 and bunch.data.max() == 255
    )
    X_tr, _ = load_digits_images("train", return_X_y=True)
    X_te, _ = load_digits_images("test", return_X_y=True)
    assert len(X_tr) + len(X_te) == 1797


def test_read_idx_direct(tmp_path):
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(idx_bytes(np.array([3, 1, 2])))
    np.testing.assert_array_equal(read_idx(path), [3, 1, 2])
    (tmp_path / "fake.gz").write_bytes(b"plain")
    with pytest.raises(DataFileError, match="not a gzip file"):
        read_idx(tmp_path / "fake.gz")


def test_describe_datasets(mnist_dir, monkeypatch):
    monkeypatch.setenv("MNIST_ESTIMATORS_DATA", str(mnist_dir))
    rows = {r["name"]: r for r in describe_datasets()}
    assert rows["mnist"]["train"] == 60000 and rows["mnist"]["test"] == 10000
    assert rows["mnist"]["complete"]
    assert rows["fashion-mnist"]["complete"] and rows["digits"]["found"]


# -- a data set that is not what its name says ----------------------------------------
def test_mnist_files_are_refused_as_fashion_mnist_and_back(mnist_dir):
    with pytest.raises(DataFileError, match="holds mnist, not fashion-mnist.*label counts"):
        load_fashion_mnist("test", data_dir=mnist_dir)
    with pytest.raises(DataFileError, match="holds fashion-mnist, not mnist"):
        load_mnist("train", data_dir=FASHION)
    rows = {r["name"]: r for r in describe_datasets(mnist_dir)}
    assert rows["mnist"]["found"] and rows["mnist"]["complete"]
    assert not rows["fashion-mnist"]["found"] and "holds mnist" in rows["fashion-mnist"]["note"]


def test_recompressed_copy_is_accepted(mnist_dir, tmp_path):
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        raw = gzip.decompress((mnist_dir / f"{name}.gz").read_bytes())
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (tmp_path / f"{name}.gz").symlink_to((mnist_dir / f"{name}.gz").resolve())
    bunch = load_mnist("test", data_dir=tmp_path)
    assert bunch.complete and np.bincount(bunch.target).tolist() == TEST_COUNTS


def test_partial_copy_of_the_other_data_set_is_refused_by_its_pixels(tmp_path):
    X, y = load_fashion_mnist("test", return_X_y=True)
    for prefix, n in (("train", 500), ("t10k", 300)):
        images, labels = X[:n].reshape(-1, 28, 28), y[:n].astype(np.uint8)
        (tmp_path / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(images))
        (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    with pytest.raises(DataFileError, match="holds fashion-mnist, not mnist.*mean pixel"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IncompleteDatasetWarning)
            load_mnist("train", data_dir=tmp_path)
    with pytest.warns(IncompleteDatasetWarning):  # as itself, the partial copy loads
        assert load_fashion_mnist("train", data_dir=tmp_path).data.shape == (500, 784)
