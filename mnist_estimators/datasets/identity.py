"""Is a folder's data really the data set it is loaded as?

MNIST and Fashion-MNIST share file names, sizes and format, so a folder of
MNIST files loads without complaint as Fashion-MNIST, under the wrong class
names. Two fingerprints tell them apart, neither of which depends on how the
files were compressed (a user's re-compressed copy is accepted):

* a split of the official size must have the official number of images of
  each label (MNIST's test split: 980 zeros, 1,135 ones, ...; Fashion-MNIST's:
  1,000 of each). Files that match *another* known data set's counts exactly
  are refused;
* a split of another size (a partial copy) is judged by its mean pixel value:
  MNIST's digits average about 33 of 255, Fashion-MNIST's clothes about 73.
  Files within 10 of another data set's mean and over 20 away from their own
  are refused. Anything else (e.g. a user's own images) is accepted.
"""

from __future__ import annotations

import numpy as np

from .errors import DataFileError

__all__ = ["FINGERPRINTS", "check_identity", "identify"]

#: Per data set and split: the official label counts and the mean pixel value (0-255).
FINGERPRINTS = {
    "mnist": {
        "train": ([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], 33.32),
        "test": ([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], 33.79),
    },
    "fashion-mnist": {
        "train": ([6000] * 10, 72.94),
        "test": ([1000] * 10, 73.15),
    },
}
_NEAR, _FAR = 10.0, 20.0


def identify(name: str, split: str, images: np.ndarray, labels: np.ndarray) -> str | None:
    """The known data set that ``images, labels`` look like when it is not ``name``, else None.

    See the module docstring for the two fingerprints.

    Examples
    --------
    >>> labels = np.repeat(np.arange(10), 1000)  # Fashion-MNIST's test label counts
    >>> identify("mnist", "test", np.zeros((10000, 784), np.uint8), labels)
    'fashion-mnist'
    >>> identify("fashion-mnist", "test", np.zeros((10000, 784), np.uint8), labels) is None
    True
    """
    return _identify(name, split, images, labels)[0]


def _identify(name, split, images, labels) -> tuple[str | None, str]:
    own = FINGERPRINTS.get(name, {}).get(split)
    counts = np.bincount(np.asarray(labels, dtype=np.int64).ravel(), minlength=10).tolist()
    n = int(np.asarray(labels).size)
    if own is not None and n == sum(own[0]):
        for other, prints in FINGERPRINTS.items():
            if other != name and counts == prints[split][0] and counts != own[0]:
                return other, "the official label counts"
        return None, ""
    if own is None or images.size == 0:
        return None, ""
    mean = float(np.mean(images, dtype=np.float64))
    if abs(mean - own[1]) <= _FAR:
        return None, ""
    for other, prints in FINGERPRINTS.items():
        if other != name and abs(mean - prints[split][1]) <= _NEAR:
            return other, f"a mean pixel value of {mean:.1f} (theirs: {prints[split][1]})"
    return None, ""


def check_identity(spec, split: str, images, labels, where) -> None:
    """Raise :class:`DataFileError` when the files at ``where`` hold another known data set."""
    other, how = _identify(spec.name, split, images, labels)
    if other is not None:
        raise DataFileError(
            f"{where} holds {other}, not {spec.name}: its {split} split has {how} of {other}. Point data_dir / --data-dir / MNIST_ESTIMATORS_DATA at the {spec.name} "
            f"files (for {other}, use its own loader)."
        )
