"""The package's LSTM layers: the same maths as keras.layers.LSTM, computed faster on CPU.

FusedLSTM runs TensorFlow's fused kernel; CPUUnrolledLSTM unrolls the loop over time steps.
Neither may change what Keras' LSTM computes, nor keep Keras from its GPU (cuDNN) path.
"""

import numpy as np
import pytest
import tensorflow as tf
from _lstm import lstm_pair

from mnist_estimators._keras import layers as layers_module
from mnist_estimators._keras.layers import CPUUnrolledLSTM, FusedLSTM
from mnist_estimators._keras.runtime import keras


def _pair(units=16, cls=FusedLSTM, steps=28, **kwargs):
    return lstm_pair(cls, units, steps, **kwargs)


def _assert_same_gradients(layer, plain, x):
    """Gradients of a loss with respect to the input and every weight, against Keras' LSTM."""
    grads = []
    for lay in (layer, plain):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(tf.square(lay(xt)))
        grads.append(tape.gradient(loss, [xt, *lay.trainable_variables]))
    for g_layer, g_plain in zip(*grads, strict=True):
        np.testing.assert_allclose(g_layer, g_plain, rtol=1e-4, atol=1e-5)


def _ops(layer, x):
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec(x.shape, tf.float32)).graph
    return {op.type for op in graph.get_operations()}


@pytest.mark.parametrize("return_sequences", [False, True])
def test_same_outputs_and_gradients_as_keras_lstm(return_sequences):
    x, fused, plain = _pair(return_sequences=return_sequences)
    np.testing.assert_allclose(fused(x), plain(x), rtol=1e-5, atol=1e-6)
    _assert_same_gradients(fused, plain, x)
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


@pytest.mark.parametrize("return_sequences", [False, True])
def test_unrolled_lstm_same_outputs_and_gradients_without_a_loop(return_sequences):
    x, unrolled, plain = _pair(cls=CPUUnrolledLSTM, return_sequences=return_sequences)
    np.testing.assert_allclose(unrolled(x), plain(x), rtol=1e-5, atol=1e-6)
    _assert_same_gradients(unrolled, plain, x)
    assert "While" in _ops(plain, x) or "StatelessWhile" in _ops(plain, x)  # Keras' loop
    assert not {"While", "StatelessWhile"} & _ops(unrolled, x)  # 28 steps in the graph
    assert unrolled.unroll is False  # the layer's own setting is left as Keras' default


def test_unrolled_lstm_is_keras_lstm_on_a_gpu_and_for_long_sequences(monkeypatch):
    """Where it does not unroll it runs Keras' own inner loop, which on a GPU is cuDNN's
    kernel (unroll=True would rule that out). No GPU here: its presence is simulated."""
    x, unrolled, plain = _pair(cls=CPUUnrolledLSTM)
    calls = []
    original = keras.layers.LSTM.inner_loop

    def spy(self, *args, **kwargs):
        calls.append(self.unroll)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(keras.layers.LSTM, "inner_loop", spy)
    monkeypatch.setattr(layers_module, "gpu_visible", lambda: True)
    assert {"While", "StatelessWhile"} & _ops(unrolled, x)
    assert calls and not any(calls)  # Keras' LSTM ran with unroll=False: cuDNN may apply
    monkeypatch.setattr(layers_module, "gpu_visible", lambda: False)
    calls.clear()
    assert not {"While", "StatelessWhile"} & _ops(unrolled, x)
    assert calls == [True]
    x, long, plain = _pair(cls=CPUUnrolledLSTM, steps=CPUUnrolledLSTM.max_unrolled_steps + 1)
    assert {"While", "StatelessWhile"} & _ops(long, x)
    np.testing.assert_allclose(long(x), plain(x), rtol=1e-5, atol=1e-6)


def test_unrolled_lstm_backwards_serialises_and_trains_in_a_model():
    x, unrolled, plain = _pair(cls=CPUUnrolledLSTM, go_backwards=True)
    np.testing.assert_allclose(unrolled(x), plain(x), rtol=1e-5, atol=1e-6)
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Bidirectional(CPUUnrolledLSTM(4)),
            keras.layers.Dense(2),
        ]
    )
    restored = keras.models.model_from_json(model.to_json())
    wrapped = restored.layers[0]
    assert isinstance(wrapped.forward_layer, CPUUnrolledLSTM)
    assert isinstance(wrapped.backward_layer, CPUUnrolledLSTM)
    restored.set_weights(model.get_weights())
    np.testing.assert_allclose(restored(x), model(x), rtol=1e-6)
