"""Compiled networks reused across fits, inside the package's own loops only.

Inside :func:`~mnist_estimators._keras.reuse.package_loop` (the fold runner's tasks), a
reused network trains bit for bit as a fresh one. Anywhere else a fit never takes or
pools a network, so a ``model_`` the user keeps never changes, also once its estimator
is dropped or refitted (the user's way of hitting it comes first below).

Runs on whatever backend the process has (CI: TensorFlow, then JAX and PyTorch in
``.ci/backends``). The yardstick is a fit with reuse turned off, which builds,
compiles and traces a network of its own.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

from mnist_estimators import (
    CNNClassifier,
    LSTMClassifier,
    make_cnn_pipeline,
    network_reuse,
)
from mnist_estimators._keras import reuse
from mnist_estimators._keras.reuse import package_loop

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


def _assert_unchanged(model, weights, proba, Xt) -> None:
    for now, before in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(now, before)
    np.testing.assert_array_equal(model.predict(Xt, verbose=0), proba)


# -- as a user hits it: fits outside the package's loops -------------------------------
def test_a_kept_network_never_changes_when_its_pipeline_is_dropped(mnist_small):
    """Keep ``pipe[-1].model_``, drop the pipeline, fit another pipeline of the same
    architecture on other images: the kept network's weights and outputs stay."""
    X, y, Xt, _ = mnist_small
    pipe = make_cnn_pipeline(filters=8, dense_units=32, epochs=1, random_state=0)
    pipe.fit(X[:700], y[:700])
    kept = pipe[-1].model_
    images = pipe[:-1].transform(Xt[:200]).reshape(-1, 28, 28, 1)  # the layout it reads
    weights, proba = [w.copy() for w in kept.get_weights()], kept.predict(images, verbose=0)
    del pipe
    gc.collect()
    other = make_cnn_pipeline(filters=8, dense_units=32, epochs=1, random_state=1)
    other.fit(X[700:1400], y[700:1400])
    assert other[-1].model_ is not kept
    _assert_unchanged(kept, weights, proba, images)


def test_a_kept_network_never_changes_when_its_estimator_refits(data):
    X, y, Xt = data
    est = MAKERS["cnn"](0).fit(X[:300], y[:300])
    kept, images = est.model_, Xt.reshape(-1, 28, 28, 1)
    weights, proba = [w.copy() for w in kept.get_weights()], kept.predict(images, verbose=0)
    est.fit(X[300:], y[300:])  # from scratch: a new network
    assert est.model_ is not kept
    _assert_unchanged(kept, weights, proba, images)


def test_outside_the_package_loops_nothing_is_pooled_or_reused(data):
    X, y, _ = data
    before = reuse.pool_stats()
    with network_reuse(True):  # on, but not inside a loop of the package
        first = MAKERS["cnn"](0).fit(X, y)
        del first
        gc.collect()
        MAKERS["cnn"](0).fit(X, y)
    after = reuse.pool_stats()
    assert after["reused"] == before["reused"]
    assert after["compiled"] == before["compiled"] + 2
    assert after["pooled"] == before["pooled"]


def test_warm_start_and_partial_fit_go_on_with_the_same_network(data):
    """By design: the kept ``model_`` *is* the estimator's network and trains on."""
    X, y, Xt = data
    est = CNNClassifier(filters=8, dense_units=32, epochs=1, warm_start=True, random_state=0)
    est.fit(X, y)
    kept, proba = est.model_, est.predict_proba(Xt)
    est.fit(X, y)
    assert est.model_ is kept and est.n_iter_ == 2
    est.partial_fit(X, y)
    assert est.model_ is kept and est.n_iter_ == 3
    assert not np.array_equal(est.predict_proba(Xt), proba)


# -- inside the package's loops: reused, bit for bit -----------------------------------
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_a_reused_network_trains_bit_for_bit_as_a_fresh_one(name, data):
    X, y, Xt = data
    make = MAKERS[name]
    with network_reuse(False), package_loop():
        fresh = make(0).fit(X[:500], y[:500])
        fresh_small = make(0).fit(X[:300], y[:300])
    with network_reuse(True), package_loop():
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
    reuse.empty_pool()


def test_inside_a_loop_a_fitted_estimators_network_is_never_taken(data):
    X, y, Xt = data
    with network_reuse(True), package_loop():
        a = MAKERS["cnn"](0).fit(X, y)
        proba = a.predict_proba(Xt)
        b = MAKERS["cnn"](1).fit(X, y)
        assert b.model_ is not a.model_
        np.testing.assert_array_equal(a.predict_proba(Xt), proba)
        twin = a.model_
        a.fit(X, y)  # inside a loop, the estimator that trained it may take it back
        assert a.model_ is twin
        np.testing.assert_array_equal(a.predict_proba(Xt), proba)
    reuse.empty_pool()
    assert reuse.pool_stats()["pooled"] == 0


def test_another_architecture_or_off_compiles_its_own(data):
    X, y, _ = data
    with network_reuse(True), package_loop():
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
    reuse.empty_pool()


def test_the_fold_runner_reuses_and_leaves_no_pool_behind(data, tmp_path):
    """A comparison in this process: its folds reuse networks, and when it returns,
    the pool is empty, so no later fit of the user's can meet one of its networks."""
    from mnist_estimators import compare_models

    X, y, Xt = data
    before = reuse.pool_stats()
    compare_models(
        {"cnn": MAKERS["cnn"](0)},
        X[:400],
        y[:400],
        cv=3,
        n_jobs=1,
        out_dir=tmp_path,
        progress=False,
    )
    after = reuse.pool_stats()
    assert after["reused"] >= before["reused"] + 2  # folds 2 and 3
    assert after["pooled"] == 0
