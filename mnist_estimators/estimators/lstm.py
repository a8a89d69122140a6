"""The recurrent classifier of the reference notebook, as an estimator."""

from __future__ import annotations

from numbers import Integral, Real

from .._keras.paths import lstm_layer, lstm_path
from .._keras.runtime import keras
from ._compat import Interval, StrOptions
from ._defaults import TRAINING_DEFAULTS
from .base import COMMON_ATTRIBUTES_DOC, KerasImageClassifier, common_params_doc

__all__ = ["LSTMClassifier"]


class LSTMClassifier(KerasImageClassifier):
    __doc__ = (
        """LSTM image classifier with the scikit-learn API: rows are time steps.

    The network is the reference notebook's: LSTM(128) reading the 28 rows of
    28 pixels -> Dropout(0.5) -> Dense(n_classes, softmax), Adam on
    cross-entropy (sparse form), 5 epochs. Its training defaults are not the
    reference's (learning rate 0.001, constant, batches of 32, inputs in
    [0, 1]): a learning rate of 0.003 decayed to 0 along a cosine, batches of
    16 and standardised inputs raised 3-fold cross-validated accuracy on the
    first 19,690 MNIST training images from 95.7 % to 97.9 % (docs/results.md gives every
    step). Since then the batch grows with the data (``batch_size="auto"``: 16 up
    to 3,000 training images, 32 up to 15,000, 128 beyond) and the rate with it
    (``learning_rate="auto"``: ``0.003 * sqrt(batch / 16)``): on 60,000 images
    batch 128 reached 98.72 % against the reference's 97.87 % (3-fold CV) in
    0.55x its time. ``LSTMClassifier(learning_rate=0.001, lr_schedule="constant",
    batch_size=32, standardize=False)`` is the reference exactly.

    Parameters
    ----------
    units : int, default=128
        Units of each LSTM layer.
    lstm_layers : int, default=1
        Stacked LSTM layers (all but the last return sequences).
    bidirectional : bool, default=False
        Read each row sequence in both directions.
    dropout : float, default=0.5
        Dropout rate before the output layer.
    unroll : "auto" or bool, default="auto"
        Which computation of the same LSTM runs on a CPU (the maths and the
        weights are the same; :mod:`mnist_estimators._keras.paths`): the loop over
        the rows unrolled into the graph (:class:`~mnist_estimators.CPUUnrolledLSTM`),
        the backend's fused kernel (:class:`~mnist_estimators.FusedLSTM`), or Keras'
        own loop. "auto": the one measured fastest on this machine, read from a
        table keyed by the CPU, the backend and the versions (the same machine
        always takes the same path; ``lstm_path_`` says which, and why). True: the
        backend's default of version 0.2 (TensorFlow unrolled, PyTorch fused, JAX
        Keras' loop). False: ``keras.layers.LSTM`` and its loop everywhere. On a GPU
        Keras' cuDNN kernel runs in every case.
"""
        + common_params_doc(**TRAINING_DEFAULTS["lstm"])
        + """
    Attributes
    ----------
"""
        + COMMON_ATTRIBUTES_DOC
        + """    lstm_path_ : str
        The LSTM computation the network took on a CPU and where that choice came
        from, e.g. ``"keras (measured (committed table, 2026-12-03))"``.

    Examples
    --------
    >>> from mnist_estimators import LSTMClassifier, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = LSTMClassifier(units=16, epochs=1, random_state=0).fit(X[:200] / 255, y[:200])
    >>> clf.predict_proba(X[:2] / 255).shape
    (2, 10)
"""
    )

    _parameter_constraints: dict = {
        **KerasImageClassifier._parameter_constraints,
        "units": [Interval(Integral, 1, None, closed="left")],
        "lstm_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "unroll": [StrOptions({"auto"}), "boolean"],
    }
    input_layout = "sequence"
    network_name = "lstm"

    def __init__(
        self,
        *,
        units=128,
        lstm_layers=1,
        bidirectional=False,
        dropout=0.5,
        unroll="auto",
        optimizer="adam",
        learning_rate=TRAINING_DEFAULTS["lstm"]["learning_rate"],
        lr_schedule=TRAINING_DEFAULTS["lstm"]["lr_schedule"],
        batch_size=TRAINING_DEFAULTS["lstm"]["batch_size"],
        epochs=5,
        validation_fraction=0.0,
        early_stopping=False,
        patience=2,
        standardize=TRAINING_DEFAULTS["lstm"]["standardize"],
        image_shape="auto",
        random_state=None,
        verbose=0,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        steps_per_execution="auto",
    ):
        self._store_arguments(locals(), LSTMClassifier)

    def build_network(self, inputs, n_classes):
        x = inputs
        path, source = lstm_path(self.unroll)
        self.lstm_path_ = f"{path} ({source})"
        lstm = lstm_layer(path)
        for i in range(self.lstm_layers):
            layer = lstm(self.units, return_sequences=i < self.lstm_layers - 1)
            x = (keras.layers.Bidirectional(layer) if self.bidirectional else layer)(x)
        x = keras.layers.Dropout(self.dropout)(x)
        return keras.layers.Dense(n_classes, activation="softmax")(x)
