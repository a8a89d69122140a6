"""The built-in models, in one table: the only list of models in the package.

Each :class:`ModelSpec` names a model, says in one line what it is and which input
layout it reads, where its ready-made pipeline and its estimator class are (as import
paths, so that reading the table needs no TensorFlow), and its training defaults and
reference settings when it has any. The command line's choices and help, the
pipelines factory (:func:`~mnist_estimators.estimators.pipelines.make_pipeline`),
the training-defaults tables (:mod:`._defaults`), the docs' list of models and the
benchmarks all read :data:`MODELS`. Adding a model is one entry here plus its
estimator class.

Examples
--------
>>> from mnist_estimators.estimators.registry import MODELS, model_names
>>> model_names()[:3]
('cnn', 'lstm', 'gru')
>>> MODELS["vit"].label, MODELS["vit"].layout
('ViT', 'image')
>>> model_names("baseline")
('logreg', 'hgb')
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "KINDS",
    "MODELS",
    "REFERENCE_MODELS",
    "REFERENCE_TRAINING",
    "ModelSpec",
    "import_object",
    "model_names",
    "model_spec",
    "models_markdown",
]

#: The reference notebook's training setting. ``CNNClassifier(**REFERENCE_TRAINING)``
#: and ``LSTMClassifier(**REFERENCE_TRAINING)`` train exactly as the reference did; every
#: network of the zoo takes it (``--reference-training``).
REFERENCE_TRAINING = {
    "learning_rate": 0.001,
    "lr_schedule": "constant",
    "batch_size": 32,
    "standardize": False,
}

#: What a model is: a Keras network of the package, or a scikit-learn baseline.
KINDS = ("network", "baseline")

#: ``batch_size="auto"`` rows ``(bound on the training images, batch)`` and the rate at a
#: batch ``(rate, batch)``, shared by the models named in each (docs/results.md).
_CONV_AUTO = {
    "batch_sizes": ((3_000, 32), (15_000, 64), (30_000, 128), (None, 256)),
    "rate": (0.003, 128),
}
_RECURRENT_AUTO = {"batch_sizes": ((3_000, 16), (15_000, 32), (None, 128)), "rate": (0.003, 16)}
_COSINE_AUTO = {"learning_rate": "auto", "lr_schedule": "cosine", "batch_size": "auto"}


@dataclass(frozen=True)
class ModelSpec:
    """One built-in model.

    Attributes
    ----------
    name : str
        Its key: the command line's ``--models`` choice (``"cnn"``).
    label : str
        Its name in tables, figures and verdicts (``"CNN"``).
    description : str
        One line: what it is.
    layout : {"image", "sequence", "flat"}
        The input layout its classifier reads (flat pixels always come in).
    pipeline : str
        ``"module:function"`` of its ready-made pipeline's factory.
    estimator : str
        ``"module:Class"`` of the pipeline's final step.
    kind : {"network", "baseline"}
        A Keras network of the package (trained in epochs; takes the common
        training arguments), or a scikit-learn baseline.
    training : mapping
        A network's training defaults (``learning_rate``, ``lr_schedule``,
        ``batch_size``, ``standardize``); empty for a baseline.
    auto : mapping or None
        What ``batch_size="auto"`` and ``learning_rate="auto"`` give
        (:data:`~mnist_estimators.estimators.AUTO_TRAINING`); None: the reference's.
    reference : mapping or None
        The reference notebook's settings, for the networks it can train with
        (:data:`REFERENCE_TRAINING`); None for a baseline.
    """

    name: str
    label: str
    description: str
    layout: str
    pipeline: str
    estimator: str
    kind: str = "network"
    training: Mapping = field(default_factory=dict)
    auto: Mapping | None = None
    reference: Mapping | None = field(default_factory=lambda: MappingProxyType(REFERENCE_TRAINING))

    def make_pipeline(self, **params):
        """The ready-made pipeline, with ``params`` for its final step."""
        return import_object(self.pipeline)(**params)


_PIPELINES = "mnist_estimators.estimators.pipelines"

#: The built-in models, in table order: the reference's two networks, the zoo's, then
#: scikit-learn's baselines.
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "cnn",
            "CNN",
            "the reference's convolutional network: 2 convolutions, max-pool, dense 128",
            "image",
            f"{_PIPELINES}:make_cnn_pipeline",
            "mnist_estimators.estimators.cnn:CNNClassifier",
            training={**_COSINE_AUTO, "standardize": False},
            auto=_CONV_AUTO,
        ),
        ModelSpec(
            "lstm",
            "LSTM",
            "the reference's recurrent network: LSTM(128) over the 28 rows",
            "sequence",
            f"{_PIPELINES}:make_lstm_pipeline",
            "mnist_estimators.estimators.lstm:LSTMClassifier",
            training={**_COSINE_AUTO, "standardize": True},
            auto=_RECURRENT_AUTO,
        ),
        ModelSpec(
            "gru",
            "GRU",
            "a GRU(128) over the rows, the LSTM's lighter gated cousin",
            "sequence",
            f"{_PIPELINES}:make_gru_pipeline",
            "mnist_estimators.estimators.zoo:GRUClassifier",
            training={**_COSINE_AUTO, "standardize": True},
            auto=_RECURRENT_AUTO,
        ),
        ModelSpec(
            "mlp",
            "MLP",
            "dense layers (256, 128) on the flat pixels",
            "flat",
            f"{_PIPELINES}:make_mlp_pipeline",
            "mnist_estimators.estimators.zoo:MLPClassifier",
            training={**_COSINE_AUTO, "standardize": True},
            auto=_CONV_AUTO,
        ),
        ModelSpec(
            "vit",
            "ViT",
            "a small vision transformer: 7x7 patches (16 tokens), 2 attention blocks",
            "image",
            f"{_PIPELINES}:make_vit_pipeline",
            "mnist_estimators.estimators.zoo:ViTClassifier",
            training={**_COSINE_AUTO, "standardize": True},
            # The tuning budget's winner (batch 32, lr 0.003 at 6,667 training images),
            # kept at other sizes by the recurrent networks' batch rows and the
            # square-root rule (docs/results.md, "One tuning budget").
            auto={"batch_sizes": _RECURRENT_AUTO["batch_sizes"], "rate": (0.003, 32)},
        ),
        ModelSpec(
            "logreg",
            "LogReg",
            "scikit-learn's multinomial logistic regression on pixels in [0, 1]",
            "flat",
            f"{_PIPELINES}:make_logreg_pipeline",
            "sklearn.linear_model:LogisticRegression",
            kind="baseline",
            reference=None,
        ),
        ModelSpec(
            "hgb",
            "HGB",
            "scikit-learn's histogram gradient-boosted trees on the pixels",
            "flat",
            f"{_PIPELINES}:make_hgb_pipeline",
            "sklearn.ensemble:HistGradientBoostingClassifier",
            kind="baseline",
            reference=None,
        ),
    )
}


#: The reference notebook's two networks: what ``compare`` and ``explain`` compare by default
#: (the README's main job).
REFERENCE_MODELS = ("cnn", "lstm")


def model_names(kind: str | None = None) -> tuple[str, ...]:
    """The models' keys in table order, of one ``kind`` (``"network"``, ``"baseline"``) or all."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, got {kind!r}.")
    return tuple(name for name, spec in MODELS.items() if kind in (None, spec.kind))


def model_spec(name: str) -> ModelSpec:
    """The entry of model ``name``, or a ValueError that lists the models.

    Examples
    --------
    >>> model_spec("cnn").label
    'CNN'
    >>> model_spec("resnet")
    Traceback (most recent call last):
    ...
    ValueError: Unknown model 'resnet': the built-in models are cnn, lstm, gru, mlp, vit, logreg, hgb.
    """
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown model {name!r}: the built-in models are {', '.join(MODELS)}."
        ) from None


def import_object(path: str):
    """The object at ``"package.module:attribute"``.

    Raises
    ------
    ImportError
        The path is not of that form, its module cannot be imported, or it has no
        such attribute; the message says which.
    """
    module, sep, attribute = path.partition(":")
    if not sep or not module or not attribute:
        raise ImportError(f"Expected 'package.module:attribute', got {path!r}.")
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"Cannot import {module!r} (from {path!r}): {exc}") from None
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ImportError(
                f"{module!r} has no attribute {attribute!r} (from {path!r})."
            ) from None
    return found


def models_markdown() -> str:
    """The registry as a Markdown table: the docs' list of models (``docs/_ext``).

    Examples
    --------
    >>> print(models_markdown().splitlines()[2])
    | `cnn` | CNN | network | image | the reference's convolutional network: 2 convolutions, max-pool, dense 128 | `make_cnn_pipeline` |
    """
    lines = [
        "| `--models` | name | kind | input | what it is | pipeline |",
        "|---|---|---|---|---|---|",
    ]
    for spec in MODELS.values():
        factory = spec.pipeline.partition(":")[2]
        lines.append(
            f"| `{spec.name}` | {spec.label} | {spec.kind} | {spec.layout} | "
            f"{spec.description} | `{factory}` |"
        )
    return "\n".join(lines)
