"""Real learning on real MNIST digits (small subsets, 2 epochs)."""

import pytest

from mnist_estimators import make_cnn_pipeline, make_lstm_pipeline

# The defaults on these 2,000 training / 1,000 test images, 2 epochs, seeds 0-4 (2026-11-28,
# AVX2): CNN 0.906 0.899 0.906 0.901 0.904, LSTM 0.859 0.855 0.844 0.869 0.856. The test
# trains seed 0; another CPU rounds differently and lands elsewhere in that spread, so each
# floor sits about 2 points under the lowest seed. A network that does not learn scores
# about 0.1, and the reference's LSTM training 0.669 here.
FLOORS = {"cnn": 0.88, "lstm": 0.82}


@pytest.mark.parametrize(
    ("name", "make"), [("cnn", make_cnn_pipeline), ("lstm", make_lstm_pipeline)]
)
def test_learns_real_digits(name, make, mnist_small):
    X, y, Xt, yt = mnist_small
    assert X.shape == (2000, 784) and Xt.shape == (1000, 784)
    pipe = make(epochs=2, random_state=0).fit(X, y)
    accuracy = pipe.score(Xt, yt)
    print(f"{name}: test accuracy {accuracy:.4f}")
    assert accuracy >= FLOORS[name]
