"""The model zoo's networks beyond the reference's two: a GRU, an MLP, a vision transformer.

Each is a :class:`~mnist_estimators.KerasImageClassifier`: the same training
arguments (documented once, :func:`~.base.common_params_doc`), the same fit, predict,
reuse and timing as the CNN and the LSTM; only the layers differ. Their training
defaults come from the registry of models (:mod:`.registry`).
"""

from __future__ import annotations

from numbers import Integral, Real

from .._keras.layers import PositionEmbedding
from .._keras.runtime import keras
from ._compat import Interval
from ._defaults import TRAINING_DEFAULTS
from .base import COMMON_ATTRIBUTES_DOC, KerasImageClassifier, common_params_doc

__all__ = ["GRUClassifier", "MLPClassifier", "ViTClassifier"]

_POSITIVE = [Interval(Integral, 1, None, closed="left")]
_RATE = [Interval(Real, 0, 1, closed="left")]


def _doc(summary: str, own_params: str, network: str, example: str) -> str:
    """A zoo class's docstring: its summary and parameters, then the common ones."""
    return (
        summary
        + "\n    Parameters\n    ----------\n"
        + own_params
        + common_params_doc(**TRAINING_DEFAULTS[network])
        + "\n    Attributes\n    ----------\n"
        + COMMON_ATTRIBUTES_DOC
        + "\n    Examples\n    --------\n"
        + example
    )


class GRUClassifier(KerasImageClassifier):
    __doc__ = _doc(
        """GRU image classifier with the scikit-learn API: rows are time steps.

    GRU(units) reading the image's rows (28 steps of 28 pixels on MNIST) ->
    Dropout -> Dense(n_classes, softmax), Adam on cross-entropy: the LSTM
    classifier's network with the gated recurrent unit (two gates, no cell state:
    three quarters of the LSTM's weights). Keras' own GRU layer runs on every
    backend (cuDNN on a GPU). Its training defaults are the LSTM's (standardised
    inputs, the LSTM's batch and learning-rate rows, cosine decay).
""",
        """    units : int, default=128
        Units of each GRU layer.
    gru_layers : int, default=1
        Stacked GRU layers (all but the last return sequences).
    bidirectional : bool, default=False
        Read each row sequence in both directions.
    dropout : float, default=0.5
        Dropout rate before the output layer.
""",
        "gru",
        """    >>> from mnist_estimators import GRUClassifier, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = GRUClassifier(units=16, epochs=1, random_state=0).fit(X[:200] / 255, y[:200])
    >>> clf.predict_proba(X[:2] / 255).shape
    (2, 10)
""",
    )

    _parameter_constraints: dict = {
        **KerasImageClassifier._parameter_constraints,
        "units": _POSITIVE,
        "gru_layers": _POSITIVE,
        "bidirectional": ["boolean"],
        "dropout": _RATE,
    }
    input_layout = "sequence"
    network_name = "gru"

    def __init__(
        self,
        *,
        units=128,
        gru_layers=1,
        bidirectional=False,
        dropout=0.5,
        optimizer="adam",
        learning_rate=TRAINING_DEFAULTS["gru"]["learning_rate"],
        lr_schedule=TRAINING_DEFAULTS["gru"]["lr_schedule"],
        batch_size=TRAINING_DEFAULTS["gru"]["batch_size"],
        epochs=5,
        validation_fraction=0.0,
        early_stopping=False,
        patience=2,
        standardize=TRAINING_DEFAULTS["gru"]["standardize"],
        image_shape="auto",
        random_state=None,
        verbose=0,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        steps_per_execution="auto",
    ):
        self._store_arguments(locals(), GRUClassifier)

    def build_network(self, inputs, n_classes):
        x = inputs
        for i in range(self.gru_layers):
            layer = keras.layers.GRU(self.units, return_sequences=i < self.gru_layers - 1)
            x = (keras.layers.Bidirectional(layer) if self.bidirectional else layer)(x)
        x = keras.layers.Dropout(self.dropout)(x)
        return keras.layers.Dense(n_classes, activation="softmax")(x)


class MLPClassifier(KerasImageClassifier):
    __doc__ = _doc(
        """Multilayer perceptron image classifier with the scikit-learn API.

    Dense layers with ReLU on the flat pixels, each followed by Dropout ->
    Dense(n_classes, softmax), Adam on cross-entropy: the network that sees no
    image structure at all, the zoo's control for what convolutions and recurrence
    add. Its training defaults are the CNN's batch and learning-rate rows, on
    standardised inputs (the shared tuning budget kept them, docs/results.md). (scikit-learn's own ``MLPClassifier`` is the same kind of network,
    trained by its own loop; this one trains in Keras like the other networks.)
""",
        """    hidden_units : tuple of int, default=(256, 128)
        Units of each hidden dense layer, in order.
    dropout : float, default=0.2
        Dropout rate after each hidden layer.
""",
        "mlp",
        """    >>> from mnist_estimators import MLPClassifier, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = MLPClassifier(hidden_units=(32,), epochs=2, random_state=0)
    >>> clf.fit(X[:200] / 255, y[:200]).count_params()
    2413
""",
    )

    _parameter_constraints: dict = {
        **KerasImageClassifier._parameter_constraints,
        "hidden_units": [tuple, list],
        "dropout": _RATE,
    }
    input_layout = "flat"
    network_name = "mlp"

    def __init__(
        self,
        *,
        hidden_units=(256, 128),
        dropout=0.2,
        optimizer="adam",
        learning_rate=TRAINING_DEFAULTS["mlp"]["learning_rate"],
        lr_schedule=TRAINING_DEFAULTS["mlp"]["lr_schedule"],
        batch_size=TRAINING_DEFAULTS["mlp"]["batch_size"],
        epochs=5,
        validation_fraction=0.0,
        early_stopping=False,
        patience=2,
        standardize=TRAINING_DEFAULTS["mlp"]["standardize"],
        image_shape="auto",
        random_state=None,
        verbose=0,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        steps_per_execution="auto",
    ):
        self._store_arguments(locals(), MLPClassifier)

    def build_network(self, inputs, n_classes):
        units = list(self.hidden_units)
        if not all(isinstance(u, Integral) and not isinstance(u, bool) and u >= 1 for u in units):
            raise ValueError(
                f"hidden_units must be a tuple of positive ints, e.g. (256, 128), got "
                f"{self.hidden_units!r}."
            )
        x = inputs
        for n in units:
            x = keras.layers.Dense(int(n), activation="relu")(x)
            x = keras.layers.Dropout(self.dropout)(x)
        return keras.layers.Dense(n_classes, activation="softmax")(x)


class ViTClassifier(KerasImageClassifier):
    __doc__ = _doc(
        """A small vision transformer image classifier with the scikit-learn API.

    The image is cut into square patches (7x7 on MNIST: 16 tokens of 49 pixels;
    zero padding completes an image whose side is not a multiple of the patch),
    each patch projected to ``embed_dim`` values, a learnt position embedding
    added (:class:`~mnist_estimators._keras.layers.PositionEmbedding`), then
    ``depth`` pre-norm transformer blocks (multi-head self-attention, then a GELU
    MLP, each in a residual branch), a final layer norm, the mean over the
    tokens, Dropout and Dense(n_classes, softmax). Only Keras 3 layers, so it
    runs on every backend. Its training defaults come from the shared tuning budget
    (docs/results.md): standardised inputs, batches of 16 up to 3,000 training
    images, 32 up to 15,000, 128 beyond, and a learning rate of ``0.003 *
    sqrt(batch / 32)`` decayed along a cosine (at 6,667 images, batch 32 and rate
    0.003 reached 91.1 % against 84.5 % for the CNN's batch rows at rate 0.002).
""",
        """    patch_size : int, default=7
        Side of the square patches (clipped to the image's sides).
    embed_dim : int, default=64
        Values per token.
    depth : int, default=2
        Transformer blocks.
    num_heads : int, default=4
        Attention heads per block; each attends with ``embed_dim // num_heads``
        values per token (at least 1).
    mlp_dim : int, default=128
        Hidden units of each block's MLP.
    dropout : float, default=0.1
        Dropout rate of the attention weights, the MLPs and before the output layer.
""",
        "vit",
        """    >>> from mnist_estimators import ViTClassifier, load_digits_images
    >>> X, y = load_digits_images(return_X_y=True)
    >>> clf = ViTClassifier(patch_size=4, embed_dim=16, depth=1, epochs=1, random_state=0)
    >>> clf.fit(X[:200] / 255, y[:200]).predict(X[:3] / 255).shape
    (3,)
""",
    )

    _parameter_constraints: dict = {
        **KerasImageClassifier._parameter_constraints,
        **{
            name: _POSITIVE for name in ("patch_size", "embed_dim", "depth", "num_heads", "mlp_dim")
        },
        "dropout": _RATE,
    }
    input_layout = "image"
    network_name = "vit"

    def __init__(
        self,
        *,
        patch_size=7,
        embed_dim=64,
        depth=2,
        num_heads=4,
        mlp_dim=128,
        dropout=0.1,
        optimizer="adam",
        learning_rate=TRAINING_DEFAULTS["vit"]["learning_rate"],
        lr_schedule=TRAINING_DEFAULTS["vit"]["lr_schedule"],
        batch_size=TRAINING_DEFAULTS["vit"]["batch_size"],
        epochs=5,
        validation_fraction=0.0,
        early_stopping=False,
        patience=2,
        standardize=TRAINING_DEFAULTS["vit"]["standardize"],
        image_shape="auto",
        random_state=None,
        verbose=0,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        steps_per_execution="auto",
    ):
        self._store_arguments(locals(), ViTClassifier)

    def build_network(self, inputs, n_classes):
        layers = keras.layers
        h, w, c = inputs.shape[1:]
        p = min(self.patch_size, h, w)
        pad_h, pad_w = -h % p, -w % p
        x = layers.ZeroPadding2D(((0, pad_h), (0, pad_w)))(inputs) if pad_h or pad_w else inputs
        rows, cols = (h + pad_h) // p, (w + pad_w) // p
        x = layers.Reshape((rows, p, cols, p, c))(x)
        x = layers.Permute((1, 3, 2, 4, 5))(x)  # (rows, cols, p, p, c): one patch per token
        x = layers.Reshape((rows * cols, p * p * c))(x)
        x = layers.Dense(self.embed_dim)(x)
        x = PositionEmbedding()(x)
        key_dim = max(1, self.embed_dim // self.num_heads)
        for _ in range(self.depth):
            y = layers.LayerNormalization(epsilon=1e-6)(x)
            y = layers.MultiHeadAttention(self.num_heads, key_dim, dropout=self.dropout)(y, y)
            x = layers.Add()([x, y])
            y = layers.LayerNormalization(epsilon=1e-6)(x)
            y = layers.Dense(self.mlp_dim, activation="gelu")(y)
            y = layers.Dropout(self.dropout)(y)
            y = layers.Dense(self.embed_dim)(y)
            x = layers.Add()([x, y])
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        x = layers.GlobalAveragePooling1D()(x)
        x = layers.Dropout(self.dropout)(x)
        return layers.Dense(n_classes, activation="softmax")(x)
