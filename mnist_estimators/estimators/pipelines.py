"""Ready-made Pipelines: scale pixels, classify (the classifier reads the image layout)."""

from __future__ import annotations

from sklearn import get_config
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if

from ._compat import check_is_fitted
from .cnn import CNNClassifier
from .lstm import LSTMClassifier
from .preprocessing import PixelScaler
from .registry import MODELS, model_spec
from .zoo import GRUClassifier, MLPClassifier, ViTClassifier

__all__ = [
    "BASELINE_SETTINGS",
    "ImagePipeline",
    "make_cnn_pipeline",
    "make_gru_pipeline",
    "make_hgb_pipeline",
    "make_logreg_pipeline",
    "make_lstm_pipeline",
    "make_mlp_pipeline",
    "make_pipeline",
    "make_vit_pipeline",
]


class _ThroughSteps:
    """Validation data that the network reads through the pipeline's fitted transformers.

    The classifier calls :meth:`resolve` when training starts, that is after
    the pipeline has fitted every step before it.
    """

    def __init__(self, pipeline: Pipeline, X_val, y_val):
        self.pipeline, self.X_val, self.y_val = pipeline, X_val, y_val

    def resolve(self, *, unscaled_by: PixelScaler | None = None):
        """``(X_val, y_val)``, ``X_val`` transformed by the pipeline's fitted steps.

        With ``unscaled_by`` (the pipeline's PixelScaler, for a network that scales its
        batches itself), ``X_val`` is checked by that scaler as its ``transform`` checks
        data, and left unscaled.
        """
        if unscaled_by is not None:
            return unscaled_by._unscaled(self.X_val), self.y_val
        return self.pipeline[:-1].transform(self.X_val), self.y_val


def _final_step_has(method: str):
    """For ``available_if``: whether the last step has ``method``, as Pipeline checks."""
    return lambda pipeline: hasattr(pipeline._final_estimator, method)


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

    A pipeline of a :class:`PixelScaler` and one of the package's networks, as the
    ``make_*_pipeline`` functions build it, scales the training images batch by batch
    as the network reads them, instead of making a float32 copy of every image first
    (four times the memory of 8-bit pixels: 150 MB for 48,000 MNIST images). The
    batches are the very numbers the copy would hold, so the fit is the same, bit for
    bit. The pipeline then holds what any Pipeline holds: its steps, fitted. Its
    ``predict``, ``predict_proba`` and ``score`` likewise scale the images they are given
    chunk by chunk as the network predicts them (4,096 images at a time): the numbers
    of scikit-learn's Pipeline, without a float32 copy of every image.
    """

    def _scaled_per_batch(self):
        """``(scaler, network)`` when this pipeline's network can scale its own batches.

        Only a pipeline of exactly a PixelScaler and a network of this package, without
        ``memory`` (which would fit a clone of the scaler) or a pandas/polars output of
        the scaler; None otherwise.
        """
        if len(self.steps) != 2 or self.memory is not None:
            return None
        scaler, network = self.steps[0][1], self.steps[1][1]
        if type(scaler) is not PixelScaler or not hasattr(network, "_scaling_batches_by"):
            return None
        output = getattr(scaler, "_sklearn_output_config", {}).get("transform", "default")
        if output != "default" or get_config().get("transform_output", "default") != "default":
            return None
        return scaler, network

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
        per_batch = self._scaled_per_batch()
        if per_batch is None:
            return super().fit(X, y, **params)
        scaler, network = per_batch
        with scaler._scaling_deferred(), network._scaling_batches_by(scaler):
            return super().fit(X, y, **params)

    def _reading_unscaled(self, X, params: dict):
        """``(network, X unscaled, scaler)`` where the network can scale what it predicts
        chunk by chunk (:meth:`_scaled_per_batch`, fitted, no routed parameters); None
        where scikit-learn's Pipeline predicts (and raises its own errors)."""
        per_batch = None if params else self._scaled_per_batch()
        if per_batch is None:
            return None
        scaler, network = per_batch
        try:
            check_is_fitted(scaler)
            check_is_fitted(network)
        except NotFittedError:
            return None
        return network, scaler._unscaled(X), scaler

    def _predicted(self, method: str, X, params: dict, **kwargs):
        """The network's ``method`` on ``X`` read unscaled and scaled chunk by chunk
        where it can (:meth:`_reading_unscaled`); scikit-learn's Pipeline's otherwise."""
        direct = self._reading_unscaled(X, params)
        if direct is None:
            return getattr(super(), method)(X, **kwargs, **params)
        network, X, scaler = direct
        with network._scaling_batches_by(scaler):
            return getattr(network, method)(X, **kwargs)

    @available_if(_final_step_has("predict"))
    def predict(self, X, **params):
        """Predicted class labels, as :class:`~sklearn.pipeline.Pipeline` gives them.

        Where the network scales its batches itself (see the class), it reads ``X``
        unscaled and scales each chunk it predicts: the same predictions without a
        float32 copy of every image."""
        return self._predicted("predict", X, params)

    @available_if(_final_step_has("predict_proba"))
    def predict_proba(self, X, **params):
        """Class probabilities, as :class:`~sklearn.pipeline.Pipeline` gives them
        (chunk by chunk, as :meth:`predict`)."""
        return self._predicted("predict_proba", X, params)

    @available_if(_final_step_has("score"))
    def score(self, X, y=None, sample_weight=None, **params):
        """The last step's ``score``, as :class:`~sklearn.pipeline.Pipeline` gives it
        (chunk by chunk, as :meth:`predict`)."""
        return self._predicted("score", X, params, y=y, sample_weight=sample_weight)


def _image_pipeline(classifier, max_value: float) -> ImagePipeline:
    """PixelScaler -> ``classifier``, steps named as scikit-learn's ``make_pipeline`` names them."""
    return ImagePipeline(
        [
            ("pixelscaler", PixelScaler(max_value=max_value)),
            (type(classifier).__name__.lower(), classifier),
        ]
    )


_PIPELINE_DOC = """PixelScaler -> {cls}{what}.

    The classifier owns the image layout: it takes flat ``(n, h*w*c)`` or
    image-shaped input and reads it as it needs ({layout}), so its
    ``image_shape`` (``{step}__image_shape`` in a grid) is honoured.

    Parameters
    ----------
    max_value : float, default=255.0
        Largest raw pixel value (see :class:`PixelScaler`).
    **params
        Arguments of :class:`{cls}`, e.g. ``epochs=5``.

    Returns
    -------
    ImagePipeline
        Steps ``pixelscaler``, ``{step}``; tune with names like
        ``{step}__{param}``. ``fit(X, y, validation_data=(X_val, y_val))``
        scales ``X_val`` too.

    Examples
    --------
    >>> from mnist_estimators.estimators import {factory}
    >>> [name for name, _ in {factory}(epochs=1).steps]
    ['pixelscaler', '{step}']
    """


def _network_factory(cls, what: str, layout: str, param: str):
    """The ``make_<model>_pipeline`` of a network class, with its docstring."""
    factory = f"make_{cls.network_name}_pipeline"

    def make(*, max_value: float = 255.0, **params) -> ImagePipeline:
        return _image_pipeline(cls(**params), max_value)

    make.__name__ = make.__qualname__ = factory
    make.__module__ = __name__
    make.__doc__ = _PIPELINE_DOC.format(
        cls=cls.__name__,
        what=what,
        layout=layout,
        step=cls.__name__.lower(),
        param=param,
        factory=factory,
    )
    return make


make_cnn_pipeline = _network_factory(CNNClassifier, "", "``(n, h, w, c)``", "filters")
make_lstm_pipeline = _network_factory(
    LSTMClassifier, " (rows of the image are the time steps)", "rows as time steps", "units"
)
make_gru_pipeline = _network_factory(
    GRUClassifier, " (rows of the image are the time steps)", "rows as time steps", "units"
)
make_mlp_pipeline = _network_factory(MLPClassifier, "", "flat pixels", "hidden_units")
make_vit_pipeline = _network_factory(ViTClassifier, "", "``(n, h, w, c)``", "embed_dim")

#: The baselines' settings: chosen to finish a fit on the complete MNIST (60,000 images)
#: within a few minutes on 2 cores (docs/results.md gives the times measured).
BASELINE_SETTINGS = {
    "logreg": {"C": 0.1, "max_iter": 300},
    "hgb": {"max_iter": 30, "max_bins": 32, "learning_rate": 0.3, "early_stopping": False},
}


def make_logreg_pipeline(*, max_value: float = 255.0, **params) -> Pipeline:
    """PixelScaler -> scikit-learn's ``LogisticRegression``: the linear baseline.

    Multinomial logistic regression (lbfgs) on pixels in [0, 1], with
    :data:`BASELINE_SETTINGS` ``["logreg"]`` unless ``params`` say otherwise.

    Examples
    --------
    >>> from mnist_estimators.estimators import make_logreg_pipeline
    >>> make_logreg_pipeline(C=0.5)[-1].get_params()["C"]
    0.5
    """
    settings = {**BASELINE_SETTINGS["logreg"], **params}
    return Pipeline(
        [
            ("pixelscaler", PixelScaler(max_value=max_value)),
            ("logisticregression", LogisticRegression(**settings)),
        ]
    )


def make_hgb_pipeline(*, max_value: float = 255.0, **params) -> Pipeline:
    """PixelScaler -> scikit-learn's ``HistGradientBoostingClassifier``: the tree baseline.

    With :data:`BASELINE_SETTINGS` ``["hgb"]`` unless ``params`` say otherwise (no
    early stopping, so no validation split of its own: every model sees the same data).

    Examples
    --------
    >>> from mnist_estimators.estimators import make_hgb_pipeline
    >>> make_hgb_pipeline(max_iter=10)[-1].get_params()["max_iter"]
    10
    """
    settings = {**BASELINE_SETTINGS["hgb"], **params}
    return Pipeline(
        [
            ("pixelscaler", PixelScaler(max_value=max_value)),
            ("histgradientboostingclassifier", HistGradientBoostingClassifier(**settings)),
        ]
    )


def __getattr__(name: str):
    if name == "PIPELINES":  # version 0.2's table, now read from the registry
        return {key: spec.make_pipeline for key, spec in MODELS.items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_pipeline(model: str, *, reference_training: bool = False, **params) -> Pipeline:
    """The ready-made pipeline of a model of the registry (:data:`~.registry.MODELS`).

    Parameters
    ----------
    model : str
        Its key: ``"cnn"``, ``"lstm"``, ``"gru"``, ``"mlp"``, ``"vit"``, ``"logreg"``,
        ``"hgb"`` (:func:`~.registry.model_names`).
    reference_training : bool, default=False
        Train as the reference notebook did (:data:`REFERENCE_TRAINING`) instead
        of with the model's own defaults; ``params`` still override it. Only for
        a network: a baseline has no reference setting.
    **params
        Arguments of the pipeline's final step, e.g. ``epochs=2``.

    Returns
    -------
    Pipeline
        An :class:`ImagePipeline` for a network.

    Examples
    --------
    >>> pipe = make_pipeline("lstm", reference_training=True, epochs=1)
    >>> pipe[-1].get_params()["batch_size"], pipe[-1].get_params()["epochs"]
    (32, 1)
    """
    spec = model_spec(model)
    training = {}
    if reference_training:
        if spec.reference is None:
            raise ValueError(
                f"{spec.label} is a {spec.kind} with no reference training setting: "
                "reference_training is for the networks."
            )
        training = dict(spec.reference)
    return spec.make_pipeline(**{**training, **params})
