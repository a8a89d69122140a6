"""Real learning on real MNIST digits (small subsets, 2 epochs)."""

import pytest

from mnist_estimators import make_cnn_pipeline, make_lstm_pipeline


@pytest.mark.parametrize(("make", "floor"), [(make_cnn_pipeline, 0.90), (make_lstm_pipeline, 0.85)])
def test_learns_real_digits(make, floor, mnist_small):
    X, y, Xt, yt = mnist_small
    assert X.shape == (2000, 784) and Xt.shape == (1000, 784)
    pipe = make(epochs=2, random_state=0).fit(X, y)
    accuracy = pipe.score(Xt, yt)
    print(f"{make.__name__}: test accuracy {accuracy:.4f}")
    assert accuracy >= floor
