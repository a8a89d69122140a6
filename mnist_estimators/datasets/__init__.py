"""Data loaders: MNIST, Fashion-MNIST and scikit-learn's 8x8 digits."""

from .errors import DataFileError, DatasetNotFoundError, DownloadError, IncompleteDatasetWarning
from .idx import read_idx, read_idx_header
from .inventory import describe_datasets
from .loaders import load_digits_images, load_fashion_mnist, load_mnist

__all__ = [
    "DataFileError",
    "DatasetNotFoundError",
    "DownloadError",
    "IncompleteDatasetWarning",
    "describe_datasets",
    "load_digits_images",
    "load_fashion_mnist",
    "load_mnist",
    "read_idx",
    "read_idx_header",
]
