"""Where each data set's files are looked for, in order, and how they are read.

Search order, for ``load_mnist`` and ``load_fashion_mnist``:

1. the ``data_dir`` argument (when given, it is the only place looked at);
2. ``$MNIST_ESTIMATORS_DATA``: MNIST in the folder itself or its ``mnist/``
   subfolder, Fashion-MNIST in its ``fashion-mnist/`` subfolder;
3. for Fashion-MNIST, Debian's ``/usr/share/datasets/fashion-mnist/``
   (``apt-get install dataset-fashion-mnist``);
4. this package's cache (``$MNIST_ESTIMATORS_CACHE``, default
   ``~/.cache/mnist-estimators/<name>/``), then Keras' cache
   (``$KERAS_HOME/datasets``, default ``~/.keras/datasets/``);
5. a download from the public source Keras uses, SHA-256 verified, into
   this package's cache.

A folder qualifies when it holds the four IDX files (``.gz`` or raw, named as
in the official distribution) or a Keras-format ``.npz``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .download import download_verified
from .errors import DataFileError, DatasetNotFoundError, DownloadError
from .idx import read_idx, read_idx_header

__all__ = ["DATASETS", "DatasetSpec", "Source", "find_source"]

KERAS_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SPLITS = ("train", "test")
IDX_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class DatasetSpec:
    """What a data set is and where its files may be."""

    name: str
    title: str
    n_official: dict
    target_names: tuple[str, ...]
    remote_files: dict  # file name -> SHA-256, downloaded from KERAS_BASE_URL
    npz_names: tuple[str, ...] = ()
    env_subdirs: tuple[str, ...] = ()
    env_root_is_dataset: bool = False
    system_dirs: tuple[str, ...] = ()
    keras_subdir: str = ""
    description: str = ""
    extra: dict = field(default_factory=dict)


DATASETS = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST handwritten digits",
        n_official={"train": 60000, "test": 10000},
        target_names=tuple(str(d) for d in range(10)),
        remote_files={
            "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
        },
        npz_names=("mnist.npz",),
        env_subdirs=("mnist",),
        env_root_is_dataset=True,
        description="28x28 grayscale images of handwritten digits 0-9 (LeCun, Cortes, Burges).",
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        title="Fashion-MNIST clothing images",
        n_official={"train": 60000, "test": 10000},
        target_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        remote_files={
            "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
            "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
            "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
            "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
        },
        npz_names=("fashion-mnist.npz", "fashion_mnist.npz"),
        env_subdirs=("fashion-mnist", "fashion_mnist"),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        keras_subdir="fashion-mnist",
        description="28x28 grayscale images of 10 kinds of clothing (Xiao, Rasul, Vollgraf, 2017).",
    ),
}


def _idx_candidates(folder: Path, stem: str) -> Iterator[Path]:
    dotted = stem.replace("-idx", ".idx", 1)  # "train-images.idx3-ubyte" variant
    for name in (stem, dotted):
        yield folder / f"{name}.gz"
        yield folder / name


def _find_idx(folder: Path, stem: str) -> Path | None:
    return next((p for p in _idx_candidates(folder, stem) if p.is_file()), None)


@dataclass
class Source:
    """A place that holds a data set: IDX files in a folder, or one ``.npz``."""

    origin: str  # "data_dir", "MNIST_ESTIMATORS_DATA", "system", "cache", "keras cache", "download"
    path: Path
    files: dict  # split -> (images path, labels path) for IDX; {"npz": path} for npz

    @property
    def is_npz(self) -> bool:
        return "npz" in self.files

    def counts(self) -> dict:
        """Samples per split, from the headers only (cheap)."""
        if self.is_npz:
            with np.load(self.files["npz"]) as z:
                return {s: int(z[f"y_{s}"].shape[0]) for s in SPLITS}
        return {s: read_idx_header(self.files[s][1])[1][0] for s in SPLITS}

    def labels(self, split: str) -> np.ndarray:
        """The labels of one split (small: read without the images for IDX files)."""
        if self.is_npz:
            return _read_npz(self.files["npz"], split)[1]
        return read_idx(self.files[split][1], ndim=1)

    def read(self, *splits: str) -> tuple[np.ndarray, np.ndarray]:
        """Images ``(n, h, w)`` uint8 and labels ``(n,)`` of the splits, in order.

        IDX images of several splits are read straight into one buffer sized
        from the headers, so loading "all" costs the raw size, not twice it.
        """
        if self.is_npz:
            parts = [_read_npz(self.files["npz"], s) for s in splits]
            if len(parts) == 1:
                return parts[0]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        headers = [read_idx_header(self.files[s][0]) for s in splits]
        dtype, first = headers[0]
        if any(d != dtype or shape[1:] != first[1:] for d, shape in headers):
            raise DataFileError(
                f"{self.path}: the image files of splits {splits} differ in type or image "
                f"size ({headers}); they must come from the same data set."
            )
        images = np.empty((sum(shape[0] for _, shape in headers), *first[1:]), dtype=dtype)
        labels, start = [], 0
        for split, (_, shape) in zip(splits, headers, strict=True):
            images_path, labels_path = self.files[split]
            read_idx(images_path, ndim=3, out=images[start : start + shape[0]])
            labels.append(read_idx(labels_path, ndim=1))
            if labels[-1].shape[0] != shape[0]:
                raise DataFileError(
                    f"{images_path} holds {shape[0]} images but {labels_path} holds "
                    f"{labels[-1].shape[0]} labels; the two files must come from the same release."
                )
            start += shape[0]
        return images, labels[0] if len(labels) == 1 else np.concatenate(labels)


def _read_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = z[f"x_{split}"], z[f"y_{split}"]
    except KeyError as exc:
        raise DataFileError(
            f"{path}: not a Keras-format MNIST .npz (missing {exc}; expected arrays "
            "x_train, y_train, x_test, y_test)."
        ) from exc
    except (OSError, ValueError, EOFError) as exc:
        raise DataFileError(f"{path}: corrupt .npz ({exc}). Delete it and fetch it again.") from exc
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise DataFileError(
            f"{path}: x_{split} has shape {images.shape} and y_{split} {labels.shape}; "
            "expected (n, rows, cols) images and (n,) labels."
        )
    return images, labels


def _folder_source(origin: str, folder: Path, spec: DatasetSpec) -> Source | None:
    if not folder.is_dir():
        return None
    files = {}
    for split, (img, lab) in IDX_STEMS.items():
        found = (_find_idx(folder, img), _find_idx(folder, lab))
        if None in found:
            break
        files[split] = found
    else:
        return Source(origin, folder, files)
    for name in spec.npz_names:
        if (folder / name).is_file():
            return Source(origin, folder, {"npz": folder / name})
    return None


def cache_dir(spec: DatasetSpec) -> Path:
    """This package's cache folder for a data set."""
    root = os.environ.get("MNIST_ESTIMATORS_CACHE") or Path.home() / ".cache" / "mnist-estimators"
    return Path(root) / spec.name


def keras_cache_dir(spec: DatasetSpec) -> Path:
    root = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"
    return root / spec.keras_subdir if spec.keras_subdir else root


def candidates(spec: DatasetSpec, data_dir=None) -> list[tuple[str, Path]]:
    """The folders searched, in order, as ``(origin, folder)``."""
    if data_dir is not None:
        return [("data_dir", Path(data_dir).expanduser())]
    out: list[tuple[str, Path]] = []
    env = os.environ.get("MNIST_ESTIMATORS_DATA")
    if env:
        root = Path(env).expanduser()
        if spec.env_root_is_dataset:
            out.append(("MNIST_ESTIMATORS_DATA", root))
        out += [("MNIST_ESTIMATORS_DATA", root / sub) for sub in spec.env_subdirs]
    out += [("system", Path(d)) for d in spec.system_dirs]
    out.append(("cache", cache_dir(spec)))
    out.append(("keras cache", keras_cache_dir(spec)))
    return out


def find_local_source(spec: DatasetSpec, data_dir=None) -> tuple[Source | None, list[str]]:
    """First local source, and a log line for every place looked at."""
    searched = []
    for origin, folder in candidates(spec, data_dir):
        source = _folder_source(origin, folder, spec)
        if source is not None:
            return source, searched
        state = "no such folder" if not folder.is_dir() else "no data set files in it"
        searched.append(f"{origin}: {folder} ({state})")
    if data_dir is None and not os.environ.get("MNIST_ESTIMATORS_DATA"):
        searched.insert(0, "MNIST_ESTIMATORS_DATA: not set")
    return None, searched


def find_source(
    spec: DatasetSpec, data_dir=None, *, download_if_missing: bool = True, progress: bool = True
) -> Source:
    """The first source in the search order; downloads when nothing is local.

    Raises
    ------
    DatasetNotFoundError
        Nothing local, and the download was disabled or failed. The message
        lists every place searched and how to provide the files.
    """
    source, searched = find_local_source(spec, data_dir)
    if source is not None:
        return source
    if data_dir is not None:
        raise DatasetNotFoundError(_not_found_message(spec, searched, data_dir_given=True))
    if not download_if_missing:
        searched.append("download: disabled (download_if_missing=False)")
        raise DatasetNotFoundError(_not_found_message(spec, searched))
    target = cache_dir(spec)
    try:
        for name, sha in spec.remote_files.items():
            if not (target / name).is_file():
                download_verified(KERAS_BASE_URL + name, target / name, sha, progress=progress)
    except DownloadError as exc:
        searched.append(f"download: {exc}")
        raise DatasetNotFoundError(_not_found_message(spec, searched)) from exc
    source = _folder_source("download", target, spec)
    assert source is not None, f"downloaded files missing from {target}"
    return source


def _not_found_message(spec: DatasetSpec, searched: list[str], data_dir_given=False) -> str:
    idx = ", ".join(f"{s}.gz" for pair in IDX_STEMS.values() for s in pair)
    lines = [
        f"{spec.title} ({spec.name}) was not found"
        + ("." if data_dir_given else " and could not be downloaded."),
        "Searched, in order:",
    ]
    lines += [f"  {i}. {line}" for i, line in enumerate(searched, 1)]
    lines += [
        "To fix: put the four IDX files ("
        + idx
        + "; gzip or uncompressed)"
        + (f" or a Keras-format {spec.npz_names[0]}" if spec.npz_names else "")
        + " in a folder, then pass data_dir=FOLDER, or set MNIST_ESTIMATORS_DATA=FOLDER"
        + ("" if spec.env_root_is_dataset else f" with the files in FOLDER/{spec.env_subdirs[0]}/")
        + "."
    ]
    if spec.system_dirs:
        lines.append("On Debian/Ubuntu: apt-get install dataset-fashion-mnist")
    return "\n".join(lines)
