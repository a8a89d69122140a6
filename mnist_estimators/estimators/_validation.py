"""Input validation shared by the transformers and classifiers.

Images may arrive flat, ``(n, h*w*c)``, or image shaped, ``(n, h, w)`` or
``(n, h, w, c)``. Both are validated as a flat 2-D view with scikit-learn's
``validate_data`` (so ``n_features_in_``, feature names and the standard
"X has k features, but ... is expecting m features" error behave as usual) and
the sample shape is kept apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._compat import check_is_fitted, validate_data

ImageShape = tuple[int, int, int]

__all__ = ["check_images", "resolve_image_shape", "to_layout"]

LAYOUTS = ("image", "sequence")
#: What a network may read: the reshaper's layouts, or the flat vectors themselves.
NETWORK_LAYOUTS = (*LAYOUTS, "flat")


def check_images(
    estimator, X, *, reset: bool, dtype=(np.float32, np.float64), ensure_all_finite=True
) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """Validate ``X`` as flat samples.

    Returns the validated 2-D array and the per-sample shape when ``X`` was
    image shaped (``None`` when it was already flat).
    """
    sample_shape = None
    if not hasattr(X, "shape") and not hasattr(X, "__dataframe__"):
        X = np.asarray(X)
    if getattr(X, "ndim", 2) > 2:
        if X.ndim > 4:
            raise ValueError(
                f"{type(estimator).__name__} expects flat images (n, h*w*c) or image-shaped "
                f"arrays (n, h, w) / (n, h, w, c); got an array with shape {X.shape}."
            )
        sample_shape = tuple(int(d) for d in X.shape[1:])
        X = np.reshape(X, (X.shape[0], -1))
    X = validate_data(estimator, X, reset=reset, dtype=dtype, ensure_all_finite=ensure_all_finite)
    return X, sample_shape


def resolve_image_shape(
    image_shape: str | Sequence[int], n_features: int, *, owner: str
) -> ImageShape:
    """Turn an ``image_shape`` parameter into ``(height, width, channels)``.

    ``"auto"`` gives a square single-channel image when ``n_features`` is a
    perfect square (784 -> 28x28, 64 -> 8x8) and a one-row strip
    ``(1, n_features, 1)`` otherwise.

    Examples
    --------
    >>> resolve_image_shape("auto", 784, owner="demo")
    (28, 28, 1)
    >>> resolve_image_shape((4, 3), 12, owner="demo")
    (4, 3, 1)
    """
    if isinstance(image_shape, str):
        if image_shape != "auto":
            raise ValueError(
                f"{owner}: image_shape must be 'auto', (height, width) or "
                f"(height, width, channels); got {image_shape!r}."
            )
        side = math.isqrt(n_features)
        if side * side == n_features:
            return (side, side, 1)
        return (1, n_features, 1)
    try:
        shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: image_shape must be 'auto', (height, width) or "
            f"(height, width, channels); got {image_shape!r}."
        ) from None
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"{owner}: image_shape must have 2 or 3 positive sizes, got {image_shape!r}."
        )
    if math.prod(shape) != n_features:
        raise ValueError(
            f"{owner}: image_shape={shape} needs {math.prod(shape)} features per sample "
            f"(height*width*channels), but X has {n_features}. Pass flat images of "
            f"{math.prod(shape)} values, or set image_shape to match your data."
        )
    return shape


def image_shape_from_sample(sample_shape: tuple[int, ...]) -> ImageShape:
    """``(h, w)`` -> ``(h, w, 1)``; ``(h, w, c)`` unchanged."""
    if len(sample_shape) == 2:
        return (*sample_shape, 1)
    return tuple(sample_shape)  # type: ignore[return-value]


def check_sample_shape(sample_shape, image_shape: ImageShape, *, owner: str) -> None:
    """At predict/transform time an image-shaped X must match the fitted shape."""
    if sample_shape is None:
        return
    if image_shape_from_sample(sample_shape) != tuple(image_shape) and tuple(sample_shape) != (
        image_shape[0],
        image_shape[1] * image_shape[2],
    ):
        raise ValueError(
            f"{owner} was fitted on images of shape {tuple(image_shape)} but got images of "
            f"shape {tuple(sample_shape)}."
        )


def fit_images(estimator, X, image_shape) -> np.ndarray:
    """``fit``'s validation of an image transformer: check ``X`` (resetting
    ``n_features_in_``), set ``estimator.image_shape_`` from image-shaped input or from
    ``image_shape``, and return ``X`` flat."""
    X, sample_shape = check_images(estimator, X, reset=True, dtype="numeric")
    if sample_shape is not None:
        estimator.image_shape_ = image_shape_from_sample(sample_shape)
    else:
        estimator.image_shape_ = resolve_image_shape(
            image_shape, X.shape[1], owner=type(estimator).__name__
        )
    return X


def transform_images(estimator, X) -> tuple[np.ndarray, tuple[int, ...] | None]:
    """``transform``'s validation of a fitted image transformer: ``X`` flat, and its
    sample shape when it was image shaped (which must match the fitted one)."""
    check_is_fitted(estimator)
    X, sample_shape = check_images(estimator, X, reset=False, dtype="numeric")
    check_sample_shape(sample_shape, estimator.image_shape_, owner=type(estimator).__name__)
    return X, sample_shape


def to_layout(X: np.ndarray, image_shape: ImageShape, layout: str) -> np.ndarray:
    """Reshape flat ``X`` (a view, no copy) to the layout a network reads.

    ``"image"``: ``(n, h, w, c)`` for convolutions. ``"sequence"``: ``(n, h, w*c)``,
    rows as time steps, for recurrent networks. ``"flat"``: ``(n, h*w*c)`` as is,
    for dense networks.
    """
    h, w, c = image_shape
    if layout == "image":
        return X.reshape(X.shape[0], h, w, c)
    if layout == "sequence":
        return X.reshape(X.shape[0], h, w * c)
    if layout == "flat":
        return X.reshape(X.shape[0], h * w * c)
    raise ValueError(f"layout must be one of {NETWORK_LAYOUTS}, got {layout!r}.")
