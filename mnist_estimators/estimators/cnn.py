"""The convolutional classifier of the reference notebook, as an estimator."""

from __future__ import annotations

from numbers import Integral, Real

from .._keras.runtime import keras
from ._compat import Interval
from ._defaults import TRAINING_DEFAULTS
from .base import COMMON_ATTRIBUTES_DOC, KerasImageClassifier, common_params_doc

__all__ = ["CNNClassifier"]


class CNNClassifier(KerasImageClassifier):
    __doc__ = (
        """Convolutional network image classifier with the scikit-learn API.

    The defaults are the reference notebook's network: Conv2D(32, 3x3, relu)
    -> MaxPool(2) -> Conv2D(64, 3x3, relu) -> Flatten -> Dense(128, relu) ->
    Dropout(0.5) -> Dense(n_classes, softmax), trained with Adam on
    cross-entropy (the sparse form, equal to one-hot categorical
    cross-entropy) for 5 epochs. Its training defaults are not the
    reference's (learning rate 0.001, constant, batches of 32): the batch grows
    with the training data (``batch_size="auto"``: 32 up to 3,000 images, 64 up
    to 15,000, 128 up to 30,000, 256 beyond), the learning rate with the square
    root of the batch (``learning_rate="auto"``: 0.003 at batch 128), decayed to 0
    along a cosine. Cross-validated on training images (docs/results.md): at
    least the reference's accuracy at 2,000, 10,000 and 60,000 images (98.96 %
    against 98.86 % at 60,000, in 0.50x its time), but not at 1,000 (91.8 %
    against 92.2 %, inside the folds' spread); a fixed batch of 128 made too few
    steps in 5 epochs on small data (93.1 % against 94.0 % at 2,000).
    ``CNNClassifier(**REFERENCE_TRAINING)`` is the reference exactly.

    Kernel and pool sizes are clipped to the image at each layer, so the same
    network runs on 28x28 MNIST (unchanged), 8x8 digits and tiny arrays.

    Parameters
    ----------
    filters : int, default=32
        Filters of the first convolution; each further convolution doubles them.
    conv_layers : int, default=2
        Number of convolutions. A max-pool follows each one but the last.
    kernel_size : int, default=3
        Side of the square convolution kernels.
    pool_size : int, default=2
        Side of the square max-pool windows.
    dense_units : int, default=128
        Units of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate before the output layer.
"""
        + common_params_doc(**TRAINING_DEFAULTS["cnn"])
        + """
    Attributes
    ----------
"""
        + COMMON_ATTRIBUTES_DOC
        + """
    Examples
    --------
    >>> from mnist_estimators import CNNClassifier, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = CNNClassifier(epochs=1, random_state=0).fit(X[:200] / 255, y[:200])
    >>> clf.predict(X[:3] / 255).shape
    (3,)
"""
    )

    _parameter_constraints: dict = {
        **KerasImageClassifier._parameter_constraints,
        **{
            name: [Interval(Integral, 1, None, closed="left")]
            for name in ("filters", "conv_layers", "kernel_size", "pool_size", "dense_units")
        },
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }
    input_layout = "image"
    network_name = "cnn"
    #: Its first convolution's output is 86.5 KB per 28x28 image: at Keras' 1,024
    #: images per prediction batch, one tensor of 89 MB, and oneDNN's pool (which serves
    #: it on TensorFlow) keeps its high-water mark for the rest of the process. At 256,
    #: the training batch of the main job, a process of the main job peaked 100-133 MB
    #: lower, predicting 1.13x faster with one thread (5,008 against 4,450 images/s,
    #: the same probabilities bit for bit; AVX2 machine, 2026-12-05).
    _predict_batch_size = 256

    def __init__(
        self,
        *,
        filters=32,
        conv_layers=2,
        kernel_size=3,
        pool_size=2,
        dense_units=128,
        dropout=0.5,
        optimizer="adam",
        learning_rate=TRAINING_DEFAULTS["cnn"]["learning_rate"],
        lr_schedule=TRAINING_DEFAULTS["cnn"]["lr_schedule"],
        batch_size=TRAINING_DEFAULTS["cnn"]["batch_size"],
        epochs=5,
        validation_fraction=0.0,
        early_stopping=False,
        patience=2,
        standardize=TRAINING_DEFAULTS["cnn"]["standardize"],
        image_shape="auto",
        random_state=None,
        verbose=0,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        steps_per_execution="auto",
    ):
        self._store_arguments(locals(), CNNClassifier)

    def build_network(self, inputs, n_classes):
        x = inputs
        h, w, _ = x.shape[1:]
        for i in range(self.conv_layers):
            kernel = (min(self.kernel_size, h), min(self.kernel_size, w))
            x = keras.layers.Conv2D(self.filters * 2**i, kernel, activation="relu")(x)
            h, w = h - kernel[0] + 1, w - kernel[1] + 1
            if i < self.conv_layers - 1:
                pool = (min(self.pool_size, h), min(self.pool_size, w))
                x = keras.layers.MaxPooling2D(pool)(x)
                h, w = h // pool[0], w // pool[1]
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(self.dense_units, activation="relu")(x)
        x = keras.layers.Dropout(self.dropout)(x)
        return keras.layers.Dense(n_classes, activation="softmax")(x)
