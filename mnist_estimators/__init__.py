"""mnist-estimators: image classifiers (CNN, LSTM and a model zoo) as scikit-learn estimators.

Heavy modules (TensorFlow) load on first use of a name that needs them, so
``import mnist_estimators`` and the data loaders stay fast and quiet.

The package is in wings that only import downward (``import-linter`` checks it
in CI): :mod:`.cli` > :mod:`.reporting` > :mod:`.evaluation` > :mod:`.estimators`
and :mod:`.datasets` > :mod:`._keras`. The module paths of version 0.1
(``mnist_estimators.search``, ``.result``, ...) stay importable (:mod:`._moved`).
"""

from __future__ import annotations

from . import _lazy, _moved

__version__ = "0.2.0"

_moved.install()

_EXPORTS = {
    "CNNClassifier": "estimators.cnn",
    "LSTMClassifier": "estimators.lstm",
    "GRUClassifier": "estimators.zoo",
    "MLPClassifier": "estimators.zoo",
    "ViTClassifier": "estimators.zoo",
    "KerasImageClassifier": "estimators.base",
    "REFERENCE_TRAINING": "estimators.base",
    "MODELS": "estimators.registry",
    "FitTimed": "estimators.timing",
    "make_pipeline": "estimators.pipelines",
    "PixelScaler": "estimators.preprocessing",
    "ImageReshaper": "estimators.preprocessing",
    "ImageRotator": "estimators.transforms",
    "ImageShifter": "estimators.transforms",
    "ImageTransposer": "estimators.transforms",
    "PixelPermuter": "estimators.transforms",
    "RowShuffler": "estimators.transforms",
    "make_cnn_pipeline": "estimators.pipelines",
    "make_lstm_pipeline": "estimators.pipelines",
    "make_gru_pipeline": "estimators.pipelines",
    "make_mlp_pipeline": "estimators.pipelines",
    "make_vit_pipeline": "estimators.pipelines",
    "make_logreg_pipeline": "estimators.pipelines",
    "make_hgb_pipeline": "estimators.pipelines",
    "ImagePipeline": "estimators.pipelines",
    "EpochTimer": "_keras.callbacks",
    "CosineToConstant": "_keras.schedules",
    "CPUUnrolledLSTM": "_keras.layers",
    "keras": "_keras.runtime",
    "FusedLSTM": "_keras.layers",
    "PositionEmbedding": "_keras.layers",
    "Standardize": "_keras.layers",
    "network_reuse": "_keras.reuse",
    "load_mnist": "datasets",
    "load_fashion_mnist": "datasets",
    "load_digits_images": "datasets",
    "compare_models": "evaluation.compare",
    "explain": "evaluation.experiments",
    "grid_search": "evaluation.search",
    "from_search": "evaluation.search",
    "ComparisonResult": "evaluation.result",
    "SearchResult": "evaluation.result",
    "write_report": "reporting.report",
    "save": "estimators.saving",
    "load": "estimators.saving",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = _lazy.lazy_exports(__name__, _EXPORTS, globals())
