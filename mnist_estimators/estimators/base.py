"""``KerasImageClassifier``: what the CNN and LSTM classifiers share.

It is a scikeras ``KerasClassifier`` made into a correct scikit-learn >= 1.6
classifier (see :mod:`mnist_estimators.estimators._compat`) that

* validates X with scikit-learn's ``validate_data`` (flat or image shaped),
  then hands the network a view of it in the layout it reads;
* builds and compiles its own network from plain constructor arguments, so
  every architecture and training choice can be tuned by ``GridSearchCV``;
* records per-epoch loss, accuracy, validation metrics and wall time in
  ``history_`` and the total training time in ``fit_time_``;
* inside the package's own loops (compare, search, explain), reuses a compiled twin of
  its network when one is free in the process (:mod:`mnist_estimators._keras.reuse`),
  bit for bit as a fresh build; anywhere else it compiles its own, so a ``model_``
  the user holds never changes;
* frees the gradient functions TensorFlow registers for good while tracing a training
  step (see :func:`mnist_estimators._keras.runtime.keras_training`), so memory stays
  flat over the many fits of cross-validation and grid search;
* changes nothing of the caller's process state while it fits or predicts: no
  environment variable, no global random generator of Python or NumPy, no warning
  filter, no file descriptor, no logging level, no Keras setting (the user guide's
  "What the package does in your process" lists what is set once, and where).
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import json
import math
import string
import warnings
from collections.abc import Iterator
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, check_consistent_length, column_or_1d

from .. import _clock
from .._keras.callbacks import EpochTimer
from .._keras.data import SeededArrays
from .._keras.layers import Standardize
from .._keras.reuse import reusable_network
from .._keras.runtime import (
    BACKEND,
    KerasClassifier,
    fresh_layer_names,
    keras,
    keras_predicting,
    keras_training,
    seeded,
)
from .._keras.schedules import set_cosine_schedule
from .._memory import aligned_empty
from ._compat import Interval, ScikerasClassifierCompat, StrOptions, check_is_fitted
from ._defaults import REFERENCE_TRAINING, auto_training
from ._validation import (
    check_images,
    check_sample_shape,
    image_shape_from_sample,
    resolve_image_shape,
    to_layout,
)

__all__ = ["LR_SCHEDULES", "OPTIMIZERS", "REFERENCE_TRAINING", "KerasImageClassifier"]

OPTIMIZERS = ("adam", "adamw", "nadam", "rmsprop", "sgd")
LR_SCHEDULES = ("constant", "cosine")
#: Images per call into TensorFlow that ``steps_per_execution="auto"`` aims at.
IMAGES_PER_EXECUTION = 512


def auto_steps_per_execution(batch_size: int) -> int:
    """Batches per call that ``steps_per_execution="auto"`` gives: about 512 images.

    Never more than the backend's trainer takes (PyTorch's: one).
    """
    steps = max(1, IMAGES_PER_EXECUTION // batch_size)
    limit = BACKEND.max_steps_per_execution
    return steps if limit is None else min(steps, limit)


_COMMON_PARAMS_DOC = """\
    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"}, default="adam"
        Keras optimizer.
    learning_rate : float or "auto", default=$learning_rate
        Optimizer learning rate (the reference used 0.001, Keras' Adam default).
        "auto" scales the network's rate with the square root of the batch size
        (:func:`~mnist_estimators.estimators.auto_training`); the rate used is
        ``learning_rate_``.
    lr_schedule : {"constant", "cosine"}, default="$lr_schedule"
        "constant" keeps ``learning_rate`` throughout (the reference). "cosine"
        lowers it batch by batch from ``learning_rate`` to 0 along a half cosine
        over the epochs of one ``fit``, inside the optimizer
        (:class:`~mnist_estimators.CosineToConstant`).
        ``partial_fit`` always uses the constant rate: it cannot know how many
        calls will follow.
    batch_size : int or "auto", default=$batch_size
        Images per gradient step (the reference used 32, Keras' default). "auto"
        sizes it from the number of training images, as scikit-learn's MLP does
        (smaller batches, so more steps, on small data; the table
        :data:`~mnist_estimators.estimators.AUTO_TRAINING`, chosen by
        cross-validation); the batch size used is ``batch_size_``.
    epochs : int, default=5
        Passes over the training data (at most, with ``early_stopping``).
    validation_fraction : float, default=0.0
        Fraction of the training data held out (stratified, seeded by
        ``random_state``) to report ``val_loss``/``val_accuracy`` each epoch and
        to drive early stopping. 0 trains on everything, as the reference does.
        A ``validation_data=(X_val, y_val)`` fit parameter may be given instead.
    early_stopping : bool, default=False
        Stop when the validation loss (the training loss when there is no
        validation data) has not improved for ``patience`` epochs, and keep the
        best epoch's weights.
    patience : int, default=2
        Epochs without improvement before early stopping.
    standardize : bool, default=$standardize
        Start the network with a ``keras.layers.Normalization`` layer
        (:class:`~mnist_estimators._keras.layers.Standardize`) that
        subtracts the training images' mean pixel value and divides by their
        standard deviation (one scalar each, learnt in ``fit``, or in the first
        ``partial_fit``). False feeds the network its input as is.
    image_shape : "auto" or tuple of int, default="auto"
        Shape of one image, used when X is flat. "auto": a square
        single-channel image if the number of features is a perfect square,
        else a one-row strip. Image-shaped X sets the shape itself.
    random_state : int, RandomState or None, default=None
        Seed for weights, dropout, shuffling and the validation split. The
        same int gives identical predictions on CPU. A RandomState is used as
        scikit-learn uses one: each fit draws its seed from it (so it advances,
        and two fits from the same instance differ).
    verbose : int, default=0
        Keras' per-epoch output: 0 silent, 1 progress bar, 2 one line per epoch.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, as in scikit-learn
        (:func:`sklearn.utils.class_weight.compute_sample_weight`); multiplied
        with any ``sample_weight``.
    callbacks : list of keras.callbacks.Callback instances or classes, default=None
        Extra Keras callbacks for ``fit`` and ``partial_fit`` (TensorBoard, a
        checkpoint, your own); a class is instantiated without arguments at
        each fit. They run after the package's own (epoch timer, schedule).
    warm_start : bool, default=False
        When True, a ``fit`` on a fitted estimator keeps its network, weights
        and optimizer state and trains ``epochs`` more epochs, as scikit-learn's
        ``MLPClassifier(warm_start=True)`` does: ``history_`` and ``n_iter_``
        go on counting, ``fit_time_`` is the new ``fit``'s, and a "cosine"
        schedule runs again over the new epochs. The data must have the same
        image shape and no new class. False builds a fresh network at each
        ``fit``.
    steps_per_execution : int or "auto", default="auto"
        Batches the backend runs per call from Python, in training, evaluation
        and prediction (Keras' ``compile(steps_per_execution=...)``). It changes
        no result (the same batches in the same order, tested bit for bit), only
        how often Python runs between batches, which costs more than a small
        batch's arithmetic on a CPU. "auto" runs ``max(1, 512 // batch_size)``
        batches per call (about 512 images), and 1 on PyTorch, whose trainer
        takes one batch per call. Prediction always runs one batch
        of 1,024 per call (more would trace the network again for each new
        number of batches). Keras calls a callback's batch-level hooks
        (``on_train_batch_end``, ...) once per call, so give 1 to a callback that
        must see every batch.
"""


def common_params_doc(
    *,
    learning_rate: float | str,
    lr_schedule: str,
    batch_size: int | str,
    standardize: bool,
) -> str:
    """The numpydoc entries of the common parameters, with one class's defaults."""
    return string.Template(_COMMON_PARAMS_DOC).substitute(
        learning_rate=f'"{learning_rate}"' if isinstance(learning_rate, str) else learning_rate,
        lr_schedule=lr_schedule,
        batch_size=f'"{batch_size}"' if isinstance(batch_size, str) else batch_size,
        standardize=standardize,
    )


COMMON_ATTRIBUTES_DOC = """\
    classes_ : ndarray of shape (n_classes,)
        Class labels; ``predict_proba`` columns follow this order.
    n_features_in_ : int
        Number of values per image (h*w*c).
    feature_names_in_ : ndarray of str
        Column names, when ``fit`` got a DataFrame.
    image_shape_ : tuple of int
        ``(height, width, channels)`` of the images the network was built for.
    batch_size_ : int
        The batch size trained with (``batch_size``, "auto" resolved).
    learning_rate_ : float
        The learning rate trained with (``learning_rate``, "auto" resolved).
    model_ : keras.Model
        The trained Keras network.
    history_ : dict of list of float
        Per epoch: ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``
        when there was validation data, and ``epoch_time`` (seconds).
    n_iter_ : int
        Number of epochs actually run.
    fit_time_ : float
        Wall time of the whole ``fit``, in seconds.
"""


#: (network, scaler) while an ImagePipeline has ``network`` fit or predict from unscaled
#: images that it scales batch by batch with ``scaler``
#: (:meth:`KerasImageClassifier._scaling_batches_by`); per thread, so that another
#: thread's fit or prediction with the same network is not affected.
_READING_SCALED_BY: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "mnist_estimators_reading_scaled_by", default=(None, None)
)


def _anonymous_config(model: keras.Model) -> str:
    """``model``'s configuration as JSON, each layer named by its position.

    Layer names count up within a process (``dense_3``) and change nothing in the
    network, so two builds of the same network give the same text.
    """
    text = json.dumps(model.get_config(), sort_keys=True, default=repr)
    names = {layer.name: i for i, layer in enumerate(model.layers)}
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(json.dumps(name), f'"<layer {names[name]}>"')
    return text


def _warn_if_unscaled(X, X_val, *, scaled_by=None) -> None:
    """Warn when training data are in [0, 1] but validation data are raw pixels.

    With ``scaled_by`` (the PixelScaler whose arithmetic scales each training batch as
    the network reads it), the training data the network sees are in [0, 1] whatever
    ``X`` holds.
    """
    if not (X.size and X_val.size):
        return
    seen = 1.0 if scaled_by is not None else float(np.max(X))
    if seen <= 1.0 + 1e-6 and float(np.max(X_val)) > 2.0:
        warnings.warn(
            f"validation_data look unscaled (largest value {float(np.max(X_val)):g}, against "
            f"{seen:g} in the training data the network sees): a plain Pipeline "
            "passes them to the network untransformed. Use make_cnn_pipeline / "
            "make_lstm_pipeline (an ImagePipeline), which send validation data through the "
            "pipeline's transformers, or transform them yourself.",
            UserWarning,
            stacklevel=4,
        )


class KerasImageClassifier(ScikerasClassifierCompat, KerasClassifier):
    """Base class of :class:`CNNClassifier` and :class:`LSTMClassifier`, and of your own networks.

    A subclass gives its layers and nothing else (the how-to "Write your own
    network on the same base class"):

    * ``__init__`` with its own keyword arguments, stored as they are, then the
      common ones passed on to this ``__init__``;
    * ``_parameter_constraints``, this class's merged with its own;
    * :attr:`input_layout`, the array layout the network reads;
    * :meth:`build_network`, which returns the output tensor.

    Examples
    --------
    >>> import keras
    >>> from mnist_estimators import KerasImageClassifier, load_digits_images
    >>> class Softmax(KerasImageClassifier):
    ...     input_layout = "flat"
    ...     def build_network(self, inputs, n_classes):
    ...         return keras.layers.Dense(n_classes, activation="softmax")(inputs)
    >>> X, y = load_digits_images(return_X_y=True)
    >>> Softmax(epochs=2, random_state=0).fit(X / 16, y).model_.count_params()
    650
    """

    #: Layout of the array the network reads: ``"image"`` ``(n, h, w, c)``,
    #: ``"sequence"`` ``(n, h, w*c)`` (rows as time steps) or ``"flat"`` ``(n, h*w*c)``.
    input_layout: str = "image"
    #: Every fit records its training time in ``fit_time_`` (the timing scorers read it).
    records_fit_time = True
    #: ``predict`` is the class of each row's largest ``predict_proba`` (one pass of the
    #: network gives both), so the comparison's scorer predicts once for all its scores.
    predicts_argmax_of_proba = True
    #: Name of the Keras model (``model_.name``).
    network_name: str = "network"
    #: Images per batch at prediction time; does not change results.
    _predict_batch_size = 1024
    #: Prediction pads its input to a multiple of this many rows (see ``_predict_raw``).
    _predict_row_multiple = 64
    #: Images per call into Keras' ``predict`` (rounded down to whole batches): each call
    #: copies its images into one tensor, so this bounds prediction's copies.
    _predict_chunk = 4096

    def __init__(
        self,
        *,
        optimizer="adam",
        learning_rate=0.001,
        lr_schedule="constant",
        batch_size=32,
        epochs=5,
        validation_fraction=0.0,
        early_stopping=False,
        patience=2,
        standardize=False,
        image_shape="auto",
        random_state=None,
        verbose=0,
        class_weight=None,
        callbacks=None,
        warm_start=False,
        steps_per_execution="auto",
    ):
        # Every common argument, whatever the subclass's own signature lists (a subclass
        # may pass on only some of them, as the how-to's recipe does).
        self._store_arguments(locals(), KerasImageClassifier)

    def _store_arguments(self, arguments: dict, cls: type | None = None) -> None:
        """Store each constructor argument of ``cls`` (this class by default), as it is,
        under its own name.

        A subclass's ``__init__`` lists its arguments and the common ones (scikit-learn
        reads the signature), then calls ``self._store_arguments(locals(), ThatClass)``
        (its own class, so that a subclass of it with other arguments still works):
        nothing else happens in ``__init__``, as scikit-learn requires.
        """
        for name in inspect.signature((cls or type(self)).__init__).parameters:
            if name != "self":
                setattr(self, name, arguments[name])

    #: Checked by scikit-learn's ``_validate_params`` at the start of ``fit`` and the
    #: first ``partial_fit`` (subclasses merge their own into it).
    _parameter_constraints: dict = {
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "standardize": ["boolean"],
        "image_shape": [StrOptions({"auto"}), tuple, list],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "callbacks": "no_validation",  # scikeras checks them, with its own message
        "warm_start": ["boolean"],
        "steps_per_execution": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    }

    # -- hooks for subclasses -------------------------------------------------
    def build_network(self, inputs, n_classes: int):
        """Return the network's output tensor, applied to the symbolic input ``inputs``.

        Override this in a subclass. It is called inside ``fit`` with every seed
        set from ``random_state``, so layers built here are reproducible.

        Parameters
        ----------
        inputs : keras.KerasTensor
            The input in :attr:`input_layout` (after the ``standardize`` layer
            when that is on).
        n_classes : int
            Number of classes: the output layer's units, with a softmax.

        Returns
        -------
        keras.KerasTensor
            Class probabilities of shape ``(None, n_classes)``.
        """
        legacy = getattr(self, "_build_network", None)  # the recipe of versions <= 0.1
        if legacy is None:
            raise NotImplementedError(
                f"{type(self).__name__} must define build_network(self, inputs, n_classes), "
                "returning the output tensor (see KerasImageClassifier)."
            )
        return legacy(inputs, n_classes)

    def _resolve_training(self, n_samples: int) -> None:
        """Set ``batch_size_`` and ``learning_rate_``: the parameters, "auto" resolved.

        "auto" follows :data:`~mnist_estimators.estimators.AUTO_TRAINING` for this
        network and ``n_samples`` training images.
        """
        network = getattr(self, "_network_name", self.network_name)
        batch, rate = auto_training(network, n_samples, self.batch_size)
        self.batch_size_ = batch
        self.learning_rate_ = rate if self.learning_rate == "auto" else float(self.learning_rate)

    def _input_layout(self) -> str:
        """:attr:`input_layout`, or ``_layout`` where an older subclass set that."""
        return getattr(self, "_layout", self.input_layout)

    # -- fit ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Build a fresh network and train it on ``(X, y)``.

        With ``warm_start=True`` and a fitted network, train that network ``epochs``
        more epochs instead (see ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Training images, flat or image shaped.
        y : array-like of shape (n_samples,)
            Class labels: any hashable values (ints, strings, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights for the loss.
        validation_data : tuple (X_val, y_val), default=None
            Data to evaluate after each epoch (``val_loss``/``val_accuracy`` in
            ``history_``; early stopping watches it). Not used for training.

        Returns
        -------
        self
        """
        if sample_weight is not None:  # scikeras multiplies class weights into it in place
            sample_weight = np.array(sample_weight, dtype=np.float64)
        with keras_training():
            start = _clock.now()
            warm = self.warm_start and self.initialized_
            if not warm:
                n = _num_samples(X)
                self._resolve_training(n - math.ceil(n * self.validation_fraction))
            if warm:  # scikeras rebuilds these only with a fresh network
                classes = self.classes_  # its fit clears them; only _initialize sets them
                self._initialize_callbacks()  # callback classes: new instances, as each fit
            super().fit(
                X,
                y,
                sample_weight=sample_weight,
                validation_data=validation_data,
                initial_epoch=self.current_epoch if warm else 0,
            )
            if warm:
                self.classes_ = classes
            self.fit_time_ = _clock.now() - start
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one more epoch, keeping the network (built on first call).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
        y : array-like of shape (n_samples,)
        classes : array-like, default=None
            All classes, required on the first call if ``y`` may miss some.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        if sample_weight is not None:  # scikeras multiplies class weights into it in place
            sample_weight = np.array(sample_weight, dtype=np.float64)
        with keras_training():
            start = _clock.now()
            if not self.initialized_:
                self._resolve_training(_num_samples(X))
            super().partial_fit(X, y, classes=classes, sample_weight=sample_weight, partial=True)
            self.fit_time_ = getattr(self, "fit_time_", 0.0) + _clock.now() - start
        return self

    @contextlib.contextmanager
    def _scaling_batches_by(self, scaler) -> Iterator[KerasImageClassifier]:
        """Within it, ``fit`` and the predictions take images unscaled and scale each
        batch (each chunk, to predict) by ``scaler``.

        For :class:`~mnist_estimators.estimators.ImagePipeline`, whose
        :class:`~mnist_estimators.PixelScaler` then passes the images through unscaled
        (``PixelScaler._scaling_deferred``): the network reads them batch by batch,
        each scaled by the scaler's own arithmetic (``PixelScaler._scale``), so it
        trains and predicts on the same numbers without a float32 copy of every image.
        The network itself is not changed: which scaler applies is kept per thread.
        """
        token = _READING_SCALED_BY.set((self, scaler))
        try:
            yield self
        finally:
            _READING_SCALED_BY.reset(token)

    def _reading_scaler(self):
        """The scaler this network applies to its input now (:meth:`_scaling_batches_by`),
        or None."""
        network, scaler = _READING_SCALED_BY.get()
        return scaler if network is self else None

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        """scikeras' validation hook, done with scikit-learn's ``validate_data``.

        Returns X in the network's layout and y as scikeras expects it (X of any
        numeric dtype, unconverted, while its batches are scaled as they are read).
        """
        if X is not None:
            if self._reading_scaler() is not None:
                X, sample_shape = check_images(self, X, reset=reset, dtype="numeric")
            else:
                X, sample_shape = check_images(self, X, reset=reset)
            if reset:
                self.image_shape_ = (
                    image_shape_from_sample(sample_shape)
                    if sample_shape is not None
                    else resolve_image_shape(
                        self.image_shape, X.shape[1], owner=type(self).__name__
                    )
                )
            else:
                check_sample_shape(sample_shape, self.image_shape_, owner=type(self).__name__)
            X = to_layout(X, self.image_shape_, self._input_layout())
        if y is not None:
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
            if X is not None:
                check_consistent_length(X, y)
            if reset and getattr(self, "classes_", None) is None and np.unique(y).size < 2:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes to train, but y has only "
                    f"one class: {np.unique(y)!r}. Check the labels you passed."
                )
            _, y = super()._validate_data(X=None, y=y, reset=reset)
        return X, y

    def _keras_build_fn(self) -> keras.Model:
        """Build the network from the seed and compile it (called by scikeras in ``fit``).

        The network is always built afresh, from ``random_state``; when a compiled
        twin of it is free in this process, the twin gets its variables and is
        trained instead, with the functions it has traced already (see
        :mod:`mnist_estimators._keras.reuse`): the same result, without the
        tracing.
        """
        if isinstance(self.random_state, np.random.RandomState):
            # scikit-learn's convention: a RandomState is the generator, consumed by each fit.
            # (scikeras drew randint(low=1) from a copy of it: always 0, whatever its state.)
            self._random_state = int(self.random_state.randint(np.iinfo(np.int32).max))
        # Every seed Keras draws comes from this one; the same layer names in every build.
        with seeded(self._random_state), fresh_layer_names():
            sample = to_layout(
                np.empty((1, self.n_features_in_)), self.image_shape_, self._input_layout()
            )
            inputs = keras.Input(shape=sample.shape[1:])
            x = Standardize(name="standardize")(inputs) if self.standardize else inputs
            outputs = self.build_network(x, int(self.n_classes_))
            model = keras.Model(
                inputs, outputs, name=getattr(self, "_network_name", self.network_name)
            )
            optimizer = keras.optimizers.get(
                {
                    "class_name": self.optimizer,
                    "config": {"learning_rate": float(self.learning_rate_)},
                }
            )
        compile_kwargs = {
            "optimizer": optimizer,
            "loss": self.loss,
            "metrics": ["accuracy"],
            "steps_per_execution": self._steps_per_execution(),
        }
        key = self._network_key(model, compile_kwargs)
        batch = (np.zeros(sample.shape, dtype=np.float32), np.zeros(1, dtype=np.int64))
        return reusable_network(key, model, compile_kwargs, self, batch)

    #: Parameters that change nothing in a compiled network's traced functions.
    _PARAMS_OUTSIDE_NETWORK = frozenset(
        {
            "epochs",
            "random_state",
            "verbose",
            "callbacks",
            "class_weight",
            "validation_fraction",
            "early_stopping",
            "patience",
            "warm_start",
        }
    )

    def _network_key(self, model: keras.Model, compile_kwargs: dict) -> tuple:
        """What a compiled twin of ``model`` must share with it to be reused for this fit."""
        params = sorted(
            (name, repr(value))
            for name, value in self.get_params(deep=False).items()
            if name not in self._PARAMS_OUTSIDE_NETWORK
        )
        return (
            BACKEND.name,
            f"{type(self).__module__}.{type(self).__qualname__}",
            tuple(params),
            _anonymous_config(model),
            json.dumps(compile_kwargs["optimizer"].get_config(), sort_keys=True, default=repr),
            repr(compile_kwargs["loss"]),
            compile_kwargs["steps_per_execution"],
        )

    def _steps_per_execution(self) -> int:
        """``steps_per_execution`` as a number of batches ("auto": about 512 images)."""
        if self.steps_per_execution == "auto":
            return auto_steps_per_execution(getattr(self, "batch_size_", self.batch_size))
        limit = BACKEND.max_steps_per_execution
        if limit is not None and self.steps_per_execution > limit:
            raise ValueError(
                f"steps_per_execution={self.steps_per_execution}, but the Keras backend "
                f"{BACKEND.name!r} runs at most {limit} batch(es) per call. Use "
                f"steps_per_execution='auto' (or {limit}), or another backend."
            )
        return int(self.steps_per_execution)

    def _fit_keras_model(
        self,
        X,
        y,
        sample_weight,
        warm_start,
        epochs,
        initial_epoch,
        validation_data=None,
        partial=False,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(f"Unexpected fit arguments: {sorted(kwargs)}.")
        callbacks: list = [EpochTimer()]
        # From an ImagePipeline that scales batch by batch: the scaler's arithmetic.
        scaler = self._reading_scaler()
        transform = None if scaler is None else scaler._scale
        val, val_transform = None, None
        if validation_data is not None:
            if self.validation_fraction:
                raise ValueError(
                    "Pass either validation_data to fit or validation_fraction > 0, not both."
                )
            if hasattr(validation_data, "resolve"):  # from an ImagePipeline: transformed now,
                validation_data = validation_data.resolve(unscaled_by=scaler)
                val_transform = transform  # or batch by batch as the training images
            try:
                X_val, y_val = validation_data
            except (TypeError, ValueError):
                raise ValueError("validation_data must be a tuple (X_val, y_val).") from None
            X_val, y_val = self._validate_data(X_val, y_val)
            if val_transform is None:
                _warn_if_unscaled(X, X_val, scaled_by=scaler)
            val = (X_val, self.target_encoder_.transform(y_val))
        elif self.validation_fraction:
            X, y, sample_weight, val = self._split_validation(X, y, sample_weight)
            val_transform = transform
        if self.standardize and (not warm_start or initial_epoch == 0):
            # Its statistics from the images scaled batch by batch: no copy of them all.
            self.model_.get_layer("standardize").adapt_arrays(X, transform)
        if self.lr_schedule == "cosine" and not partial:
            # Not in partial_fit: it cannot know how many calls follow. The schedule runs
            # inside the optimizer, on its step counter, from the step this fit starts at
            # (after a warm start: where the last fit stopped); it returns to the constant
            # rate after the horizon.
            steps = math.ceil(X.shape[0] / self.batch_size_) * epochs
            set_cosine_schedule(self.model_, self.learning_rate_, steps)
        for cb in self._fit_callbacks:  # the user's, built by scikeras from ``callbacks``
            callbacks.extend(cb if isinstance(cb, list) else [cb])
        if self.early_stopping:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss" if val is not None else "loss",
                    patience=self.patience,
                    restore_best_weights=True,
                )
            )
        # Shuffled by the fit's own generator, never NumPy's global one (see .data).
        data = SeededArrays(
            X,
            y,
            sample_weight,
            batch_size=self.batch_size_,
            seed=self._random_state,
            transform=transform,
        )
        with seeded(self._random_state):
            hist = self.model_.fit(
                data,
                epochs=initial_epoch + epochs,
                initial_epoch=initial_epoch,
                # Sliced batch by batch too, in order: no second copy of the data.
                validation_data=None
                if val is None
                else SeededArrays(
                    *val,
                    batch_size=self.batch_size_,
                    seed=None,
                    shuffle=False,
                    transform=val_transform,
                ),
                callbacks=callbacks,
                verbose=self.verbose,
            )
        if not warm_start or initial_epoch == 0 or not hasattr(self, "history_"):
            self.history_ = {}
        for key, values in hist.history.items():
            self.history_.setdefault(key, []).extend(float(v) for v in values)
        self.n_iter_ = len(self.history_.get("loss", []))

    def _split_validation(self, X, y, sample_weight):
        index = np.arange(X.shape[0])
        try:
            train, val = train_test_split(
                index,
                test_size=self.validation_fraction,
                stratify=y,
                random_state=self._random_state,
            )
        except ValueError:  # a class too small to stratify
            train, val = train_test_split(
                index, test_size=self.validation_fraction, random_state=self._random_state
            )
        sw = None if sample_weight is None else np.asarray(sample_weight)[train]
        return X[train], y[train], sw, (X[val], y[val])

    # -- predict --------------------------------------------------------------
    def _predict_raw(self, X, **kwargs):
        """The network's output for X, the same for a sample wherever it sits in X.

        CPU matrix kernels compute the rows of a batch that fill a whole SIMD
        register block with fused multiply-adds, and the few rows left over
        (the batch size modulo 8 with AVX2, 16 with AVX-512) with other
        instructions that round differently. So a sample's probabilities
        changed in the last float32 bit with its position in X, and
        reordering the samples changed the predictions (scikit-learn's
        ``check_methods_sample_order_invariance`` failed on AVX2 machines). Zero
        rows pad X to a multiple of ``_predict_row_multiple`` (64; the batch
        sizes, 1,024 and the CNN's 256, are multiples of it), so every real
        sample is computed by the same full-block kernel and its output no
        longer depends on its neighbours. The padding's outputs are dropped.

        X goes to Keras ``_predict_chunk`` images at a time (4,096): each call
        copies its images into a tensor, so a prediction holds copies of a chunk,
        not of all of X (three float32 copies of 12,000 MNIST images, 113 MB, were
        the largest moment of a comparison's task). Inside an
        :class:`~mnist_estimators.estimators.ImagePipeline` X arrives unscaled and
        each chunk is scaled by the pipeline's scaler as it is sent
        (:meth:`_scaling_batches_by`): the same numbers as the scaler's whole copy.
        """
        check_is_fitted(self)
        X, _ = self._validate_data(X=X)
        scaler = self._reading_scaler()
        n, batch, multiple = X.shape[0], self._predict_batch_size, self._predict_row_multiple
        # Whole batches per call: the batches of one call over all of X, so the same numbers
        # on backends whose kernels round differently at another batch size (JAX's LSTM).
        chunk = max(self._predict_chunk // batch, 1) * batch
        parts = []
        with keras_predicting(self.model_):
            for start in range(0, n, chunk):
                part = X[start : start + chunk]
                m = part.shape[0]
                if scaler is not None:  # an ImagePipeline's scaler, this chunk only
                    part = scaler._scale(part)
                if m % multiple:  # zero rows, in an array the backend takes in one copy
                    padded = aligned_empty((m - m % multiple + multiple, *X.shape[1:]), part.dtype)
                    padded[:m], padded[m:] = part, 0
                    part = padded
                out = self.model_.predict(part, batch_size=batch, verbose=0)
                parts.append(out[:m])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float64
            Computed in float32 by the network, returned as float64 rows that
            sum to 1, as scikit-learn's classifiers return them.
        """
        proba = np.asarray(super().predict_proba(X), dtype=np.float64)
        proba = proba.reshape(-1, len(self.classes_))
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        return super().predict(X)

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_is_fitted(self)  # NotFittedError, not scikeras' AttributeError on y_dtype_
        return super().score(X, y, sample_weight=sample_weight)

    def count_params(self) -> int:
        """Number of weights in the fitted network."""
        check_is_fitted(self)
        return int(self.model_.count_params())
