"""The Keras runtime wing: process state, layers, schedules and callbacks.

It sits at the bottom of the package's layers and imports nothing of the rest of it
(``import-linter`` checks this in CI). :mod:`.runtime` is the one place that imports
TensorFlow, Keras and scikeras, silenced.
"""
