"""The recurrent classifier of the reference notebook, as an estimator."""

from __future__ import annotations

from ._tf import keras
from .base import COMMON_ATTRIBUTES_DOC, COMMON_PARAMS_DOC, KerasImageClassifier, _check_number

__all__ = ["LSTMClassifier"]


class LSTMClassifier(KerasImageClassifier):
    __doc__ = (
        """LSTM image classifier with the scikit-learn API: rows are time steps.

    The defaults are the reference notebook's network: LSTM(128) reading the
    28 rows of 28 pixels -> Dropout(0.5) -> Dense(n_classes, softmax), trained
    with Adam on cross-entropy (sparse form) for 5 epochs in batches of 32.

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
"""
        + COMMON_PARAMS_DOC
        + """
    Attributes
    ----------
"""
        + COMMON_ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> from mnist_estimators import LSTMClassifier, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = LSTMClassifier(units=16, epochs=1, random_state=0).fit(X[:200] / 255, y[:200])
    >>> clf.predict_proba(X[:2] / 255).shape
    (2, 10)
"""
    )

    _layout = "sequence"

    def __init__(
        self,
        *,
        units=128,
        lstm_layers=1,
        bidirectional=False,
        dropout=0.5,
        optimizer="adam",
        learning_rate=0.001,
        batch_size=32,
        epochs=5,
        validation_fraction=0.0,
        early_stopping=False,
        patience=2,
        image_shape="auto",
        random_state=None,
        verbose=0,
    ):
        self.units = units
        self.lstm_layers = lstm_layers
        self.bidirectional = bidirectional
        self.dropout = dropout
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            batch_size=batch_size,
            epochs=epochs,
            validation_fraction=validation_fraction,
            early_stopping=early_stopping,
            patience=patience,
            image_shape=image_shape,
            random_state=random_state,
            verbose=verbose,
        )

    def _check_model_params(self) -> None:
        owner = type(self).__name__
        _check_number(owner, "units", self.units, int, 1)
        _check_number(owner, "lstm_layers", self.lstm_layers, int, 1)
        _check_number(owner, "dropout", self.dropout, float, 0, 1)

    def _build_network(self, input_shape, n_classes):
        inputs = keras.Input(shape=input_shape)
        x = inputs
        for i in range(self.lstm_layers):
            layer = keras.layers.LSTM(self.units, return_sequences=i < self.lstm_layers - 1)
            x = (keras.layers.Bidirectional(layer) if self.bidirectional else layer)(x)
        x = keras.layers.Dropout(self.dropout)(x)
        outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
        return keras.Model(inputs, outputs, name="lstm")
