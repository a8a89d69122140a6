"""Ready-made Pipelines: scale pixels, classify (the classifier reads the image layout)."""

from __future__ import annotations

from sklearn import get_config
from sklearn.pipeline import Pipeline

from .base import REFERENCE_TRAINING
from .cnn import CNNClassifier
from .lstm import LSTMClassifier
from .preprocessing import PixelScaler

__all__ = ["PIPELINES", "ImagePipeline", "make_cnn_pipeline", "make_lstm_pipeline", "make_pipeline"]


class _ThroughSteps:
    """Validation data that the network reads through the pipeline's fitted transformers.

    The classifier calls :meth:`resolve` when training starts, that is after
    the pipeline has fitted every step before it.
    """

    def __init__(self, pipeline: Pipeline, X_val, y_val):
        self.pipeline, self.X_val, self.y_val = pipeline, X_val, y_val

    def resolve(self):
        return self.pipeline[:-1].transform(self.X_val), self.y_val


class ImagePipeline(Pipeline):
    """A Pipeline whose network evaluates validation data as it evaluates everything else.

    ``fit(X, y, validation_data=(X_val, y_val))`` (or
    ``<last step>__validation_data=...``) sends ``X_val`` through the
    pipeline's fitted transformers before the network reads it each epoch, so
    ``val_loss`` is the log loss the pipeline itself would give on that data.
    A plain :class:`~sklearn.pipeline.Pipeline` would pass raw pixels to the
    network (the classifier warns when validation data look unscaled).

    With metadata routing on (``sklearn.set_config(enable_metadata_routing=True)``),
    request it as for any routed parameter, ``pipe[-1].set_fit_request(validation_data=True)``,
    and pass ``validation_data=(X_val, y_val)``.
    """

    def fit(self, X, y=None, **params):
        key = f"{self.steps[-1][0]}__validation_data"
        value = params.pop("validation_data", None)
        value = params.pop(key, value)
        if value is not None:
            try:
                X_val, y_val = value
            except (TypeError, ValueError):
                raise ValueError("validation_data must be a tuple (X_val, y_val).") from None
            # With metadata routing, parameters go by the name a step requested;
            # without it, by "<step>__<name>".
            routed = get_config().get("enable_metadata_routing", False)
            params["validation_data" if routed else key] = _ThroughSteps(self, X_val, y_val)
        return super().fit(X, y, **params)


def make_cnn_pipeline(*, max_value: float = 255.0, **params) -> ImagePipeline:
    """PixelScaler -> CNNClassifier.

    The classifier owns the image layout: it takes flat ``(n, h*w*c)`` or
    image-shaped input and reads it as ``(n, h, w, c)``, so its
    ``image_shape`` (``cnnclassifier__image_shape`` in a grid) is honoured.
    :class:`ImageReshaper` remains available as a stand-alone transformer.

    Parameters
    ----------
    max_value : float, default=255.0
        Largest raw pixel value (see :class:`PixelScaler`).
    **params
        Arguments of :class:`CNNClassifier`, e.g. ``epochs=5`` or
        ``image_shape=(28, 28)``.

    Returns
    -------
    ImagePipeline
        Steps ``pixelscaler``, ``cnnclassifier``; tune with names like
        ``cnnclassifier__filters``. ``fit(X, y, validation_data=(X_val,
        y_val))`` scales ``X_val`` too.

    Examples
    --------
    >>> from mnist_estimators import make_cnn_pipeline
    >>> pipe = make_cnn_pipeline(epochs=1)
    >>> [name for name, _ in pipe.steps]
    ['pixelscaler', 'cnnclassifier']
    """
    return ImagePipeline(
        [
            ("pixelscaler", PixelScaler(max_value=max_value)),
            ("cnnclassifier", CNNClassifier(**params)),
        ]
    )


def make_lstm_pipeline(*, max_value: float = 255.0, **params) -> ImagePipeline:
    """PixelScaler -> LSTMClassifier (rows of the image are the time steps).

    Parameters
    ----------
    max_value : float, default=255.0
        Largest raw pixel value (see :class:`PixelScaler`).
    **params
        Arguments of :class:`LSTMClassifier`, e.g. ``units=64`` or
        ``image_shape=(28, 28)``.

    Returns
    -------
    ImagePipeline
        Steps ``pixelscaler``, ``lstmclassifier``.

    Examples
    --------
    >>> from mnist_estimators import make_lstm_pipeline
    >>> make_lstm_pipeline(units=64).get_params()["lstmclassifier__units"]
    64
    """
    return ImagePipeline(
        [
            ("pixelscaler", PixelScaler(max_value=max_value)),
            ("lstmclassifier", LSTMClassifier(**params)),
        ]
    )


#: The ready-made pipelines by model name (the command line's ``--models``/``--model``).
PIPELINES = {"cnn": make_cnn_pipeline, "lstm": make_lstm_pipeline}


def make_pipeline(model: str, *, reference_training: bool = False, **params) -> ImagePipeline:
    """The ready-made pipeline of ``model`` (``"cnn"`` or ``"lstm"``).

    Parameters
    ----------
    model : {"cnn", "lstm"}
        Which network.
    reference_training : bool, default=False
        Train as the reference notebook did (:data:`REFERENCE_TRAINING`) instead
        of with the model's own defaults; ``params`` still override it.
    **params
        Arguments of the classifier, e.g. ``epochs=2``.

    Returns
    -------
    ImagePipeline

    Examples
    --------
    >>> pipe = make_pipeline("lstm", reference_training=True, epochs=1)
    >>> pipe[-1].get_params()["batch_size"], pipe[-1].get_params()["epochs"]
    (32, 1)
    """
    if model not in PIPELINES:
        raise ValueError(f"model must be one of {sorted(PIPELINES)}, got {model!r}.")
    training = dict(REFERENCE_TRAINING) if reference_training else {}
    return PIPELINES[model](**{**training, **params})
