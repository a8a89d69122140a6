"""The one place where scikeras 0.13 is adapted to today's scikit-learn.

scikeras 0.13.0 is its last release and was written for scikit-learn < 1.6:

* ``KerasClassifier(BaseWrapper, ClassifierMixin)`` puts the mixin on the wrong
  side of ``BaseEstimator``. With the tag API of scikit-learn >= 1.6,
  ``BaseEstimator.__sklearn_tags__`` wins, so ``is_classifier`` is False and
  ``cross_val_score`` silently uses unstratified folds. The mixin cannot be moved
  in a subclass (Python refuses the inconsistent MRO), so the tags are set here.
* Its tags use the removed ``_more_tags`` API.
* ``BaseWrapper._get_param_names`` lists every public instance attribute rather
  than the ``__init__`` signature; we restore scikit-learn's definition so that
  ``get_params``/``clone`` see exactly the named constructor arguments.
* Its ``__repr__`` ignores scikit-learn's repr conventions.
* Its ``_build_keras_model`` seeds with ``tensorflow_random_state``, whose
  ``tf.random.set_seed`` empties TensorFlow's caches of optimised functions, so a
  reused compiled network was optimised again at each fit (0.35 s for the LSTM).
  Our ``_keras_build_fn`` takes no routed parameters and seeds itself, without
  emptying them (:meth:`mnist_estimators._keras.backends.TensorFlowBackend.seeded`).

* Pickling or deep-copying a Keras model (scikeras sets ``keras.Model.__reduce__``)
  registers the model's class in Keras' global registry under ``">" + class name``,
  so that from then on Keras writes ``">Functional"`` for its own ``Functional``.
  :mod:`mnist_estimators.estimators.saving` writes Keras' own name into model files
  and reads the other (``_scikeras_registered``).

Everything else of scikeras (label encoding, ``classes_``, pickling of Keras
models, the fit/predict flow) is used as is.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags, Tags

# scikit-learn's declarative parameter constraints live in a private module; this is
# the package's one import of it, re-exported by mnist_estimators.estimators for
# subclasses of KerasImageClassifier (their _parameter_constraints).
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = [
    "Interval",
    "ScikerasClassifierCompat",
    "StrOptions",
    "check_is_fitted",
    "validate_data",
]


class ScikerasClassifierCompat:
    """Mixin placed left of ``scikeras.wrappers.KerasClassifier``.

    It makes a scikeras subclass a correct scikit-learn >= 1.6 classifier: tags
    through ``__sklearn_tags__``, parameters from the ``__init__`` signature,
    scikit-learn's ``__repr__``.
    """

    # scikeras reads these as attributes; they are not hyperparameters of ours.
    model = None
    build_fn = None
    loss = "sparse_categorical_crossentropy"

    _get_param_names = classmethod(BaseEstimator._get_param_names.__func__)
    __repr__ = BaseEstimator.__repr__
    set_params = BaseEstimator.set_params

    def _build_keras_model(self):
        """The compiled network: ``_keras_build_fn()``, which seeds itself."""
        return self._keras_build_fn()

    def __sklearn_tags__(self) -> Tags:
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(multi_class=True, multi_label=False)
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = False
        return tags

    def _more_tags(self) -> dict:  # pragma: no cover - pre-1.6 API, never called on >= 1.6
        return {"multioutput": False}
