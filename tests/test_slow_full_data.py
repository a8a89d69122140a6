"""Full-data acceptance (slow: ~2 minutes a model on 2 cores). Run with ``pytest -m slow``.

The reference notebook's settings reach CNN 98.6 % and LSTM 97.0 % test accuracy when
trained on the 19,690 offline training images; our defaults must not be worse. (Here,
the reference's LSTM training gave 96.33-96.73 % over seeds 0-4; the LSTM's measured
defaults are what reach 97 %: docs/results.md.)
"""

import warnings

import pytest

from mnist_estimators import load_mnist, make_cnn_pipeline, make_lstm_pipeline


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make", "floor"),
    [
        (make_cnn_pipeline, 0.986),
        (make_lstm_pipeline, 0.970),
    ],
)
def test_defaults_match_reference_on_full_offline_data(make, floor, mnist_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y = load_mnist("train", return_X_y=True, data_dir=mnist_dir)
    Xt, yt = load_mnist("test", return_X_y=True, data_dir=mnist_dir)
    assert len(y) == 19690 and len(yt) == 10000
    accuracy = make(random_state=0).fit(X, y).score(Xt, yt)
    print(f"{make.__name__}: {accuracy:.4f}")
    assert accuracy >= floor
