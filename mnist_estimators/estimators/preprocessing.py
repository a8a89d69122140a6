"""Transformers that prepare raw pixel arrays for the networks.

Both are stateless apart from the shapes they learn in ``fit``, picklable, and
free of TensorFlow, so they import fast.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context

from .._memory import aligned_empty
from ._compat import Interval, StrOptions, check_is_fitted
from ._validation import LAYOUTS, check_images, fit_images, to_layout, transform_images

__all__ = ["ImageReshaper", "PixelScaler"]


class PixelScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Scale pixel values from ``[0, max_value]`` to float32 in ``[0, 1]``.

    This is the reference notebook's normalisation (``x / 255``). Input may be
    any numeric dtype; the output is always float32 (never float64), with the
    input's shape.

    Parameters
    ----------
    max_value : float, default=255.0
        The largest possible pixel value (255 for 8-bit images).
    clip : bool, default=False
        If False, values outside ``[0, max_value]`` are an error (they usually
        mean the data was already scaled, or is not pixel data). If True they
        are clipped into range. NaN and infinity are always an error.

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels per sample seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from mnist_estimators import PixelScaler
    >>> PixelScaler().fit_transform(np.array([[0, 51, 255]], dtype=np.uint8))
    array([[0.        , 0.20000002, 1.        ]], dtype=float32)

    (51 / 255 in float32 arithmetic is 0.20000002, the nearest float32 above 0.2.)
    """

    _parameter_constraints: dict = {
        "max_value": [Interval(Real, 0, None, closed="neither")],
        "clip": ["boolean"],
    }

    def __init__(self, max_value: float = 255.0, clip: bool = False):
        self.max_value = max_value
        self.clip = clip

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X`` and remember its number of pixels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, c])
            Pixel values in ``[0, max_value]``.
        y : None
            Ignored.

        Returns
        -------
        self : PixelScaler
        """
        X, _ = check_images(self, X, reset=True, dtype="numeric", ensure_all_finite=False)
        self._check_range(X)
        return self

    def transform(self, X):
        """Scale ``X`` to float32 in ``[0, 1]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, c])

        Returns
        -------
        X_scaled : ndarray of float32, same shape as ``X``
        """
        check_is_fitted(self)
        return self._scale(self._unscaled(X))

    def _unscaled(self, X) -> np.ndarray:
        """``X`` checked as :meth:`transform` checks it (layout, range), in the shape
        ``transform`` returns, but not scaled: what a network that scales its batches
        itself (:meth:`_scaling_deferred`) reads."""
        X, sample_shape = check_images(
            self, X, reset=False, dtype="numeric", ensure_all_finite=False
        )
        self._check_range(X)
        return X if sample_shape is None else X.reshape((X.shape[0], *sample_shape))

    def _scale(self, X: np.ndarray) -> np.ndarray:
        """The arithmetic of :meth:`transform`, elementwise, on an array of any shape.

        A slice of ``X`` comes out exactly as the same slice of ``X`` scaled whole, which
        is what lets a network in an ImagePipeline scale its batches one at a time
        (:meth:`_scaling_deferred`).
        """
        out = aligned_empty(X.shape, np.float32)  # TensorFlow takes it in one copy
        out[...] = X
        if self.clip:
            np.clip(out, 0.0, self.max_value, out=out)
        out *= np.float32(1.0 / self.max_value)
        return out

    @contextlib.contextmanager
    def _scaling_deferred(self) -> Iterator[PixelScaler]:
        """Within it, ``fit_transform`` fits and returns ``X`` checked but unscaled.

        For :class:`~mnist_estimators.estimators.ImagePipeline` only: the network after
        this step then scales each training batch by :meth:`_scale` as it reads it,
        and no float32 copy of every image exists during the fit. Outside it, and in
        ``transform`` always, this transformer scales as documented.
        """
        self._deferred = True
        try:
            yield self
        finally:
            del self._deferred

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to ``X``, then scale it (see :meth:`fit` and :meth:`transform`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels) or (n_samples, h, w[, c])
        y : None
            Ignored.
        **fit_params : dict
            None are taken; here for scikit-learn's signature.

        Returns
        -------
        X_scaled : ndarray of float32, same shape as ``X``
        """
        if not getattr(self, "_deferred", False):
            return super().fit_transform(X, y, **fit_params)
        return self.fit(X, y, **fit_params)._unscaled(X)

    def _check_range(self, X: np.ndarray) -> None:
        name = type(self).__name__
        if X.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} expects numeric pixel values, got an array of dtype {X.dtype}."
            )
        if X.dtype.kind == "f":
            bad = ~np.isfinite(X)
            if bad.any():
                raise ValueError(
                    f"{name} got {int(bad.sum())} NaN or inf pixel value(s); pixels must be "
                    f"finite numbers in [0, {self.max_value:g}]. Remove or impute them first."
                )
        if self.clip or X.size == 0:
            return
        lo, hi = X.min(), X.max()
        if lo < 0:
            raise ValueError(
                f"Negative values in data passed to {name} (min {lo:g}); pixels must be in "
                f"[0, {self.max_value:g}]. Pass clip=True to clip them instead."
            )
        if hi > self.max_value:
            raise ValueError(
                f"{name} got pixel values above max_value={self.max_value:g} (max {hi:g}). "
                "Set max_value to your data's range, or clip=True to clip."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


class ImageReshaper(TransformerMixin, BaseEstimator):
    """Reshape flat images to the layout a network reads.

    ``(n, h*w*c)`` becomes ``(n, h, w, c)`` for a CNN (``layout="image"``) or
    ``(n, h, w*c)`` for an LSTM (``layout="sequence"``: rows as time steps).
    Reshaping is a view: no pixel is copied. Image-shaped input is accepted
    too and brought to the requested layout.

    Parameters
    ----------
    image_shape : "auto" or tuple of int, default="auto"
        ``(height, width)`` or ``(height, width, channels)``. ``"auto"`` takes
        a square single-channel image when the number of features is a perfect
        square (784 -> 28x28, 64 -> 8x8), else a one-row strip ``(1, n, 1)``.
    layout : {"image", "sequence"}, default="image"
        ``"image"`` for convolutional networks, ``"sequence"`` for recurrent ones.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(height, width, channels)`` resolved in ``fit``.
    n_features_in_ : int
        Number of values per sample.

    Notes
    -----
    The output is 3-D or 4-D, so this transformer has no
    ``get_feature_names_out``: ``set_output(transform="default")`` is accepted
    (so ``Pipeline.set_output`` works), and ``"pandas"``/``"polars"`` raise a
    ValueError that says why.

    Examples
    --------
    >>> import numpy as np
    >>> from mnist_estimators import ImageReshaper
    >>> X = np.zeros((5, 784), dtype=np.float32)
    >>> ImageReshaper(layout="image").fit_transform(X).shape
    (5, 28, 28, 1)
    >>> ImageReshaper(layout="sequence").fit_transform(X).shape
    (5, 28, 28)
    """

    _parameter_constraints: dict = {
        "image_shape": [StrOptions({"auto"}), tuple, list],
        "layout": [StrOptions(set(LAYOUTS))],
    }

    def __init__(self, image_shape: str | Sequence[int] = "auto", layout: str = "image"):
        self.image_shape = image_shape
        self.layout = layout

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the image shape from ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
        y : None
            Ignored.

        Returns
        -------
        self : ImageReshaper
        """
        fit_images(self, X, self.image_shape)
        return self

    def transform(self, X):
        """Reshape ``X`` to the fitted layout.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])

        Returns
        -------
        X_reshaped : ndarray of shape (n, h, w, c) or (n, h, w*c)
        """
        X, _ = transform_images(self, X)
        return to_layout(X, self.image_shape_, self.layout)

    def set_output(self, *, transform=None):
        """Accept ``"default"`` (arrays, what this transformer returns); refuse DataFrames.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            None and ``"default"`` change nothing.

        Returns
        -------
        self : ImageReshaper

        Raises
        ------
        ValueError
            For ``"pandas"`` or ``"polars"``: images of shape ``(n, h, w, c)``
            cannot be a table.
        """
        if transform in (None, "default"):
            return self
        raise ValueError(
            f"ImageReshaper cannot output {transform!r}: its output is image-shaped "
            f"(n, h, w[, c]), which no DataFrame can hold. Call set_output(transform={transform!r}) "
            "on the steps before it (e.g. pipe[:1].set_output(...)), or use transform='default'."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.three_d_array = True
        return tags
