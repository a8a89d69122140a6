"""Ready-made Pipelines: scale pixels, reshape for the network, classify."""

from __future__ import annotations

from sklearn.pipeline import Pipeline

from .cnn import CNNClassifier
from .lstm import LSTMClassifier
from .preprocessing import ImageReshaper, PixelScaler

__all__ = ["make_cnn_pipeline", "make_lstm_pipeline"]


def make_cnn_pipeline(*, image_shape="auto", max_value: float = 255.0, **params) -> Pipeline:
    """PixelScaler -> ImageReshaper(layout="image") -> CNNClassifier.

    Parameters
    ----------
    image_shape : "auto" or tuple of int, default="auto"
        Shape of one image (see :class:`ImageReshaper`).
    max_value : float, default=255.0
        Largest raw pixel value (see :class:`PixelScaler`).
    **params
        Arguments of :class:`CNNClassifier`, e.g. ``epochs=5``.

    Returns
    -------
    Pipeline
        Steps ``pixelscaler``, ``imagereshaper``, ``cnnclassifier``; tune
        with names like ``cnnclassifier__filters``.

    Examples
    --------
    >>> from mnist_estimators import make_cnn_pipeline
    >>> pipe = make_cnn_pipeline(epochs=1)
    >>> [name for name, _ in pipe.steps]
    ['pixelscaler', 'imagereshaper', 'cnnclassifier']
    """
    return Pipeline(
        [
            ("pixelscaler", PixelScaler(max_value=max_value)),
            ("imagereshaper", ImageReshaper(image_shape=image_shape, layout="image")),
            ("cnnclassifier", CNNClassifier(**params)),
        ]
    )


def make_lstm_pipeline(*, image_shape="auto", max_value: float = 255.0, **params) -> Pipeline:
    """PixelScaler -> ImageReshaper(layout="sequence") -> LSTMClassifier.

    Parameters
    ----------
    image_shape : "auto" or tuple of int, default="auto"
        Shape of one image (see :class:`ImageReshaper`).
    max_value : float, default=255.0
        Largest raw pixel value (see :class:`PixelScaler`).
    **params
        Arguments of :class:`LSTMClassifier`, e.g. ``units=64``.

    Returns
    -------
    Pipeline
        Steps ``pixelscaler``, ``imagereshaper``, ``lstmclassifier``.

    Examples
    --------
    >>> from mnist_estimators import make_lstm_pipeline
    >>> make_lstm_pipeline(units=64).get_params()["lstmclassifier__units"]
    64
    """
    return Pipeline(
        [
            ("pixelscaler", PixelScaler(max_value=max_value)),
            ("imagereshaper", ImageReshaper(image_shape=image_shape, layout="sequence")),
            ("lstmclassifier", LSTMClassifier(**params)),
        ]
    )
