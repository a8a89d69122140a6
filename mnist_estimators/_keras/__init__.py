"""The Keras runtime wing: the backend, process state, layers, schedules and callbacks.

It sits at the bottom of the package's layers and imports nothing of the rest of it
but the machine facts (``import-linter`` checks this in CI). :mod:`.runtime` is the
one place that imports Keras and scikeras (and, on that backend, TensorFlow),
silenced; :mod:`.backends` holds what differs between TensorFlow, JAX and PyTorch.
"""
