"""mnist-estimators: CNN and LSTM image classifiers as scikit-learn estimators.

Heavy modules (TensorFlow) load on first use of a name that needs them, so
``import mnist_estimators`` and the data loaders stay fast and quiet.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "CNNClassifier": "cnn",
    "LSTMClassifier": "lstm",
    "KerasImageClassifier": "base",
    "REFERENCE_TRAINING": "base",
    "PixelScaler": "preprocessing",
    "ImageReshaper": "preprocessing",
    "make_cnn_pipeline": "pipelines",
    "make_lstm_pipeline": "pipelines",
    "ImagePipeline": "pipelines",
    "EpochTimer": "callbacks",
    "CosineToConstant": "schedules",
    "load_mnist": "datasets",
    "load_fashion_mnist": "datasets",
    "load_digits_images": "datasets",
    "compare_models": "comparison",
    "ComparisonResult": "result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mnist_estimators' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
