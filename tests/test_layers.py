"""FusedLSTM: the same maths as keras.layers.LSTM, through TensorFlow's fused kernel on CPU."""

import numpy as np
import pytest
import tensorflow as tf

from mnist_estimators._tf import keras
from mnist_estimators.layers import FusedLSTM


def _pair(units=16, **kwargs):
    x = np.random.default_rng(0).normal(size=(7, 28, 28)).astype(np.float32)
    fused, plain = FusedLSTM(units, **kwargs), keras.layers.LSTM(units, **kwargs)
    fused(x), plain(x)
    rng = np.random.default_rng(1)  # non-trivial weights, the bias included
    weights = [rng.normal(scale=0.3, size=w.shape).astype(np.float32) for w in plain.get_weights()]
    fused.set_weights(weights)
    plain.set_weights(weights)
    return x, fused, plain


def _ops(layer, x):
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec(x.shape, tf.float32)).graph
    return {op.type for op in graph.get_operations()}


@pytest.mark.parametrize("return_sequences", [False, True])
def test_same_outputs_and_gradients_as_keras_lstm(return_sequences):
    x, fused, plain = _pair(return_sequences=return_sequences)
    np.testing.assert_allclose(fused(x), plain(x), rtol=1e-5, atol=1e-6)
    grads = []
    for layer in (fused, plain):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(tf.square(layer(xt)))
        grads.append(tape.gradient(loss, [xt, *layer.trainable_variables]))
    for g_fused, g_plain in zip(*grads, strict=True):
        np.testing.assert_allclose(g_fused, g_plain, rtol=1e-4, atol=1e-5)
    assert "BlockLSTM" in _ops(fused, x)  # the fused kernel, not a while loop
    assert "BlockLSTM" not in _ops(plain, x)


def test_falls_back_to_keras_where_the_kernel_does_not_apply():
    x, fused, plain = _pair(go_backwards=True)  # as in the backward half of Bidirectional
    np.testing.assert_allclose(fused(x), plain(x), rtol=1e-5, atol=1e-6)
    assert "BlockLSTM" not in _ops(fused, x)


def test_serialises_as_itself():
    x, fused, _ = _pair()
    model = keras.Sequential([keras.Input((28, 28)), fused])
    restored = keras.models.model_from_json(model.to_json())
    assert isinstance(restored.layers[0], FusedLSTM)
