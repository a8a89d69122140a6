"""The estimators wing's errors, importable without TensorFlow (the command line catches them)."""

from __future__ import annotations

__all__ = ["UnsafeModelFileError"]


class UnsafeModelFileError(ValueError):
    """A model file that :func:`mnist_estimators.load` refuses; nothing of it was executed."""
