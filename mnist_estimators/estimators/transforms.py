"""Transformers that move, rotate or reorder the pixels of images.

They are the instruments of the explanation experiments
(:mod:`mnist_estimators.evaluation.explain`): put one in front of a network in a
Pipeline to train and test it on pixel-permuted, row-shuffled or transposed
images, or apply one to a test set to shift or rotate it. Each takes flat images
``(n, h*w*c)`` or image-shaped ones ``(n, h, w[, c])`` and returns the same
shape and dtype, so it can stand before or after :class:`PixelScaler`.

One base class owns validation and layout (:class:`ImageTransform`); each
subclass only says what happens to an ``(n, h, w, c)`` stack of images.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils import check_random_state

from ._compat import Interval, StrOptions
from ._validation import fit_images, transform_images

__all__ = [
    "ImageRotator",
    "ImageShifter",
    "ImageTransform",
    "ImageTransposer",
    "PixelPermuter",
    "RowShuffler",
]

_IMAGE_SHAPE = [StrOptions({"auto"}), tuple, list]
_RANDOM_STATE = ["random_state"]


class ImageTransform(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Base class: validate images, resolve their shape in ``fit``, transform ``(n, h, w, c)`` stacks.

    A subclass implements :meth:`_transform_images` (and :meth:`_fit_images` when
    it draws something in ``fit``). The output has the input's shape and dtype.

    Parameters
    ----------
    image_shape : "auto" or tuple of int, default="auto"
        ``(height, width[, channels])`` of flat input; ``"auto"`` takes a square
        single-channel image when the number of features is a perfect square
        (784 -> 28x28), else a one-row strip. Image-shaped input gives its own.
    """

    _parameter_constraints: dict = {"image_shape": _IMAGE_SHAPE}

    def __init__(self, image_shape: str | Sequence[int] = "auto"):
        self.image_shape = image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X``, resolve the image shape, draw what the transform needs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, c])
        y : None
            Ignored.

        Returns
        -------
        self
        """
        fit_images(self, X, self.image_shape)
        self._fit_images()
        return self

    def transform(self, X):
        """Transform every image of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, c])

        Returns
        -------
        X_new : ndarray, same shape and dtype as ``X``
        """
        X, sample_shape = transform_images(self, X)
        images = X.reshape(X.shape[0], *self.image_shape_)
        out = np.ascontiguousarray(self._transform_images(images), dtype=X.dtype)
        return out.reshape(X.shape if sample_shape is None else (X.shape[0], *sample_shape))

    def _fit_images(self) -> None:
        """Draw or compute what ``_transform_images`` needs (nothing by default)."""

    def _transform_images(self, images: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.three_d_array = True
        return tags


class ImageShifter(ImageTransform):
    """Translate each image by whole pixels; pixels moved in are zeros.

    Parameters
    ----------
    dx : int, default=0
        Pixels to the right (negative: to the left).
    dy : int, default=0
        Pixels down (negative: up).
    image_shape : "auto" or tuple of int, default="auto"
        See :class:`ImageTransform`.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(height, width, channels)``.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mnist_estimators import ImageShifter
    >>> ImageShifter(dx=1).fit_transform(np.arange(1, 10).reshape(1, 9)).reshape(3, 3)
    array([[0, 1, 2],
           [0, 4, 5],
           [0, 7, 8]])
    """

    _parameter_constraints: dict = {
        **ImageTransform._parameter_constraints,
        "dx": [Integral],
        "dy": [Integral],
    }

    def __init__(self, dx: int = 0, dy: int = 0, image_shape: str | Sequence[int] = "auto"):
        self.dx = dx
        self.dy = dy
        self.image_shape = image_shape

    def _transform_images(self, images):
        out = np.zeros_like(images)
        h, w = images.shape[1:3]
        dx, dy = int(self.dx), int(self.dy)
        if abs(dx) >= w or abs(dy) >= h:
            return out
        src_y, dst_y = slice(max(-dy, 0), h - max(dy, 0)), slice(max(dy, 0), h - max(-dy, 0))
        src_x, dst_x = slice(max(-dx, 0), w - max(dx, 0)), slice(max(dx, 0), w - max(-dx, 0))
        out[:, dst_y, dst_x] = images[:, src_y, src_x]
        return out


class ImageRotator(ImageTransform):
    """Rotate each image about its centre (bilinear); corners moved in are zeros.

    Parameters
    ----------
    degrees : float, default=0
        Counter-clockwise angle, as the image is displayed (row 0 at the top).
    image_shape : "auto" or tuple of int, default="auto"
        See :class:`ImageTransform`.

    Attributes
    ----------
    image_shape_ : tuple of int
    n_features_in_ : int

    Notes
    -----
    Bilinear interpolation (:func:`scipy.ndimage.rotate`, ``order=1``);
    integer images are rounded back to their dtype. A multiple of 90 degrees
    moves pixels exactly (``np.rot90``).

    Examples
    --------
    >>> import numpy as np
    >>> from mnist_estimators import ImageRotator
    >>> X = np.array([[1, 2, 3, 4]])
    >>> ImageRotator(degrees=90).fit_transform(X).reshape(2, 2)
    array([[2, 4],
           [1, 3]])
    """

    _parameter_constraints: dict = {
        **ImageTransform._parameter_constraints,
        "degrees": [Interval(Real, None, None, closed="neither")],
    }

    def __init__(self, degrees: float = 0.0, image_shape: str | Sequence[int] = "auto"):
        self.degrees = degrees
        self.image_shape = image_shape

    def _transform_images(self, images):
        degrees = float(self.degrees) % 360.0
        if degrees % 90.0 == 0.0:
            return np.rot90(images, k=int(degrees // 90), axes=(1, 2))
        out = ndimage.rotate(
            images.astype(np.float64), degrees, axes=(1, 2), reshape=False, order=1, cval=0.0
        )
        if images.dtype.kind in "iub":
            info = np.iinfo(images.dtype) if images.dtype.kind != "b" else None
            out = np.rint(out)
            if info is not None:
                out = np.clip(out, info.min, info.max)
        return out


class _SeededTransform(ImageTransform):
    """A transform that draws one fixed reordering in ``fit`` from ``random_state``."""

    _parameter_constraints: dict = {
        **ImageTransform._parameter_constraints,
        "random_state": _RANDOM_STATE,
    }

    def __init__(self, random_state=None, image_shape: str | Sequence[int] = "auto"):
        self.random_state = random_state
        self.image_shape = image_shape


class PixelPermuter(_SeededTransform):
    """One fixed random permutation of the pixel positions, drawn in ``fit``.

    Every image, in ``fit`` and in every later ``transform``, has its pixels
    reordered by the same permutation: what a network sees is still the same
    information, without the neighbourhoods that convolutions exploit.

    Parameters
    ----------
    random_state : int, RandomState or None, default=None
        Seed of the permutation (the same seed, the same permutation).
    image_shape : "auto" or tuple of int, default="auto"
        See :class:`ImageTransform`.

    Attributes
    ----------
    permutation_ : ndarray of int
        Output pixel ``i`` (of the flattened ``(h, w, c)`` image) is input pixel
        ``permutation_[i]``.
    image_shape_ : tuple of int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mnist_estimators import PixelPermuter
    >>> p = PixelPermuter(random_state=0).fit(np.zeros((1, 6)))
    >>> p.permutation_
    array([5, 2, 1, 3, 0, 4])
    >>> p.transform(np.array([[10, 11, 12, 13, 14, 15]]))
    array([[15, 12, 11, 13, 10, 14]])
    """

    def _fit_images(self):
        n = int(np.prod(self.image_shape_))
        self.permutation_ = check_random_state(self.random_state).permutation(n)

    def _transform_images(self, images):
        flat = images.reshape(images.shape[0], -1)
        return flat[:, self.permutation_].reshape(images.shape)


class RowShuffler(_SeededTransform):
    """One fixed random order of the image rows, drawn in ``fit``.

    Each row keeps its pixels (an LSTM reads the same time steps), but the rows
    come in a fixed shuffled order, which breaks the vertical neighbourhoods.

    Parameters
    ----------
    random_state : int, RandomState or None, default=None
        Seed of the row order.
    image_shape : "auto" or tuple of int, default="auto"
        See :class:`ImageTransform`.

    Attributes
    ----------
    row_order_ : ndarray of int
        Output row ``i`` is input row ``row_order_[i]``.
    image_shape_ : tuple of int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mnist_estimators import RowShuffler
    >>> r = RowShuffler(random_state=1).fit(np.zeros((1, 9)))
    >>> r.row_order_, r.transform(np.arange(9).reshape(1, 9)).reshape(3, 3)
    (array([0, 2, 1]), array([[0, 1, 2],
           [6, 7, 8],
           [3, 4, 5]]))
    """

    def _fit_images(self):
        self.row_order_ = check_random_state(self.random_state).permutation(self.image_shape_[0])

    def _transform_images(self, images):
        return images[:, self.row_order_]


class ImageTransposer(ImageTransform):
    """Swap the rows and columns of each image, so an LSTM reads columns as its time steps.

    Parameters
    ----------
    image_shape : "auto" or tuple of int, default="auto"
        See :class:`ImageTransform`. Transposing needs square images
        (height == width): the output must have the input's shape.

    Attributes
    ----------
    image_shape_ : tuple of int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mnist_estimators import ImageTransposer
    >>> ImageTransposer().fit_transform(np.arange(4).reshape(1, 4)).reshape(2, 2)
    array([[0, 2],
           [1, 3]])
    """

    def _fit_images(self):
        h, w, _ = self.image_shape_
        if h != w and min(h, w) > 1:
            raise ValueError(
                f"ImageTransposer needs square images to keep their shape, got {h}x{w}. "
                "Pass square images (or image_shape=(side, side))."
            )

    def _transform_images(self, images):
        h, w = images.shape[1:3]
        if h != w:  # a one-row strip: transposing it changes nothing a flat model sees
            return images
        return np.swapaxes(images, 1, 2)
