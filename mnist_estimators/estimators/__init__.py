"""The estimators wing: the classifiers, their transformers and Pipelines.

Everything here is a scikit-learn estimator. It builds on the Keras runtime
(:mod:`mnist_estimators._keras`) and on nothing else of the package. Names load on
first use, so the training defaults (:mod:`._defaults`) can be read without
TensorFlow. ``Interval`` and ``StrOptions`` are scikit-learn's parameter
constraints, for the ``_parameter_constraints`` of your own subclass of
:class:`KerasImageClassifier`.
"""

from __future__ import annotations

from .. import _lazy

_EXPORTS = {
    "Interval": "_compat",
    "StrOptions": "_compat",
    "REFERENCE_TRAINING": "registry",
    "MODELS": "registry",
    "ModelSpec": "registry",
    "model_names": "registry",
    "model_spec": "registry",
    "FitTimed": "timing",
    "save": "saving",
    "load": "saving",
    "SavedNetwork": "saving",
    "UnsafeModelFileError": "errors",
    "GRUClassifier": "zoo",
    "MLPClassifier": "zoo",
    "ViTClassifier": "zoo",
    "BASELINE_SETTINGS": "pipelines",
    "make_gru_pipeline": "pipelines",
    "make_mlp_pipeline": "pipelines",
    "make_vit_pipeline": "pipelines",
    "make_logreg_pipeline": "pipelines",
    "make_hgb_pipeline": "pipelines",
    "AUTO_TRAINING": "_defaults",
    "auto_training": "_defaults",
    "TRAINING_DEFAULTS": "_defaults",
    "LR_SCHEDULES": "base",
    "OPTIMIZERS": "base",
    "KerasImageClassifier": "base",
    "CNNClassifier": "cnn",
    "LSTMClassifier": "lstm",
    "ImagePipeline": "pipelines",
    "make_cnn_pipeline": "pipelines",
    "make_lstm_pipeline": "pipelines",
    "make_pipeline": "pipelines",
    "ImageReshaper": "preprocessing",
    "PixelScaler": "preprocessing",
    "ImageRotator": "transforms",
    "ImageShifter": "transforms",
    "ImageTransform": "transforms",
    "ImageTransposer": "transforms",
    "PixelPermuter": "transforms",
    "RowShuffler": "transforms",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = _lazy.lazy_exports(__name__, _EXPORTS, globals())
