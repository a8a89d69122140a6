"""Behaviour of the classifiers and pipelines as scikit-learn estimators."""

from __future__ import annotations

import gc
import inspect
import os
import pickle
import resource
import warnings
from numbers import Integral

import keras
import numpy as np
import pytest
import sklearn
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_val_score

from mnist_estimators import (
    REFERENCE_TRAINING,
    CNNClassifier,
    ImageReshaper,
    KerasImageClassifier,
    LSTMClassifier,
    PixelScaler,
    make_cnn_pipeline,
    make_lstm_pipeline,
)
from mnist_estimators._keras.paths import lstm_layer, lstm_path
from mnist_estimators._keras.runtime import BACKEND, keras_training
from mnist_estimators.estimators import Interval

TINY = {"epochs": 1, "random_state": 0}
CLASSIFIERS = [CNNClassifier, LSTMClassifier]


@pytest.fixture(scope="module")
def small(digits):
    X, y = digits
    return X[:400], y[:400], X[400:600], y[400:600]


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_is_classifier_and_stratified(make, small):
    pipe = make(**TINY)
    assert is_classifier(pipe) and is_classifier(pipe[-1])
    X, y, _, _ = small
    assert isinstance(check_cv(3, y, classifier=is_classifier(pipe)), StratifiedKFold)
    scores = cross_val_score(pipe, X, y, cv=2)
    by_hand = [  # the same stratified folds, fitted and scored without scikit-learn's helpers
        np.mean(clone(pipe).fit(X[tr], y[tr]).predict(X[te]) == y[te])
        for tr, te in StratifiedKFold(2).split(X, y)
    ]
    np.testing.assert_array_equal(scores, by_hand)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_every_init_argument_is_a_param(cls):
    names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    est = cls()
    assert sorted(est.get_params()) == sorted(names)
    changed = {n: v for n, v in est.get_params().items()}
    changed.update(epochs=3, batch_size=64, learning_rate=0.01, random_state=7)
    est.set_params(**changed)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(ValueError, match="Invalid parameter"):
        est.set_params(no_such_param=1)


def test_defaults_reproduce_reference_architectures(small):
    X28 = np.zeros((20, 784), dtype=np.float32)
    y28 = np.arange(20) % 10
    cnn = CNNClassifier(epochs=1).fit(X28, y28).model_
    kinds = [type(layer).__name__ for layer in cnn.layers[1:]]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense", "Dropout", "Dense"]
    conv1, _, conv2, _, dense, drop, out = cnn.layers[1:]
    assert (conv1.filters, conv1.kernel_size, conv2.filters, conv2.kernel_size) == (
        32,
        (3, 3),
        64,
        (3, 3),
    )
    assert (dense.units, drop.rate, out.units) == (128, 0.5, 10)
    assert cnn.optimizer.__class__.__name__ == "Adam"
    # The networks are the reference's; their measured training defaults are not
    # (docs/results.md), and these four arguments give the reference back exactly.
    assert REFERENCE_TRAINING == {
        "learning_rate": 0.001,
        "lr_schedule": "constant",
        "batch_size": 32,
        "standardize": False,
    }
    reference_cnn = CNNClassifier(epochs=1, **REFERENCE_TRAINING).fit(X28, y28).model_
    assert float(reference_cnn.optimizer.learning_rate) == pytest.approx(0.001)
    c = CNNClassifier()
    assert (c.learning_rate, c.lr_schedule, c.batch_size, c.standardize, c.epochs) == (
        "auto",
        "cosine",
        "auto",
        False,
        5,
    )
    lstm = LSTMClassifier(epochs=1, **REFERENCE_TRAINING).fit(X28, y28).model_
    assert lstm.input_shape == (None, 28, 28)
    # unroll="auto": the path the table of measurements gives this machine (Keras' loop on
    # the AVX-512 machine, unrolled where the table has no entry), always Keras' layer.
    auto = lstm_layer(lstm_path("auto")[0])
    assert [type(layer) for layer in lstm.layers[1:]] == [
        auto,
        keras.layers.Dropout,
        keras.layers.Dense,
    ]
    assert isinstance(lstm.layers[1], keras.layers.LSTM)  # Keras' layer, whatever the path
    assert lstm.layers[1].units == 128 and lstm.layers[2].rate == 0.5
    assert float(lstm.optimizer.learning_rate) == pytest.approx(0.001)
    looped = LSTMClassifier(epochs=1, unroll=False, **REFERENCE_TRAINING).fit(X28, y28).model_
    assert type(looped.layers[1]) is keras.layers.LSTM
    default = LSTMClassifier(epochs=1).fit(X28, y28)
    kinds = [type(layer).__name__ for layer in default.model_.layers[1:]]
    assert kinds == ["Standardize", auto.__name__, "Dropout", "Dense"]
    assert isinstance(default.model_.layers[1], keras.layers.Normalization)
    d = LSTMClassifier()
    assert (d.learning_rate, d.lr_schedule, d.batch_size, d.standardize, d.epochs) == (
        "auto",
        "cosine",
        "auto",
        True,
        5,
    )


class _BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


@pytest.mark.parametrize(
    ("make", "params"),
    [
        (make_cnn_pipeline, {"filters": 4, "dense_units": 16}),
        (make_lstm_pipeline, {"units": 16}),
    ],
)
def test_steps_per_execution_changes_speed_not_results(make, params, small):
    """Several batches per call into TensorFlow train the same network bit for bit; only
    batch-level callbacks see fewer calls (Keras' documented behaviour)."""
    X, y, Xt, _ = small  # 400 training images: 25 batches of 16
    runs = {}
    for spe in (1, 4, "auto"):
        counter = _BatchCounter()
        pipe = make(epochs=2, batch_size=16, random_state=0, steps_per_execution=spe, **params)
        pipe.set_params(**{f"{pipe.steps[-1][0]}__callbacks": [counter]})
        pipe.fit(X, y)
        runs[spe] = (pipe[-1].history_, pipe.predict_proba(Xt), counter.batches)
    assert pipe[-1]._steps_per_execution() == 512 // 16  # "auto": about 512 images a call
    for spe in (4, "auto"):
        assert runs[spe][0]["loss"] == runs[1][0]["loss"]
        assert runs[spe][0]["accuracy"] == runs[1][0]["accuracy"]
        np.testing.assert_array_equal(runs[spe][1], runs[1][1])
    # 25 batches an epoch: 25 calls one at a time, ceil(25 / 4) = 7 by 4, 1 by 32.
    assert [runs[spe][2] for spe in (1, 4, "auto")] == [50, 14, 2]
    with pytest.raises(
        ValueError, match="'steps_per_execution' parameter .* among {'auto'} or an int"
    ):
        make(steps_per_execution=0).fit(X, y)


def test_prediction_traces_once_per_shape_not_per_batch_count(small):
    """Keras predicts ``steps_per_execution`` batches per call from a Python list, and
    traced the network again for each new number of batches (5.4 s instead of 0.7 s for
    the LSTM); our prediction runs one batch per call and leaves the model as it was."""
    X, y, _, _ = small
    X = np.tile(X / 255.0, (8, 1))  # 3,200 images: up to 4 prediction batches of 1,024
    clf = LSTMClassifier(units=8, batch_size=16, **TINY).fit(X[:400], y)
    once = LSTMClassifier(units=8, batch_size=16, steps_per_execution=1, **TINY).fit(X[:400], y)
    assert clf.model_.steps_per_execution == 32
    for n in (3200, 1100, 2100, 700, 3200):
        np.testing.assert_array_equal(clf.predict_proba(X[:n]), once.predict_proba(X[:n]))
    # One trace for full batches and one generalised for the rest, not one per count.
    assert clf.model_._one_batch_predict_function.experimental_get_tracing_count() <= 2
    assert clf.model_.steps_per_execution == 32 and clf.model_.predict_function is None
    direct = clf.model_.predict(X[:2100].reshape(-1, 8, 8).astype(np.float32), verbose=0)
    assert direct.shape == (2100, 10)  # Keras' own path, with the model's own setting
    np.testing.assert_allclose(direct, clf.predict_proba(X[:2100]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_docstring_defaults_match_signature(cls):
    for name, param in inspect.signature(cls).parameters.items():
        if name in cls.__doc__ and isinstance(param.default, int | float | str | bool):
            default = f'"{param.default}"' if isinstance(param.default, str) else param.default
            assert f"{name} : " in cls.__doc__
            line = next(
                ln for ln in cls.__doc__.splitlines() if ln.strip().startswith(f"{name} : ")
            )
            assert line.endswith(f"default={default}"), (name, line)


def test_standardize_learns_the_training_mean_and_std(small):
    X, y, Xt, _ = small
    clf = LSTMClassifier(units=8, **TINY).fit(X / 255.0, y)  # standardize=True by default
    layer = clf.model_.get_layer("standardize")
    assert float(np.ravel(layer.mean)[0]) == pytest.approx((X / 255.0).mean(), rel=1e-4)
    assert float(np.ravel(layer.variance)[0]) == pytest.approx((X / 255.0).var(), rel=1e-3)
    # Scaling the input by 10 changes nothing the network sees once standardised.
    scaled = LSTMClassifier(units=8, **TINY).fit(X / 25.5, y)
    np.testing.assert_allclose(
        clf.predict_proba(Xt / 255.0), scaled.predict_proba(Xt / 25.5), rtol=1e-4, atol=1e-5
    )
    with pytest.raises(
        ValueError, match="'standardize' parameter of .* must be an instance of 'bool'"
    ):
        LSTMClassifier(standardize="yes").fit(X, y)


class _RateLog(keras.callbacks.Callback):
    """The optimizer's learning rate at the start of every training batch."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(self.model.optimizer.learning_rate))


def test_cosine_schedule_runs_inside_the_optimizer(small, tmp_path):
    X, y, Xt, _ = small
    log = _RateLog()
    # One batch per call: the log's batch-level hook then sees every step's rate.
    params = {
        "filters": 4,
        "dense_units": 16,
        "batch_size": 100,
        "learning_rate": 0.01,
        "steps_per_execution": 1,
    }
    clf = CNNClassifier(lr_schedule="cosine", epochs=2, callbacks=[log], **params)
    clf.fit(X / 255.0, y)
    # No Python callback drives it: the optimizer holds a Keras schedule.
    assert isinstance(
        clf.model_.optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule
    )
    # 400 images / 100 per batch x 2 epochs = 8 steps; the values of a half cosine,
    # written out independently: 0.01 * (1 + cos(pi * k / 8)) / 2.
    expected = [
        0.01,
        0.009619398,
        0.008535534,
        0.006913417,
        0.005,
        0.003086583,
        0.001464466,
        0.000380602,
    ]
    np.testing.assert_allclose(log.rates, expected, rtol=1e-5)
    # partial_fit after the horizon: the constant rate, as documented.
    log.rates.clear()
    clf.partial_fit(X / 255.0, y)
    np.testing.assert_allclose(log.rates, [0.01] * 4, rtol=1e-6)
    # The schedule survives a pickle round trip (it is a registered Keras object).
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(Xt / 255.0), clf.predict_proba(Xt / 255.0))
    # A constant schedule and a first partial_fit never decay.
    log.rates.clear()
    CNNClassifier(lr_schedule="constant", epochs=1, callbacks=[log], **params).fit(X / 255.0, y)
    CNNClassifier(lr_schedule="cosine", callbacks=[log], **params).partial_fit(X / 255.0, y)
    np.testing.assert_allclose(log.rates, [0.01] * 8, rtol=1e-6)
    with pytest.raises(ValueError, match="'lr_schedule' parameter of .* must be a str among"):
        CNNClassifier(lr_schedule="step").fit(X, y)


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_pickle_round_trip_identical_predictions(make, small, tmp_path):
    X, y, Xt, _ = small
    pipe = make(**TINY).fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(pipe))
    loaded = pickle.loads(path.read_bytes())
    np.testing.assert_array_equal(loaded.predict_proba(Xt), pipe.predict_proba(Xt))
    np.testing.assert_array_equal(loaded.predict(Xt), pipe.predict(Xt))


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_same_random_state_same_predictions(make, small):
    X, y, Xt, _ = small
    a = make(**TINY).fit(X, y).predict_proba(Xt)
    b = make(**TINY).fit(X, y).predict_proba(Xt)
    c = make(epochs=1, random_state=1).fit(X, y).predict_proba(Xt)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_grid_search_over_two_architecture_params(small):
    """GridSearchCV's scores are those of our pipeline fitted by hand with each candidate's
    parameters on each fold: set_params reaches the network, and clone keeps the seed."""
    X, y, Xt, yt = small
    grid = {"cnnclassifier__filters": [4, 8], "cnnclassifier__dense_units": [16]}
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(make_cnn_pipeline(**TINY), grid, cv=cv).fit(X, y)
    res = search.cv_results_
    for i, filters in enumerate([4, 8]):
        for k, (train, test) in enumerate(cv.split(X, y)):
            pipe = make_cnn_pipeline(filters=filters, dense_units=16, **TINY).fit(
                X[train], y[train]
            )
            assert pipe[-1].model_.layers[1].filters == filters
            assert res[f"split{k}_test_score"][i] == np.mean(pipe.predict(X[test]) == y[test])
    best = search.best_estimator_[-1]
    assert [lay.units for lay in best.model_.layers if type(lay).__name__ == "Dense"] == [16, 10]


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_string_and_noncontiguous_labels(cls, small):
    X, y, Xt, _ = small
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    clf = cls(**TINY).fit(X / 255.0, names[y])
    assert list(clf.classes_) == sorted(names)
    assert set(clf.predict(Xt / 255.0)) <= set(names)
    proba = clf.predict_proba(Xt / 255.0)
    assert proba.shape == (len(Xt), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    picked = clf.classes_[proba.argmax(axis=1)]
    np.testing.assert_array_equal(picked, clf.predict(Xt / 255.0))
    odd = cls(**TINY).fit(X / 255.0, y * 7 + 3)
    assert list(odd.classes_) == [d * 7 + 3 for d in range(10)]


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_fitted_attributes_and_history(cls, small):
    X, y, _, _ = small
    clf = cls(epochs=2, validation_fraction=0.2, random_state=0).fit(X / 255.0, y)
    assert clf.n_features_in_ == 64 and clf.image_shape_ == (8, 8, 1)
    assert clf.n_iter_ == 2 and clf.fit_time_ > 0
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "epoch_time"):
        assert len(clf.history_[key]) == 2, key
    assert all(t > 0 for t in clf.history_["epoch_time"])
    assert sum(clf.history_["epoch_time"]) <= clf.fit_time_
    # Weights counted by hand for 8x8 images (the Normalization layer keeps mean, variance, count):
    if cls is LSTMClassifier:  # LSTM(128) over 8 steps of 8 values, Dense(10)
        expected = 3 + 4 * (128 * (8 + 128) + 128) + (128 * 10 + 10)
    else:  # Conv 3x3x32 -> 6x6, pool -> 3x3, Conv 3x3x64 -> 1x1, Dense 128, Dense 10
        expected = (32 * 9 + 32) + (64 * 32 * 9 + 64) + (64 * 128 + 128) + (128 * 10 + 10)
    assert clf.count_params() == expected


def test_image_shaped_input_and_explicit_layout(small):
    X, y, Xt, _ = small
    images = (X / 255.0).reshape(-1, 8, 8)
    clf = CNNClassifier(**TINY).fit(images, y)
    assert clf.image_shape_ == (8, 8, 1) and clf.n_features_in_ == 64
    np.testing.assert_array_equal(clf.predict(images[:5]), clf.predict(images[:5].reshape(5, 64)))
    with pytest.raises(ValueError, match="fitted on images of shape"):
        clf.predict(images[:5].reshape(5, 4, 16))
    rect = LSTMClassifier(image_shape=(4, 16), **TINY).fit(X / 255.0, y)
    assert rect.model_.input_shape == (None, 4, 16)


def test_early_stopping_uses_validation_data(small):
    X, y, Xt, yt = small
    clf = CNNClassifier(
        epochs=30, early_stopping=True, patience=1, random_state=0, learning_rate=0.05
    )
    clf.fit(X / 255.0, y, validation_data=(Xt / 255.0, yt))
    assert "val_loss" in clf.history_ and clf.n_iter_ < 30


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_clear_errors(cls, small):
    X, y, _, _ = small
    Xs = X / 255.0
    clf = cls(**TINY).fit(Xs, y)
    with pytest.raises(ValueError, match="X has 10 features, but .* is expecting 64 features"):
        clf.predict(np.zeros((3, 10)))
    bad = Xs.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cls(**TINY).fit(bad, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        cls(**TINY).fit(Xs, np.zeros(len(y)))
    with pytest.raises(ValueError, match="0 sample"):
        cls(**TINY).fit(np.zeros((0, 64)), np.zeros(0))
    with pytest.raises(ValueError, match="'optimizer' parameter of .* must be a str among"):
        cls(optimizer="adamax").fit(Xs, y)
    with pytest.raises(
        ValueError, match=r"'dropout' parameter of .* must be a float in the range \[0.0, 1.0\)"
    ):
        cls(dropout=1.5).fit(Xs, y)
    with pytest.raises(ValueError, match="image_shape=.* needs 63 features"):
        cls(image_shape=(7, 9)).fit(Xs, y)


def test_pipeline_rejects_negative_pixels_and_nan(small):
    X, y, _, _ = small
    neg = X.astype(np.float32)
    neg[0, 0] = -1
    with pytest.raises(ValueError, match="Negative values in data passed to PixelScaler"):
        make_cnn_pipeline(**TINY).fit(neg, y)
    with pytest.raises(ValueError, match="NaN or inf"):
        PixelScaler().fit_transform(np.array([[0, np.inf]]))
    with pytest.raises(ValueError, match="above max_value=255"):
        PixelScaler().fit_transform(np.array([[0, 300]]))
    np.testing.assert_array_equal(
        PixelScaler(clip=True).fit_transform(np.array([[-5, 300]])), [[0, 1]]
    )


def test_pixel_scaler_keeps_float32_and_pandas_output():
    X = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    out = PixelScaler().fit_transform(X)
    assert out.dtype == np.float32 and out.max() == 1.0
    assert PixelScaler().fit_transform(X.astype(np.float32)).dtype == np.float32
    frame = PixelScaler().set_output(transform="pandas").fit_transform(X)
    assert list(frame.columns) == ["x0", "x1"] and frame.dtypes.iloc[0] == np.float32


def test_image_reshaper_layouts_and_errors():
    X = np.arange(2 * 784, dtype=np.float32).reshape(2, 784)
    cnn = ImageReshaper().fit(X)
    assert cnn.transform(X).shape == (2, 28, 28, 1) and np.shares_memory(cnn.transform(X), X)
    assert ImageReshaper(layout="sequence").fit_transform(X).shape == (2, 28, 28)
    assert ImageReshaper(image_shape=(2, 14, 28)).fit_transform(X).shape == (2, 2, 14, 28)
    with pytest.raises(ValueError, match=r"image_shape=\(28, 27, 1\) needs 756 features"):
        ImageReshaper(image_shape=(28, 27)).fit(X)
    with pytest.raises(ValueError, match="X has 100 features, but ImageReshaper is expecting 784"):
        cnn.transform(np.zeros((1, 100)))
    with pytest.raises(ValueError, match="'layout' parameter of ImageReshaper must be a str among"):
        ImageReshaper(layout="video").fit(X)
    with pytest.raises(ValueError, match="cannot output 'polars'"):
        ImageReshaper().set_output(transform="polars")


def _current_rss_mb() -> float:
    """Resident memory now (Linux), else the peak: what a leak makes grow."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize(
    ("cls", "params"),
    [(CNNClassifier, {"filters": 4, "dense_units": 16}), (LSTMClassifier, {"units": 8})],
)
def test_memory_stays_flat_over_many_fits(cls, params, small):
    # Without the release in _tf.keras_training each fit kept its traced
    # training graph alive through TF's gradient registry: +8.8 MB (this CNN)
    # and +12.9 MB (this LSTM) of resident memory per fit, i.e. > 70 MB here.
    X, y, _, _ = small
    Xs = X / 255.0
    registry = BACKEND.gradient_registry()
    for _ in range(3):  # warm-up: the first fits allocate TF's pools and caches
        cls(**params, **TINY).fit(Xs, y).predict(Xs)
    gc.collect()
    before, n_entries = _current_rss_mb(), len(registry or ())
    for _ in range(8):
        cls(**params, **TINY).fit(Xs, y).predict(Xs)
    gc.collect()
    assert len(registry or ()) == n_entries, "fits left gradient functions in TF's registry"
    grown = _current_rss_mb() - before
    assert grown < 40, f"resident memory grew by {grown:.0f} MB over 8 fits"


@pytest.mark.skipif(BACKEND.name != "tensorflow", reason="TensorFlow's own gradient registry")
def test_training_lock_releases_registry_entries_added_inside():
    registry = BACKEND.gradient_registry()
    n_entries = len(registry)
    with keras_training():
        registry["CustomGradient-test"] = {"type": None, "location": None}
        registry["NotOurs-test"] = {"type": None, "location": None}
    assert "CustomGradient-test" not in registry and "NotOurs-test" in registry
    del registry["NotOurs-test"]
    assert len(registry) == n_entries


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_predictions_do_not_depend_on_sample_order(cls, small):
    """The cause of check_methods_sample_order_invariance failing on AVX2 machines.

    A sample's float32 output changed in the last bit with its position in the batch
    (SIMD row blocks vs the rows left over). Padded prediction batches compute every
    sample the same way: the outputs of any permutation are bit-identical.
    """
    X, y, Xt, _ = small
    clf = cls(**TINY).fit(X / 255.0, y)
    Xt = Xt[:37] / 255.0  # 37 rows: not a multiple of any SIMD width
    proba = clf.predict_proba(Xt)
    rng = np.random.default_rng(0)
    for _ in range(10):
        idx = rng.permutation(len(Xt))
        np.testing.assert_array_equal(clf.predict_proba(Xt[idx]), proba[idx])
    np.testing.assert_array_equal(clf.predict_proba(Xt[5:6]), proba[5:6])  # alone, too


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_score_before_fit_is_not_fitted_error(cls, small):
    from sklearn.exceptions import NotFittedError

    X, y, _, _ = small
    with pytest.raises(NotFittedError):
        cls().score(X, y)


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_pipelines_set_output(make, small):
    X, y, Xt, _ = small
    pipe = make(**TINY)
    assert pipe.set_output(transform="default") is pipe
    proba = pipe.fit(X, y).predict_proba(Xt)
    frames = make(**TINY).set_output(transform="pandas").fit(X, y)
    assert list(frames[-1].feature_names_in_[:2]) == ["x0", "x1"]  # it really got a DataFrame
    np.testing.assert_array_equal(frames.predict_proba(Xt), proba)
    with pytest.raises(ValueError, match="image-shaped .* no DataFrame can hold"):
        ImageReshaper().set_output(transform="pandas")


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_image_shape_is_honoured_in_the_pipeline(make, small):
    X, y, _, _ = small
    step = make().steps[-1][0]
    pipe = make(**TINY).set_params(**{f"{step}__image_shape": (4, 16)}).fit(X, y)
    assert pipe[-1].image_shape_ == (4, 16, 1)
    assert pipe[-1].model_.input_shape[1:] in ((4, 16, 1), (4, 16))


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_random_state_instance_follows_scikit_learn(cls, small):
    X, y, Xt, _ = small
    X, Xt = X / 255.0, Xt / 255.0

    small_net = {CNNClassifier: {"filters": 4, "dense_units": 16}, LSTMClassifier: {"units": 16}}

    def proba(rs):
        return cls(epochs=1, random_state=rs, **small_net[cls]).fit(X, y).predict_proba(Xt)

    np.testing.assert_array_equal(proba(np.random.RandomState(1)), proba(np.random.RandomState(1)))
    assert not np.array_equal(proba(np.random.RandomState(1)), proba(np.random.RandomState(2)))
    shared = np.random.RandomState(5)
    first, second = proba(shared), proba(shared)  # the generator advances between fits
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_class_weight_is_a_parameter_equal_to_sample_weights(cls, small):
    from sklearn.utils.class_weight import compute_sample_weight

    X, y, Xt, _ = small
    X, Xt = X / 255.0, Xt / 255.0
    weights = {c: (3.0 if c < 5 else 0.5) for c in range(10)}
    clf = cls(class_weight=weights, **TINY)
    assert clone(clf).get_params()["class_weight"] == weights
    by_param = clf.fit(X, y).predict_proba(Xt)
    sw = compute_sample_weight(weights, y)
    kept = sw.copy()
    by_weights = cls(**TINY).fit(X, y, sample_weight=sw).predict_proba(Xt)
    np.testing.assert_array_equal(by_param, by_weights)
    np.testing.assert_array_equal(sw, kept)  # the user's array is not changed in place
    both = cls(class_weight=weights, **TINY).fit(X, y, sample_weight=sw).predict_proba(Xt)
    assert not np.array_equal(both, by_param)  # class and sample weights multiply
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.class_weight == weights
    np.testing.assert_array_equal(restored.predict_proba(Xt), by_param)
    with pytest.raises(
        ValueError, match="'class_weight' parameter of .* must be an instance of 'dict'"
    ):
        cls(class_weight="uniform").fit(X, y)


class _EpochRecorder(keras.callbacks.Callback):
    runs: list = []

    def on_train_begin(self, logs=None):
        self.epochs = []
        _EpochRecorder.runs.append(self)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, sorted(logs)))


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_user_callbacks_as_instances_and_classes(cls, small):
    X, y, _, _ = small
    X = X / 255.0
    rec = _EpochRecorder()
    clf = cls(callbacks=[rec], epochs=2, random_state=0).fit(X, y)
    assert [e for e, _ in rec.epochs] == [0, 1] and "loss" in rec.epochs[0][1]
    copy = clone(clf)
    assert isinstance(copy.callbacks[0], _EpochRecorder) and copy.callbacks[0] is not rec
    restored = pickle.loads(pickle.dumps(clf))
    assert isinstance(restored.callbacks[0], _EpochRecorder)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    _EpochRecorder.runs.clear()
    cls(callbacks=[_EpochRecorder], epochs=1, random_state=0).fit(X, y).partial_fit(X, y)
    assert [len(r.epochs) for r in _EpochRecorder.runs] == [1, 1]
    with pytest.raises(TypeError, match="callbacks"):
        cls(callbacks=["tensorboard"], epochs=1).fit(X, y)


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_validation_data_goes_through_the_pipeline(make, small):
    """At the end of training, val_loss is the pipeline's own log loss on the same data."""
    import warnings

    from sklearn.metrics import log_loss
    from sklearn.pipeline import Pipeline

    X, y, Xt, yt = small
    pipe = make(epochs=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "unscaled" warning on this path
        pipe.fit(X, y, validation_data=(Xt, yt))
    val_loss = pipe[-1].history_["val_loss"][-1]
    assert val_loss == pytest.approx(log_loss(yt, pipe.predict_proba(Xt)), rel=1e-4)
    routed = make(epochs=2, random_state=0)
    routed.fit(X, y, **{f"{routed.steps[-1][0]}__validation_data": (Xt, yt)})
    assert routed[-1].history_["val_loss"] == pipe[-1].history_["val_loss"]
    plain = Pipeline(clone(pipe).steps)  # scikit-learn's own Pipeline: raw pixels, warned
    with pytest.warns(UserWarning, match="validation_data look unscaled"):
        plain.fit(X, y, **{f"{plain.steps[-1][0]}__validation_data": (Xt, yt)})
    assert plain[-1].history_["val_loss"][-1] > 1.2 * val_loss  # what the network really saw


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_a_pipeline_scales_batch_by_batch_and_trains_the_same_network(make, mnist_small):
    """make_*_pipeline reads 8-bit images and scales each batch as the network reads it:
    the same network, bit for bit, as scikit-learn's Pipeline of the same steps, which
    scales every image first; without that float32 copy of the images, and with the
    pipeline's steps left as they were (their fit-time state gone, even after an error)."""
    import tracemalloc

    from sklearn.pipeline import Pipeline

    X, y, Xt, yt = mnist_small
    assert X.dtype == np.uint8

    ours = make(epochs=2, random_state=0)
    plain = Pipeline(clone(ours).steps)  # scikit-learn's: PixelScaler.fit_transform, whole
    ours.fit(X, y, validation_data=(Xt, yt))
    plain.fit(
        X, y, **{f"{plain.steps[-1][0]}__validation_data": (PixelScaler().fit_transform(Xt), yt)}
    )
    np.testing.assert_array_equal(ours.predict_proba(Xt), plain.predict_proba(Xt))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert ours[-1].history_[key] == plain[-1].history_[key]
    # No float32 copy of the images: the peak of what Python and NumPy allocate during
    # a fit, on 8,000 images (a copy of 25 MB, which outweighs the network's own 4.8 MB
    # of weights that some backends copy out at moments of their own). The LSTM's
    # standardisation holds float64 batches while it adapts (its own test, with more
    # images), and PyTorch's loader slices the arrays itself (scaled whole there).
    if make is make_cnn_pipeline and BACKEND.slices_batches_itself:
        X4, y4 = np.concatenate([X] * 4), np.concatenate([y] * 4)

        def peak_of_fit(pipe):
            tracemalloc.start()
            try:
                pipe.fit(X4, y4)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        copy = X4.size * 4
        peaks = peak_of_fit(make(epochs=1)), peak_of_fit(Pipeline(make(epochs=1).steps))
        assert peaks[1] - peaks[0] > 0.6 * copy, (peaks, copy)
    assert not hasattr(ours[0], "_deferred") and not hasattr(ours[-1], "_batch_scaler")
    failed = make(epochs=1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        failed.fit(X[y == 3], y[y == 3])
    assert not hasattr(failed[0], "_deferred") and not hasattr(failed[-1], "_batch_scaler")
    # Where the network cannot take the scaler's place, the pipeline scales whole, as
    # scikit-learn's would: with a memory (which fits a clone of the scaler).
    assert make().set_params(memory=None)._scaled_per_batch() is not None
    assert make().set_params(memory="unused")._scaled_per_batch() is None


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_a_pipeline_predicts_chunk_by_chunk_without_a_copy(make, mnist_small):
    """make_*_pipeline's predictions read 8-bit images and scale each chunk of them as
    it goes to Keras: scikit-learn's Pipeline's numbers (which scales every image
    first), in one call or in chunks of whole batches, and no float32 copy of every image."""
    import tracemalloc

    from sklearn.exceptions import NotFittedError
    from sklearn.pipeline import Pipeline

    X, y, Xt, yt = mnist_small
    ours = make(epochs=1, random_state=0).fit(X, y)
    plain = Pipeline(ours.steps)  # the same fitted steps, scikit-learn's predict
    expected = plain.predict_proba(Xt)
    np.testing.assert_array_equal(ours.predict_proba(Xt), expected)
    network = ours[-1]
    network._predict_batch_size, network._predict_chunk = 128, 10**9  # all in one call
    whole = ours.predict_proba(Xt)
    network._predict_chunk = 300  # whole batches: 1,000 images in 4 calls, the last padded
    np.testing.assert_array_equal(ours.predict_proba(Xt), whole)
    np.testing.assert_array_equal(ours.predict(Xt), network.classes_[whole.argmax(axis=1)])
    assert ours.score(Xt, yt) == plain.score(Xt, yt) == np.mean(plain.predict(Xt) == yt)
    del network._predict_batch_size, network._predict_chunk

    def peak_of_predict(pipe, images):
        tracemalloc.start()
        try:
            pipe.predict_proba(images)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    many = np.concatenate([Xt] * 20)  # 20,000 images: 62.7 MB as float32
    copy = many.size * 4
    peaks = peak_of_predict(ours, many), peak_of_predict(plain, many)
    assert peaks[0] < 0.6 * copy < copy < peaks[1], (peaks, copy)
    with pytest.raises(NotFittedError):
        make().predict(Xt)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_partial_fit_accumulates_epochs_history_and_time(cls, small):
    X, y, _, _ = small
    X = X / 255.0
    clf = cls(random_state=0).partial_fit(X, y, classes=np.arange(10))
    first_time, first_weights = clf.fit_time_, clf.model_.get_weights()
    clf.partial_fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2
    assert len(clf.history_["epoch_time"]) == 2 and clf.fit_time_ > first_time
    after = clf.model_.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(first_weights, after, strict=True))
    with pytest.raises(ValueError, match="not both"):
        cls(validation_fraction=0.2, **TINY).fit(X, y, validation_data=(X[:10], y[:10]))


def test_architecture_and_optimizer_options(small):
    X, y, _, _ = small
    X = X / 255.0
    lstm = LSTMClassifier(units=6, lstm_layers=2, bidirectional=True, optimizer="rmsprop", **TINY)
    lstm.fit(X, y)
    kinds = [type(layer).__name__ for layer in lstm.model_.layers]
    assert kinds.count("Bidirectional") == 2 and "LSTM" not in kinds
    first, second = (lay for lay in lstm.model_.layers if type(lay).__name__ == "Bidirectional")
    assert first.forward_layer.return_sequences and not second.forward_layer.return_sequences
    assert first.output.shape[-1] == 12  # both directions of 6 units
    assert type(lstm.model_.optimizer).__name__ == "RMSprop"
    cnn = CNNClassifier(filters=3, conv_layers=3, kernel_size=2, optimizer="sgd", **TINY).fit(X, y)
    convs = [lay for lay in cnn.model_.layers if type(lay).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [3, 6, 12]  # each further conv doubles
    assert type(cnn.model_.optimizer).__name__ == "SGD"


class _MLP(KerasImageClassifier):
    """The docs' custom-network recipe: a dense network on flat pixels, public names only."""

    _parameter_constraints = {
        **KerasImageClassifier._parameter_constraints,
        "hidden_units": [Interval(Integral, 1, None, closed="left")],
    }
    input_layout = "flat"
    network_name = "mlp"

    def __init__(self, *, hidden_units=32, epochs=5, batch_size=32, random_state=None):
        self.hidden_units = hidden_units
        super().__init__(epochs=epochs, batch_size=batch_size, random_state=random_state)

    def build_network(self, inputs, n_classes):
        x = keras.layers.Dense(self.hidden_units, activation="relu")(inputs)
        return keras.layers.Dense(n_classes, activation="softmax")(x)


class _LegacyMLP(KerasImageClassifier):
    """The recipe of version 0.1 (private hooks), which keeps working."""

    _layout = "flat"
    _network_name = "legacy"

    def _build_network(self, x, n_classes):
        return keras.layers.Dense(n_classes, activation="softmax")(x)


def test_custom_network_on_the_base_class_with_a_flat_layout(small):
    X, y, Xt, yt = small
    clf = clone(_MLP(hidden_units=48, epochs=40, random_state=0))
    assert clf.get_params()["hidden_units"] == 48 and is_classifier(clf)
    clf.fit(X / 16.0, y)
    assert clf.model_.input_shape == (None, 64)  # 8x8 digits, flat: no reshape
    assert clf.model_.layers[1].units == 48 and clf.model_.name == "mlp"
    assert clf.score(Xt / 16.0, yt) > 0.7  # chance is 0.1; 0.82 measured
    with pytest.raises(ValueError, match="'hidden_units' parameter of _MLP must be an int"):
        _MLP(hidden_units=0).fit(X, y)
    legacy = _LegacyMLP(**TINY).fit(X / 16.0, y)
    assert legacy.model_.input_shape == (None, 64) and legacy.model_.name == "legacy"
    with pytest.raises(NotImplementedError, match="must define build_network"):
        KerasImageClassifier(**TINY).fit(X, y)


@pytest.mark.parametrize("cls", CLASSIFIERS)
def test_warm_start_continues_from_the_fitted_network(cls, small):
    X, y, Xt, yt = small
    X, Xt = X / 255.0, Xt / 255.0
    params = {"epochs": 1, "random_state": 0, "lr_schedule": "constant"}
    clf = cls(warm_start=True, **params).fit(X, y)
    model, first = clf.model_, [w.copy() for w in clf.model_.get_weights()]
    loss_after_one = clf.history_["loss"][-1]
    clf.fit(X, y)
    # The same network went on training: epochs and history go on counting.
    assert clf.model_ is model and clf.n_iter_ == 2 and len(clf.history_["loss"]) == 2
    assert clf.history_["loss"][0] == loss_after_one
    assert any(
        not np.array_equal(a, b) for a, b in zip(first, clf.model_.get_weights(), strict=True)
    )
    # It predicts with its classes, as after a cold fit.
    proba = clf.predict_proba(Xt)
    assert proba.shape == (len(Xt), 10) and list(clf.classes_) == list(range(10))
    assert clf.score(Xt, yt) == np.mean(clf.predict(Xt) == yt)
    # A cold fit with the same seed equals the first fit of the warm one, bit for bit.
    cold = cls(**params).fit(X, y)
    for a, b in zip(cold.model_.get_weights(), first, strict=True):
        np.testing.assert_array_equal(a, b)
    cold.fit(X, y)  # warm_start=False: a fresh network, one epoch again
    assert cold.n_iter_ == 1
    # clone and pickle keep the parameter; an unpickled estimator continues too.
    assert clone(clf).get_params()["warm_start"] is True
    again = pickle.loads(pickle.dumps(clf))
    assert again.warm_start is True
    again.fit(X, y)
    assert again.n_iter_ == 3 and len(again.history_["loss"]) == 3


def test_warm_start_restarts_the_cosine_schedule(small):
    """Each warm fit runs its own cosine, in the compiled training step."""
    X, y, _, _ = small
    X = X / 255.0
    rates = []

    class Rates(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            rates.append(float(self.model.optimizer.learning_rate))

    params = {"epochs": 1, "batch_size": 100, "learning_rate": 0.01, "random_state": 0}
    clf = CNNClassifier(warm_start=True, steps_per_execution=1, callbacks=[Rates()], **params)
    clf.fit(X, y)
    clf.fit(X, y)
    # 4 batches per fit: 0.01 * (1 + cos(pi * t / 4)) / 2 for t = 0..3, twice.
    expected = [0.01, 0.0085355339, 0.005, 0.0014644661] * 2
    np.testing.assert_allclose(rates, expected, rtol=1e-5)
    # What the compiled step applied: without a new cosine (the first fit's schedule,
    # past its horizon: the constant rate) the second fit's weights differ.
    stale = CNNClassifier(warm_start=True, **params).fit(X, y)
    stale.set_params(lr_schedule="constant").fit(X, y)
    again = CNNClassifier(warm_start=True, **params).fit(X, y)
    again.fit(X, y)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(again.model_.get_weights(), stale.model_.get_weights(), strict=True)
    )
    for a, b in zip(again.model_.get_weights(), clf.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the same cosine whatever the batches per call


@pytest.mark.parametrize("make", [make_cnn_pipeline, make_lstm_pipeline])
def test_validation_data_with_metadata_routing(make, small):
    """The documented validation-data path works with metadata routing on, as off."""
    X, y, Xt, yt = small
    off = make(epochs=1, random_state=0).fit(X, y, validation_data=(Xt, yt))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make(epochs=1, random_state=0)
        pipe[-1].set_fit_request(validation_data=True)
        pipe.fit(X, y, validation_data=(Xt, yt))
    assert pipe[-1].history_["val_loss"] == off[-1].history_["val_loss"]


def test_standardize_learns_its_statistics_batch_by_batch_without_a_copy(mnist_dir):
    """The LSTM's standardisation reads the scaled images a batch at a time: the
    statistics of the whole scaled array, without Keras' two whole float32 copies."""
    import tracemalloc

    from mnist_estimators import load_mnist
    from mnist_estimators._keras.layers import Standardize

    X, y = load_mnist("train", return_X_y=True, data_dir=mnist_dir, n_samples=24000, random_state=0)
    scale = PixelScaler().fit(X)._scale
    whole = scale(X).astype(np.float64)  # what the network reads, all at once
    expected = [whole.mean(), whole.var()]
    del whole
    copy_bytes = X.size * 4  # one float32 copy of the images: 75 MB
    tracemalloc.start()
    try:
        ours = Standardize()
        ours.adapt_arrays(X, scale)
        ours_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        keras_way = Standardize()
        keras_way.adapt(scale(X))  # Keras' adapt of the whole scaled array
        keras_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        make_lstm_pipeline(units=4, epochs=1, random_state=0).fit(X, y)
        fit_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    stats = [float(np.asarray(ours.adapt_mean)), float(np.asarray(ours.adapt_variance))]
    keras_stats = [
        float(np.asarray(keras_way.adapt_mean)),
        float(np.asarray(keras_way.adapt_variance)),
    ]
    np.testing.assert_allclose(stats, expected, rtol=1e-7)  # float32's rounding: 6e-8
    np.testing.assert_allclose(keras_stats, stats, rtol=5e-7)  # Keras' float32 sums
    assert keras_peak > 1.5 * copy_bytes  # the measure sees the copies
    assert ours_peak < copy_bytes / 2, ours_peak / 1e6
    if BACKEND.slices_batches_itself:  # PyTorch's loader takes the images scaled whole
        assert fit_peak < copy_bytes / 2, fit_peak / 1e6  # 152 MB with Keras' adapt


def test_a_pipeline_that_scales_batch_by_batch_checks_and_warns_as_a_scaling_one(
    mnist_small, monkeypatch
):
    """The network that scales its own batches checks validation images with the
    scaler's own checks, warns on unscaled ones routed to it past the pipeline, and
    gives the same network where Keras slices the arrays itself."""
    from sklearn.pipeline import Pipeline

    X, y, Xt, yt = mnist_small
    X, y = X[:600], y[:600]
    small_net = {"filters": 4, "dense_units": 8, "epochs": 1, "random_state": 0}
    # Pixels above max_value: the same error as scikit-learn's Pipeline raises, which
    # scales the validation images with the PixelScaler's transform.
    bad = Xt.astype(np.float32)
    bad[0, 0] = 300.0
    with pytest.raises(ValueError, match=r"above max_value=255 \(max 300\)"):
        make_cnn_pipeline(**small_net).fit(X, y, validation_data=(bad, yt))
    with pytest.raises(ValueError, match=r"above max_value=255 \(max 300\)"):
        Pipeline(make_cnn_pipeline(**small_net).steps).fit(X, y)[0].transform(bad)
    # Validation data routed to the network under an alias reach it as given: raw
    # pixels against batches in [0, 1] are a mistake worth a warning.
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_cnn_pipeline(**small_net)
        pipe[-1].set_fit_request(validation_data="val")
        with pytest.warns(UserWarning, match="validation_data look unscaled"):
            pipe.fit(X, y, val=(Xt, yt))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            pipe.fit(X, y, val=(Xt / np.float32(255), yt))  # scaled: no warning
        assert not [w for w in seen if "look unscaled" in str(w.message)]
    # Where Keras slices the arrays itself (its own TensorFlow adapter, PyTorch's loader):
    # the images scaled whole, the same network as scikit-learn's Pipeline gives there.
    monkeypatch.setattr(BACKEND, "slices_batches_itself", False)
    if hasattr(BACKEND, "dataset_of_batches"):  # TensorFlow: the package's batches unused

        def unused(*args, **kwargs):
            raise AssertionError("the package sliced the batches")

        monkeypatch.setattr(BACKEND, "dataset_of_batches", unused)
    ours = make_cnn_pipeline(**small_net).fit(X, y)
    plain = Pipeline(make_cnn_pipeline(**small_net).steps).fit(X, y)
    assert ours[-1].history_["loss"] == plain[-1].history_["loss"]
    np.testing.assert_array_equal(ours.predict_proba(Xt), plain.predict_proba(Xt))


@pytest.mark.parametrize(
    ("cls", "n", "batch", "rate"),
    [
        (CNNClassifier, 600, 32, 0.0015),  # 0.003 * sqrt(32 / 128)
        (LSTMClassifier, 600, 16, 0.003),
    ],
)
def test_auto_batch_and_rate_follow_the_data_size(cls, n, batch, rate, mnist_small):
    X, y = mnist_small[0][:n] / 255, mnist_small[1][:n]
    small_net = {"filters": 4, "dense_units": 8} if cls is CNNClassifier else {"units": 4}
    clf = cls(epochs=2, random_state=0, **small_net)
    assert clf.get_params()["batch_size"] == "auto" == clf.get_params()["learning_rate"]
    clf.fit(X, y)
    assert (clf.batch_size_, clf.learning_rate_) == (batch, pytest.approx(rate, rel=1e-5))
    # Observed in the network itself: the optimizer's steps and its first rate.
    assert int(clf.model_.optimizer.iterations.numpy()) == 2 * -(-n // batch)
    assert float(clf.model_.optimizer._learning_rate(0)) == pytest.approx(rate, rel=1e-5)
    # A batch size set by hand: the rate follows it; a rate set by hand is kept.
    hand = cls(epochs=1, batch_size=64, random_state=0, **small_net).fit(X, y)
    assert hand.batch_size_ == 64 and hand.learning_rate_ > clf.learning_rate_
    kept = cls(epochs=1, learning_rate=0.01, random_state=0, **small_net).fit(X, y)
    assert (kept.batch_size_, kept.learning_rate_) == (batch, 0.01)
    with pytest.raises(ValueError, match="'batch_size' parameter .* among {'auto'} or an int"):
        cls(batch_size="big").fit(X, y)
