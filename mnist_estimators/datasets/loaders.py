"""``load_mnist``, ``load_fashion_mnist``, ``load_digits_images``.

They return what scikit-learn's loaders return: a ``Bunch`` (``data``,
``target``, ``images``, ``target_names``, ``feature_names``, ``frame``,
``DESCR``) or ``(X, y)`` with ``return_X_y=True``. Pixels stay uint8 from the
file to the caller; ``data`` is a flat view of ``images`` (no copy).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from .errors import IncompleteDatasetWarning
from .identity import check_identity
from .sources import DATASETS, DatasetSpec, Source, find_source

__all__ = ["load_digits_images", "load_fashion_mnist", "load_mnist"]

_SPLITS = ("train", "test", "all")


def _check_split(split: str) -> tuple[str, ...]:
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}.")
    return ("train", "test") if split == "all" else (split,)


def _subsample(images, labels, n_samples, random_state, split):
    if n_samples is None:
        return images, labels
    n = labels.shape[0]
    if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive int or None, got {n_samples!r}.")
    if n_samples > n:
        raise ValueError(f"n_samples={n_samples} but the {split!r} split has only {n} images.")
    if n_samples == n:
        return images, labels
    try:
        index, _ = train_test_split(
            np.arange(n), train_size=n_samples, stratify=labels, random_state=random_state
        )
    except ValueError:  # fewer samples than classes: cannot stratify
        index, _ = train_test_split(np.arange(n), train_size=n_samples, random_state=random_state)
    index.sort()
    return images[index], labels[index]


def _bunch(spec_title, images, labels, *, target_names, descr, as_frame, return_X_y, extra):
    n = images.shape[0]
    X = images.reshape(n, -1)
    y = labels.astype(np.int64, copy=False)
    feature_names = [f"pixel{i}" for i in range(1, X.shape[1] + 1)]
    frame = None
    data, target = X, y
    if as_frame:
        import pandas as pd

        data = pd.DataFrame(X, columns=feature_names, copy=False)
        target = pd.Series(y, name="label")
        frame = data.assign(label=target)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        images=images,
        feature_names=feature_names,
        target_names=np.array(target_names),
        DESCR=descr,
        **extra,
    )


def _load_idx_dataset(
    spec: DatasetSpec,
    *,
    split,
    return_X_y,
    as_frame,
    data_dir,
    n_samples,
    random_state,
    download_if_missing,
):
    splits = _check_split(split)
    source: Source = find_source(spec, data_dir, download_if_missing=download_if_missing)
    images, labels = source.read(*splits)
    counts = {s: int(n) for s, n in zip(splits, _split_sizes(source, splits, labels), strict=True)}
    start = 0
    for s in splits:  # refuse files of another data set (e.g. MNIST loaded as Fashion-MNIST)
        part = slice(start, start + counts[s])
        check_identity(spec, s, images[part], labels[part], source.path)
        start += counts[s]
    complete = all(counts[s] == spec.n_official[s] for s in splits)
    notes = []
    for s in splits:
        if counts[s] < spec.n_official[s]:
            notes.append(
                f"The {s} split from {source.path} has {counts[s]:,} images, not the official "
                f"{spec.n_official[s]:,}: this is a partial {spec.title} {s} set, and results "
                f"on it are not comparable in number to full {spec.name} results."
            )
    for note in notes:
        warnings.warn(note, IncompleteDatasetWarning, stacklevel=3)
    images, labels = _subsample(images, labels, n_samples, random_state, split)
    descr = "\n".join(
        [
            f"{spec.title} ({spec.name}), split {split!r}",
            spec.description,
            f"Loaded from: {source.path} ({source.origin}).",
            "Images per split: "
            + ", ".join(f"{s} {counts[s]:,}" for s in splits)
            + f" (official: {', '.join(f'{s} {spec.n_official[s]:,}' for s in splits)}).",
            "COMPLETE: yes." if complete else "COMPLETE: NO. " + " ".join(notes),
        ]
        + (
            [f"Stratified subset of {n_samples:,} images (random_state={random_state})."]
            if n_samples
            else []
        )
    )
    return _bunch(
        spec.title,
        images,
        labels,
        target_names=spec.target_names,
        descr=descr,
        as_frame=as_frame,
        return_X_y=return_X_y,
        extra={
            "source": str(source.path),
            "origin": source.origin,
            "complete": complete,
            "split": split,
        },
    )


def _split_sizes(source, splits, labels):
    if len(splits) == 1:
        return [labels.shape[0]]
    counts = source.counts()
    return [counts[s] for s in splits]


_COMMON_DOC = """
    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        Which official split; "all" is train followed by test.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        ``data`` as a DataFrame (columns ``pixel1``..), ``target`` as a Series.
    data_dir : str or Path, default=None
        Folder with the four IDX files (``.gz`` or raw) or a Keras-format
        ``.npz``. When given, it is the only place looked at.
    n_samples : int, default=None
        Return a stratified random subset of this many images (for quick runs).
    random_state : int, default=0
        Seed of the ``n_samples`` subset.
    download_if_missing : bool, default=True
        Download (SHA-256 verified) when no local copy is found.

    Returns
    -------
    Bunch or tuple
        ``data`` (n, 784) uint8 (a flat view of ``images`` (n, 28, 28)),
        ``target`` (n,) int64, ``target_names``, ``feature_names``, ``frame``,
        ``DESCR``, ``source`` (where the files were), ``complete`` (whether
        every split has its official size). ``(data, target)`` with
        ``return_X_y``.

    Raises
    ------
    DatasetNotFoundError
        No local copy and no download; the message lists the places searched
        and how to provide the files.
    DataFileError
        A file is corrupt or truncated; the message names it.

    Warns
    -----
    IncompleteDatasetWarning
        A split is smaller than the official one (e.g. a partial copy).

    Notes
    -----
    Search order: ``data_dir``; ``$MNIST_ESTIMATORS_DATA``; (Fashion-MNIST:
    Debian's ``/usr/share/datasets/fashion-mnist``); the cache
    ``~/.cache/mnist-estimators``; Keras' cache ``~/.keras/datasets``; download.
"""


def load_mnist(
    split: str = "train",
    *,
    return_X_y: bool = False,
    as_frame: bool = False,
    data_dir=None,
    n_samples: int | None = None,
    random_state: int | None = 0,
    download_if_missing: bool = True,
):
    return _load_idx_dataset(
        DATASETS["mnist"],
        split=split,
        return_X_y=return_X_y,
        as_frame=as_frame,
        data_dir=data_dir,
        n_samples=n_samples,
        random_state=random_state,
        download_if_missing=download_if_missing,
    )


load_mnist.__doc__ = (
    "Load MNIST handwritten digits (28x28, 10 classes).\n"
    + _COMMON_DOC
    + """
    Examples
    --------
    >>> from mnist_estimators import load_mnist
    >>> X, y = load_mnist(split="test", return_X_y=True)  # doctest: +SKIP
    >>> X.shape, X.dtype  # doctest: +SKIP
    ((10000, 784), dtype('uint8'))
"""
)


def load_fashion_mnist(
    split: str = "train",
    *,
    return_X_y: bool = False,
    as_frame: bool = False,
    data_dir=None,
    n_samples: int | None = None,
    random_state: int | None = 0,
    download_if_missing: bool = True,
):
    return _load_idx_dataset(
        DATASETS["fashion-mnist"],
        split=split,
        return_X_y=return_X_y,
        as_frame=as_frame,
        data_dir=data_dir,
        n_samples=n_samples,
        random_state=random_state,
        download_if_missing=download_if_missing,
    )


load_fashion_mnist.__doc__ = (
    "Load Fashion-MNIST (28x28 clothing images, 10 named classes).\n"
    + _COMMON_DOC
    + """
    Examples
    --------
    >>> from mnist_estimators import load_fashion_mnist
    >>> bunch = load_fashion_mnist(split="test")  # doctest: +SKIP
    >>> bunch.target_names[9]  # doctest: +SKIP
    'Ankle boot'
"""
)


DIGITS_TEST_FRACTION = 0.2


def load_digits_images(
    split: str = "train",
    *,
    return_X_y: bool = False,
    as_frame: bool = False,
    n_samples: int | None = None,
    random_state: int | None = 0,
):
    """Load scikit-learn's embedded 8x8 digits in the MNIST return format.

    The data set that always works: no files, no network. Pixels (0-16 in
    scikit-learn) are rescaled to uint8 0-255 so the same pipelines apply.
    There is no official split; "train"/"test" are a fixed stratified 80/20
    split (seed 0) of the 1,797 images.

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
    return_X_y : bool, default=False
    as_frame : bool, default=False
    n_samples : int, default=None
        Stratified random subset of this many images.
    random_state : int, default=0
        Seed of the ``n_samples`` subset.

    Returns
    -------
    Bunch or tuple
        As :func:`load_mnist`, with ``images`` of shape (n, 8, 8).

    Examples
    --------
    >>> from mnist_estimators import load_digits_images
    >>> X, y = load_digits_images(split="all", return_X_y=True)
    >>> X.shape, X.dtype, int(X.max())
    ((1797, 64), dtype('uint8'), 255)
    """
    from sklearn.datasets import load_digits

    splits = _check_split(split)
    digits = load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    labels = digits.target
    if split != "all":
        train, test = train_test_split(
            np.arange(labels.size), test_size=DIGITS_TEST_FRACTION, stratify=labels, random_state=0
        )
        index = np.sort(train if splits == ("train",) else test)
        images, labels = images[index], labels[index]
    images, labels = _subsample(images, labels, n_samples, random_state, split)
    descr = (
        f"scikit-learn's 8x8 digits (UCI optdigits test set), split {split!r}, pixels rescaled "
        f"from 0-16 to 0-255 uint8. {labels.size} images."
    )
    return _bunch(
        "digits",
        images,
        labels,
        target_names=[str(d) for d in range(10)],
        descr=descr,
        as_frame=as_frame,
        return_X_y=return_X_y,
        extra={
            "source": "sklearn.datasets.load_digits",
            "origin": "embedded",
            "complete": True,
            "split": split,
        },
    )


#: The loaders by data set name (the command line's ``--dataset``).
LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist, "digits": load_digits_images}


def load_train_test(
    name: str,
    *,
    data_dir=None,
    n_train: int | None = None,
    n_test: int | None = None,
    random_state: int | None = 0,
) -> Bunch:
    """A data set's training and test splits, with a one-line description of them.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "digits"}
        The data set (:data:`LOADERS`).
    data_dir : str or Path, default=None
        Where to look first (ignored for the embedded digits).
    n_train, n_test : int, default=None
        Stratified subsets of the splits (None: all of them).
    random_state : int, default=0
        Seed of the subsets.

    Returns
    -------
    Bunch
        ``X``, ``y``, ``X_test``, ``y_test`` and ``description``: the data set, the
        split sizes, whether its files are complete and where they were found.

    Examples
    --------
    >>> data = load_train_test("digits", n_train=100, n_test=50)
    >>> data.X.shape, data.X_test.shape
    ((100, 64), (50, 64))
    >>> data.description
    'digits, 100 training and 50 test images (a stratified subset); files complete, from sklearn.datasets.load_digits'
    """
    if name not in LOADERS:
        raise ValueError(f"name must be one of {sorted(LOADERS)}, got {name!r}.")
    kwargs = {} if name == "digits" else {"data_dir": data_dir}
    train = LOADERS[name]("train", n_samples=n_train, random_state=random_state, **kwargs)
    test = LOADERS[name]("test", n_samples=n_test, random_state=random_state, **kwargs)
    sizes = f"{len(train.target):,} training and {len(test.target):,} test images"
    if n_train or n_test:
        sizes += " (a stratified subset)"
    complete = train.get("complete", True) and test.get("complete", True)
    source = train.get("source")
    description = f"{name}, {sizes}; files {'complete' if complete else 'PARTIAL'}" + (
        f", from {source}" if source else ""
    )
    return Bunch(
        X=train.data, y=train.target, X_test=test.data, y_test=test.target, description=description
    )
