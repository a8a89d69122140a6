"""Full-data acceptance (slow: about 20 minutes on 2 cores). Run with ``pytest -m slow``.

Each network at its defaults, trained once on the complete MNIST training split (60,000
images, seed 0), is tested on the official 10,000 test images. The floors sit below every
full-data accuracy we measured for that network by more than one seed's spread
(docs/results.md, "Floors of the slow test"), so a change that breaks learning fails, and
seed-to-seed noise does not.
"""

import pytest

from mnist_estimators import load_mnist, make_cnn_pipeline, make_lstm_pipeline

FLOORS = {"cnn": 0.985, "lstm": 0.980}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make"), [("cnn", make_cnn_pipeline), ("lstm", make_lstm_pipeline)]
)
def test_defaults_on_complete_mnist(name, make, mnist_dir):
    bunch = load_mnist("train", data_dir=mnist_dir)
    Xt, yt = load_mnist("test", return_X_y=True, data_dir=mnist_dir)
    assert bunch.complete and len(bunch.target) == 60000 and len(yt) == 10000
    accuracy = make(random_state=0).fit(bunch.data, bunch.target).score(Xt, yt)
    print(f"{name}: {accuracy:.4f}")
    assert accuracy >= FLOORS[name]
