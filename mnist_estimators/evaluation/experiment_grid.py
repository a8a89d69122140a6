"""The explanation experiments' names and default grids, one table each.

Free of TensorFlow and scikit-learn imports, so the command line's ``--help``
reads them without loading what trains (:mod:`.experiments` runs them).
"""

from __future__ import annotations

__all__ = [
    "BATCH_SIZES",
    "EXPERIMENTS",
    "FULL_GRID_FROM",
    "PROCESSES",
    "QUICK_BATCH_SIZES",
    "ROTATIONS",
    "SCHEDULES",
    "SEEDS",
    "SHIFTS",
    "THREADS",
    "TRAIN_SIZES",
]

#: Training seeds of a run: verdicts rest on at least 5 (see ``verdicts.MIN_REPLICATES``).
SEEDS = 5

#: The experiments, by name, with the letter the issue and the report give them.
EXPERIMENTS = {
    "spatial": "a",
    "robustness": "b",
    "learning": "c",
    "parallel": "d",
    "calibration": "e",
}

#: Experiment b's test-set shifts (pixels, each direction) and rotations (degrees).
SHIFTS = (-4, -3, -2, -1, 1, 2, 3, 4)
ROTATIONS = (-20, -15, -10, -5, 5, 10, 15, 20)

#: Experiment c's training-set sizes (those above the training data are left out).
TRAIN_SIZES = (500, 1000, 2000, 5000, 10000, 20000, 60000)
#: Experiment c's training budgets: the same optimizer steps at every size (primary),
#: and the same epochs at every size.
SCHEDULES = ("steps", "epochs")

#: Experiment d's batch sizes and thread counts; runs on fewer than FULL_GRID_FROM
#: training images (quick runs) take QUICK_BATCH_SIZES.
BATCH_SIZES = (16, 32, 64, 128, 256, 512)
QUICK_BATCH_SIZES = (32, 128, 512)
FULL_GRID_FROM = 20_000
THREADS = (1, 2)
#: Experiment d's replicates: fresh processes per thread count (verdicts need 5).
PROCESSES = 5
