"""Compiled networks reused across fits: the same result as a fresh build, bit for bit.

Runs on whatever backend the process has (CI: TensorFlow, then JAX and PyTorch in
``.ci/backends``). The yardstick is a fit with reuse turned off, which builds,
compiles and traces a network of its own.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from mnist_estimators import CNNClassifier, LSTMClassifier, network_reuse
from mnist_estimators._keras import reuse

MAKERS = {
    # Dropout (a seeded mask per batch), the cosine schedule, Adam's moments.
    "cnn": lambda seed: CNNClassifier(filters=8, dense_units=32, epochs=2, random_state=seed),
    # The standardize layer (statistics learnt in each fit), the fast LSTM path.
    "lstm": lambda seed: LSTMClassifier(units=16, epochs=2, batch_size=64, random_state=seed),
}


@pytest.fixture(scope="module")
def data(mnist_small):
    X, y, Xt, _ = mnist_small
    return X[:600] / 255, y[:600], Xt[:300] / 255


def _assert_same_fit(a, b, Xt) -> None:
    np.testing.assert_array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.history_["loss"] == b.history_["loss"]


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_reused_network_trains_bit_for_bit_as_a_fresh_one(name, data):
    X, y, Xt = data
    make = MAKERS[name]
    with network_reuse(False):
        fresh = make(0).fit(X[:500], y[:500])
        fresh_small = make(0).fit(X[:300], y[:300])
    with network_reuse(True):
        # A first fit compiles the twin, and leaves it trained, on other data and seed.
        make(7).fit(X[100:], y[100:])
        gc.collect()
        before = reuse.pool_stats()
        again = make(0).fit(X[:500], y[:500])
        assert reuse.pool_stats()["reused"] == before["reused"] + 1
        _assert_same_fit(again, fresh, Xt)
        # Fewer batches: the cosine schedule changes its horizon, the statistics change.
        twin = again.model_
        del again
        gc.collect()
        small = make(0).fit(X[:300], y[:300])
        assert small.model_ is twin
        _assert_same_fit(small, fresh_small, Xt)
        # Another seed on the reused network: another network, as fresh.
        del small
        gc.collect()
        other = make(1).fit(X[:300], y[:300])
        assert not np.array_equal(other.predict_proba(Xt), fresh_small.predict_proba(Xt))


def test_a_fitted_estimators_network_is_never_taken(data):
    X, y, Xt = data
    with network_reuse(True):
        a = MAKERS["cnn"](0).fit(X, y)
        proba = a.predict_proba(Xt)
        b = MAKERS["cnn"](1).fit(X, y)
        assert b.model_ is not a.model_
        np.testing.assert_array_equal(a.predict_proba(Xt), proba)
        twin = a.model_
        a.fit(X, y)  # the estimator that trained it may take it back
        assert a.model_ is twin
        np.testing.assert_array_equal(a.predict_proba(Xt), proba)


def test_another_architecture_or_off_compiles_its_own(data):
    X, y, _ = data
    with network_reuse(True):
        first = MAKERS["cnn"](0).fit(X, y)
        model = first.model_
        del first
        gc.collect()
        wider = CNNClassifier(filters=8, dense_units=48, epochs=1, random_state=0).fit(X, y)
        assert wider.model_ is not model
        del wider
        gc.collect()
        with network_reuse(False):
            before = reuse.pool_stats()
            MAKERS["cnn"](0).fit(X, y)
            after = reuse.pool_stats()
        assert (after["reused"], after["compiled"]) == (before["reused"], before["compiled"] + 1)
        assert after["pooled"] == 0
