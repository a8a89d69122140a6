"""Data loaders: MNIST, Fashion-MNIST and scikit-learn's 8x8 digits."""

from .errors import DataFileError, DatasetNotFoundError, DownloadError, IncompleteDatasetWarning
from .idx import read_idx, read_idx_header
from .inventory import describe_datasets
from .loaders import LOADERS, load_digits_images, load_fashion_mnist, load_mnist, load_train_test

__all__ = [
    "LOADERS",
    "DataFileError",
    "DatasetNotFoundError",
    "DownloadError",
    "IncompleteDatasetWarning",
    "describe_datasets",
    "load_digits_images",
    "load_fashion_mnist",
    "load_mnist",
    "load_train_test",
    "read_idx",
    "read_idx_header",
]
