"""Every public estimator and transformer through scikit-learn's own checks."""

from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from mnist_estimators import (
    CNNClassifier,
    FitTimed,
    GRUClassifier,
    ImageReshaper,
    ImageRotator,
    ImageShifter,
    ImageTransposer,
    LSTMClassifier,
    MLPClassifier,
    PixelPermuter,
    PixelScaler,
    RowShuffler,
    ViTClassifier,
)

# Small, fast settings; a higher learning rate so that the few epochs the checks
# can afford still separate sklearn's toy blobs (check_classifiers_train).
FAST = {"epochs": 8, "batch_size": 16, "learning_rate": 0.01, "random_state": 0}
ESTIMATORS = [
    PixelScaler(),
    ImageReshaper(),
    ImageReshaper(layout="sequence"),
    # The image transformers with parameters that move pixels (the defaults are identities).
    ImageShifter(dx=1, dy=-1),
    ImageRotator(degrees=15),
    PixelPermuter(),
    RowShuffler(),
    ImageTransposer(),
    # The checks' toy features are unscaled (make_blobs, std 20): standardised, as a network
    # wants them. Unscaled, check_class_weight_classifiers passed or failed by the seed's
    # shuffle (PyTorch, seeds 0-5: 0.76 of predictions on the heavy class for seed 0 against
    # the check's 0.87, all six above it standardised).
    CNNClassifier(filters=4, dense_units=16, dropout=0.0, standardize=True, **FAST),
    LSTMClassifier(units=8, dropout=0.0, **FAST),
    GRUClassifier(units=8, dropout=0.0, **FAST),
    MLPClassifier(hidden_units=(16,), dropout=0.0, standardize=True, **FAST),
    ViTClassifier(
        patch_size=2,
        embed_dim=8,
        depth=1,
        num_heads=2,
        mlp_dim=8,
        dropout=0.0,
        standardize=True,
        **FAST,
    ),
    FitTimed(LogisticRegression()),
]

_SCIKERAS = {
    "check_mixin_order": (
        "scikeras 0.13 declares KerasClassifier(BaseWrapper, ClassifierMixin) and Python refuses "
        "a subclass that reorders them; _compat.ScikerasClassifierCompat sets the classifier tags."
    ),
    "check_estimator_tags_renamed": (
        "scikeras 0.13's BaseWrapper defines the pre-1.6 _more_tags; our classes define "
        "__sklearn_tags__, which scikit-learn uses."
    ),
}
# Not forced by scikeras, but by stochastic mini-batch training itself: scikit-learn
# expects the same failure of its own SGDClassifier (sklearn.utils._test_common).
_STOCHASTIC = {
    "check_sample_weight_equivalence_on_dense_data": (
        "stochastic mini-batch training: weight 2 and a repeated sample give different batches "
        "and gradient noise, so the fitted networks differ (scikit-learn expects the same "
        "failure of its SGDClassifier)."
    ),
}
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "CNNClassifier": _SCIKERAS | _STOCHASTIC,
    "LSTMClassifier": _SCIKERAS | _STOCHASTIC,
    "GRUClassifier": _SCIKERAS | _STOCHASTIC,
    "MLPClassifier": _SCIKERAS | _STOCHASTIC,
    "ViTClassifier": _SCIKERAS | _STOCHASTIC,
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
